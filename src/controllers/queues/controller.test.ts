// The Queue controller's retirement of deleted workloads' usage, against an in-memory hub that checks
// resourceVersions as the apiserver does: the fold is written once, the metering finalizer goes only after it, and
// an operator restart between the two (a new reconciler, nothing in memory) neither loses nor doubles the usage.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { InferenceService, Queue, TrainingJob } from '../../api/generated/types.ts';
import { API_VERSION, FINALIZER_CLEANUP } from '../../api/names.ts';
import type { AdmissionLedger } from '../framework/admission-ledger.ts';
import { noopEventRecorder } from '../framework/events.ts';
import type { HubPatcher } from '../framework/hub-writer.ts';
import { METERING_FINALIZER } from '../../queueing/retired-usage.ts';
import { FakeClock } from '../../runtime/clock.ts';
import { ApiError } from '../../runtime/errors.ts';
import { meteredWorkloadKey, QueueReconciler, queueKey } from './controller.ts';
import { applyMergePatch } from '../../runtime/merge-patch.ts';

const NOW = Date.UTC(2026, 2, 2, 12, 0, 0);
const hoursAgo = (h: number): string => new Date(NOW - h * 3_600_000).toISOString().replace('.000Z', 'Z');

/** FakeHub holds Queues and TrainingJobs, patched by JSON merge patch under a resourceVersion precondition. */
class FakeHub {
  readonly queues = new Map<string, Queue>();
  readonly jobs = new Map<string, TrainingJob>();
  #rv = 100;
  writes = 0;

