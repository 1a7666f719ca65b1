/**
 * End-to-end throughput (issue 18 B1): starts its own default lab (examples/lab/default.yaml, the product's default
 * timing), creates N TrainingJobs of one CPU-only worker on the hub at once, and reports the time until all are
 * Placed, Running and Succeeded (kwok completes the pods) and workloads per second. In the same run, the raw limit:
 * N ConfigMaps created the same way (one client, the same calls in flight) directly on the hub and on shanghai, so
 * the figure is a ratio to what these apiservers take here. And the operator's API requests to the hub per workload,
 * by verb and resource, as the hub apiserver's audit log counts them for the operator's user (src/lab/audit.ts,
 * credentials.ts), less the operator's idle rate measured just before the run.
 *
 * Then, on the same lab, the same run through a real peer (--peer=kueue, the default when tools/build-kueue.sh has
 * built the kueue binary): Kueue v0.17.0 with MultiKueue, a manager on the hub and a worker on every site, N batch
 * Jobs of one pod (bench/peer-kueue/multikueue/), so both rows of the side-by-side table come from one machine and one
 * hour. Where Kueue cannot run here, its row says "not measured: <reason>". --peer=none skips it.
 *
 *   node bench/throughput.bench.ts [--n=1000] [--concurrency=32] [--pod-seconds=1] [--idle-seconds=30] [--timeout-minutes=20] [--peer=kueue|none]
 *
 * The result goes to stdout and to bench/results/throughput-<date>.md (-<n>-workloads before .md when --n is not the
 * default). Heavy: it runs a whole lab; run nothing else heavy beside it. Exits 1 when a TrainingJob failed or did not finish, or the peer's run broke; a peer that has not finished when --timeout-minutes ends is reported as far as it got.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { GROUP, Plural, VERSION } from '../src/api/names.ts';
import { cacheBinDir, pinnedVersions, REPO_ROOT } from '../src/lab/binaries.ts';
import type { ClusterState, LabState } from '../src/lab/state.ts';
import { cpuSeconds } from './queues-lab/process-cpu.ts';
import { KueueNotMeasuredError } from './peer-kueue/kueue-module.ts';
import { runKueueThroughput, WORKER_CLIENT_QPS } from './peer-kueue/multikueue/throughput-run.ts';
import { withBenchLab } from './support/lab.ts';
import { gitCommit, machine } from './support/run-info.ts';
import { recordFigure } from './support/summary.ts';
import { countRequests, readAuditLog, total } from './throughput/audit-count.ts';
import { createAll } from './throughput/create-all.ts';
import { followTrainingJobs, JobPhases } from './throughput/job-phases.ts';
import { perWorkload } from './throughput/net-requests.ts';
import { kueueSystemName, MULTIKUEUE_PUBLISHED, peerNetRequests, ratioToRaw, type PeerOutcome } from './throughput/peer-report.ts';
import { operatorNetRequests, renderThroughputReport, TARGET_REQUESTS_PER_WORKLOAD } from './throughput/report.ts';
import { plainObject, throughputJob } from './throughput/workload.ts';

const NAMESPACE = 'throughput';
const RAW_NAMESPACE = 'raw-limit';
const RAW_SITE = 'shanghai';
const DEFAULT_N = 1000;
const CHECK_EVERY_MS = 500;
const PROGRESS_EVERY_MS = 10_000;
/** SETTLE_MS: the operator's requests this long after the last job finished still count to the run (final writes). */
const SETTLE_MS = 10_000;

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: String(DEFAULT_N) },
    concurrency: { type: 'string', default: '32' },
    'pod-seconds': { type: 'string', default: '1' },
    'idle-seconds': { type: 'string', default: '30' },
    'timeout-minutes': { type: 'string', default: '20' },
    // The real peer runs by default where its binary was built; elsewhere it is left out unless asked for.
    peer: { type: 'string', default: existsSync(join(cacheBinDir(process.env), 'kueue')) ? 'kueue' : 'none' },
  },
});
const peer = values.peer;
if (peer !== 'kueue' && peer !== 'none') throw new Error(`--peer must be kueue or none, got '${peer}'`);
const n = Number(values.n);
const concurrency = Number(values.concurrency);
const podSeconds = Number(values['pod-seconds']);
const idleSeconds = Number(values['idle-seconds']);
const timeoutMs = Number(values['timeout-minutes']) * 60_000;
for (const [flag, v] of [['--n', n], ['--concurrency', concurrency], ['--pod-seconds', podSeconds], ['--idle-seconds', idleSeconds], ['--timeout-minutes', timeoutMs]] as const) {
  if (!Number.isInteger(v) || v <= 0) throw new Error(`${flag} must be a whole number above 0`);
}

const log = (line: string): void => console.log(line);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function cluster(state: LabState, pick: (c: ClusterState) => boolean, what: string): ClusterState {
  const c = state.clusters.find(pick);
  if (c === undefined) throw new Error(`the lab has no ${what} (is the topology examples/lab/default.yaml?)`);
  return c;
}

function client(c: ClusterState): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(c.kubeconfig);
  return kc;
}

