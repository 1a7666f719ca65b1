/**
 * Simulated sites at scale (issue 18 item 2): K pull sites played by this process against the real operator and a
 * real hub apiserver, and W TrainingJobs applied at once.
 *
 * - The hub: the lab's hub control plane and the operator as the lab runs it, product timing (bench/many-sites/hub.ts).
 * - The sites: K generated pull sites (bench/many-sites/sites.ts), each a Site object on the hub and, in this process,
 *   the product's agent (SiteAgent, PullMembers, AgentClient over mTLS with the site's own certificate from the lab's
 *   CA) over a site held in memory that "runs" the members it is sent: Running after --start-delay-ms, Succeeded
 *   --run-seconds later (bench/many-sites/simulated-site.ts).
 * - The run: every site connected and Ready, an idle window (heartbeats only), then W one-worker jobs of a few shapes
 *   (bench/many-sites/workloads.ts) created with --concurrency calls in flight, followed until all Succeeded.
 *
 * Reported: the operator's resident memory (VmRSS sampled every second: peak and at the end) and CPU seconds; its
 * status writes to the hub per second (the hub's audit log, the operator's user, patch/update/apply on a status subresource), idle
 * and during the run; placement p50/p99 (its suanwang_placement_duration_seconds histogram); time from apply to
 * Placed, Running and Succeeded per job (p50/p99/max); agents connected, messages by type, drops, reconnects; and this
 * process's own CPU and event-loop delay, to tell whether playing K agents here held the figures back.
 *
 *   node bench/many-sites.bench.ts [--sites=100] [--workloads=10000] [--run-seconds=30] [--start-delay-ms=2000]
 *     [--cpu-nodes=2] [--device-nodes=2] [--concurrency=32] [--idle-seconds=30] [--timeout-minutes=30] [--keep]
 *
 * Result: stdout and bench/results/many-sites-<date>-<K>-sites.md (-<W>-workloads before .md when W is not 10,000).
 * Heavy: run nothing else heavy beside it. Exits 1 when a job did not succeed.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { CoreV1Api, CustomObjectsApi, KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { pino } from 'pino';
import type { Site } from '../src/api/generated/types.ts';
import { GROUP, Plural, VERSION } from '../src/api/names.ts';
import { REPO_ROOT } from '../src/lab/binaries.ts';
import { DEFAULT_TIMING } from '../src/lab/federation.ts';
import { labSiteObject } from '../src/lab/hub-objects.ts';
import { isAlive } from '../src/lab/processes.ts';
import { applyObject } from '../src/runtime/apply.ts';
import { parseSamples, type Sample } from '../src/runtime/metrics-exposition.ts';
import { startFleet, type Fleet } from './many-sites/agent-fleet.ts';
import { startHub, type Hub } from './many-sites/hub.ts';
import { followTrainingJobs, JobPhases } from './throughput/job-phases.ts';
import { ProcessSampler } from './many-sites/process-sampler.ts';
import { histogramBuckets, sumOf } from './many-sites/prometheus-text.ts';
import { renderManySitesReport, type ManySitesResult, type MetricsWindow } from './many-sites/report.ts';
import { generateSites } from './many-sites/sites.ts';
import { histogramQuantile, subtractBuckets, summarise } from './many-sites/stats.ts';
import { statusWrites } from './many-sites/status-writes.ts';
import { manySitesJob, jobName } from './many-sites/workloads.ts';
import { cpuSeconds } from './queues-lab/process-cpu.ts';
import { recordFigure } from './support/summary.ts';
import { gitCommit, machine } from './support/run-info.ts';
import { readAuditLog } from './throughput/audit-count.ts';
import { createAll } from './throughput/create-all.ts';

const NAMESPACE = 'many-sites';
const DEFAULT_WORKLOADS = 10_000;
const PROGRESS_EVERY_MS = 10_000;
/** SETTLE_MS: the operator's writes this long after the last job finished still count to the run. */
const SETTLE_MS = 10_000;
const FIELD_MANAGER = 'suanwang-bench';

