/**
 * The Queue controller: writes each Queue's status — what the last admission cycle found (usage, borrowed, admitted,
 * pending, the DEVICES column) and the metering of its workloads (resource-hours and cost per site and currency, the
 * COST column) — and records an event when a Queue's quota, borrowing limit, weight or policy changes. It decides no
 * admission: that is the ledger's (framework/admission-ledger.ts), carried out by the workload controllers.
 *
 * It also keeps usage from leaving with deleted workloads (queueing/retired-usage.ts). Its keys are of two kinds:
 * - `Queue//<name>`: the status, in which deleted workloads' usage of the queue is folded, exactly once;
 * - `TrainingJob/<ns>/<name>`, `InferenceService/<ns>/<name>`: the metering finalizer (metering-finalizer.ts), added
 *   to a workload that names a Queue and removed from a deleted one once its Queues have folded it.
 * One worker, so a Queue's status is never written by two passes at once; each write carries the Queue's
 * resourceVersion, and the Queue this controller last wrote stands in for a cache that has not caught up with it.
 */
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { InferenceService, Queue, QueueStatus, TrainingJob } from '../../api/generated/types.ts';
import { Kind, Plural } from '../../api/names.ts';
import { inferenceUsage, intervalQueues, trainingUsage, type MeteredWorkload, type WorkloadKind } from '../../queueing/metered-workload.ts';
import type { Clock } from '../../runtime/clock.ts';
import { Controller } from '../../runtime/controller.ts';
import type { LoopMetrics } from '../../runtime/loop-metrics.ts';
import { makeKey, parseKey } from '../../runtime/key.ts';
import type { ObjectCache } from '../../runtime/object-cache.ts';
import type { Reconciler, Result } from '../../runtime/reconciler.ts';
import { watchSource, type WatchSource } from '../../runtime/source.ts';
import type { AdmissionLedger } from '../framework/admission-ledger.ts';
import { EventReason, HubEventRecorder, type EventRecorder } from '../framework/events.ts';
import { HubWriter, type HubPatcher } from '../framework/hub-writer.ts';
import { hasMeteringFinalizer, meteringFinalizerStep, MeteringFinalizerWriter, type MeteredObject } from './metering-finalizer.ts';
import { nextQueueStatus, worthWriting } from './queue-status.ts';

/** DEFAULT_METERING_INTERVAL_MS: how often running attempts' accrued cost is written to a Queue's status. */
export const DEFAULT_METERING_INTERVAL_MS = 60_000;

/** RETIRE_RECHECK_MS: how soon a deleted workload whose Queues have not folded it yet is looked at again. */
export const RETIRE_RECHECK_MS = 2_000;

/** queueKey is the work-queue key of a Queue. */
export function queueKey(name: string): string {
  return makeKey(Kind.Queue, undefined, name);
}

/** meteredWorkloadKey is this controller's key for a workload's metering finalizer. */
export function meteredWorkloadKey(kind: WorkloadKind, namespace: string | undefined, name: string): string {
  return makeKey(kind, namespace, name);
}

/** QueueReconcilerOptions configures a QueueReconciler. */
export interface QueueReconcilerOptions {
  readonly queues: (name: string) => Queue | undefined;
  readonly trainingJobs: () => readonly TrainingJob[];
  readonly trainingJob: (namespace: string, name: string) => TrainingJob | undefined;
  /** Unset: InferenceServices are not metered into Queues (and get no metering finalizer). */
  readonly inferenceServices?: () => readonly InferenceService[];
  readonly inferenceService?: (namespace: string, name: string) => InferenceService | undefined;
  readonly ledger: AdmissionLedger;
  /** Patches Queue status and workload finalizers on the hub (CustomObjectsApi in production). */
  readonly hub: HubPatcher;
  readonly events: EventRecorder;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly meteringIntervalMs?: number;
  /** wake enqueues a key of this controller (a Queue's or a workload's); default none. */
  readonly wake?: (key: string) => void;
}

/** Metered is a workload object with its kind and what metering reads of it. */
interface Metered {
  readonly kind: WorkloadKind;
  readonly obj: MeteredObject;
  readonly usage: MeteredWorkload;
}

/** QueueReconciler reconciles Queue keys and workload keys (file comment). */
export class QueueReconciler implements Reconciler {
  readonly #o: QueueReconcilerOptions;
  readonly #writer: HubWriter<Queue, QueueStatus>;
  readonly #finalizers: MeteringFinalizerWriter;
  readonly #intervalMs: number;
  readonly #log: Logger;
  /** Per Queue name: the Queue this controller last wrote, and the resourceVersion it wrote over. */
  readonly #written = new Map<string, { readonly over: string | undefined; readonly queue: Queue }>();

