/**
 * The production `InformerFactory`: each instance is a client-node `ListWatch` — exactly what `makeInformer`
 * builds (`new ListWatch(path, new Watch(kc), listFn, false, labelSelector)`), constructed directly so that we can
 * pass a field selector and our clock, and see bookmarks.
 *
 * What this relies on in @kubernetes/client-node 2.0.1 (dist/cache.js, informer.js, watch.js):
 * - `start()` lists when it has no resourceVersion, fires `add`/`update` for the items (`update` only when the
 *   resourceVersion changed) and `delete` for cached objects the list lacks, then watches from the list's
 *   resourceVersion. `connect` fires before every (re)list/re-watch.
 * - A watch that ends cleanly is re-opened from the last resourceVersion after a delay doubling 1 s → 30 s
 *   (reset by any event), slept through `options.delayFn`. A client-side `TimeoutError` (30 s without data, from
 *   `Watch`) re-opens at once. A 410 — as the watch response's status or as an ERROR event with `code: 410` —
 *   clears the resourceVersion, so the next pass relists.
 * - Any other error — the list rejecting, a non-200 watch response (`Error` with `statusCode`), a stream error —
 *   fires `error` and the ListWatch does nothing more. Recovering is the supervisor's job.
 * - `BOOKMARK` events only move the resourceVersion; no callback fires. We see them by wrapping `Watch.watch`,
 *   which also lets us ask for them (`allowWatchBookmarks`, a query parameter ListWatch does not set).
 * - Races after `stop()`, which this adapter closes: `stop()` aborts only a watch whose request already returned,
 *   and a pass suspended in the list or in `delayFn` carries on to open a new watch when it resumes; an aborted
 *   watch also reports its abort as `error`. So after `stop()` we forward nothing, our `delayFn` never resolves,
 *   a list that resolves late never continues, and a watch that opens late is aborted at once.
 */
import { ListWatch, Watch, type KubeConfig, type KubernetesObject, type ListPromise } from '@kubernetes/client-node';
import type { Clock } from './clock.ts';
import type { InformerFactory, SourceHandlers, SourceInformer } from './informer-supervisor.ts';

/** WatchFn is the signature of client-node's `Watch.watch`: one streaming watch request. */
export type WatchFn = Watch['watch'];

/** ListWatchInformerOptions configures `listWatchInformerFactory`. */
export interface ListWatchInformerOptions<T extends KubernetesObject> {
  readonly kubeConfig: KubeConfig;
  /** The collection's URL path, e.g. `/apis/suanwang.io/v1alpha1/trainingjobs`. */
  readonly path: string;
  /** Lists the collection (the same selectors as the watch); e.g. a generated `list…` call. */
  readonly list: ListPromise<T>;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  readonly clock: Clock;
  /** Replaces the streaming watch request; for tests of this adapter only. */
  readonly watchFn?: WatchFn;
}

/** listWatchInformerFactory builds informer instances over client-node's ListWatch for an InformerSupervisor. */
export function listWatchInformerFactory<T extends KubernetesObject>(
  options: ListWatchInformerOptions<T>,
): InformerFactory<T> {
  return (handlers) => new ListWatchInformer(options, handlers);
}

/** never returns a promise that never settles: a suspended client-node pass waits on it and is collected. */
function never<T>(): Promise<T> {
  return new Promise<T>(() => {});
}

/** HookedWatch is a `Watch` whose request goes through a function of ours (ListWatch insists on the class). */
class HookedWatch extends Watch {
  readonly #watchFn: WatchFn;

  constructor(kubeConfig: KubeConfig, watchFn: WatchFn) {
    super(kubeConfig);
    this.#watchFn = watchFn;
  }

  override watch(...args: Parameters<WatchFn>): ReturnType<WatchFn> {
    return this.#watchFn(...args);
  }
}

class ListWatchInformer<T extends KubernetesObject> implements SourceInformer {
  readonly #handlers: SourceHandlers<T>;
  readonly #clock: Clock;
  readonly #innerWatch: WatchFn;
  readonly #listFn: ListPromise<T>;
  readonly #abort = new AbortController();
  readonly #listWatch: ListWatch<T>;
  #stopped = false;

  constructor(options: ListWatchInformerOptions<T>, handlers: SourceHandlers<T>) {
    this.#handlers = handlers;
    this.#clock = options.clock;
    this.#listFn = options.list;
    if (options.watchFn !== undefined) {
      this.#innerWatch = options.watchFn;
    } else {
      const real = new Watch(options.kubeConfig);
      this.#innerWatch = real.watch.bind(real);
    }
    this.#listWatch = new ListWatch<T>(
      options.path,
      new HookedWatch(options.kubeConfig, (...args) => this.#watch(...args)),
      () => this.#list(),
      false,
      options.labelSelector,
      options.fieldSelector,
      { delayFn: (ms) => this.#delay(ms) },
    );
    const forward =
      <A extends unknown[]>(fn: (...a: A) => void) =>
      (...a: A): void => {
        if (!this.#stopped) fn(...a);
      };
    this.#listWatch.on('add', forward((obj: T) => handlers.upsert(obj)));
    this.#listWatch.on('update', forward((obj: T) => handlers.upsert(obj)));
    this.#listWatch.on('delete', forward((obj: T) => handlers.delete(obj)));
    this.#listWatch.on('connect', forward(() => handlers.alive('connect')));
    this.#listWatch.on('error', forward((err: unknown) => handlers.error(err)));
  }

  start(): Promise<void> {
    return this.#listWatch.start();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#abort.abort();
    await this.#listWatch.stop();
  }

  async #list(): ReturnType<ListPromise<T>> {
    const list = await this.#listFn();
    if (this.#stopped) return never();
    // Handed to the supervisor before ListWatch applies it; the adds ListWatch fires next repeat these objects
    // at the same resourceVersion, which the supervisor's cache ignores.
    this.#handlers.list(list.items);
    return list;
  }

  #delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.#clock.sleep(ms, this.#abort.signal).then(resolve, () => {
        // Stopped while waiting: never resolve, so the pass does not go on to open a watch.
      });
    });
  }

  async #watch(...[path, query, callback, done]: Parameters<WatchFn>): ReturnType<WatchFn> {
    if (this.#stopped) return never();
    let controller: AbortController;
    try {
      controller = await this.#innerWatch(
        path,
        { ...query, allowWatchBookmarks: true },
        (phase, obj, raw) => {
          if (phase === 'BOOKMARK' && !this.#stopped) this.#handlers.alive('bookmark');
          callback(phase, obj, raw);
        },
        done,
      );
    } catch (err: unknown) {
      // Watch.watch throws before any request exists (no current cluster, an auth plugin failing). ListWatch
      // would let that reject a promise nobody awaits on the reconnect path, so report it here and end the pass.
      if (!this.#stopped) this.#handlers.error(err);
      return never();
    }
    if (this.#stopped) controller.abort();
    return controller;
  }
}