const { values } = parseArgs({
  options: {
    sites: { type: 'string', default: '100' },
    workloads: { type: 'string', default: String(DEFAULT_WORKLOADS) },
    'run-seconds': { type: 'string', default: '30' },
    'start-delay-ms': { type: 'string', default: '2000' },
    'cpu-nodes': { type: 'string', default: '2' },
    'device-nodes': { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '32' },
    'agent-start-concurrency': { type: 'string', default: '8' },
    'idle-seconds': { type: 'string', default: '30' },
    'timeout-minutes': { type: 'string', default: '30' },
    keep: { type: 'boolean', default: false },
  },
});
const flag = (name: keyof typeof values, min: number): number => {
  const v = Number(values[name]);
  if (!Number.isInteger(v) || v < min) throw new Error(`--${name} must be a whole number of at least ${min}, got ${String(values[name])}`);
  return v;
};
const K = flag('sites', 1);
const W = flag('workloads', 1);
const runSeconds = flag('run-seconds', 0);
const startDelayMs = flag('start-delay-ms', 0);
const cpuNodes = flag('cpu-nodes', 0);
const deviceNodes = flag('device-nodes', 0);
const concurrency = flag('concurrency', 1);
const agentStartConcurrency = flag('agent-start-concurrency', 1);
const idleSeconds = flag('idle-seconds', 1);
const timeoutMs = flag('timeout-minutes', 1) * 60_000;

const log = (line: string): void => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function scrape(hub: Hub): Promise<{ samples: Sample[]; bytes: number; ms: number }> {
  const t0 = performance.now();
  const res = await fetch(hub.operatorMetrics);
  const text = await res.text();
  return { samples: parseSamples(text), bytes: text.length, ms: performance.now() - t0 };
}

/** window sums what the operator's counters and histograms gained between two scrapes. */
function metricsWindow(before: Sample[], after: Sample[]): MetricsWindow {
  const delta = (name: string, labels: Record<string, string> = {}): number => sumOf(after, name, labels) - sumOf(before, name, labels);
  const placement = subtractBuckets(histogramBuckets(after, 'suanwang_placement_duration_seconds', { kind: 'TrainingJob' }), histogramBuckets(before, 'suanwang_placement_duration_seconds', { kind: 'TrainingJob' }));
  const cycle = subtractBuckets(histogramBuckets(after, 'suanwang_admission_cycle_duration_seconds'), histogramBuckets(before, 'suanwang_admission_cycle_duration_seconds'));
  const types = ['register', 'heartbeat', 'snapshot', 'delta', 'health_event', 'member_report'];
  return {
    messages: Object.fromEntries(types.map((t) => [t, delta('suanwang_agent_messages_total', { type: t })])),
    dropped: delta('suanwang_agent_messages_dropped_total'),
    placements: placement.at(-1)?.count ?? 0,
    placementP50: histogramQuantile(placement, 0.5),
    placementP99: histogramQuantile(placement, 0.99),
    placementSumSeconds: delta('suanwang_placement_duration_seconds_sum', { kind: 'TrainingJob' }),
    cycles: cycle.at(-1)?.count ?? 0,
    cycleP50: histogramQuantile(cycle, 0.5),
    cycleP99: histogramQuantile(cycle, 0.99),
    decisions: delta('suanwang_placement_decisions_total', { kind: 'TrainingJob', outcome: 'Placed' }),
    reconciles: delta('suanwang_reconcile_total'),
    trainingErrors: delta('suanwang_reconcile_total', { controller: 'trainingjob', result: 'error' }),
    trainingAdds: delta('suanwang_workqueue_adds_total', { controller: 'trainingjob' }),
    trainingRetries: delta('suanwang_workqueue_retries_total', { controller: 'trainingjob' }),
    retries: delta('suanwang_workqueue_retries_total'),
  };
}

/** sitesWith counts the Sites on the hub whose status has a condition `type` (with `status`, when given). */
async function sitesWith(custom: CustomObjectsApi, type: string, status?: string): Promise<number> {
  const list = (await custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: Plural.Site })) as { items: Site[] };
  return list.items.filter((s) => s.status?.conditions?.some((c) => c.type === type && (status === undefined || c.status === status))).length;
}

/** waitForSites polls until `count` Sites have the condition, or throws after the timeout naming `what`. */
async function waitForSites(custom: CustomObjectsApi, type: string, status: string | undefined, what: string, from: number): Promise<void> {
  let n = 0;
  for (;;) {
    n = await sitesWith(custom, type, status).catch(() => n);
    if (n >= K) return;
    if (performance.now() - from > timeoutMs) throw new Error(`only ${n} of ${K} Sites ${what} after ${timeoutMs / 60_000} min`);
    await sleep(1000);
  }
}

/** running is the fleet once started, so that the clean-up stops it however the run ends. */
let running: Fleet | undefined;

