/**
 * The member latency benchmark's result as markdown: per connection mode the summary of each interval, then every
 * round's raw figures, so a reader can see the spread and any outlier for themselves.
 */
import { PROBE_SITES, type ConnectionMode } from './probe-jobs.ts';
import { ms, summarise, type LatencySummary } from './stats.ts';
import type { Timeline } from './timelines.ts';

/** Interval is one figure measured per job: a name, what it spans, and how to read it off a timeline. */
interface Interval {
  readonly name: string;
  readonly of: (t: Timeline) => number | undefined;
}

const diff = (to: number | undefined, from: number | undefined): number | undefined => (to === undefined || from === undefined ? undefined : to - from);

/** INTERVALS: the member latency first (the figure this benchmark is for), then what it is made of and what follows. */
export const INTERVALS: readonly Interval[] = [
  { name: 'Member Job at the site (t1 − t0)', of: (t) => diff(t.memberAt, t.createAt) },
  { name: 'Create call on the hub returned', of: (t) => diff(t.createdAt, t.createAt) },
  { name: 'Hub shows it placed (status.site)', of: (t) => diff(t.placedAt, t.createAt) },
  { name: 'Member Job after the hub showed it placed', of: (t) => diff(t.memberAt, t.placedAt) },
  { name: 'Hub shows it Running (t2 − t0)', of: (t) => diff(t.runningAt, t.createAt) },
  { name: 'Delete → last member Job gone at the site', of: (t) => diff(t.memberGoneAt, t.deleteAt) },
];

/** ReportInput is everything the report shows besides the timelines. */
export interface ReportInput {
  readonly date: string;
  readonly machine: string;
  readonly commit: string;
  readonly timing: string;
  readonly podSeconds: number;
  readonly labStartSeconds: number;
  readonly roundsAsked: number;
  readonly command: string;
  /** warmup and measured: the timelines of round 0 and of the counted rounds. */
  readonly warmup: readonly Timeline[];
  readonly measured: readonly Timeline[];
  readonly watchRestarts: number;
  readonly problems: readonly string[];
}

function summaryCell(s: LatencySummary): string {
  if (s.count === 0) return '–';
  return `${ms(s.p50)} / ${ms(s.p90)} / ${ms(s.max)} / ${ms(s.mean)}`;
}

/** modeSummaries is each interval's summary for each mode, in PROBE_SITES order. */
export function modeSummaries(measured: readonly Timeline[]): Map<ConnectionMode, LatencySummary[]> {
  return new Map(PROBE_SITES.map((p) => [p.mode, INTERVALS.map((i) => summarise(measured.filter((t) => t.mode === p.mode).map(i.of)))]));
}

/** headline is the one-line result: member latency per mode. */
export function headline(measured: readonly Timeline[]): string {
  const member = INTERVALS[0] as Interval;
  return PROBE_SITES.map((p) => {
    const s = summarise(measured.filter((t) => t.mode === p.mode).map(member.of));
    return `${p.mode} (${p.site}): p50 ${ms(s.p50)}, p90 ${ms(s.p90)}, max ${ms(s.max)}, mean ${ms(s.mean)} (n=${s.count})`;
  }).join(' | ');
}

/** copies counts the timelines whose member was made more than once at its site: a withdrawn and re-placed attempt. */
function copies(timelines: readonly Timeline[]): string {
  const most = Math.max(0, ...timelines.map((t) => t.memberUids.size));
  return `${timelines.filter((t) => t.memberUids.size > 1).length} of ${timelines.length} (${most})`;
}

