/**
 * Member creation latency, push against pull (issue 16): how long from a TrainingJob's create call on the hub until its
 * member Job exists at the site, when the operator applies it there itself (push, shanghai) and when it sends it over
 * the agent's gRPC stream for the site's agent to apply (pull, guizhou; docs/pull-mode.md). One lab of its own
 * (examples/lab/pull.yaml), both modes side by side in every round, so both see the same machine load.
 *
 *   node bench/member-latency.bench.ts [--rounds=30] [--timing=test|product] [--pod-seconds=30] [--round-timeout-seconds=60] [--trace]
 *
 * --timing=test runs the federation with the lab tests' timing (test/lab/support/timing.ts TEST_TIMING: 2 s heartbeats,
 * a 60 s safety-net poll); --timing=product with the product defaults (10 s heartbeats, a 10 s poll). Neither interval
 * is on the path of a member's creation: the controllers react to the hub's watch events.
 *
 * Each round creates the two jobs at once (alternating which call goes first), waits for both members at their sites
 * and Running on the hub, deletes both and waits until they are gone at the hub and at the sites. Round 0 is a warm-up
 * and not counted. The result goes to stdout and to bench/results/member-latency-<date>.md. Needs nothing from
 * ../shared. Heavy: it runs a lab; run nothing else heavy beside it. Exits 1 when a member never appeared (the log
 * tails of the operator and the pull agent are printed, and the lab's logs kept) or a job landed at the wrong site.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BatchV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, type V1Job } from '@kubernetes/client-node';
import type { Site, TrainingJob } from '../src/api/generated/types.ts';
import { GROUP, LABEL_EPOCH, LABEL_NAMESPACE, LABEL_WORKLOAD, Plural, VERSION } from '../src/api/names.ts';
import { REPO_ROOT } from '../src/lab/binaries.ts';
import { tailOf } from '../src/lab/processes.ts';
import type { LabState } from '../src/lab/state.ts';
import { TEST_TIMING } from '../test/lab/support/timing.ts';
import { ListWatch, type ListResult, type WatchedObject } from './member-latency/list-watch.ts';
import { PROBE_SITES, probeJob, probeJobName, type ProbeSite } from './member-latency/probe-jobs.ts';
import { headline, modeSummaries, renderReport } from './member-latency/report.ts';
import { ms, type LatencySummary } from './member-latency/stats.ts';
import { Timelines, type Timeline } from './member-latency/timelines.ts';
import { withBenchLab } from './support/lab.ts';
import { gitCommit, machine } from './support/run-info.ts';
import { recordFigure } from './support/summary.ts';

const NAMESPACE = 'member-latency';
const DEFAULT_ROUNDS = 30;
const SITES_READY_TIMEOUT_MS = 90_000;

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: String(DEFAULT_ROUNDS) },
    timing: { type: 'string', default: 'test' },
    'pod-seconds': { type: 'string', default: '30' },
    'round-timeout-seconds': { type: 'string', default: '60' },
    trace: { type: 'boolean', default: false },
  },
});
const rounds = Number(values.rounds);
const podSeconds = Number(values['pod-seconds']);
const roundTimeoutMs = Number(values['round-timeout-seconds']) * 1000;
for (const [flag, v] of [['--rounds', rounds], ['--pod-seconds', podSeconds], ['--round-timeout-seconds', roundTimeoutMs]] as const) {
  if (!Number.isInteger(v) || v <= 0) throw new Error(`${flag} must be a positive whole number`);
}
if (values.timing !== 'test' && values.timing !== 'product') throw new Error(`--timing must be test or product, not ${values.timing}`);
const timing = values.timing;

const log = (line: string): void => console.log(line);

function kubeConfig(file: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(file);
  return kc;
}

/** waitSitesReady waits until every probe site's Site on the hub is Ready (the operator places nowhere else). */
async function waitSitesReady(custom: CustomObjectsApi): Promise<void> {
  const deadline = performance.now() + SITES_READY_TIMEOUT_MS;
  for (;;) {
    const sites = await Promise.all(
      PROBE_SITES.map((p) => (custom.getClusterCustomObject({ group: GROUP, version: VERSION, plural: Plural.Site, name: p.site }) as Promise<Site>).catch(() => undefined)),
    );
    const notReady = PROBE_SITES.filter((_, i) => sites[i]?.status?.conditions?.find((c) => c.type === 'Ready')?.status !== 'True').map((p) => p.site);
    if (notReady.length === 0) return;
    if (performance.now() > deadline) throw new Error(`sites not Ready on the hub after ${SITES_READY_TIMEOUT_MS / 1000} s: ${notReady.join(', ')}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Bench is one run: the hub's clients, the watches and what they saw. */
class Bench {
  readonly timelines = new Timelines();
  readonly problems: string[] = [];
  readonly #custom: CustomObjectsApi;
  readonly #watches: ListWatch[] = [];
  readonly #state: LabState;

  constructor(state: LabState) {
    this.#state = state;
    this.#custom = kubeConfig(this.#kubeconfig('hub')).makeApiClient(CustomObjectsApi);
  }

  #kubeconfig(cluster: string): string {
    const c = this.#state.clusters.find((x) => (cluster === 'hub' ? x.role === 'hub' : x.name === cluster));
    if (c === undefined) throw new Error(`the lab has no cluster ${cluster} (is the topology examples/lab/pull.yaml?)`);
    return c.kubeconfig;
  }

  get watchRestarts(): number {
    return this.#watches.reduce((s, w) => s + w.restarts, 0);
  }

  async prepare(): Promise<void> {
    for (const p of PROBE_SITES) {
      const connection = this.#state.clusters.find((c) => c.name === p.site)?.connection ?? 'push';
      if (connection !== p.mode) throw new Error(`site ${p.site} is ${connection} in this lab; the benchmark expects ${p.mode}`);
    }
    await waitSitesReady(this.#custom);
    await kubeConfig(this.#kubeconfig('hub')).makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: NAMESPACE } } });
    // The hub's TrainingJobs: when each is placed, Running, gone.
    this.#watches.push(
      new ListWatch(
        {
          label: 'TrainingJobs on the hub',
          kubeconfig: this.#kubeconfig('hub'),
          path: `/apis/${GROUP}/${VERSION}/namespaces/${NAMESPACE}/${Plural.TrainingJob}`,
          list: (kc) => kc.makeApiClient(CustomObjectsApi).listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: NAMESPACE, plural: Plural.TrainingJob }) as Promise<ListResult>,
        },
        (type, obj, at) => this.#onHubEvent(type, obj as TrainingJob, at),
      ),
    );
    // Every site's member Jobs, with the lab's admin credentials (not the pull agent's): when each appears, and where.
    for (const p of PROBE_SITES) {
      this.#watches.push(
        new ListWatch(
          {
            label: `member Jobs at ${p.site}`,
            kubeconfig: this.#kubeconfig(p.site),
            path: '/apis/batch/v1/jobs',
            labelSelector: LABEL_WORKLOAD,
            list: (kc) => kc.makeApiClient(BatchV1Api).listJobForAllNamespaces({ labelSelector: LABEL_WORKLOAD }) as Promise<ListResult>,
          },
          (type, obj, at) => this.#onMemberEvent(p.site, type, obj, at),
        ),
      );
    }
    await Promise.all(this.#watches.map((w) => w.start()));
  }

  #onHubEvent(type: string, tj: TrainingJob, at: number): void {
    this.timelines.update(tj.metadata.name, (t) => {
      t.trace.push({ at, what: `hub ${type} phase=${tj.status?.phase ?? '-'} site=${tj.status?.site ?? '-'}` });
      if (type === 'DELETED') {
        t.hubGoneAt ??= at;
        return;
      }
      const status = tj.status;
      if (status?.site !== undefined && t.placedAt === undefined) {
        t.placedAt = at;
        t.placedSite = status.site;
      }
      if (status?.phase === 'Running') t.runningAt ??= at;
      if (status?.phase !== undefined) t.lastPhase = status.phase;
      const condition = status?.conditions?.find((c) => c.type === 'Running' && c.status !== 'True') ?? status?.conditions?.find((c) => c.type === 'Placed');
      if (condition !== undefined) t.lastMessage = `${condition.type}=${condition.status} ${condition.reason}: ${condition.message}`;
    });
  }

  #onMemberEvent(site: string, type: string, job: WatchedObject, at: number): void {
    const labels = job.metadata?.labels ?? {};
    if (labels[LABEL_NAMESPACE] !== undefined && labels[LABEL_NAMESPACE] !== NAMESPACE) return;
    this.timelines.update(labels[LABEL_WORKLOAD], (t) => {
      const j = job as V1Job;
      t.trace.push({
        at,
        what: `${site} Job ${type} ${j.metadata?.namespace}/${j.metadata?.name} uid=${j.metadata?.uid?.slice(0, 8)} epoch=${labels[LABEL_EPOCH]} ` +
          `deleting=${j.metadata?.deletionTimestamp !== undefined} managers=${(j.metadata?.managedFields ?? []).map((f) => f.manager).join(',')} active=${j.status?.active ?? 0}`,
      });
      const uid = j.metadata?.uid ?? '';
      if (type === 'DELETED') {
        t.liveMemberUids.delete(uid);
        if (t.deleteAt !== undefined && t.liveMemberUids.size === 0) t.memberGoneAt ??= at;
        return;
      }
      t.memberUids.add(uid);
      t.liveMemberUids.add(uid);
      if (t.memberAt !== undefined) return;
      t.memberAt = at;
      t.memberSite = site;
      t.memberByList = type === 'LISTED';
    });
  }

  async #create(t: Timeline, probe: ProbeSite): Promise<void> {
    const body = probeJob(probe, t.name);
    t.createAt = performance.now();
    await this.#custom.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: NAMESPACE, plural: Plural.TrainingJob, body });
    t.createdAt = performance.now();
  }

  async #delete(t: Timeline): Promise<void> {
    t.deleteAt = performance.now();
    await this.#custom.deleteNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: NAMESPACE, plural: Plural.TrainingJob, name: t.name });
  }

  /** round runs one round; false when a member never appeared or appeared at the wrong site (the run stops). */
  async round(round: number): Promise<boolean> {
    const pairs = PROBE_SITES.map((probe) => ({
      probe,
      t: this.timelines.add({ name: probeJobName(probe.mode, round), mode: probe.mode, expectedSite: probe.site, round, trace: [], memberUids: new Set(), liveMemberUids: new Set() }),
    }));
    const order = round % 2 === 0 ? pairs : [...pairs].reverse();
    await Promise.all(order.map(({ probe, t }) => this.#create(t, probe)));
    const ts = pairs.map((p) => p.t);
    const membersSeen = await this.timelines.until(() => ts.every((t) => t.memberAt !== undefined), roundTimeoutMs);
    const running = membersSeen && (await this.timelines.until(() => ts.every((t) => t.runningAt !== undefined), roundTimeoutMs));
    let ok = membersSeen;
    for (const t of ts) {
      if (t.memberAt === undefined) {
        this.problems.push(`round ${round}: ${t.mode} job ${t.name} has no member Job at ${t.expectedSite} after ${roundTimeoutMs / 1000} s (hub: phase ${t.lastPhase ?? 'none'}, site ${t.placedSite ?? 'none'}; ${t.lastMessage ?? 'no condition'})`);
      } else if (t.memberSite !== t.expectedSite) {
        this.problems.push(`round ${round}: ${t.mode} job ${t.name} got its member at ${t.memberSite}, not ${t.expectedSite}`);
        ok = false;
      } else if (!running && t.runningAt === undefined) {
        this.problems.push(`round ${round}: ${t.mode} job ${t.name} not Running on the hub after ${roundTimeoutMs / 1000} s (phase ${t.lastPhase ?? 'none'}; ${t.lastMessage ?? 'no condition'})`);
      }
    }
    await Promise.all(ts.map((t) => this.#delete(t)));
    // A member already gone when the delete call was made (an attempt withdrawn, not made again) is gone at once.
    for (const t of ts) if (t.memberAt !== undefined && t.liveMemberUids.size === 0 && t.deleteAt !== undefined) t.memberGoneAt ??= t.deleteAt;
    const gone = await this.timelines.until(() => ts.every((t) => t.hubGoneAt !== undefined && (t.memberAt === undefined || t.memberGoneAt !== undefined)), roundTimeoutMs);
    if (!gone) this.problems.push(`round ${round}: ${ts.filter((t) => t.hubGoneAt === undefined || t.memberGoneAt === undefined).map((t) => t.name).join(', ')} not gone ${roundTimeoutMs / 1000} s after the delete`);
    const label = round === 0 ? 'warm-up' : `round ${String(round).padStart(2)}/${rounds}`;
    log(
      `[${label}] ` +
        ts
          .map(
            (t) =>
              `${t.mode} member ${ms(diff(t.memberAt, t.createAt))} (placed ${ms(diff(t.placedAt, t.createAt))}, Running ${ms(diff(t.runningAt, t.createAt))}, ` +
              `gone ${ms(diff(t.memberGoneAt, t.deleteAt))} after delete${t.memberUids.size > 1 ? `; ${t.memberUids.size} member copies` : ''})`,
          )
          .join(' | '),
    );
    if (values.trace) {
      for (const t of ts) for (const e of t.trace) log(`    ${t.name} +${Math.round(e.at - (t.createAt ?? 0))} ms ${e.what}`);
      for (const t of ts) log(`    ${t.name} +${Math.round((t.deleteAt ?? 0) - (t.createAt ?? 0))} ms delete call`);
    }
    return ok;
  }

  /** diagnose prints the tails of the operator's and the agents' logs (the problems say what the hub showed). */
  diagnose(): void {
    log('\nA round failed (see the problems above). The operator\'s and the agents\' logs end:');
    for (const c of this.#state.components.filter((x) => x.name === 'operator' || x.name === 'agent')) {
      log(`--- ${c.name} (${c.cluster}): ${c.log}, last 40 lines ---\n${tailOf(c.log, 40)}`);
    }
  }

  stop(): void {
    for (const w of this.#watches) w.stop();
  }
}

const diff = (to: number | undefined, from: number | undefined): number | undefined => (to === undefined || from === undefined ? undefined : to - from);

/**
 * recordFigures hands the table its figures: per mode, the member's creation (set against Karmada's published
 * distribution P99, the nearest peer figure), Running on the hub, the clean-up, and the rounds that made a member twice.
 */
function recordFigures(measured: readonly Timeline[], detail: string): void {
  const summaries = modeSummaries(measured);
  const reproduce = `node bench/member-latency.bench.ts ${process.argv.slice(2).join(' ')}`.trim();
  const setting = `examples/lab/pull.yaml, ${new Set(measured.map((t) => t.round)).size} rounds of one job per site, ${timing === 'test' ? "the lab tests' timing" : 'the product timing'}`;
  const line = (s: LatencySummary | undefined): string => (s === undefined || s.count === 0 ? 'not measured' : `p50 ${ms(s.p50)}, p90 ${ms(s.p90)}, max ${ms(s.max)} (n=${s.count})`);
  // Karmada v1.3's resource distribution P99 at 100 clusters (performance-anchors.md §1.2; the SLO is ≤ 2 s).
  const karmadaP99Ms: Record<string, number> = { push: 1298, pull: 989 };
  // Indexes into INTERVALS (member-latency/report.ts): the member, Running on the hub, the clean-up.
  const asked = [
    { index: 0, what: 'hub create → member Job at the site' },
    { index: 4, what: 'hub create → Running on the hub' },
    { index: 5, what: 'delete → last member Job gone at the site' },
  ];
  for (const probe of PROBE_SITES) {
    const s = summaries.get(probe.mode);
    for (const { index, what } of asked) {
      const summary = s?.[index];
      const karmada = karmadaP99Ms[probe.mode];
      recordFigure({
        bench: 'member-latency',
        figure: `member creation, ${probe.mode} (${probe.site}), ${setting}: ${what}`,
        value: line(summary),
        ...(index === 0 && karmada !== undefined && summary?.max !== undefined && {
          limit: `Karmada's published distribution p99, ${probe.mode}: ${karmada} ms (max here ${(summary.max / karmada).toFixed(2)} ×); SLO ≤ 2 s`,
        }),
        reproduce,
        detail,
      });
    }
    const mine = measured.filter((t) => t.mode === probe.mode);
    recordFigure({
      bench: 'member-latency',
      figure: `member creation, ${probe.mode} (${probe.site}), ${setting}: rounds whose member Job was made more than once`,
      value: `${mine.filter((t) => t.memberUids.size > 1).length} of ${mine.length}`,
      limit: '0: one member copy per job',
      reproduce,
      detail,
    });
  }
}