  constructor(options: QueueReconcilerOptions) {
    this.#o = options;
    this.#writer = new HubWriter<Queue, QueueStatus>(options.hub, Plural.Queue, 'Cluster');
    this.#finalizers = new MeteringFinalizerWriter(options.hub);
    this.#intervalMs = options.meteringIntervalMs ?? DEFAULT_METERING_INTERVAL_MS;
    this.#log = options.logger.child({ controller: 'queue' });
  }

  reconcile(key: string): Promise<Result> {
    const ref = parseKey(key);
    if (ref === undefined) return Promise.resolve({});
    if (ref.kind === Kind.Queue) return this.#reconcileQueue(ref.name);
    if (ref.kind === Kind.TrainingJob || ref.kind === Kind.InferenceService) return this.#reconcileWorkload(ref.kind, ref.namespace, ref.name);
    return Promise.resolve({});
  }

  async #reconcileQueue(name: string): Promise<Result> {
    const queue = this.#queue(name);
    if (queue === undefined || queue.metadata.deletionTimestamp !== undefined) {
      this.#written.delete(name);
      return {};
    }
    const usage = this.#o.ledger.queueUsage(name);
    if (usage === undefined) {
      // No cycle has run since the queue appeared: ask for one; its end enqueues every queue again.
      this.#o.ledger.request();
      return {};
    }
    const now = this.#o.clock.now();
    const workloads = this.#workloads();
    const next = nextQueueStatus(queue, usage, workloads.map((w) => w.usage), new Date(now));
    // The CRD defaults observedGeneration to 0 before the first write (docs/gitops-health.md): a new queue, not a change.
    const observed = queue.status?.observedGeneration ?? 0;
    const changedSpec = observed > 0 && observed !== queue.metadata.generation;
    if (worthWriting(queue.status, next, now, this.#intervalMs)) {
      const written = await this.#writer.writeStatus(queue, next);
      if (written !== queue) this.#written.set(name, { over: queue.metadata.resourceVersion, queue: written });
      if (changedSpec) this.#o.events.record(written as Queue & { apiVersion: string; kind: string }, 'Normal', EventReason.QuotaChanged, specSummary(queue));
    }
    // Workloads of this queue whose metering finalizer is due: deleted ones it has folded by now, live ones without it
    // (a queue created after them).
    for (const w of workloads) {
      const deleting = w.obj.metadata.deletionTimestamp !== undefined;
      const names = deleting ? intervalQueues(w.usage) : [w.obj.spec.queue ?? '', ...intervalQueues(w.usage)];
      if (names.includes(name) && deleting === hasMeteringFinalizer(w.obj)) this.#o.wake?.(meteredWorkloadKey(w.kind, w.usage.namespace, w.usage.name));
    }
    return { requeueAfter: this.#intervalMs };
  }

  async #reconcileWorkload(kind: WorkloadKind, namespace: string, name: string): Promise<Result> {
    const w = this.#workload(kind, namespace, name);
    if (w === undefined) return {};
    const step = meteringFinalizerStep(w.obj, w.usage, (q) => this.#queue(q));
    switch (step.kind) {
      case 'None':
        return {};
      case 'Add':
        await this.#finalizers.add(kind, w.obj);
        this.#log.debug({ kind, namespace, name }, 'added the metering finalizer');
        return {};
      case 'Wait':
        for (const q of step.queues) this.#o.wake?.(queueKey(q));
        return { requeueAfter: RETIRE_RECHECK_MS };
      case 'Remove':
        await this.#finalizers.remove(kind, w.obj);
        this.#log.info({ kind, namespace, name, queues: intervalQueues(w.usage) }, 'usage kept in its queues; metering finalizer removed');
        return {};
    }
  }

  /** #queue reads a Queue from the cache, or the one this controller wrote when the cache still shows what it wrote over. */
  #queue(name: string): Queue | undefined {
    const cached = this.#o.queues(name);
    const written = this.#written.get(name);
    if (cached === undefined || written === undefined) return cached;
    if (cached.metadata.resourceVersion === written.over) return written.queue;
    this.#written.delete(name); // the cache has caught up, or someone else wrote since
    return cached;
  }

