/**
 * Admission side by side with Kueue. Kueue's scheduler benchmark scenario (sigs.k8s.io/kueue v0.17.0,
 * test/performance/scheduler/configs/baseline/generator.yaml) is expressed as Suanwang Sites, Queues and TrainingJobs
 * and replayed on a virtual clock through the same admissionCycle the operator's admission ledger runs; in the same
 * run the real Kueue benchmark (bench/peer-kueue) runs at the same scale. One Markdown table comes out, printed and
 * written under bench/results/.
 *
 * Mapping, Kueue → Suanwang (printed with the results too):
 * - cohort cohort-N (5)          → Site cohort-N: one CPU pool of one node with 120 cpu (6 ClusterQueues × 20) and
 *                                  480Gi. One node, because Kueue's scenario has no nodes, only quota: every workload
 *                                  (at most 20 cpu) fits the node, so the site's free cpu is the cohort's unused quota.
 * - ClusterQueue (6 per cohort)  → Queue of the same name: quota cpu 20, borrowingLimit cpu 100, preemptionPolicy
 *                                  FairShare (Suanwang's nearest to reclaimWithinCohort Any + withinClusterQueue
 *                                  LowerPriority: borrowers are reclaimed first, lower priority within the queue).
 * - Workload (cpu, runtime, prio) → TrainingJob in the queue's namespace: 1 worker of that cpu (and 1Gi per cpu, so
 *                                  cpu stays every queue's dominant resource), one cpuOnly variant, spec.priority as in
 *                                  Kueue, spec.placement.sites = [its cohort's site], so a queue borrows only within
 *                                  its cohort, as in Kueue.
 *
 * The replay (Suanwang's row). Workload k of a set is created at (k + 1) × creationIntervalMs, as upstream's generator
 * sleeps before each create. At every instant with events (creations, finishes) one cycle runs after all of them; an
 * admitted job holds its cpu at its site until admission + runtime, then finishes. A Preempt verdict stops the victim
 * at once (it goes back to waiting with its original creation time; one eviction) and another cycle runs at the same
 * instant, until a cycle preempts nothing. Should the cycles at one instant come back to a state they were in, they
 * would preempt for ever: the row then says "not measured: preemption livelock" with where and how, instead of figures.
 * FairShare is the mapping; rows for LowerPriority and Never say what the within-queue part and no preemption do
 * alone. Figures as upstream's checker computes them (bench/peer-kueue/summary.ts):
 * usage = cpu × time used / (nominal quota × elapsed) summed over the queues, elapsed from the queues' creation (t = 0)
 * to the last finish; time to admission = the last admission − creation, averaged per class; wall = first creation to
 * last finish. Decision cost = process CPU time and wall time per cycle (buildSnapshot + admissionCycle, what the
 * ledger's runCycle does besides reading its informers).
 *
 *   node bench/admission-vs-kueue.bench.ts [--scale=0.1] [--no-kueue] [--out=DIR]
 *
 * --scale multiplies every workload set's count as bench/peer-kueue does (0.1: 1,500 workloads, about a minute for
 * Kueue here; 1: the full 15,000). --no-kueue skips the peer (its row then says so).
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import type { Queue, Site } from '../src/api/generated/types.ts';
import { PreemptionPolicy, type PreemptionPolicyName } from '../src/api/names.ts';
import { REPO_ROOT } from '../src/lab/binaries.ts';
import { DEFAULT_PLACEMENT_CONFIG } from '../src/placement/config.ts';
import { buildSnapshot, type PromisedCapacity } from '../src/placement/snapshot.ts';
import { cpuPool, makeSite, makeTrainingJob, variant } from '../src/placement/testing.ts';
import { trainingWorkload, type WorkloadResult } from '../src/placement/workload.ts';
import { admissionCycle, type Held, type QueuedWorkload } from '../src/queueing/admission-cycle.ts';
import { addAmounts, subtractAmounts, type Amounts } from '../src/queueing/amounts.ts';
import { queueInfo, type QueueInfo } from '../src/queueing/queue-info.ts';
import { countWorkloads, parseGeneratorConfig, scaleGeneratorConfig } from './peer-kueue/generator-config.ts';
import { findKueueBenchmark } from './peer-kueue/kueue-module.ts';
import { KueueNotMeasuredError, runKueueSchedulerBaseline, type KueueSchedulerBaselineResult } from './peer-kueue/scheduler-baseline.ts';
import { WORKLOAD_CLASSES, type WorkloadClass } from './peer-kueue/summary.ts';
import { recordFigure } from './support/summary.ts';

const { values } = parseArgs({
  options: { scale: { type: 'string', default: '0.1' }, kueue: { type: 'boolean', default: true }, out: { type: 'string' } },
  allowNegative: true,
});
const scale = Number(values.scale);
if (!(scale > 0 && scale <= 1)) {
  console.error(`--scale: expected a number in (0, 1], got '${values.scale}'`);
  process.exit(2);
}

// ---------------------------------------------------------------------------------------------------------------
// 1. The scenario: upstream's generator.yaml from the Go module cache; where the module is missing, this copy of it
//    (v0.17.0), so the Suanwang half runs without Go.
// ---------------------------------------------------------------------------------------------------------------

const BASELINE_V0_17_0 = `
cohorts:
  - className: cohort
    count: 5
    queuesSets:
    - className: cq
      count: 6
      nominalQuota: 20
      borrowingLimit: 100
      reclaimWithinCohort: Any
      withinClusterQueue: LowerPriority
      workloadsSets:
      - {count: 350, creationIntervalMs: 100, workloads: [{className: small, runtimeMs: 200, priority: 50, request: 1}]}
      - {count: 100, creationIntervalMs: 500, workloads: [{className: medium, runtimeMs: 500, priority: 100, request: 5}]}
      - {count: 50, creationIntervalMs: 1200, workloads: [{className: large, runtimeMs: 1000, priority: 200, request: 20}]}
`;

/** ScenarioQueue is one ClusterQueue of the scenario and the workloads created in it. */
interface ScenarioQueue {
  readonly name: string;
  readonly cohort: string;
  readonly nominalQuota: number;
  readonly borrowingLimit: number;
  readonly workloads: readonly ScenarioWorkload[];
}
interface ScenarioWorkload {
  readonly name: string;
  readonly className: string;
  readonly cpu: number;
  readonly runtimeMs: number;
  readonly priority: number;
  readonly createdMs: number;
}

