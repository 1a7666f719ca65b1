/**
 * The throughput benchmark's run (issue 18 B1) through the real Kueue with MultiKueue, on a lab that Suanwang's run
 * has just used: Kueue is installed (install.ts), sits idle for the idle window, then N Jobs of one pod (batch-job.ts)
 * are created on the hub at once by one client with the same calls in flight as Suanwang's TrainingJobs. Measured: the
 * time to all Admitted (the manager's Workloads), all Running and all Succeeded (the hub Jobs' status, which
 * MultiKueue mirrors from the workers), and Kueue's manager's requests to the hub by verb and resource from the hub
 * apiserver's audit log (its own ServiceAccount user), less its idle rate, as for Suanwang's operator.
 *
 * Kueue v0.17.0 runs its clients to the workers at client-go's default 5 QPS per worker (nothing configures them);
 * the figure is Kueue's as released, and the report says so beside it.
 */
import { BatchV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import type { LabState } from '../../../src/lab/state.ts';
import { ListWatch, type ListResult } from '../../member-latency/list-watch.ts';
import { cpuSeconds } from '../../queues-lab/process-cpu.ts';
import { countRequests, readAuditLog, total } from '../../throughput/audit-count.ts';
import { createAll, type Created } from '../../throughput/create-all.ts';
import type { PeerThroughput } from '../../throughput/peer-report.ts';
import { findKueueInstall } from '../kueue-module.ts';
import { kueueBatchJob } from './batch-job.ts';
import { installKueue, MULTIKUEUE_SERVICE_ACCOUNT } from './install.ts';
import { KueueJobPhases, type HubJob, type HubWorkload, type KueuePhase } from './job-phases.ts';
import { serviceAccountUser } from './service-account.ts';

/** KUEUE_NAMESPACE_FOR_JOBS is where the run's Jobs live on the hub and the workers. */
const JOBS_NAMESPACE = 'throughput-kueue';
const CHECK_EVERY_MS = 500;
const PROGRESS_EVERY_MS = 10_000;
/** SETTLE_MS: Kueue's requests this long after the last Job finished still count (final status writes, GC). */
const SETTLE_MS = 10_000;
/** WORKER_CLIENT_QPS is client-go's default rate, which v0.17.0's MultiKueue worker clients run at. */
export const WORKER_CLIENT_QPS = 5;

/** KueueRunOptions match Suanwang's run. */
export interface KueueRunOptions {
  readonly n: number;
  readonly concurrency: number;
  readonly idleSeconds: number;
  readonly timeoutMs: number;
  readonly log: (line: string) => void;
}

/** KueueThroughput is the run's figures, in the shape the throughput report reads. */
export type KueueThroughput = PeerThroughput;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * runKueueThroughput installs Kueue on the lab, runs the benchmark through it and stops it. It throws
 * KueueNotMeasuredError when the binary, the module or Go is missing, and a plain Error when the install or the run
 * fails (the Kueue logs are then kept and named).
 */
export async function runKueueThroughput(state: LabState, o: KueueRunOptions): Promise<KueueThroughput> {
  const setup = await findKueueInstall(process.env);
  const hub = state.clusters.find((c) => c.role === 'hub');
  if (hub?.auditLog === undefined) throw new Error("the lab's hub has no audit log (src/lab/supervisor.ts gives every cluster one)");
  o.log(`[kueue] installing Kueue ${setup.kueueVersion} with MultiKueue: a manager on ${hub.name}, a worker on every site`);
  const kueue = await installKueue(state, setup, { namespace: JOBS_NAMESPACE, log: o.log });
  let ok = false;
  try {
    const kc = new KubeConfig();
    kc.loadFromFile(hub.kubeconfig);
    const batch = kc.makeApiClient(BatchV1Api);

    const idleFrom = Date.now();
    await sleep(o.idleSeconds * 1000);
    const idleTo = Date.now();

    const phases = new KueueJobPhases();
    const watches = [
      new ListWatch(
        {
          label: 'Kueue Jobs on the hub',
          kubeconfig: hub.kubeconfig,
          path: `/apis/batch/v1/namespaces/${JOBS_NAMESPACE}/jobs`,
          list: (k) => k.makeApiClient(BatchV1Api).listNamespacedJob({ namespace: JOBS_NAMESPACE }) as Promise<ListResult>,
        },
        (_type, obj, at) => phases.observeJob(obj as HubJob, at),
      ),
      new ListWatch(
        {
          label: 'Kueue Workloads on the hub',
          kubeconfig: hub.kubeconfig,
          path: `/apis/kueue.x-k8s.io/v1beta2/namespaces/${JOBS_NAMESPACE}/workloads`,
          list: (k) =>
            k.makeApiClient(CustomObjectsApi).listNamespacedCustomObject({ group: 'kueue.x-k8s.io', version: 'v1beta2', namespace: JOBS_NAMESPACE, plural: 'workloads' }) as Promise<ListResult>,
        },
        (_type, obj, at) => phases.observeWorkload(obj as HubWorkload, at),
      ),
    ];
    for (const w of watches) await w.start();
    const cpu = (): { manager: number; workers: number } => ({
      manager: kueue.manager.pid === undefined ? 0 : cpuSeconds(kueue.manager.pid),
      workers: kueue.workers.reduce((t, w) => t + (w.pid === undefined ? 0 : cpuSeconds(w.pid)), 0),
    });
    const cpu0 = cpu();
    const runFrom = Date.now();
    const t0 = performance.now();
    let created: Created | undefined;
    const creating = createAll(o.n, o.concurrency, (i) => batch.createNamespacedJob({ namespace: JOBS_NAMESPACE, body: kueueBatchJob(i) })).then((c) => {
      created = c;
      o.log(`[kueue] created ${o.n - c.failed} Jobs in ${c.seconds.toFixed(1)} s (${c.failed} failed${c.failed > 0 ? `: ${c.failures[0]}` : ''})`);
    });
    try {
      let lastProgress = t0;
      for (;;) {
        await sleep(CHECK_EVERY_MS);
        const c = phases.counts();
        const done = created !== undefined && c.succeeded + c.failed >= o.n - created.failed;
        if (done || performance.now() - lastProgress >= PROGRESS_EVERY_MS) {
          lastProgress = performance.now();
          o.log(`[kueue ${((lastProgress - t0) / 1000).toFixed(0).padStart(4)} s] seen ${c.seen}, Admitted ${c.admitted}, Running ${c.running}, Succeeded ${c.succeeded}, Failed ${c.failed}`);
        }
        if (done) break;
        if (performance.now() - t0 > o.timeoutMs) {
          o.log(`[kueue] timed out after ${o.timeoutMs / 60_000} min; reporting what ran`);
          break;
        }
      }
      await creating;
    } finally {
      for (const w of watches) w.stop();
    }
    const at = (phase: KueuePhase): number | undefined => {
      const last = phases.last(phase, o.n);
      return last === undefined ? undefined : (last - t0) / 1000;
    };
    const toSucceeded = at('succeededAt');
    const runEnd = toSucceeded === undefined ? Date.now() : runFrom + toSucceeded * 1000 + SETTLE_MS;
    await sleep(Math.max(0, runEnd - Date.now()) + 1000); // the audit log is written asynchronously
    const cpu1 = cpu();

    const requests = readAuditLog(hub.auditLog);
    // What the manager asked the workers, from each site's own audit log: the traffic the 5-QPS clients carry.
    const workerUser = serviceAccountUser(MULTIKUEUE_SERVICE_ACCOUNT);
    const workerRequests = state.clusters
      .filter((c) => c.role === 'site' && c.auditLog !== undefined)
      .reduce((t, c) => t + total(countRequests(readAuditLog(c.auditLog ?? ''), workerUser, runFrom, runEnd)), 0);
    const counts = phases.counts();
    ok = counts.succeeded === o.n;
    return {
      kueueVersion: setup.kueueVersion,
      workloads: o.n,
      sites: kueue.workers.length,
      created: created ?? { count: o.n, seconds: 0, failures: [], failed: o.n },
      toAdmitted: at('admittedAt'),
      toRunning: at('runningAt'),
      toSucceeded,
      succeeded: counts.succeeded,
      failed: counts.failed,
      managerUser: kueue.managerUser,
      runWindowSeconds: (runEnd - runFrom) / 1000,
      runRequests: countRequests(requests, kueue.managerUser, runFrom, runEnd),
      idleWindowSeconds: (idleTo - idleFrom) / 1000,
      idleRequests: total(countRequests(requests, kueue.managerUser, idleFrom, idleTo)),
      workerUser,
      workerRequests,
      managerCpuSeconds: cpu1.manager - cpu0.manager,
      workersCpuSeconds: cpu1.workers - cpu0.workers,
      unfinished: phases.unfinished(10),
    };
  } finally {
    await kueue.stop(!ok);
  }
}