async function run(hub: Hub, dir: string): Promise<ManySitesResult> {
  const kc = new KubeConfig();
  kc.loadFromFile(hub.kubeconfig);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const operator = new ProcessSampler(hub.operatorPid);
  operator.start();
  const loopDelay = monitorEventLoopDelay({ resolution: 20 });

  // 1. The Sites on the hub, then their agents.
  const sites = generateSites(K, { cpuNodes, deviceNodes });
  const registered = await createAll(K, 16, (i) => applyObject(kc, labSiteObject(sites[i] as (typeof sites)[number]) as unknown as KubernetesObject, FIELD_MANAGER));
  if (registered.failed > 0) throw new Error(`${registered.failed} Site objects could not be applied: ${registered.failures[0]}`);
  log(`${K} Site objects applied in ${registered.seconds.toFixed(1)} s`);
  // The agents connect once the operator has seen every Site (it wrote each one's AgentConnected condition): a pull
  // site whose session opens before the operator's Site cache has listed it gets no member syncs for that whole
  // session (pull-transport.ts onSessionOpened finds no pull Site and skips the full sync that would start them; see
  // the report). The benchmark measures the steady state, not that race.
  await waitForSites(custom, 'AgentConnected', undefined, 'seen by the operator', performance.now());
  log(`the operator has seen all ${K} Sites`);
  const agentLogFile = join(dir, 'logs', 'agents.log');
  const agentLogger = pino({ level: 'warn', base: null }, pino.destination({ dest: agentLogFile, sync: true, mkdir: true }));
  const benchCpu0 = cpuSeconds(process.pid);
  const t0Agents = performance.now();
  const fleet = (running = await startFleet({ sites, target: hub.operatorTarget, tlsDir: hub.tlsDir, timing: { startDelayMs, runMs: runSeconds * 1000 }, logger: agentLogger, concurrency: agentStartConcurrency }));
  const agentsStartedSeconds = (performance.now() - t0Agents) / 1000;
  log(`${K} agents started in ${agentsStartedSeconds.toFixed(1)} s; waiting for every Site to be Ready on the hub`);
  await waitForSites(custom, 'Ready', 'True', `Ready (agents connected: ${fleet.connected()})`, t0Agents);
  const sitesReadySeconds = (performance.now() - t0Agents) / 1000;
  log(`${K} Sites Ready ${sitesReadySeconds.toFixed(1)} s after the first agent started (${fleet.connected()} connected)`);

  // 2. Idle: K sites heartbeating, no workload.
  const idleScrape0 = await scrape(hub);
  const idleCpu0 = operator.cpuSinceStart();
  const idleFrom = Date.now();
  loopDelay.enable();
  await sleep(idleSeconds * 1000);
  const idleTo = Date.now();
  const idleCpu = operator.cpuSinceStart() - idleCpu0;
  const idleRssMiB = operator.memory().lastRssMiB;
  const idleScrape1 = await scrape(hub);
  const idleLoopP99Ms = loopDelay.percentile(99) / 1e6;
  loopDelay.reset();
  log(`idle ${idleSeconds} s: operator ${idleCpu.toFixed(1)} CPU s, RSS ${idleRssMiB?.toFixed(0)} MiB; /metrics ${(idleScrape1.bytes / 1024).toFixed(0)} KiB in ${idleScrape1.ms.toFixed(0)} ms`);

  // 3. The run.
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: NAMESPACE } } });
  const timelines = new JobPhases();
  const watch = followTrainingJobs(hub.kubeconfig, NAMESPACE, timelines);
  await watch.start();
  const runScrape0 = await scrape(hub);
  const runCpu0 = operator.cpuSinceStart();
  const runFrom = Date.now();
  const t0 = performance.now();
  let created: Awaited<ReturnType<typeof createAll>> | undefined;
  const creating = createAll(W, concurrency, async (i) => {
    timelines.applied(jobName(i), performance.now());
    await custom.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: NAMESPACE, plural: Plural.TrainingJob, body: manySitesJob(i) });
  }).then((c) => {
    created = c;
    log(`created ${W - c.failed} TrainingJobs in ${c.seconds.toFixed(1)} s (${c.failed} failed${c.failed > 0 ? `: ${c.failures[0]}` : ''})`);
  });
  let timedOut = false;
  // The training queue's depth and oldest item, read at every progress line: where the jobs wait inside the operator.
  const queue = { maxDepth: 0, maxOldestSeconds: 0 };
  try {
    let lastProgress = t0;
    for (;;) {
      await sleep(500);
      const c = timelines.counts();
      const done = created !== undefined && c.succeeded + c.failed >= W - created.failed;
      if (done || performance.now() - lastProgress >= PROGRESS_EVERY_MS) {
        lastProgress = performance.now();
        const s = fleet.siteCounters();
        const m = operator.memory();
        const now = await scrape(hub).catch(() => undefined);
        const depth = now === undefined ? 0 : sumOf(now.samples, 'suanwang_workqueue_depth', { controller: 'trainingjob' });
        const oldest = now === undefined ? 0 : sumOf(now.samples, 'suanwang_workqueue_oldest_item_age_seconds', { controller: 'trainingjob' });
        queue.maxDepth = Math.max(queue.maxDepth, depth);
        queue.maxOldestSeconds = Math.max(queue.maxOldestSeconds, oldest);
        log(
          `[${((lastProgress - t0) / 1000).toFixed(0).padStart(4)} s] Placed ${c.placed}, Running ${c.running}, Succeeded ${c.succeeded}, Failed ${c.failed} of ${W}; ` +
            `operator RSS ${m.lastRssMiB?.toFixed(0)} MiB, ${operator.cpuSinceStart().toFixed(0)} CPU s; agents connected ${fleet.connected()}, ` +
            `pods started ${s.podsStarted}, unschedulable ${s.unschedulable}, unacked ${s.pendingAcks}; training queue ${depth} (oldest ${oldest.toFixed(1)} s); bench loop p99 ${(loopDelay.percentile(99) / 1e6).toFixed(0)} ms`,
        );
      }
      if (done) break;
      if (performance.now() - t0 > timeoutMs) {
        timedOut = true;
        log(`timed out after ${timeoutMs / 60_000} min; reporting what ran`);
        break;
      }
    }
    await creating;
  } finally {
    watch.stop();
  }
  const lastSucceeded = timelines.last('succeededAt', W);
  const runEnd = lastSucceeded === undefined ? Date.now() : runFrom + (lastSucceeded - t0) + SETTLE_MS;
  await sleep(Math.max(0, runEnd - Date.now()) + 1000); // and a second more: the audit log is written asynchronously
  const runCpu = operator.cpuSinceStart() - runCpu0;
  const runScrape1 = await scrape(hub);
  operator.stop();
  const benchLoopP99Ms = loopDelay.percentile(99) / 1e6;
  const benchLoopMaxMs = loopDelay.max / 1e6;
  loopDelay.disable();
  const benchCpu = cpuSeconds(process.pid) - benchCpu0;

  // 4. What the hub's audit log says the operator wrote.
  const requests = readAuditLog(hub.auditLog);
  const counts = timelines.counts();
  const at = (phase: 'placedAt' | 'runningAt' | 'succeededAt'): number | undefined => {
    const last = timelines.last(phase, W);
    return last === undefined ? undefined : (last - t0) / 1000;
  };
  const result: ManySitesResult = {
    date: new Date().toISOString().slice(0, 10),
    machine: machine(),
    commit: gitCommit(),
    command: `node bench/many-sites.bench.ts ${process.argv.slice(2).join(' ')}`.trim(),
    sites: K,
    workloads: W,
    cpuNodes,
    deviceNodes,
    runSeconds,
    startDelayMs,
    concurrency,
    timing: DEFAULT_TIMING,
    registerSeconds: registered.seconds,
    agentsStartedSeconds,
    sitesReadySeconds,
    created: created ?? { count: W, seconds: 0, failures: [], failed: W },
    timedOut,
    counts,
    sitesUsed: timelines.sites(),
    toPlaced: summarise(timelines.since('placedAt')),
    toRunning: summarise(timelines.since('runningAt')),
    toSucceeded: summarise(timelines.since('succeededAt')),
    allPlacedSeconds: at('placedAt'),
    allRunningSeconds: at('runningAt'),
    allSucceededSeconds: at('succeededAt'),
    operator: {
      memory: operator.memory(),
      idleRssMiB,
      idleCpuSeconds: idleCpu,
      runCpuSeconds: runCpu,
    },
    idle: { seconds: (idleTo - idleFrom) / 1000, statusWrites: statusWrites(requests, hub.operatorUser, idleFrom, idleTo), metrics: metricsWindow(idleScrape0.samples, idleScrape1.samples) },
    run: { seconds: (runEnd - runFrom) / 1000, statusWrites: statusWrites(requests, hub.operatorUser, runFrom, runEnd), metrics: metricsWindow(runScrape0.samples, runScrape1.samples) },
    trainingQueue: queue,
    metricsBytes: runScrape1.bytes,
    metricsScrapeMs: runScrape1.ms,
    agents: { connectedAtEnd: fleet.connected(), sessions: { ...fleet.sessions }, site: fleet.siteCounters() },
    bench: { cpuSeconds: benchCpu, idleLoopP99Ms, runLoopP99Ms: benchLoopP99Ms, runLoopMaxMs: benchLoopMaxMs, watchRestarts: watch.restarts },
    unfinished: timelines.unfinished(10),
  };
  return result;
}