function field(item: Record<string, unknown>, name: string, where: string): number {
  const v = Number(item[name]);
  if (!Number.isFinite(v) || v < 0) throw new Error(`${where}.${name}: expected a number, got ${JSON.stringify(item[name])}`);
  return v;
}

/** expandScenario lists every queue and workload the generator creates for `config`, named as upstream names them. */
function expandScenario(config: ReturnType<typeof parseGeneratorConfig>, file: string): ScenarioQueue[] {
  const queues: ScenarioQueue[] = [];
  config.cohorts.forEach((cohortSet) => {
    for (let c = 0; c < cohortSet.count; c++) {
      const cohort = `${String(cohortSet['className'])}-${c}`;
      cohortSet.queuesSets.forEach((qs, qsIdx) => {
        const where = `${file}: queuesSets[${qsIdx}]`;
        for (let q = 0; q < qs.count; q++) {
          const name = `${String(qs['className'])}-${qsIdx}-${q}-${cohort}`;
          const workloads: ScenarioWorkload[] = [];
          qs.workloadsSets.forEach((set, setIdx) => {
            const interval = field(set, 'creationIntervalMs', `${where}.workloadsSets[${setIdx}]`);
            const templates = set['workloads'];
            if (!Array.isArray(templates)) throw new Error(`${where}.workloadsSets[${setIdx}].workloads: expected a list`);
            let k = 0;
            for (let si = 0; si < set.count; si++) {
              (templates as Record<string, unknown>[]).forEach((t, i) => {
                const at = `${where}.workloadsSets[${setIdx}].workloads[${i}]`;
                workloads.push({
                  name: `${String(t['className'])}-${setIdx}-${si}-${i}`,
                  className: String(t['className']),
                  cpu: field(t, 'request', at),
                  runtimeMs: field(t, 'runtimeMs', at),
                  priority: field(t, 'priority', at),
                  createdMs: (++k) * interval,
                });
              });
            }
          });
          queues.push({ name, cohort, nominalQuota: field(qs, 'nominalQuota', where), borrowingLimit: field(qs, 'borrowingLimit', where), workloads });
        }
      });
    }
  });
  return queues;
}

