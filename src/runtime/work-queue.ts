/**
 * A work queue of string keys (`kind/namespace/name`) with the semantics of client-go's workqueue (STYLE.md "Work
 * queue semantics"), written for a single-threaded event loop:
 *
 * - A key is queued at most once however often it is added (`dirty` holds queued-or-re-queued keys).
 * - A key handed to a worker is `processing`; adding it again only marks it dirty, and `done` puts it back. So no
 *   key is ever reconciled by two workers at once, and a change that lands mid-reconcile is never lost.
 * - Failed keys come back after a delay from the rate limiter (per-key backoff and a global bucket).
 *
 * All waiting goes through the injected `Clock`, so the queue is deterministic under `FakeClock`.
 */
import { pino, type Logger } from 'pino';
import { toApiError } from './errors.ts';
import { parseKey } from './key.ts';
import type { Cancel, Clock } from './clock.ts';
import { defaultControllerRateLimiter, type RateLimiter } from './rate-limiter.ts';
import { TerminalError, type ReconcileFn } from './reconciler.ts';

/** WorkQueueOptions configures a `WorkQueue`. */
export interface WorkQueueOptions {
  readonly clock: Clock;
  /** Delay for `addRateLimited`; default `defaultControllerRateLimiter(clock)`. */
  readonly rateLimiter?: RateLimiter;
  /** Logger for the workers started by `run`; default silent. */
  readonly logger?: Logger;
  /** Told of adds, retries and reconciles (loop-metrics.ts); default none. */
  readonly observer?: WorkQueueObserver;
}

/** ReconcileOutcome is how one reconcile ended: returned, returned asking to look again later, or threw. */
export type ReconcileOutcome = 'success' | 'requeue' | 'error';

/**
 * WorkQueueObserver hears what the queue does, for metrics. Calls are synchronous and must be cheap: they run on every
 * add. The queue times nothing itself: the observer does, between `reconcileStarted` and the function it returns.
 */
export interface WorkQueueObserver {
  /** added: a key was queued that was not queued already (a de-duplicated add is not counted). */
  added(): void;
  /** retried: a key that failed was put back with backoff. */
  retried(): void;
  /** reconcileStarted is called as a worker hands a key to the reconciler; call what it returns when that ends. */
  reconcileStarted(): (outcome: ReconcileOutcome) => void;
}

interface Waiting {
  readonly at: number;
  readonly cancel: Cancel;
}

/** WorkQueue de-duplicates keys, hands each to one worker at a time and re-queues failures with backoff. */
export class WorkQueue {
  readonly #clock: Clock;
  readonly #limiter: RateLimiter;
  readonly #log: Logger;
  readonly #observer: WorkQueueObserver | undefined;
  /** Keys in hand-out order. Invariant: every queued key is also in `#dirty` and not in `#processing`. */
  readonly #queue: string[] = [];
  /** When each key of `#queue` was put there; `#queue` is in that order, so its first key is the oldest. */
  readonly #queuedAt = new Map<string, number>();
  readonly #dirty = new Set<string>();
  readonly #processing = new Set<string>();
  readonly #waiting = new Map<string, Waiting>();
  readonly #getters: Array<(key: string | undefined) => void> = [];
  readonly #drained: Array<() => void> = [];
  #shuttingDown = false;

  constructor(options: WorkQueueOptions) {
    this.#clock = options.clock;
    this.#limiter = options.rateLimiter ?? defaultControllerRateLimiter(options.clock);
    this.#log = options.logger ?? pino({ level: 'silent' });
    this.#observer = options.observer;
  }

