/**
 * The Queue controller: writes each Queue's status — what the last admission cycle found (usage, borrowed, admitted,
 * pending, the DEVICES column) and the metering of its workloads' attempts (resource-hours and cost per site, the
 * COST column) — and records an event when a Queue's quota, borrowing limit, weight or policy changes. It decides
 * nothing: admission is the ledger's (framework/admission-ledger.ts), carried out by the workload controllers.
 */
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Queue, QueueStatus, TrainingJob } from '../../api/generated/types.ts';
import { Kind, Plural } from '../../api/names.ts';
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
import { nextQueueStatus, worthWriting } from './queue-status.ts';

/** DEFAULT_METERING_INTERVAL_MS: how often running attempts' accrued cost is written to a Queue's status. */
export const DEFAULT_METERING_INTERVAL_MS = 60_000;

/** queueKey is the work-queue key of a Queue. */
export function queueKey(name: string): string {
  return makeKey(Kind.Queue, undefined, name);
}

/** QueueReconcilerOptions configures a QueueReconciler. */
export interface QueueReconcilerOptions {
  readonly queues: (name: string) => Queue | undefined;
  readonly trainingJobs: () => readonly TrainingJob[];
  readonly ledger: AdmissionLedger;
  readonly hub: HubPatcher;
  readonly events: EventRecorder;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly meteringIntervalMs?: number;
}

/** QueueReconciler reconciles keys `Queue//<name>`. */
export class QueueReconciler implements Reconciler {
  readonly #o: QueueReconcilerOptions;
  readonly #writer: HubWriter<Queue, QueueStatus>;
  readonly #intervalMs: number;

  constructor(options: QueueReconcilerOptions) {
    this.#o = options;
    this.#writer = new HubWriter<Queue, QueueStatus>(options.hub, Plural.Queue, 'Cluster');
    this.#intervalMs = options.meteringIntervalMs ?? DEFAULT_METERING_INTERVAL_MS;
  }

  async reconcile(key: string): Promise<Result> {
    const ref = parseKey(key);
    const queue = ref === undefined ? undefined : this.#o.queues(ref.name);
    if (queue === undefined || queue.metadata.deletionTimestamp !== undefined) return {};
    const usage = this.#o.ledger.queueUsage(queue.metadata.name ?? '');
    if (usage === undefined) {
      // No cycle has run since the queue appeared: ask for one; its end enqueues every queue again.
      this.#o.ledger.request();
      return {};
    }
    const now = this.#o.clock.now();
    const next = nextQueueStatus(queue, usage, this.#o.trainingJobs(), new Date(now));
    // The CRD defaults observedGeneration to 0 before the first write (docs/gitops-health.md): a new queue, not a change.
    const observed = queue.status?.observedGeneration ?? 0;
    const changedSpec = observed > 0 && observed !== queue.metadata.generation;
    if (worthWriting(queue.status, next, now, this.#intervalMs)) {
      const written = await this.#writer.writeStatus(queue, next);
      if (changedSpec) this.#o.events.record(written as Queue & { apiVersion: string; kind: string }, 'Normal', EventReason.QuotaChanged, specSummary(queue));
    }
    return { requeueAfter: this.#intervalMs };
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
export interface QueueControllerOptions extends Omit<QueueReconcilerOptions, 'queues' | 'trainingJobs' | 'hub' | 'events'> {
  readonly hub: KubeConfig;
  readonly informers: { readonly queues: ObjectCache<Queue>; readonly trainingJobs: ObjectCache<TrainingJob> };
  readonly events?: EventRecorder;
  /** The controller loop's metrics (runtime/loop-metrics.ts); default none. */
  readonly metrics?: LoopMetrics;
}

/** newQueueController builds the Queue controller; `refresh` is the source the ledger's afterCycle feeds. */
export function newQueueController(options: QueueControllerOptions): { controller: Controller; refreshAll: () => void } {
  const { queues, trainingJobs } = options.informers;
  const reconciler = new QueueReconciler({
    ...options,
    queues: (name) => queues.get(undefined, name),
    trainingJobs: () => trainingJobs.list(),
    hub: options.hub.makeApiClient(CustomObjectsApi),
    events: options.events ?? new HubEventRecorder({ kubeConfig: options.hub, clock: options.clock, logger: options.logger }),
  });
  const sources: WatchSource[] = [watchSource(queues, (q) => [queueKey(q.metadata.name ?? '')])];
  const controller = new Controller({
    name: 'queue',
    reconciler,
    sources,
    clock: options.clock,
    logger: options.logger,
    concurrency: 1,
    ...(options.metrics !== undefined && { metrics: options.metrics }),
  });
  const refreshAll = (): void => {
    for (const q of queues.list()) controller.queue.add(queueKey(q.metadata.name ?? ''));
  };
  return { controller, refreshAll };
}