async function loadScenario(): Promise<{ queues: ScenarioQueue[]; source: string; workloads: number }> {
  let text = BASELINE_V0_17_0;
  let source = 'built-in copy of Kueue v0.17.0 configs/baseline/generator.yaml (module not found)';
  try {
    const setup = await findKueueBenchmark(process.env);
    const file = join(setup.projectDir, 'test/performance/scheduler/configs/baseline/generator.yaml');
    text = await readFile(file, 'utf8');
    source = `${file} (Kueue ${setup.kueueVersion})`;
  } catch (err) {
    if (!(err instanceof KueueNotMeasuredError)) throw err;
  }
  const config = parseGeneratorConfig(scaleGeneratorConfig(parseGeneratorConfig(text, source), scale), source);
  return { queues: expandScenario(config, source), source, workloads: countWorkloads(config) };
}

// ---------------------------------------------------------------------------------------------------------------
// 2. The scenario as Suanwang objects (module comment: mapping).
// ---------------------------------------------------------------------------------------------------------------

function siteFor(cohort: string, cpu: number): Site {
  return makeSite(cohort).pool(cpuPool('cpu').nodes(1).nodeCpu(cpu).nodeMemory(`${cpu * 4}Gi`)).obj();
}

function queueFor(q: ScenarioQueue, policy: PreemptionPolicyName): Queue {
  return {
    apiVersion: 'suanwang.io/v1alpha1',
    kind: 'Queue',
    metadata: { name: q.name },
    spec: { quota: { cpu: String(q.nominalQuota) }, borrowingLimit: { cpu: String(q.borrowingLimit) }, preemptionPolicy: policy },
  };
}

function trainingJobFor(q: ScenarioQueue, w: ScenarioWorkload): WorkloadResult {
  const tj = makeTrainingJob(w.name).workers(1).resources(String(w.cpu), `${w.cpu}Gi`).variant(variant('cpu').cpuOnly()).sites(q.cohort).obj();
  tj.metadata.namespace = q.name;
  tj.spec.queue = q.name;
  tj.spec.priority = w.priority;
  return trainingWorkload(tj);
}

// ---------------------------------------------------------------------------------------------------------------
// 3. The replay on a virtual clock.
// ---------------------------------------------------------------------------------------------------------------

/** Job is one TrainingJob in the replay: what the next cycle sees of it, and what the figures need. */
interface Job {
  readonly spec: ScenarioWorkload;
  readonly site: string;
  /** What the next cycle is handed: waiting (no `held`) or admitted. */
  view: QueuedWorkload;
  /** Bumped at each admission, so the finish of a preempted attempt is ignored. */
  attempt: number;
  lastAdmittedMs?: number;
  finishedMs?: number;
}

/** FinishHeap is a min-heap of finish events by time. */
class FinishHeap {
  readonly #items: { at: number; job: Job; attempt: number }[] = [];
  get size(): number {
    return this.#items.length;
  }
  peek(): number | undefined {
    return this.#items[0]?.at;
  }
  push(item: { at: number; job: Job; attempt: number }): void {
    const a = this.#items;
    a.push(item);
    for (let i = a.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      if ((a[p] as typeof item).at <= item.at) break;
      [a[i], a[p]] = [a[p] as typeof item, item];
      i = p;
    }
  }
  pop(): { at: number; job: Job; attempt: number } | undefined {
    const a = this.#items;
    const top = a[0];
    const last = a.pop();
    if (a.length === 0 || last === undefined) return top;
    a[0] = last;
    for (let i = 0; ; ) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < a.length && (a[l] as typeof last).at < (a[m] as typeof last).at) m = l;
      if (r < a.length && (a[r] as typeof last).at < (a[m] as typeof last).at) m = r;
      if (m === i) break;
      [a[i], a[m]] = [a[m] as typeof last, a[i] as typeof last];
      i = m;
    }
    return top;
  }
}

/** SuanwangFigures are a completed replay's results, in the units of KueueBaselineFigures where they overlap. */
interface SuanwangFigures {
  readonly workloads: number;
  readonly wallSeconds: number;
  readonly usagePercent: number;
  readonly averageTimeToAdmissionSeconds: Readonly<Record<string, number>>;
  readonly evictions: number;
  /** Victims at another site than their preemptor's: in another cohort, so stopping them could not make room for it. */
  readonly evictionsOutsideCohort: number;
  readonly cycles: number;
  /** Extra cycles run at an instant because the one before it preempted. */
  readonly preemptionRounds: number;
  readonly placements: number;
  readonly cycleCpuSeconds: number;
  readonly cycleWallSeconds: number;
  readonly cycleP50Ms: number;
  readonly cycleP99Ms: number;
  readonly cycleMaxMs: number;
  readonly largestBacklog: number;
  readonly replaySeconds: number;
}