/** renderReport renders the whole result as markdown. */
export function renderReport(r: ReportInput): string {
  const summaries = modeSummaries(r.measured);
  const rounds = new Set(r.measured.map((t) => t.round)).size;
  const lines: string[] = [
    `# Member creation latency, push against pull — ${r.date}`,
    '',
    `Machine: ${r.machine}. Commit: ${r.commit}.`,
    `Lab: examples/lab/pull.yaml (shanghai push with H100, guizhou pull with Ascend 910B), ${r.timing}; kwok keeps pods Running ${r.podSeconds} s; the lab was ready in ${r.labStartSeconds.toFixed(1)} s.`,
    `Command: \`${r.command}\`. Needs nothing from ../shared.`,
    '',
    `Each round creates two 1-worker, 1-device TrainingJobs at once through the hub's API, one that only shanghai can run`,
    `(variant nvidia H100) and one that only guizhou can run (variant huawei Ascend910B, arm64), waits for both members`,
    `and for Running on the hub, then deletes both and waits until they are gone at the hub and at the sites. t0 is the`,
    `local monotonic time right before the create call; t1 the arrival of the first watch event of the member Job`,
    `(label suanwang.io/workload=<name>) from the site's kube-apiserver, read with the lab's admin credentials; t2 the`,
    `first hub watch event with phase Running. Round 0 is a warm-up (the first member creates the namespace at each`,
    `site) and is not counted: ${rounds} of ${r.roundsAsked} rounds counted.`,
    '',
    `| Interval (p50 / p90 / max / mean) | ${PROBE_SITES.map((p) => `${p.mode} (${p.site})`).join(' | ')} |`,
    `|---|${PROBE_SITES.map(() => '---').join('|')}|`,
    ...INTERVALS.map((i, k) => `| ${i.name} | ${PROBE_SITES.map((p) => summaryCell((summaries.get(p.mode) as LatencySummary[])[k] as LatencySummary)).join(' | ')} |`),
    `| Samples | ${PROBE_SITES.map((p) => String((summaries.get(p.mode) as LatencySummary[])[0]?.count ?? 0)).join(' | ')} |`,
    `| Rounds whose member Job was deleted and made again (most copies in a round) | ${PROBE_SITES.map((p) => copies(r.measured.filter((t) => t.mode === p.mode))).join(' | ')} |`,
    '',
    `t1 is the first copy of the member: when a site refuses a later apply of it, the attempt is withdrawn and the job`,
    `placed again, and the member is made anew (counted in the copies row); Running and the clean-up then follow the last copy.`,
    `"Member Job after the hub showed it placed" may be negative: the operator may create the member before its status`,
    `write reaches the hub's watch. Watch restarts during the run: ${r.watchRestarts}${r.watchRestarts > 0 ? ' (a member first found by a re-list is marked * below; its time is late)' : ''}.`,
  ];
  if (r.warmup.length > 0) {
    lines.push('', `Warm-up round (not counted): ${r.warmup.map((t) => `${t.mode} member ${ms(diff(t.memberAt, t.createAt))}, Running ${ms(diff(t.runningAt, t.createAt))}`).join('; ')}.`);
  }
  if (r.problems.length > 0) lines.push('', 'Problems seen:', '', ...r.problems.map((p) => `- ${p}`));
  lines.push(
    '',
    'Every round (ms from t0; gone after delete in ms from the delete call; copies: member Jobs made at the site):',
    '',
    `| Round | ${PROBE_SITES.map((p) => `${p.mode}: member / placed / Running / gone after delete / copies`).join(' | ')} |`,
    `|---|${PROBE_SITES.map(() => '---').join('|')}|`,
  );
  for (const round of [...new Set(r.measured.map((t) => t.round))]) {
    const cells = PROBE_SITES.map((p) => {
      const t = r.measured.find((x) => x.round === round && x.mode === p.mode);
      if (t === undefined) return '–';
      const n = (v: number | undefined): string => (v === undefined ? '–' : String(Math.round(v)));
      return `${n(diff(t.memberAt, t.createAt))}${t.memberByList === true ? '*' : ''} / ${n(diff(t.placedAt, t.createAt))} / ${n(diff(t.runningAt, t.createAt))} / ${n(diff(t.memberGoneAt, t.deleteAt))} / ${t.memberUids.size}`;
    });
    lines.push(`| ${round} | ${cells.join(' | ')} |`);
  }
  return `${lines.join('\n')}\n`;
}
