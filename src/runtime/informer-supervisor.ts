/**
 * The informer supervisor keeps a list+watch of one resource alive for the life of the operator and serves its
 * cache. @kubernetes/client-node's informer recovers by itself only from 410 Gone and client-side timeouts; on
 * every other error (a failed list, a 403/500 on the watch, a refused connection) it emits `error` and stops for
 * good (see list-watch-informer.ts for the details relied on). The supervisor owns what happens next:
 *
 * 1. Every (re)start is a fresh informer instance from the factory — a fresh list, then a watch. A new instance
 *    rather than `start()` on the old one, because a stopped client-node informer can still deliver a late error
 *    or event, and a generation number is how we tell the old instance's stragglers from the new one's.
 * 2. Errors restart it after a capped exponential backoff with jitter, so N operators restarting at once do not
 *    list in lock-step (the client-node example restarts every 5 s flat; kubernetes-client/javascript#1933).
 *    The backoff resets only after an instance stayed healthy for `backoffResetMs`, so a list that succeeds
 *    followed by a watch that fails at once cannot turn into a tight relist loop.
 * 3. 410 Gone means our resourceVersion is too old: the remedy is a relist, which a fresh start is, so the first
 *    one restarts immediately; a second 410 in a row with no successful list between backs off like any error.
 * 4. Staleness: when nothing (event, bookmark, (re)connect, list) arrives for `staleAfterMs`, the watch is
 *    presumed wedged and restarted.
 *
 * The supervisor keeps its own cache, fed by the informer's lists and events, rather than reading the informer's.
 * That is what makes fresh instances safe: each list *replaces* the cache, and objects missing from the new list
 * are reported as deleted — deletions that happened while no watch was running are not lost.
 * Listeners get the object (and the previous cached version), never the event type: callers map objects to keys
 * and enqueue them (level-triggered; see reconciler.ts).
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { backoffDelay, type BackoffPolicy } from './backoff.ts';
import { toApiError } from './errors.ts';
import { systemRandom, type Cancel, type Clock, type Random } from './clock.ts';

/** SourceHandlers is how an informer instance reports to its supervisor. */
export interface SourceHandlers<T extends KubernetesObject> {
  /** list delivers a complete list; the supervisor's cache becomes exactly these objects. */
  list(items: readonly T[]): void;
  /** upsert delivers an added or modified object. */
  upsert(obj: T): void;
  /** delete delivers a deleted object (its last state). */
  delete(obj: T): void;
  /** alive says the stream is working although no object changed: a (re)connect or a bookmark. */
  alive(what: 'connect' | 'bookmark'): void;
  /** error says the instance failed and will not recover by itself. */
  error(err: unknown): void;
}

/** SourceInformer is one list+watch instance; the supervisor starts it once and stops it once. */
export interface SourceInformer {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** InformerFactory builds a fresh informer instance reporting to `handlers`; see listWatchInformerFactory. */
export type InformerFactory<T extends KubernetesObject> = (handlers: SourceHandlers<T>) => SourceInformer;

/** ChangeListener receives an object whose cached state changed (added, updated or deleted) and its prior state. */
export type ChangeListener<T extends KubernetesObject> = (obj: T, previous: T | undefined) => void;

/** InformerSupervisorOptions configures an `InformerSupervisor`. */
export interface InformerSupervisorOptions<T extends KubernetesObject> {
  /** What is watched, for logs (e.g. `TrainingJob` or `Site@east`). */
  readonly name: string;
  readonly factory: InformerFactory<T>;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Jitter source; default `systemRandom`. */
  readonly random?: Random;
  /** First restart delay (default 1 s) — client-node's own reconnect delay starts there too. */
  readonly backoffBaseMs?: number;
  /** Longest restart delay (default 2 min). */
  readonly backoffMaxMs?: number;
  /** Fraction of the delay taken off at random, 0..1 (default 0.2); the cap is never exceeded. */
  readonly jitter?: number;
  /** Healthy time after which the restart backoff starts over (default 2 min). */
  readonly backoffResetMs?: number;
  /** Silence after which the watch counts as wedged (default 5 min). */
  readonly staleAfterMs?: number;
}

/** InformerStats counts what an InformerSupervisor went through since it was built (informer-metrics.ts reads them). */
export interface InformerStats {
  /** restarts: fresh instances launched after an error or a stale watch. */
  readonly restarts: number;
  /** relists: complete lists received after the first one (every restart's, and the informer's own after a 410). */
  readonly relists: number;
}

/** InformerSupervisor runs a resource's informer forever, restarting it as the file comment describes. */
export class InformerSupervisor<T extends KubernetesObject> {
  /** resource is what is watched without the cluster it is watched in (`Job` for `Job@east`): a bounded metric label. */
  readonly resource: string;
  readonly #factory: InformerFactory<T>;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #random: Random;
  readonly #backoff: BackoffPolicy;
  readonly #resetMs: number;
  readonly #staleMs: number;