  #workloads(): Metered[] {
    return [
      ...this.#o.trainingJobs().map((obj): Metered => ({ kind: 'TrainingJob', obj, usage: trainingUsage(obj) })),
      ...(this.#o.inferenceServices?.() ?? []).map((obj): Metered => ({ kind: 'InferenceService', obj, usage: inferenceUsage(obj) })),
    ];
  }

  #workload(kind: WorkloadKind, namespace: string, name: string): Metered | undefined {
    if (kind === 'TrainingJob') {
      const obj = this.#o.trainingJob(namespace, name);
      return obj === undefined ? undefined : { kind, obj, usage: trainingUsage(obj) };
    }
    const obj = this.#o.inferenceService?.(namespace, name);
    return obj === undefined ? undefined : { kind, obj, usage: inferenceUsage(obj) };
  }
}

/** specSummary names what a Queue now says: its quota, borrowing limit, weight and policy. */
function specSummary(q: Queue): string {
  const list = (m: Readonly<Record<string, string | number>> | undefined): string =>
    Object.entries(m ?? {})
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([r, v]) => `${r}=${String(v)}`)
      .join(', ') || 'none';
  return `queue ${q.metadata.name ?? ''} now: quota ${list(q.spec.quota)}; borrowing limit ${list(q.spec.borrowingLimit)}; weight ${q.spec.weight ?? 1}; preemption ${q.spec.preemptionPolicy ?? 'Never'}`;
}

/** QueueControllerOptions configures newQueueController. */
export interface QueueControllerOptions
  extends Omit<QueueReconcilerOptions, 'queues' | 'trainingJobs' | 'trainingJob' | 'inferenceServices' | 'inferenceService' | 'hub' | 'events' | 'wake'> {
  readonly hub: KubeConfig;
  readonly informers: {
    readonly queues: ObjectCache<Queue>;
    readonly trainingJobs: ObjectCache<TrainingJob>;
    /** Unset: InferenceServices are not metered into Queues. */
    readonly inferenceServices?: ObjectCache<InferenceService>;
  };
  readonly events?: EventRecorder;
  /** The controller loop's metrics (runtime/loop-metrics.ts); default none. */
  readonly metrics?: LoopMetrics;
}

/** newQueueController builds the Queue controller; `refreshAll` is what the ledger's afterCycle calls. */
export function newQueueController(options: QueueControllerOptions): { controller: Controller; refreshAll: () => void } {
  const { queues, trainingJobs, inferenceServices } = options.informers;
  let controller: Controller | undefined;
  const reconciler = new QueueReconciler({
    ...options,
    queues: (name) => queues.get(undefined, name),
    trainingJobs: () => trainingJobs.list(),
    trainingJob: (namespace, name) => trainingJobs.get(namespace, name),
    ...(inferenceServices !== undefined && {
      inferenceServices: () => inferenceServices.list(),
      inferenceService: (namespace: string, name: string) => inferenceServices.get(namespace, name),
    }),
    hub: options.hub.makeApiClient(CustomObjectsApi),
    events: options.events ?? new HubEventRecorder({ kubeConfig: options.hub, clock: options.clock, logger: options.logger }),
    wake: (key) => controller?.queue.add(key),
  });
  const queueOf = (name: string): Queue | undefined => queues.get(undefined, name);
  // A workload change matters here when its metering finalizer is due, and, once it is deleted, to its queues' fold.
  const workloadKeys = (kind: WorkloadKind, obj: MeteredObject, usage: MeteredWorkload): string[] => [
    ...(meteringFinalizerStep(obj, usage, queueOf).kind === 'None' ? [] : [meteredWorkloadKey(kind, usage.namespace, usage.name)]),
    ...(obj.metadata.deletionTimestamp === undefined ? [] : intervalQueues(usage).map(queueKey)),
  ];
  const sources: WatchSource[] = [
    watchSource(queues, (q) => [queueKey(q.metadata.name ?? '')]),
    watchSource(trainingJobs, (tj) => workloadKeys('TrainingJob', tj, trainingUsage(tj))),
    ...(inferenceServices === undefined ? [] : [watchSource(inferenceServices, (svc) => workloadKeys('InferenceService', svc, inferenceUsage(svc)))]),
  ];
  controller = new Controller({
    name: 'queue',
    reconciler,
    sources,
    clock: options.clock,
    logger: options.logger,
    concurrency: 1,
    ...(options.metrics !== undefined && { metrics: options.metrics }),
  });
  const created = controller;
  const refreshAll = (): void => {
    for (const q of queues.list()) created.queue.add(queueKey(q.metadata.name ?? ''));
  };
  return { controller: created, refreshAll };
}