let keepLogs = values.trace; // --trace keeps the lab's logs too, to read beside the events
log('Needs nothing from ../shared: the lab runs this checkout with the Kubernetes binaries tools/build-binaries.sh built.');
const labOptions = {
  name: 'member-latency',
  topology: 'examples/lab/pull.yaml',
  podSeconds,
  ...(timing === 'test' && { timing: TEST_TIMING }),
  keepLogs: () => keepLogs,
  log,
};
const ok = await withBenchLab(labOptions, async ({ state, dir: labDir, startSeconds: labStartSeconds }): Promise<boolean> => {
  log(`${timing} timing`);
  let ok = false;
  const bench = new Bench(state);
  try {
    await bench.prepare();
    log(`sites Ready; namespace ${NAMESPACE} created; ${rounds} rounds after a warm-up`);
    const runStarted = performance.now();
    let completed = true;
    for (let r = 0; r <= rounds; r++) {
      if (!(await bench.round(r))) {
        completed = false;
        break;
      }
    }
    log(`rounds took ${((performance.now() - runStarted) / 1000).toFixed(1)} s`);
    const all = bench.timelines.all();
    for (const p of bench.problems) log(`problem: ${p}`);
    if (!completed) {
      keepLogs = true;
      bench.diagnose();
      log(`lab logs kept in ${join(labDir, 'logs')}`);
    }
    const measured = all.filter((t) => t.round > 0);
    if (measured.length > 0) {
      const date = new Date().toISOString().slice(0, 10);
      const report = renderReport({
        date,
        machine: machine(),
        commit: gitCommit(),
        timing: timing === 'test' ? 'the lab tests\' timing (TEST_TIMING)' : 'the product default timing',
        podSeconds,
        labStartSeconds,
        roundsAsked: rounds,
        command: `node bench/member-latency.bench.ts ${process.argv.slice(2).join(' ')}`.trim(),
        warmup: all.filter((t) => t.round === 0),
        measured,
        watchRestarts: bench.watchRestarts,
        problems: bench.problems,
      });
      log(`\n${report}`);
      log(`member latency: ${headline(measured)}`);
      const resultsDir = join(REPO_ROOT, 'bench', 'results');
      mkdirSync(resultsDir, { recursive: true });
      const file = join(resultsDir, `member-latency-${date}${rounds === DEFAULT_ROUNDS ? '' : `-${rounds}-rounds`}.md`);
      writeFileSync(file, report);
      log(`written to ${file.replace(`${REPO_ROOT}/`, '')}`);
      recordFigures(measured, file.replace(`${REPO_ROOT}/`, ''));
    }
    ok = completed && bench.problems.length === 0;
  } finally {
    bench.stop();
  }
  return ok;
});
process.exitCode = ok ? 0 : 1;
