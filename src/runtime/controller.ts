/**
 * A controller ties sources, a work queue and a reconciler together: changes seen by the sources become keys,
 * and workers hand each key to the reconciler, one worker per key at a time. It owns its queue and timers;
 * it does not own the informers behind its sources, because one informer may feed several controllers — the
 * composition root starts and stops those.
 */
import type { Logger } from 'pino';
import type { Clock } from './clock.ts';
import type { LoopMetrics } from './loop-metrics.ts';
import type { RateLimiter } from './rate-limiter.ts';
import type { Reconciler } from './reconciler.ts';
import type { WatchSource } from './source.ts';
import { WorkQueue } from './work-queue.ts';

export type { Reconciler, Result } from './reconciler.ts';

/** ControllerOptions configures a `Controller`. */
export interface ControllerOptions {
  /** Names the controller in logs (`{controller: name}`), e.g. `trainingjob`. */
  readonly name: string;
  readonly reconciler: Reconciler;
  readonly sources: readonly WatchSource[];
  readonly clock: Clock;
  readonly logger: Logger;
  /** Keys reconciled in parallel (default 1); never two workers on the same key whatever the number. */
  readonly concurrency?: number;
  /** Retry delays; default per-key 5 ms → 5 min backoff under a global 10 qps / burst 100 bucket. */
  readonly rateLimiter?: RateLimiter;
  /** Reconciles, durations and the queue's depth, adds, retries and oldest key, labelled with `name`; default none. */
  readonly metrics?: LoopMetrics;
}

/**
 * Controller runs one reconciler. It is single-use: `start` once, `stop` once; a restart (e.g. after regaining
 * leadership) builds a new one, which relists and so misses nothing.
 */
export class Controller {
  /** The controller's name, as logged. */
  readonly name: string;
  /** The controller's queue; exposed so a reconciler's collaborators can enqueue keys (e.g. an agent push). */
  readonly queue: WorkQueue;
  readonly #reconciler: Reconciler;
  readonly #sources: readonly WatchSource[];
  readonly #concurrency: number;
  readonly #log: Logger;
  readonly #abort = new AbortController();
  readonly #metrics: LoopMetrics | undefined;
  #untrackQueue: (() => void) | undefined;
  #unsubscribes: Array<() => void> = [];
  #workers: Promise<void> | undefined;
  #state: 'new' | 'started' | 'stopped' = 'new';

  constructor(options: ControllerOptions) {
    this.name = options.name;
    this.#reconciler = options.reconciler;
    this.#sources = options.sources;
    this.#concurrency = options.concurrency ?? 1;
    this.#log = options.logger.child({ controller: options.name });
    this.#metrics = options.metrics;
    this.queue = new WorkQueue({
      clock: options.clock,
      logger: this.#log,
      ...(options.rateLimiter !== undefined && { rateLimiter: options.rateLimiter }),
      ...(options.metrics !== undefined && { observer: options.metrics.queueObserver(options.name) }),
    });
  }

  /**
   * start subscribes to the sources, waits until every source's cache has synced (reconciling against a
   * half-filled cache would see live objects as missing), then starts the workers. It resolves once they run,
   * or early if `stop` is called while waiting.
   */
  async start(): Promise<void> {
    if (this.#state !== 'new') throw new Error(`controller ${this.name} was already started`);
    this.#state = 'started';
    this.#untrackQueue = this.#metrics?.trackQueue(this.name, this.queue);
    this.#unsubscribes = this.#sources.map((s) => s.subscribe((key) => this.queue.add(key)));
    try {
      await Promise.all(this.#sources.map((s) => s.waitForSync(this.#abort.signal)));
    } catch (err: unknown) {
      if (this.#abort.signal.aborted) return;
      throw err;
    }
    if (this.#abort.signal.aborted) return;
    this.#workers = this.queue.run(this.#concurrency, (key) => this.#reconciler.reconcile(key));
    this.#log.info({ concurrency: this.#concurrency, queued: this.queue.len() }, 'controller started');
  }

  /** stop unsubscribes from the sources, cancels queued and delayed keys, and waits for running reconciles. */
  async stop(): Promise<void> {
    if (this.#state === 'stopped') return;
    this.#state = 'stopped';
    this.#abort.abort(new Error(`controller ${this.name} stopped`));
    for (const unsubscribe of this.#unsubscribes.splice(0)) unsubscribe();
    await this.queue.shutDown();
    await this.#workers;
    this.#untrackQueue?.();
    this.#log.info('controller stopped');
  }
}