/**
 * Livelock: at one instant the cycles came back to a state they had been in (the same jobs held, the same jobs
 * preempted and waiting), so they would preempt in that loop for ever; the replay stops there.
 */
interface Livelock {
  readonly atMs: number;
  /** Cycles in the loop, and the preemptions of each. */
  readonly period: number;
  readonly preemptionsPerCycle: readonly number[];
  readonly victimsOutsideCohort: number;
  readonly victims: number;
  /** One preemption of the loop, in the words of its verdict. */
  readonly example: string;
  readonly cyclesBefore: number;
  readonly admittedBefore: number;
}

type ReplayOutcome = { readonly kind: 'Completed'; readonly figures: SuanwangFigures } | { readonly kind: 'Livelock'; readonly livelock: Livelock };

/** MAX_ROUNDS_PER_INSTANT stops a preemption chain that neither settles nor repeats (no such chain has been seen). */
const MAX_ROUNDS_PER_INSTANT = 1000;

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

function replay(scenario: readonly ScenarioQueue[], policy: PreemptionPolicyName): ReplayOutcome {
  const replayStart = performance.now();
  const cohortCpu = new Map<string, number>();
  for (const q of scenario) cohortCpu.set(q.cohort, (cohortCpu.get(q.cohort) ?? 0) + q.nominalQuota);
  const sites = [...cohortCpu].map(([cohort, cpu]) => siteFor(cohort, cpu));
  const queues = new Map<string, QueueInfo>(scenario.map((q) => [q.name, queueInfo(queueFor(q, policy))]));
  const nominalCpu = scenario.reduce((n, q) => n + q.nominalQuota, 0);

  // Every job, parsed once, in creation order.
  const arrivals: Job[] = [];
  for (const q of scenario) {
    for (const w of q.workloads) {
      const workload = trainingJobFor(q, w);
      if (!workload.ok) throw new Error(`TrainingJob ${q.name}/${w.name} does not parse: ${workload.errors.join('; ')}`);
      const key = `TrainingJob/${q.name}/${w.name}`;
      const view: QueuedWorkload = { key, kind: 'TrainingJob', namespace: q.name, name: w.name, queueName: q.name, priority: w.priority, createdMs: w.createdMs, waitingSinceMs: w.createdMs, workload };
      arrivals.push({ spec: w, site: q.cohort, view, attempt: 0 });
    }
  }
  arrivals.sort((a, b) => a.spec.createdMs - b.spec.createdMs);
  const byKey = new Map(arrivals.map((j) => [j.view.key, j]));

  const live = new Map<string, Job>();
  const finishes = new FinishHeap();
  const heldAt = new Map<string, Amounts>(); // site → what admitted jobs hold there
  let usedCpu = 0;
  let usedCpuMs = 0;
  let lastT = 0;
  let evictions = 0;
  let evictionsOutsideCohort = 0;
  let admissions = 0;
  let cycles = 0;
  let preemptionRounds = 0;
  let placements = 0;
  let cycleCpuMicros = 0;
  let largestBacklog = 0;
  const cycleMs: number[] = [];

  const release = (job: Job): void => {
    const held = job.view.held as Held;
    heldAt.set(job.site, subtractAmounts(heldAt.get(job.site) ?? {}, held.charge));
    usedCpu -= held.charge['cpu'] ?? 0;
  };
  const promised = (): PromisedCapacity => Object.fromEntries([...heldAt].map(([site, amounts]) => [site, { cpu: amounts }]));
  // What a cycle at instant t is handed, as far as it can change within the instant: who holds (and whether since
  // t), and who waits since t (the preempted). Everything else of every job stays as it was when the instant began.
  const stateAt = (t: number): string =>
    [...live.values()]
      .filter((j) => j.view.held !== undefined || j.view.waitingSinceMs === t)
      .map((j) => `${j.view.held === undefined ? 'w' : j.view.held.admittedMs === t ? 'h@' : 'h'}${j.view.key}`)
      .sort()
      .join('\n');

  let next = 0;
  while (next < arrivals.length || finishes.size > 0) {
    const t = Math.min(arrivals[next]?.spec.createdMs ?? Infinity, finishes.peek() ?? Infinity);
    usedCpuMs += usedCpu * (t - lastT);
    lastT = t;

    // 3a. Everything that happens at t: creations, then finishes.
    for (let job = arrivals[next]; job !== undefined && job.spec.createdMs === t; job = arrivals[++next]) live.set(job.view.key, job);
    while (finishes.peek() === t) {
      const f = finishes.pop() as { at: number; job: Job; attempt: number };
      if (f.attempt !== f.job.attempt || f.job.view.held === undefined) continue; // preempted meanwhile
      release(f.job);
      f.job.finishedMs = t;
      live.delete(f.job.view.key);
    }

    // 3b. One cycle after them; another at the same instant while a cycle preempts (its victims have stopped).
    const seen = new Map<string, number>();
    const rounds: { preempted: number; outside: number; example: string }[] = [];
    for (let round = 0; ; round++) {
      if (round === MAX_ROUNDS_PER_INSTANT) throw new Error(`t=${t} ms: still preempting after ${round} cycles at the same instant, never in the same state twice`);
      if (round > 0) {
        const state = stateAt(t);
        const first = seen.get(state);
        if (first !== undefined) {
          const loop = rounds.slice(first);
          return {
            kind: 'Livelock',
            livelock: {
              atMs: t,
              period: round - first,
              preemptionsPerCycle: loop.map((r) => r.preempted),
              victims: loop.reduce((n, r) => n + r.preempted, 0),
              victimsOutsideCohort: loop.reduce((n, r) => n + r.outside, 0),
              example: loop.find((r) => r.example !== '')?.example ?? '',
              cyclesBefore: cycles,
              admittedBefore: admissions,
            },
          };
        }
        seen.set(state, round);
      }
      const workloads = [...live.values()].map((j) => j.view);
      largestBacklog = Math.max(largestBacklog, workloads.filter((w) => w.held === undefined).length);
      const cpu0 = process.cpuUsage();
      const wall0 = performance.now();
      const result = admissionCycle({ queues, workloads, snapshot: buildSnapshot(sites, promised()), config: DEFAULT_PLACEMENT_CONFIG, now: t });
      cycleMs.push(performance.now() - wall0);
      const cpu = process.cpuUsage(cpu0);
      cycleCpuMicros += cpu.user + cpu.system;
      cycles += 1;
      placements += result.placements;

      const r = { preempted: 0, outside: 0, example: '' };
      for (const [key, verdict] of result.verdicts) {
        const job = byKey.get(key) as Job;
        if (verdict.kind === 'Admit') {
          const placed = verdict.placement;
          if (placed === undefined || placed.site !== job.site) throw new Error(`${key}: admitted to ${placed?.site ?? 'no site'}, not its cohort's site ${job.site}`);
          job.view = { ...job.view, held: { queue: verdict.queue, charge: verdict.charge, site: placed.site, pool: placed.pool, preemptible: true, admittedMs: t } };
          heldAt.set(job.site, addAmounts(heldAt.get(job.site) ?? {}, verdict.charge));
          usedCpu += verdict.charge['cpu'] ?? 0;
          admissions += 1;
          job.attempt += 1;
          job.lastAdmittedMs = t;
          finishes.push({ at: t + job.spec.runtimeMs, job, attempt: job.attempt });
        } else if (verdict.kind === 'Preempt') {
          r.preempted += 1;
          if (byKey.get(verdict.by)?.site !== job.site) r.outside += 1;
          if (r.example === '') r.example = `${job.view.namespace}/${job.view.name} at ${job.site}: ${verdict.message.split('; it waits')[0]}`;
          release(job);
          const { held: _stopped, ...waiting } = job.view;
          job.view = { ...waiting, waitingSinceMs: t };
        }
      }
      evictions += r.preempted;
      evictionsOutsideCohort += r.outside;
      rounds.push(r);
      if (r.preempted === 0) break;
      preemptionRounds += 1;
    }
  }

  // 4. The figures, as upstream's checker computes them.
  const unfinished = arrivals.filter((j) => j.finishedMs === undefined);
  if (unfinished.length > 0) throw new Error(`${unfinished.length} jobs never finished, e.g. ${unfinished[0]?.view.key}: no event was left to run a cycle`);
  const firstCreated = arrivals[0]?.spec.createdMs ?? 0;
  const lastFinish = Math.max(0, ...arrivals.map((j) => j.finishedMs as number));
  const perClass: Record<string, { sum: number; n: number }> = {};
  for (const j of arrivals) {
    const c = (perClass[j.spec.className] ??= { sum: 0, n: 0 });
    c.sum += (j.lastAdmittedMs as number) - j.spec.createdMs;
    c.n += 1;
  }
  const sortedCycles = [...cycleMs].sort((a, b) => a - b);
  return {
    kind: 'Completed',
    figures: {
      workloads: arrivals.length,
      wallSeconds: (lastFinish - firstCreated) / 1000,
      usagePercent: lastFinish > 0 ? (usedCpuMs * 100) / (nominalCpu * lastFinish) : 0,
      averageTimeToAdmissionSeconds: Object.fromEntries(Object.entries(perClass).map(([c, { sum, n }]) => [c, sum / n / 1000])),
      evictions,
      evictionsOutsideCohort,
      cycles,
      preemptionRounds,
      placements,
      cycleCpuSeconds: cycleCpuMicros / 1e6,
      cycleWallSeconds: cycleMs.reduce((a, b) => a + b, 0) / 1000,
      cycleP50Ms: percentile(sortedCycles, 50),
      cycleP99Ms: percentile(sortedCycles, 99),
      cycleMaxMs: sortedCycles.at(-1) ?? 0,
      largestBacklog,
      replaySeconds: (performance.now() - replayStart) / 1000,
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// 5. Run both, print one table, write it under bench/results/.
// ---------------------------------------------------------------------------------------------------------------

const run = promisify(execFile);

async function gitCommit(): Promise<string> {
  try {
    const env = { ...process.env, GIT_OPTIONAL_LOCKS: '0' }; // read-only: never refresh the index
    const head = (await run('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: REPO_ROOT, env })).stdout.trim();
    const dirty = (await run('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: REPO_ROOT, env })).stdout.trim() !== '';
    return dirty ? `${head} (working tree with uncommitted changes)` : head;
  } catch (err) {
    return `unknown (${(err as Error).message.split('\n')[0]})`;
  }
}

/** POLICY_ROWS: FairShare is the mapping; the others say what each part of it does alone. */
const POLICY_ROWS: readonly { policy: PreemptionPolicyName; label: string }[] = [
  { policy: PreemptionPolicy.FairShare, label: 'FairShare — the mapping (≈ reclaimWithinCohort Any + withinClusterQueue LowerPriority)' },
  { policy: PreemptionPolicy.LowerPriority, label: 'LowerPriority (≈ reclaimWithinCohort Never + withinClusterQueue LowerPriority)' },
  { policy: PreemptionPolicy.Never, label: 'Never (≈ no preemption at all)' },
];

const sec = (n: number, digits = 1): string => `${n.toFixed(digits)} s`;
const admission = (r: Readonly<Record<string, number>>): string => WORKLOAD_CLASSES.map((c: WorkloadClass) => (r[c] === undefined ? '—' : r[c].toFixed(1))).join(' / ');
const pct = (part: number, whole: number): string => `${whole === 0 ? 0 : Math.round((part * 100) / whole)} %`;

const load0 = loadavg();
const started = new Date();
const { queues: scenario, source, workloads: expected } = await loadScenario();
const siteCount = new Set(scenario.map((q) => q.cohort)).size;

const rows: string[] = [];
const details: string[] = [];
/** The table's Suanwang figure: FairShare, the mapping (the other rows say what each part does alone). */
let fairShare: { readonly outcome: ReplayOutcome; readonly livelockWhy?: string } | undefined;
for (const { policy, label } of POLICY_ROWS) {
  console.error(`Suanwang replay, ${policy}: ${expected} workloads in ${scenario.length} queues over ${siteCount} sites`);
  const outcome = replay(scenario, policy);
  if (policy === PreemptionPolicy.FairShare) fairShare = { outcome };
  const name = `Suanwang admissionCycle, ${label}; virtual clock, no apiserver`;
  if (outcome.kind === 'Livelock') {
    const l = outcome.livelock;
    const why = `preemption livelock at t = ${sec(l.atMs / 1000)} (virtual): the cycles at that instant return to an earlier state every ${l.period} cycles (${l.preemptionsPerCycle.join(', ')} preemptions), ${pct(l.victimsOutsideCohort, l.victims)} of the victims at another site than their preemptor; ${l.admittedBefore} admissions in ${l.cyclesBefore} cycles before it`;
    console.error(`  ${why}`);
    if (policy === PreemptionPolicy.FairShare) fairShare = { outcome, livelockWhy: why };
    rows.push(`| ${name} | not measured: ${why} | | | | | | |`);
    details.push(`- ${policy} livelock, one preemption of the loop: ${l.example}.`);
    continue;
  }
  const f = outcome.figures;
  console.error(`  replayed in ${f.replaySeconds.toFixed(1)} s (${f.cycles} cycles)`);
  const outside = f.evictions > 0 ? ` (${f.evictionsOutsideCohort} outside the preemptor's cohort)` : '';
  rows.push(
    `| ${name} | ${f.workloads} of ${expected} | ${sec(f.wallSeconds)} | ${f.usagePercent.toFixed(1)} % | ${admission(f.averageTimeToAdmissionSeconds)} | ${f.evictions}${outside} | ${sec(f.cycleCpuSeconds, 2)} in cycles | ${f.cycles} (${f.cycleP50Ms.toFixed(2)} / ${f.cycleP99Ms.toFixed(2)} ms) |`,
  );
  details.push(
    `- ${policy}: ${f.placements} placements run; ${f.preemptionRounds} extra cycles at instants where the one before preempted; largest backlog ${f.largestBacklog} waiting; cycles took ${sec(f.cycleWallSeconds, 2)} of wall time, the longest ${f.cycleMaxMs.toFixed(1)} ms; replay ${sec(f.replaySeconds)} in all.`,
  );
}

let kueue: KueueSchedulerBaselineResult | undefined;
let kueueNot = '';
if (!values.kueue) {
  kueueNot = 'skipped (--no-kueue)';
} else {
  const abort = new AbortController();
  process.once('SIGINT', () => abort.abort());
  try {
    kueue = await runKueueSchedulerBaseline({ scale, onProgress: (line) => console.error(line), signal: abort.signal });
  } catch (err) {
    kueueNot = err instanceof KueueNotMeasuredError ? err.reason : `the run failed: ${(err as Error).message.split('\n')[0]}`;
  }
}
const load1 = loadavg();

rows.push(
  kueue === undefined
    ? `| Kueue scheduler benchmark | not measured: ${kueueNot} | | | | | | |`
    : `| Kueue ${kueue.kueueVersion} (minimalkueue + kube-apiserver + etcd, real time) | ${kueue.workloads} of ${kueue.expectedWorkloads} | ${sec(kueue.wallSeconds)} | ${kueue.usagePercent.toFixed(1)} % | ${admission(kueue.averageTimeToAdmissionSeconds)} | ${kueue.evictions} | ${sec(kueue.cpuSeconds)} minimalkueue, ${kueue.maxRssMiB.toFixed(0)} MiB max RSS | n/a |`,
);
const limits = kueue?.upstreamLimits;
if (scale === 1 && limits !== undefined) {
  rows.push(`| Kueue's upstream pass limits (full run only) | | ≤ ${limits.maxWallSeconds} s | ≥ ${limits.minUsagePercent} % | ≤ ${admission(limits.maxAverageTimeToAdmissionSeconds)} | | | |`);
}

const commit = await gitCommit();
const lines = [
  `## Admission vs Kueue — Kueue's scheduler benchmark scenario, scale ${scale}`,
  '',
  `${started.toISOString()} · ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown cpu'}) · node ${process.version} · load average ${load0[0]?.toFixed(1)} at start, ${load1[0]?.toFixed(1)} at end · commit ${commit}`,
  '',
  '| system | workloads | wall | usage of nominal quota | avg time to admission, large / medium / small (s) | evictions | CPU time | cycles (p50 / p99 per cycle) |',
  '|---|---|---|---|---|---|---|---|',
  ...rows,
  '',
  `Scenario: ${source}, scale ${scale}: ${expected} workloads; 5 cohorts × 6 ClusterQueues (cpu nominalQuota 20, borrowingLimit 100, reclaimWithinCohort Any, withinClusterQueue LowerPriority); per queue small (1 cpu, 200 ms, priority 50, one every 100 ms), medium (5 cpu, 500 ms, priority 100, every 500 ms), large (20 cpu, 1000 ms, priority 200, every 1200 ms), counts × ${scale}.`,
  '',
  "Mapping: each cohort → one Site with one CPU node of 120 cpu (6 × 20; one node because Kueue's scenario models quota, not nodes, and every workload fits it); each ClusterQueue → a Queue with quota cpu 20, borrowingLimit cpu 100 and the row's preemptionPolicy; each Workload → a TrainingJob of 1 worker with that cpu (1Gi memory per cpu), one cpuOnly variant, Kueue's priority, spec.placement.sites = [its cohort's site] so that borrowing stays within the cohort.",
  '',
  'What differs — read the rows accordingly:',
  "- Kueue's wall and admission times include its apiserver round trips: minimalkueue against a real kube-apiserver and etcd, in real time, on this machine (wall is minimalkueue's run time, start-up included). Its CPU time is the whole minimalkueue process.",
  "- Suanwang's rows are its admission decisions on a virtual clock with no apiserver: a cycle runs after every batch of events at one instant, and its verdicts take effect at once (admission, a preempted job's stop and a finish cost no time; after a cycle that preempts, another runs at the same instant). Their wall and admission figures are the scheduling policy's, not end-to-end times (the end-to-end cost per workload is measured separately), and their CPU time is the decision cost: buildSnapshot + admissionCycle over all cycles.",
  `- Suanwang wall = first creation to last finish; usage = cpu·time used / (${scenario.reduce((n, q) => n + q.nominalQuota, 0)} cpu nominal quota × time from the queues' creation to the last finish), as upstream's checker sums it over ClusterQueues; time to admission = last admission − creation.`,
  ...details,
  ...(kueue === undefined ? [] : [`- Kueue artifacts: ${kueue.outputDir}${kueue.droppedWorkloadEvents > 0 ? `; its recorder dropped ${kueue.droppedWorkloadEvents} workload events (averages suspect)` : ''}.`]),
  ...(scale !== 1 ? ["- Scaled run: upstream's pass limits apply to the full run (--scale=1) only."] : []),
];
const text = lines.join('\n');
console.log(text);

const outDir = values.out ?? join(REPO_ROOT, 'bench/results');
await mkdir(outDir, { recursive: true });
const stamp = started.toISOString().slice(0, 16).replace(':', '');
const file = join(outDir, `admission-vs-kueue-${stamp}-scale-${scale}.md`);
await writeFile(file, `${text}\n`);
console.error(`\nwritten to ${file}`);

// The table's figures: Suanwang's FairShare row set against Kueue's from the same run, and Kueue's.
const reproduce = `node bench/admission-vs-kueue.bench.ts ${process.argv.slice(2).join(' ')}`.trim();
const detail = file.startsWith(`${REPO_ROOT}/`) ? file.slice(REPO_ROOT.length + 1) : file;
const scenarioFigure = `Kueue's scheduler benchmark scenario (${siteCount} cohorts × ${scenario.length / siteCount} queues, ${expected.toLocaleString('en-US')} workloads, scale ${scale}), side by side in one run`;
const kueueLine = (k: KueueSchedulerBaselineResult): string =>
  `wall ${sec(k.wallSeconds)}, usage ${k.usagePercent.toFixed(1)} %, admission large / medium / small ${admission(k.averageTimeToAdmissionSeconds)} s, ${k.evictions} evictions, ${sec(k.cpuSeconds)} CPU`;
if (fairShare !== undefined) {
  const o = fairShare.outcome;
  const f = o.kind === 'Completed' ? o.figures : undefined;
  recordFigure({
    bench: 'admission-vs-kueue',
    system: "Suanwang admissionCycle, FairShare (virtual clock, no apiserver: the policy, not end to end)",
    figure: scenarioFigure,
    value:
      f === undefined
        ? `not measured: ${fairShare.livelockWhy ?? 'preemption livelock'}`
        : `wall ${sec(f.wallSeconds)}, usage ${f.usagePercent.toFixed(1)} %, admission large / medium / small ${admission(f.averageTimeToAdmissionSeconds)} s, ${f.evictions} evictions, ${sec(f.cycleCpuSeconds, 2)} CPU in ${f.cycles} cycles`,
    ...(f !== undefined && kueue !== undefined && {
      limit: `Kueue in this run: wall ${sec(kueue.wallSeconds)} (${(f.wallSeconds / kueue.wallSeconds).toFixed(2)} × Kueue's), usage ${kueue.usagePercent.toFixed(1)} %`,
    }),
    reproduce,
    detail,
  });
}
recordFigure({
  bench: 'admission-vs-kueue',
  system: kueue === undefined ? 'Kueue (minimalkueue + kube-apiserver, real time)' : `Kueue ${kueue.kueueVersion} (minimalkueue + kube-apiserver + etcd, real time)`,
  figure: scenarioFigure,
  value: kueue === undefined ? `not measured: ${kueueNot}` : kueueLine(kueue),
  ...(kueue !== undefined && {
    limit:
      scale === 1
        ? `upstream's pass limits: wall ≤ ${kueue.upstreamLimits.maxWallSeconds} s, usage ≥ ${kueue.upstreamLimits.minUsagePercent} %, admission ≤ ${admission(kueue.upstreamLimits.maxAverageTimeToAdmissionSeconds)} s`
        : "upstream's pass limits apply to the full run (--scale=1) only",
  }),
  reproduce,
  detail,
});