/** peakRssMiB is a process's peak resident memory (VmHWM), or undefined once it is gone. */
function peakRssMiB(pid: number): number | undefined {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? undefined : Number(kb) / 1024;
  } catch {
    return undefined;
  }
}

async function run(state: LabState, labStartSeconds: number): Promise<boolean> {
  const hub = cluster(state, (c) => c.role === 'hub', 'hub');
  const site = cluster(state, (c) => c.name === RAW_SITE, `site ${RAW_SITE}`);
  if (hub.auditLog === undefined || hub.operatorUser === undefined) throw new Error('the lab\'s hub has no audit log or operator user (src/lab/supervisor.ts gives every cluster one)');
  const operator = state.components.find((c) => c.name === 'operator');
  if (operator === undefined) throw new Error('the lab runs no operator');
  const hubCore = client(hub).makeApiClient(CoreV1Api);
  const siteCore = client(site).makeApiClient(CoreV1Api);
  const custom = client(hub).makeApiClient(CustomObjectsApi);
  for (const [core, ns] of [[hubCore, NAMESPACE], [hubCore, RAW_NAMESPACE], [siteCore, RAW_NAMESPACE]] as const) {
    await core.createNamespace({ body: { metadata: { name: ns } } });
  }

  // 1. The raw limit, before the run so that nothing of the run is still settling.
  const rawHub = await createAll(n, concurrency, (i) => hubCore.createNamespacedConfigMap({ namespace: RAW_NAMESPACE, body: plainObject(i) }));
  log(`raw limit: ${n} ConfigMaps on the hub in ${rawHub.seconds.toFixed(1)} s (${(n / rawHub.seconds).toFixed(1)} /s, ${rawHub.failed} failed)`);
  const rawSite = await createAll(n, concurrency, (i) => siteCore.createNamespacedConfigMap({ namespace: RAW_NAMESPACE, body: plainObject(i) }));
  log(`raw limit: ${n} ConfigMaps on ${RAW_SITE} in ${rawSite.seconds.toFixed(1)} s (${(n / rawSite.seconds).toFixed(1)} /s, ${rawSite.failed} failed)`);

  // 2. The operator's idle requests: leases and Site heartbeats, which the run's count includes too.
  const idleFrom = Date.now();
  await sleep(idleSeconds * 1000);
  const idleTo = Date.now();

  // 3. The run: every job created at once, followed on the hub by a watch.
  const phases = new JobPhases();
  const watch = followTrainingJobs(hub.kubeconfig, NAMESPACE, phases);
  await watch.start();
  const cpu0 = cpuSeconds(operator.pid);
  const runFrom = Date.now();
  const t0 = performance.now();
  let created: Awaited<ReturnType<typeof createAll>> | undefined;
  const creating = createAll(n, concurrency, (i) => custom.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: NAMESPACE, plural: Plural.TrainingJob, body: throughputJob(i) })).then((c) => {
    created = c;
    log(`created ${n - c.failed} TrainingJobs in ${c.seconds.toFixed(1)} s (${c.failed} failed${c.failed > 0 ? `: ${c.failures[0]}` : ''})`);
  });
  try {
    let lastProgress = t0;
    for (;;) {
      await sleep(CHECK_EVERY_MS);
      const c = phases.counts();
      const done = created !== undefined && c.succeeded + c.failed >= n - created.failed;
      if (done || performance.now() - lastProgress >= PROGRESS_EVERY_MS) {
        lastProgress = performance.now();
        log(`[${((lastProgress - t0) / 1000).toFixed(0).padStart(4)} s] seen ${c.seen}, Placed ${c.placed}, Running ${c.running}, Succeeded ${c.succeeded}, Failed ${c.failed}`);
      }
      if (done) break;
      if (performance.now() - t0 > timeoutMs) {
        log(`timed out after ${timeoutMs / 60_000} min; reporting what ran`);
        break;
      }
    }
    await creating;
  } finally {
    watch.stop();
  }
  // The last phase moment, not the progress tick that noticed it, ends the run.
  const at = (phase: 'placedAt' | 'runningAt' | 'succeededAt'): number | undefined => {
    const last = phases.last(phase, n);
    return last === undefined ? undefined : (last - t0) / 1000;
  };
  const toSucceeded = at('succeededAt');
  const runEnd = toSucceeded === undefined ? Date.now() : runFrom + toSucceeded * 1000 + SETTLE_MS;
  await sleep(Math.max(0, runEnd - Date.now()) + 1000); // and a second more: the audit log is written asynchronously
  const operatorCpuSeconds = cpuSeconds(operator.pid) - cpu0;

  // 4. What the hub's apiserver saw the operator ask.
  const requests = readAuditLog(hub.auditLog);
  const runRequests = countRequests(requests, hub.operatorUser, runFrom, runEnd);
  const idleRequests = total(countRequests(requests, hub.operatorUser, idleFrom, idleTo));
  const counts = phases.counts();

  // 5. The same run through the real peer, on the same lab, now that Suanwang's jobs are all done.
  let peerOutcome: PeerOutcome | undefined;
  let peerOk = true;
  if (peer === 'kueue') {
    try {
      // A peer that has not finished when --timeout-minutes ends is a measurement (how far it got), not a failure.
      peerOutcome = { measured: await runKueueThroughput(state, { n, concurrency, idleSeconds, timeoutMs, log }), workerClientQps: WORKER_CLIENT_QPS };
    } catch (err) {
      if (!(err instanceof KueueNotMeasuredError)) {
        peerOk = false;
        log(`Kueue's run failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      }
      const reason = err instanceof KueueNotMeasuredError ? err.reason : `its run failed (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`;
      peerOutcome = { notMeasured: reason };
    }
  }

  const date = new Date().toISOString().slice(0, 10);
  const report = renderThroughputReport({
    date,
    machine: machine(),
    commit: gitCommit(),
    command: `node bench/throughput.bench.ts ${process.argv.slice(2).join(' ')}`.trim(),
    workloads: n,
    concurrency,
    podSeconds,
    labStartSeconds,
    created: created ?? { count: n, seconds: 0, failures: [], failed: n },
    toPlaced: at('placedAt'),
    toRunning: at('runningAt'),
    toSucceeded,
    succeeded: counts.succeeded,
    failed: counts.failed,
    rawHub,
    rawSite,
    rawSiteName: RAW_SITE,
    operatorUser: hub.operatorUser,
    runWindowSeconds: (runEnd - runFrom) / 1000,
    runRequests,
    idleWindowSeconds: (idleTo - idleFrom) / 1000,
    idleRequests,
    operatorCpuSeconds,
    operatorPeakRssMiB: peakRssMiB(operator.pid),
    unfinished: phases.unfinished(10),
    ...(peerOutcome !== undefined && { peer: peerOutcome }),
  });
  log(`\n${report}`);
  const resultsDir = join(REPO_ROOT, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `throughput-${date}${n === DEFAULT_N ? '' : `-${n}-workloads`}.md`);
  writeFileSync(file, report);
  const detail = file.replace(`${REPO_ROOT}/`, '');
  log(`written to ${detail}`);

  // The headline figures for `make bench`'s table: both systems, each with its ratio to the hub's raw limit.
  const reproduce = `node bench/throughput.bench.ts --n=${n}${peer === 'none' ? ' --peer=none' : ''}`;
  const rawHubRate = rawHub.count / rawHub.seconds;
  const rawLimit = (seconds: number | undefined): string => `${ratioToRaw(n, seconds, rawHubRate)} of the ${rawHubRate.toFixed(1)} ConfigMaps/s the hub takes`;
  const endToEnd = (seconds: number | undefined, succeeded: number): string =>
    seconds === undefined ? `not all Succeeded (${succeeded} of ${n})` : `${seconds.toFixed(1)} s (${(n / seconds).toFixed(2)}/s)`;
  recordFigure({ bench: 'throughput', figure: `${n} TrainingJobs of one CPU worker: all Succeeded`, value: endToEnd(toSucceeded, counts.succeeded), limit: rawLimit(toSucceeded), reproduce, detail });
  recordFigure({
    bench: 'throughput',
    figure: `${n} TrainingJobs: operator's hub requests per workload, less idle`,
    value: perWorkload(operatorNetRequests({ runRequests, runWindowSeconds: (runEnd - runFrom) / 1000, idleRequests, idleWindowSeconds: (idleTo - idleFrom) / 1000 }).net, n),
    limit: `aim ≤ ${TARGET_REQUESTS_PER_WORKLOAD}; MultiKueue published ≈ ${MULTIKUEUE_PUBLISHED.requestsPerWorkload}`,
    reproduce,
    detail,
  });
  if (peerOutcome !== undefined) {
    const p = 'measured' in peerOutcome ? peerOutcome.measured : undefined;
    const system = kueueSystemName(p?.kueueVersion ?? `v${pinnedVersions()['KUEUE_VERSION'] ?? '?'}`);
    const notMeasured = 'notMeasured' in peerOutcome ? `not measured: ${peerOutcome.notMeasured}` : undefined;
    recordFigure({
      bench: 'throughput',
      system,
      figure: `${n} batch Jobs of one pod, same lab and run: all Succeeded (worker clients at ${WORKER_CLIENT_QPS} QPS, v0.17.0's fixed default)`,
      value: notMeasured ?? endToEnd(p?.toSucceeded, p?.succeeded ?? 0),
      ...(p !== undefined && { limit: rawLimit(p.toSucceeded) }),
      reproduce,
      detail,
    });
    recordFigure({
      bench: 'throughput',
      system,
      figure: `${n} batch Jobs: MultiKueue manager's hub requests per workload, less idle`,
      value: notMeasured ?? perWorkload(p === undefined ? 0 : peerNetRequests(p).net, n),
      limit: `published ≈ ${MULTIKUEUE_PUBLISHED.requestsPerWorkload}`,
      reproduce,
      detail,
    });
  }
  return counts.succeeded === n && peerOk;
}

const ok = await withBenchLab({ name: 'throughput', topology: 'examples/lab/default.yaml', podSeconds, log }, (lab) => run(lab.state, lab.startSeconds));
process.exitCode = ok ? 0 : 1;