const dir = mkdtempSync(join(tmpdir(), 'suanwang-bench-many-sites-'));
log(`many-sites: ${K} simulated pull sites, ${W} TrainingJobs; working in ${dir}`);
let hub: Hub | undefined;
let ok = false;
const cleanUp = async (): Promise<void> => {
  await running?.stop().catch(() => undefined);
  const stopped = await hub?.stop();
  if (stopped !== undefined && stopped.stillAlive.length > 0) log(`WARNING: still alive after stop: ${stopped.stillAlive.join(', ')}`);
  if (!values.keep) rmSync(dir, { recursive: true, force: true });
  else log(`kept ${dir}`);
};
process.once('SIGINT', () => void cleanUp().finally(() => process.exit(130)));
process.once('SIGTERM', () => void cleanUp().finally(() => process.exit(143)));
try {
  hub = await startHub({ dir, timing: DEFAULT_TIMING, log });
  const r = await run(hub, dir);
  const report = renderManySitesReport(r);
  console.log(`\n${report}`);
  const resultsDir = join(REPO_ROOT, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `many-sites-${r.date}-${K}-sites${W === DEFAULT_WORKLOADS ? '' : `-${W}-workloads`}.md`);
  writeFileSync(file, report);
  const detail = file.replace(`${REPO_ROOT}/`, '');
  log(`written to ${detail}`);
  const reproduce = r.command;
  const setting = `${K} sites, ${W} TrainingJobs`;
  const f = (v: number | undefined, unit: string, digits = 1): string => (v === undefined ? 'not reached' : `${v.toFixed(digits)} ${unit}`);
  recordFigure({ bench: 'many-sites', figure: `${setting}: operator peak RSS`, value: f(r.operator.memory.peakRssMiB, 'MiB', 0), reproduce, detail });
  recordFigure({ bench: 'many-sites', figure: `${setting}: operator CPU during the run`, value: `${r.operator.runCpuSeconds.toFixed(0)} s over ${r.run.seconds.toFixed(0)} s`, reproduce, detail });
  recordFigure({ bench: 'many-sites', figure: `${setting}: operator status writes to the hub`, value: `${r.run.statusWrites.perSecond.toFixed(1)}/s (idle ${r.idle.statusWrites.perSecond.toFixed(1)}/s)`, reproduce, detail });
  recordFigure({ bench: 'many-sites', figure: `${setting}: placement p50 / p99`, value: `${f(r.run.metrics.placementP50 === undefined ? undefined : r.run.metrics.placementP50 * 1000, 'ms', 2)} / ${f(r.run.metrics.placementP99 === undefined ? undefined : r.run.metrics.placementP99 * 1000, 'ms', 2)}`, limit: 'histogram estimate (bucket edges)', reproduce, detail });
  recordFigure({ bench: 'many-sites', figure: `${setting}: apply → Running p50 / p99`, value: `${f(r.toRunning.p50 === undefined ? undefined : r.toRunning.p50 / 1000, 's')} / ${f(r.toRunning.p99 === undefined ? undefined : r.toRunning.p99 / 1000, 's')}`, limit: `includes the simulated ${startDelayMs} ms start`, reproduce, detail });
  ok = r.counts.succeeded === W;
} catch (err) {
  log(`FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
} finally {
  await cleanUp();
  const left = (hub?.processes ?? []).filter((p) => isAlive(p.pid));
  if (left.length > 0) log(`WARNING: processes left running: ${left.map((p) => `${p.name} ${p.pid}`).join(', ')}`);
}
process.exitCode = ok ? 0 : 1;
// The agents' gRPC channels and timers are closed, but a stray handle must not keep the run from ending.
setTimeout(() => process.exit(process.exitCode ?? 0), 2000).unref();