  readonly #cache = new Map<string, T>();
  readonly #listeners = new Set<ChangeListener<T>>();
  readonly #syncWaiters = new Set<() => void>();
  #running = false;
  #synced = false;
  /** Bumped on every launch and teardown; handlers of older instances compare and drop their calls. */
  #generation = 0;
  #current: SourceInformer | undefined;
  #restartTimer: Cancel | undefined;
  #staleTimer: Cancel | undefined;
  #failures = 0;
  #lastRestartWasGone = false;
  #healthySince: number | undefined;
  #lastActivity = 0;
  #lists = 0;
  #restarts = 0;

  constructor(options: InformerSupervisorOptions<T>) {
    this.resource = options.name.split('@')[0] ?? options.name;
    this.#factory = options.factory;
    this.#clock = options.clock;
    this.#log = options.logger.child({ informer: options.name });
    this.#random = options.random ?? systemRandom;
    this.#backoff = {
      initialMs: options.backoffBaseMs ?? 1000,
      maxMs: options.backoffMaxMs ?? 120_000,
      multiplier: 2,
      jitter: Math.min(1, Math.max(0, options.jitter ?? 0.2)),
      jitterDirection: 'down',
    };
    this.#resetMs = options.backoffResetMs ?? 120_000;
    this.#staleMs = options.staleAfterMs ?? 5 * 60_000;
  }

  /** start begins listing and watching; calling it while running does nothing. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#failures = 0;
    this.#lastRestartWasGone = false;
    this.#launch();
  }

  /** stop ends the watch and cancels every timer; the cache is kept (and `hasSynced` with it). */
  async stop(): Promise<void> {
    this.#running = false;
    this.#restartTimer?.();
    this.#restartTimer = undefined;
    await this.#teardown();
  }

  /** running is true between start() and stop(). */
  get running(): boolean {
    return this.#running;
  }