  /** add queues `key` unless it is already queued; a key being processed is re-queued when it is done. */
  add(key: string): void {
    if (this.#shuttingDown || this.#dirty.has(key)) return;
    this.#dirty.add(key);
    this.#observer?.added();
    if (this.#processing.has(key)) return;
    this.#enqueue(key);
  }

  /**
   * addAfter queues `key` once `ms` have passed. While a key waits, a second `addAfter` can only bring its time
   * forward, never push it back (client-go's rule): an earlier request to look must not be lost to a later one.
   */
  addAfter(key: string, ms: number): void {
    if (this.#shuttingDown) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const at = this.#clock.now() + ms;
    const existing = this.#waiting.get(key);
    if (existing !== undefined) {
      if (existing.at <= at) return;
      existing.cancel();
    }
    const cancel = this.#clock.after(ms, () => {
      this.#waiting.delete(key);
      this.add(key);
    });
    this.#waiting.set(key, { at, cancel });
  }

  /** addRateLimited queues `key` after the rate limiter's delay and counts one more failure for it. */
  addRateLimited(key: string): void {
    this.#observer?.retried();
    this.addAfter(key, this.#limiter.when(key));
  }

  /** forget resets the backoff of `key`; call it once the key succeeded. */
  forget(key: string): void {
    this.#limiter.forget(key);
  }

  /** numRequeues is how many times `key` failed since it was last forgotten. */
  numRequeues(key: string): number {
    return this.#limiter.numRequeues(key);
  }

  /** len is the number of keys ready to be handed out (not counting processing or delayed ones). */
  len(): number {
    return this.#queue.length;
  }

  /** oldestAgeMs is how long the key first in line has waited to be handed out; 0 when none waits. */
  oldestAgeMs(): number {
    const first = this.#queue[0];
    if (first === undefined) return 0;
    return Math.max(0, this.#clock.now() - (this.#queuedAt.get(first) ?? this.#clock.now()));
  }

  /** shuttingDown is true once `shutDown` was called. */
  shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  /**
   * get resolves with the next key, marking it processing until `done(key)`; it waits while the queue is empty
   * and resolves `undefined` once the queue is shut down.
   */
  get(): Promise<string | undefined> {
    const key = this.#take();
    if (key !== undefined || this.#shuttingDown) return Promise.resolve(key);
    return new Promise((resolve) => this.#getters.push(resolve));
  }

  /** done ends the processing of `key`; if it was added meanwhile it goes back on the queue. */
  done(key: string): void {
    this.#processing.delete(key);
    if (this.#dirty.has(key) && !this.#shuttingDown) this.#enqueue(key);
    if (this.#shuttingDown && this.#processing.size === 0) {
      for (const resolve of this.#drained.splice(0)) resolve();
    }
  }

  /**
   * shutDown stops the queue and resolves once the keys being processed are done. New adds are ignored, delayed
   * adds are cancelled, and queued keys that no worker has started are dropped rather than run: a stopping
   * controller (shutdown, lost leadership) should not start new work, and level-triggering makes dropping safe —
   * the next start lists every object and enqueues it again.
   */
  shutDown(): Promise<void> {
    if (!this.#shuttingDown) {
      this.#shuttingDown = true;
      for (const w of this.#waiting.values()) w.cancel();
      this.#waiting.clear();
      this.#queue.length = 0;
      this.#queuedAt.clear();
      this.#dirty.clear();
      for (const resolve of this.#getters.splice(0)) resolve(undefined);
    }
    if (this.#processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#drained.push(resolve));
  }

  /**
   * run starts `concurrency` workers that call `reconcile` for each key and resolves when all have stopped after
   * `shutDown`. Outcomes follow the contract in reconciler.ts: success forgets the key's backoff (and honours
   * `requeueAfter`), `TerminalError` forgets and drops it, any other error re-queues it rate-limited — no sooner
   * than an API server's Retry-After when there is one.
   */
  async run(concurrency: number, reconcile: ReconcileFn): Promise<void> {
    if (!(concurrency >= 1)) throw new RangeError(`concurrency must be at least 1, got ${concurrency}`);
    const workers = Array.from({ length: concurrency }, () => this.#worker(reconcile));
    await Promise.all(workers);
  }

  async #worker(reconcile: ReconcileFn): Promise<void> {
    for (;;) {
      const key = await this.get();
      if (key === undefined) return;
      try {
        await this.#process(key, reconcile);
      } finally {
        this.done(key);
      }
    }
  }

  async #process(key: string, reconcile: ReconcileFn): Promise<void> {
    // The same namespace and name fields as the reconcilers' own lines, so one jq filter follows a workload.
    const ref = parseKey(key);
    const log = this.#log.child(ref === undefined ? { key } : { key, ...(ref.namespace !== '' && { namespace: ref.namespace }), name: ref.name });
    const ended = this.#observer?.reconcileStarted();
    try {
      const result = await reconcile(key);
      ended?.(result.requeueAfter !== undefined && result.requeueAfter > 0 ? 'requeue' : 'success');
      this.forget(key);
      if (result.requeueAfter !== undefined && result.requeueAfter > 0) this.addAfter(key, result.requeueAfter);
      log.debug({ requeueAfter: result.requeueAfter }, 'reconciled');
    } catch (err: unknown) {
      ended?.('error');
      if (err instanceof TerminalError) {
        this.forget(key);
        log.error({ err }, 'reconcile failed terminally; not retrying until the object changes');
        return;
      }
      const apiErr = toApiError(err);
      const delay = Math.max(this.#limiter.when(key), apiErr.retryAfterMs ?? 0);
      this.#observer?.retried();
      this.addAfter(key, delay);
      const fields = { err, code: apiErr.code, retryInMs: delay, failures: this.numRequeues(key) };
      // A conflict is routine (someone wrote first): retrying after a re-read is the whole answer.
      if (apiErr.code === 'Conflict') log.debug(fields, 'reconcile hit a conflict; retrying');
      else log.warn(fields, 'reconcile failed; retrying with backoff');
    }
  }

  #enqueue(key: string): void {
    this.#queue.push(key);
    this.#queuedAt.set(key, this.#clock.now());
    this.#handOut();
  }

  #take(): string | undefined {
    const key = this.#queue.shift();
    if (key === undefined) return undefined;
    this.#queuedAt.delete(key);
    this.#dirty.delete(key);
    this.#processing.add(key);
    return key;
  }

  #handOut(): void {
    while (this.#getters.length > 0 && this.#queue.length > 0) {
      const getter = this.#getters.shift();
      const key = this.#take();
      if (getter !== undefined && key !== undefined) getter(key);
    }
  }
}
