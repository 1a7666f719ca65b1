/**
 * The controller loop's metrics, defined once here so every controller has them (Controller's `metrics` option):
 * reconciles by result and their duration, and the work queue's depth, adds, retries and oldest waiting key. The one
 * label, `controller`, is the Controller's name — fixed by the code, never by objects. The informers' metrics are
 * informer-metrics.ts.
 *
 * Counters of events move where the events happen (the WorkQueue calls its observer). What is a state — a queue's
 * depth, its oldest key — is read at scrape time from the queues themselves, so it cannot drift.
 */
import { performance } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { ReconcileOutcome, WorkQueueObserver } from './work-queue.ts';

/** RECONCILE_BUCKETS spans a cache-only pass (ms) to one waiting on slow site apiservers (a minute). */
export const RECONCILE_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** QueueState is what the metrics read of a work queue at scrape time (WorkQueue has both). */
export interface QueueState {
  len(): number;
  oldestAgeMs(): number;
}

/** LoopMetricsOptions configures LoopMetrics. */
export interface LoopMetricsOptions {
  /** now is a monotonic clock in seconds for reconcile durations (default performance.now() / 1000). */
  readonly now?: () => number;
}

/** LoopMetrics defines the loop's metrics on one registry; build it once per registry. */
export class LoopMetrics {
  readonly #now: () => number;
  readonly #reconciles: Counter<'controller' | 'result'>;
  readonly #duration: Histogram<'controller'>;
  readonly #adds: Counter<'controller'>;
  readonly #retries: Counter<'controller'>;
  readonly #queues = new Map<string, QueueState>();

  constructor(registry: Registry, options: LoopMetricsOptions = {}) {
    this.#now = options.now ?? (() => performance.now() / 1000);
    const registers = [registry];
    this.#reconciles = new Counter({
      name: 'suanwang_reconcile_total',
      help: 'Reconciles finished, by controller and result: success, requeue (returned asking to look again later) or error (threw).',
      labelNames: ['controller', 'result'],
      registers,
    });
    this.#duration = new Histogram({
      name: 'suanwang_reconcile_duration_seconds',
      help: 'Time one reconcile took, whatever its result.',
      labelNames: ['controller'],
      buckets: RECONCILE_BUCKETS,
      registers,
    });
    this.#adds = new Counter({
      name: 'suanwang_workqueue_adds_total',
      help: 'Keys added to the work queue that were not queued already.',
      labelNames: ['controller'],
      registers,
    });
    this.#retries = new Counter({
      name: 'suanwang_workqueue_retries_total',
      help: 'Keys put back on the work queue with backoff after a failed reconcile.',
      labelNames: ['controller'],
      registers,
    });
    const queues = this.#queues;
    new Gauge({
      name: 'suanwang_workqueue_depth',
      help: 'Keys waiting in the work queue to be handed to a worker (not counting those being reconciled or delayed).',
      labelNames: ['controller'],
      registers,
      collect() {
        this.reset();
        for (const [controller, q] of queues) this.set({ controller }, q.len());
      },
    });
    new Gauge({
      name: 'suanwang_workqueue_oldest_item_age_seconds',
      help: 'How long the key first in line has waited in the work queue; 0 when none waits.',
      labelNames: ['controller'],
      registers,
      collect() {
        this.reset();
        for (const [controller, q] of queues) this.set({ controller }, q.oldestAgeMs() / 1000);
      },
    });
  }

  /** queueObserver is what the work queue of controller `name` reports to. */
  queueObserver(controller: string): WorkQueueObserver {
    const adds = this.#adds.labels({ controller });
    const retries = this.#retries.labels({ controller });
    const duration = this.#duration.labels({ controller });
    // Created now, so a controller that never failed shows 0 errors rather than no series.
    for (const result of ['success', 'requeue', 'error'] as const) this.#reconciles.inc({ controller, result }, 0);
    adds.inc(0);
    retries.inc(0);
    this.#duration.zero({ controller });
    return {
      added: () => adds.inc(),
      retried: () => retries.inc(),
      reconcileStarted: () => {
        const started = this.#now();
        return (result: ReconcileOutcome) => {
          duration.observe(Math.max(0, this.#now() - started));
          this.#reconciles.inc({ controller, result });
        };
      },
    };
  }

  /** trackQueue reports the depth and oldest key of `queue` as controller `name`'s until the returned function is called. */
  trackQueue(controller: string, queue: QueueState): () => void {
    this.#queues.set(controller, queue);
    return () => {
      if (this.#queues.get(controller) === queue) this.#queues.delete(controller);
    };
  }
}
