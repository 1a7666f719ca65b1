/**
 * A list-then-watch of one collection, for timing when objects appear: each event is handed on with the local
 * monotonic time (performance.now()) it arrived at, the same clock the benchmark reads just before a create call.
 * When the watch ends or the server sends an ERROR (e.g. 410 Gone), it lists again and watches on from there; the
 * objects of such a re-list are handed on as 'LISTED', so that nothing created meanwhile is lost, and the restarts are
 * counted, because an object first seen by a re-list was seen late and its time is only an upper bound.
 */
import { KubeConfig, Watch } from '@kubernetes/client-node';

/** WatchedObject is the part of an object the observers read. */
export interface WatchedObject {
  readonly metadata?: { readonly name?: string; readonly namespace?: string; readonly resourceVersion?: string; readonly labels?: Record<string, string> };
  readonly status?: unknown;
}

/** WatchEventType is a watch event's type, or LISTED for an object found by a (re-)list. */
export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'LISTED';

/** ListWatchSource says what to list and watch. */
export interface ListWatchSource {
  /** label is how progress and errors name this stream, e.g. "member Jobs at guizhou". */
  readonly label: string;
  readonly kubeconfig: string;
  /** path is the collection's API path, e.g. /apis/batch/v1/jobs. */
  readonly path: string;
  readonly labelSelector?: string;
  /** list lists the same collection with a typed client of kc (the watch starts from its resourceVersion). */
  readonly list: (kc: KubeConfig) => Promise<ListResult>;
}

/** ListResult is what a list call returns, as far as the watch needs it. */
export interface ListResult {
  readonly metadata?: { readonly resourceVersion?: string };
  readonly items: readonly WatchedObject[];
}

/** ListWatch keeps one watch open on a collection and hands every event to onEvent with its arrival time. */
export class ListWatch {
  readonly #source: ListWatchSource;
  readonly #onEvent: (type: WatchEventType, obj: WatchedObject, atMs: number) => void;
  readonly #kc = new KubeConfig();
  #abort: AbortController | undefined;
  #stopped = false;
  #restarts = 0;

  constructor(source: ListWatchSource, onEvent: (type: WatchEventType, obj: WatchedObject, atMs: number) => void) {
    this.#source = source;
    this.#onEvent = onEvent;
    this.#kc.loadFromFile(source.kubeconfig);
  }

  /** restarts is how many times the watch had to be re-listed and re-opened after the first start. */
  get restarts(): number {
    return this.#restarts;
  }

  /** start lists the collection and resolves once the watch from that list's resourceVersion is open. */
  async start(): Promise<void> {
    const rv = await this.#list();
    const watch = new Watch(this.#kc);
    const query: Record<string, string | boolean> = { resourceVersion: rv, allowWatchBookmarks: true };
    if (this.#source.labelSelector !== undefined) query['labelSelector'] = this.#source.labelSelector;
    let restarted = false;
    const restart = (why: string): void => {
      if (this.#stopped || restarted) return;
      restarted = true;
      this.#abort?.abort();
      this.#restarts += 1;
      console.log(`[watch] ${this.#source.label}: ${why}; listing again`);
      this.start().catch((err: unknown) => console.log(`[watch] ${this.#source.label}: could not restart: ${String(err)}`));
    };
    this.#abort = await watch.watch(
      this.#source.path,
      query,
      (type: string, obj: WatchedObject) => {
        const at = performance.now();
        if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') this.#onEvent(type, obj, at);
        else if (type === 'ERROR') restart(`watch error ${JSON.stringify(obj).slice(0, 200)}`);
      },
      (err: unknown) => restart(err === null || err === undefined ? 'watch closed by the server' : `watch ended: ${String(err)}`),
    );
  }

  /** stop closes the watch; no event is handed on after it. */
  stop(): void {
    this.#stopped = true;
    this.#abort?.abort();
  }

  async #list(): Promise<string> {
    const list = await this.#source.list(this.#kc);
    const at = performance.now();
    for (const item of list.items) this.#onEvent('LISTED', item, at);
    const rv = list.metadata?.resourceVersion;
    if (rv === undefined) throw new Error(`list of ${this.#source.label} returned no resourceVersion`);
    return rv;
  }
}