  /** stats counts restarts and relists so far. */
  stats(): InformerStats {
    return { restarts: this.#restarts, relists: Math.max(0, this.#lists - 1) };
  }

  /** hasSynced is true once a first complete list has reached the cache; it stays true across restarts. */
  hasSynced(): boolean {
    return this.#synced;
  }

  /** waitForSync resolves once `hasSynced()`; rejects with `signal.reason` if `signal` aborts first. */
  waitForSync(signal?: AbortSignal): Promise<void> {
    if (this.#synced) return Promise.resolve();
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const done = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = (): void => {
        this.#syncWaiters.delete(done);
        reject(signal?.reason);
      };
      this.#syncWaiters.add(done);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** get returns the cached object; pass `undefined` as namespace for cluster-scoped objects. */
  get(namespace: string | undefined, name: string): T | undefined {
    return this.#cache.get(cacheKey(namespace, name));
  }

  /** list returns the cached objects, of one namespace when given. */
  list(namespace?: string): T[] {
    const all = [...this.#cache.values()];
    return namespace === undefined ? all : all.filter((o) => (o.metadata?.namespace ?? '') === namespace);
  }

  /** onChange registers a listener for every change of the cache; the returned function unregisters it. */
  onChange(listener: ChangeListener<T>): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #launch(): void {
    const generation = ++this.#generation;
    const live = (): boolean => generation === this.#generation;
    const handlers: SourceHandlers<T> = {
      list: (items) => live() && this.#onList(items),
      upsert: (obj) => live() && this.#onUpsert(obj),
      delete: (obj) => live() && this.#onDelete(obj),
      alive: () => live() && this.#touch(),
      error: (err) => live() && this.#onError(err),
    };
    this.#healthySince = undefined;
    this.#touch();
    this.#armStaleTimer(generation);
    let informer: SourceInformer;
    try {
      informer = this.#factory(handlers);
    } catch (err: unknown) {
      this.#onError(err);
      return;
    }
    this.#current = informer;
    this.#log.debug({ generation }, 'starting informer');
    informer.start().catch((err: unknown) => live() && this.#onError(err));
  }

  /** teardown detaches and stops the current instance; its later calls are dropped by the generation check. */
  async #teardown(): Promise<void> {
    this.#generation++;
    this.#staleTimer?.();
    this.#staleTimer = undefined;
    this.#healthySince = undefined;
    const informer = this.#current;
    this.#current = undefined;
    if (informer === undefined) return;
    try {
      await informer.stop();
    } catch (err: unknown) {
      this.#log.debug({ err }, 'stopping informer failed; it is detached anyway');
    }
  }

  #onList(items: readonly T[]): void {
    this.#lists += 1;
    this.#touch();
    this.#healthySince ??= this.#clock.now();
    this.#lastRestartWasGone = false;
    // Replace: whatever the new list lacks was deleted while we were not looking.
    const seen = new Set<string>();
    for (const obj of items) {
      seen.add(keyOf(obj));
      this.#onUpsert(obj);
    }
    for (const [key, obj] of [...this.#cache]) {
      if (seen.has(key)) continue;
      this.#cache.delete(key);
      this.#emit(obj, obj);
    }
    if (!this.#synced) {
      this.#synced = true;
      this.#log.info({ objects: this.#cache.size }, 'informer synced');
      for (const resolve of [...this.#syncWaiters]) resolve();
      this.#syncWaiters.clear();
    }
  }

  #onUpsert(obj: T): void {
    this.#touch();
    const key = keyOf(obj);
    const previous = this.#cache.get(key);
    // The informer repeats objects it already reported (its own list replays as adds); same version, no change.
    if (previous !== undefined && sameVersion(previous, obj)) return;
    this.#cache.set(key, obj);
    this.#emit(obj, previous);
  }

  #onDelete(obj: T): void {
    this.#touch();
    const key = keyOf(obj);
    const previous = this.#cache.get(key);
    if (previous === undefined) return;
    this.#cache.delete(key);
    this.#emit(obj, previous);
  }

  #onError(err: unknown): void {
    if (!this.#running) return;
    const apiErr = toApiError(err);
    const now = this.#clock.now();
    if (this.#healthySince !== undefined && now - this.#healthySince >= this.#resetMs) this.#failures = 0;
    let delay: number;
    if (apiErr.code === 'Gone' && !this.#lastRestartWasGone) {
      this.#lastRestartWasGone = true;
      delay = 0;
    } else {
      // random() is the fraction of the jitter taken off (0: the full delay), as the `jitter` option has always meant.
      delay = backoffDelay(this.#backoff, this.#failures++, 1 - this.#random());
    }
    this.#log.warn({ err, code: apiErr.code, restartInMs: delay, failures: this.#failures }, 'informer failed');
    this.#restart(delay);
  }

  #restart(delay: number): void {
    this.#restarts += 1;
    void this.#teardown();
    this.#restartTimer?.();
    this.#restartTimer = this.#clock.after(delay, () => {
      this.#restartTimer = undefined;
      if (this.#running) this.#launch();
    });
  }

  #touch(): void {
    this.#lastActivity = this.#clock.now();
  }

  /**
   * One timer per instance, re-armed lazily: when it fires it checks the last activity instead of being reset
   * on every event, which would cost a timer per event on a busy resource.
   */
  #armStaleTimer(generation: number): void {
    this.#staleTimer?.();
    const wait = Math.max(0, this.#lastActivity + this.#staleMs - this.#clock.now());
    this.#staleTimer = this.#clock.after(wait, () => {
      this.#staleTimer = undefined;
      if (generation !== this.#generation || !this.#running) return;
      if (this.#clock.now() - this.#lastActivity < this.#staleMs) {
        this.#armStaleTimer(generation);
        return;
      }
      this.#log.warn({ silentForMs: this.#clock.now() - this.#lastActivity }, 'informer stale; restarting');
      this.#restart(0);
    });
  }

  #emit(obj: T, previous: T | undefined): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(obj, previous);
      } catch (err: unknown) {
        // A broken listener must not stop the others or the informer; its controller misses one key at worst.
        this.#log.error({ err }, 'change listener threw');
      }
    }
  }
}

function cacheKey(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

function keyOf(obj: KubernetesObject): string {
  return cacheKey(obj.metadata?.namespace, obj.metadata?.name ?? '');
}

/** sameVersion mirrors client-node's rule: equal only when both carry the same resourceVersion. */
function sameVersion(a: KubernetesObject, b: KubernetesObject): boolean {
  const rv = a.metadata?.resourceVersion;
  return rv !== undefined && rv === b.metadata?.resourceVersion;
}