  put<T extends Queue | TrainingJob>(obj: T): T {
    const stored = structuredClone({ ...obj, metadata: { ...obj.metadata, resourceVersion: String(++this.#rv) } });
    if (stored.kind === 'Queue') this.queues.set(stored.metadata.name ?? '', stored as Queue);
    else this.jobs.set(`${stored.metadata.namespace}/${stored.metadata.name}`, stored as TrainingJob);
    return structuredClone(stored);
  }

  /** deleteJob does what a delete does to an object with finalizers: it stamps deletionTimestamp. */
  deleteJob(ns: string, name: string, at: string): void {
    const tj = this.jobs.get(`${ns}/${name}`);
    if (tj !== undefined) this.put({ ...tj, metadata: { ...tj.metadata, deletionTimestamp: at } });
  }

  patcher(): HubPatcher {
    const check = (current: { metadata: { resourceVersion?: string } } | undefined, body: { metadata?: { resourceVersion?: string } }): void => {
      if (current === undefined) throw new ApiError({ code: 'NotFound', status: 404, message: 'not found' });
      if (body.metadata?.resourceVersion !== current.metadata.resourceVersion) throw new ApiError({ code: 'Conflict', status: 409, message: 'stale resourceVersion' });
    };
    return {
      patchClusterCustomObjectStatus: async (p: { name: string; body: { metadata?: { resourceVersion?: string }; status: Record<string, unknown> } }) => {
        const q = this.queues.get(p.name);
        check(q, p.body);
        this.writes++;
        return this.put({ ...q!, status: applyMergePatch({ ...q!.status }, p.body.status) as NonNullable<Queue['status']> });
      },
      patchNamespacedCustomObject: async (p: { namespace: string; name: string; body: { metadata: { finalizers: string[]; resourceVersion?: string } } }) => {
        const key = `${p.namespace}/${p.name}`;
        const tj = this.jobs.get(key);
        check(tj, p.body);
        const next = { ...tj!, metadata: { ...tj!.metadata, finalizers: p.body.metadata.finalizers } };
        if (next.metadata.deletionTimestamp !== undefined && next.metadata.finalizers.length === 0) {
          this.jobs.delete(key);
          return next;
        }
        return this.put(next);
      },
    } as unknown as HubPatcher;
  }
}

const LEDGER = {
  queueUsage: () => ({ usage: {}, borrowed: {}, admitted: 0, pending: 0 }),
  request: () => undefined,
} as unknown as AdmissionLedger;

/** reconciler is a fresh operator's Queue controller over the hub (nothing carried over in memory). */
function reconciler(hub: FakeHub, woken: string[] = []): QueueReconciler {
  return new QueueReconciler({
    queues: (name) => structuredClone(hub.queues.get(name)),
    trainingJobs: () => [...hub.jobs.values()].map((tj) => structuredClone(tj)),
    trainingJob: (ns, name) => structuredClone(hub.jobs.get(`${ns}/${name}`)),
    inferenceServices: () => [] as InferenceService[],
    ledger: LEDGER,
    hub: hub.patcher(),
    events: noopEventRecorder,
    clock: new FakeClock(NOW),
    logger: pino({ level: 'silent' }),
    wake: (key) => woken.push(key),
  });
}

function queue(name: string): Queue {
  return { apiVersion: API_VERSION, kind: 'Queue', metadata: { name, generation: 1 }, spec: {} };
}

/** job ran 8 GPUs at shanghai for 3 hours (28 CNY per device-hour) in queue `research`, and is done. */
function job(name: string): TrainingJob {
  return {
    apiVersion: API_VERSION,
    kind: 'TrainingJob',
    metadata: { name, namespace: 'ml', uid: `uid-${name}`, finalizers: [FINALIZER_CLEANUP] },
    spec: { queue: 'research', resources: { cpu: '8', memory: '64Gi' }, variants: [] },
    status: {
      attempts: [
        { site: 'shanghai', variant: 'h100', epoch: 1, outcome: 'Succeeded', queue: 'research', startTime: hoursAgo(5), endTime: hoursAgo(2), charge: { 'nvidia.com/gpu': '8' }, pricePerHour: 224, currency: 'CNY' },
      ],
    },
  };
}

const sites = (hub: FakeHub): unknown => hub.queues.get('research')?.status?.metering?.sites;
const WANT_SITES = [{ site: 'shanghai', currency: 'CNY', cost: 672, resourceHours: { 'nvidia.com/gpu': 24 } }];

describe('QueueReconciler: usage of deleted workloads', () => {
  it('adds the metering finalizer to a workload that names a Queue, and not to one that names none', async () => {
    const hub = new FakeHub();
    hub.put(queue('research'));
    hub.put(job('a'));
    hub.put({ ...job('b'), spec: { ...job('b').spec, queue: 'default' }, status: {} }); // no Queue named default, never ran
    const r = reconciler(hub);
    await r.reconcile(meteredWorkloadKey('TrainingJob', 'ml', 'a'));
    await r.reconcile(meteredWorkloadKey('TrainingJob', 'ml', 'b'));
    expect(hub.jobs.get('ml/a')?.metadata.finalizers).toEqual([FINALIZER_CLEANUP, METERING_FINALIZER]);
    expect(hub.jobs.get('ml/b')?.metadata.finalizers).toEqual([FINALIZER_CLEANUP]);
  });

  const restarts: { name: string; restartAfter: 'fold' | 'finalizer' | 'never' }[] = [
    { name: 'in one operator', restartAfter: 'never' },
    { name: 'with a restart between the fold and the finalizer removal', restartAfter: 'fold' },
    { name: 'with a restart after the finalizer removal, before the ledger is pruned', restartAfter: 'finalizer' },
  ];
  it.each(restarts)('folds a deleted job once and lets it go, $name', async ({ restartAfter }) => {
    const hub = new FakeHub();
    hub.put(queue('research'));
    hub.put({ ...job('a'), metadata: { ...job('a').metadata, finalizers: [METERING_FINALIZER] } });
    let r = reconciler(hub);
    await r.reconcile(queueKey('research'));
    expect(sites(hub)).toEqual(WANT_SITES);

    hub.deleteJob('ml', 'a', hoursAgo(1));
    await r.reconcile(queueKey('research')); // the fold
    expect(hub.queues.get('research')?.status?.metering?.retiredWorkloads).toEqual(['uid-a']);
    expect(sites(hub)).toEqual(WANT_SITES);
    if (restartAfter === 'fold') r = reconciler(hub);
    await r.reconcile(queueKey('research')); // a second pass before the job is gone: nothing more
    await r.reconcile(meteredWorkloadKey('TrainingJob', 'ml', 'a'));
    expect(hub.jobs.has('ml/a')).toBe(false);
    if (restartAfter === 'finalizer') r = reconciler(hub);
    await r.reconcile(queueKey('research')); // the job is gone: its uid leaves the ledger, its usage stays
    const metering = hub.queues.get('research')?.status?.metering;
    expect(metering?.retiredWorkloads).toBeUndefined();
    expect(metering?.retired).toEqual([
      { site: 'shanghai', currency: 'CNY', startTime: '2026-03-02T00:00:00Z', endTime: '2026-03-03T00:00:00Z', resourceHours: { 'nvidia.com/gpu': 24 }, resourceCost: { 'nvidia.com/gpu': 672 } },
    ]);
    expect(sites(hub)).toEqual(WANT_SITES);
    expect(hub.queues.get('research')?.status?.cost).toBe('672.00 CNY');
  });

  it('keeps the finalizer while a Queue has not folded the job, and wakes that Queue', async () => {
    const hub = new FakeHub();
    hub.put(queue('research'));
    hub.put({ ...job('a'), metadata: { ...job('a').metadata, finalizers: [METERING_FINALIZER] } });
    hub.deleteJob('ml', 'a', hoursAgo(1));
    const woken: string[] = [];
    const r = reconciler(hub, woken);
    expect(await r.reconcile(meteredWorkloadKey('TrainingJob', 'ml', 'a'))).toEqual({ requeueAfter: 2000 });
    expect(hub.jobs.get('ml/a')?.metadata.finalizers).toEqual([METERING_FINALIZER]);
    expect(woken).toEqual([queueKey('research')]);
    await r.reconcile(queueKey('research'));
    expect(woken.at(-1)).toBe(meteredWorkloadKey('TrainingJob', 'ml', 'a'));
    await r.reconcile(meteredWorkloadKey('TrainingJob', 'ml', 'a'));
    expect(hub.jobs.has('ml/a')).toBe(false);
  });

  it('a pass that read a stale Queue cannot fold twice: its write conflicts', async () => {
    const hub = new FakeHub();
    hub.put(queue('research'));
    hub.put({ ...job('a'), metadata: { ...job('a').metadata, finalizers: [METERING_FINALIZER] } });
    hub.deleteJob('ml', 'a', hoursAgo(1));
    const stale = structuredClone(hub.queues.get('research'));
    await reconciler(hub).reconcile(queueKey('research'));
    const lagging = new QueueReconciler({
      queues: () => structuredClone(stale),
      trainingJobs: () => [...hub.jobs.values()],
      trainingJob: (ns, name) => hub.jobs.get(`${ns}/${name}`),
      ledger: LEDGER,
      hub: hub.patcher(),
      events: noopEventRecorder,
      clock: new FakeClock(NOW),
      logger: pino({ level: 'silent' }),
    });
    await expect(lagging.reconcile(queueKey('research'))).rejects.toMatchObject({ code: 'Conflict' });
    expect(sites(hub)).toEqual(WANT_SITES);
  });

  it('lets a deleted job go at once when the Queue it ran under is gone', async () => {
    const hub = new FakeHub();
    hub.put({ ...job('a'), metadata: { ...job('a').metadata, finalizers: [METERING_FINALIZER] } });
    hub.deleteJob('ml', 'a', hoursAgo(1));
    await reconciler(hub).reconcile(meteredWorkloadKey('TrainingJob', 'ml', 'a'));
    expect(hub.jobs.has('ml/a')).toBe(false);
  });
});
