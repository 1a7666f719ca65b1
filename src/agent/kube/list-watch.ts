/**
 * The agent's list+watch, an InformerFactory for the runtime's InformerSupervisor (which keeps the cache, restarts a
 * failed instance with backoff, and restarts a silent one). It does what the operator's client-node ListWatch adapter
 * does (runtime/list-watch-informer.ts), with three differences that are the point of it:
 *
 * - Lists come in pages (KubeApi.list), and every object, listed or watched, is passed through `project` before
 *   anything keeps it: the supervisor's cache holds only the fields the agent reads, and there is no second cache (the
 *   client-node ListWatch keeps its own copy of every whole object).
 * - No client-node: plain JSON over node:https (kube-api.ts).
 * - Watch lines are parsed one at a time as they arrive.
 *
 * The pass, as client-node's ListWatch runs it (cache.js, watch.js, 2.0.1):
 * 1. `alive('connect')`; without a resourceVersion, list, hand the items to `list`, and take the list's version.
 * 2. Watch from that version (bookmarks asked for; they only move the version and say `alive('bookmark')`). ADDED and
 *    MODIFIED become `upsert`, DELETED `delete`; every event moves the version and resets the reconnect delay.
 * 3. The watch ends: cleanly → back to 1 after a delay doubling 1 s → 30 s (none before the first re-watch); after
 *    30 s without any data (client-side timeout) → back to 1 at once; a 410, as the response's status or an ERROR
 *    event, clears the version so 1 relists. Any other failure (a list or watch answered with another error, a refused
 *    connection) is reported to `error` once and the instance does nothing more: the supervisor starts a fresh one.
 * After stop() nothing is reported, and a pending delay or request is abandoned.
 */
import type { IncomingMessage } from 'node:http';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Clock } from '../../runtime/clock.ts';
import type { InformerFactory, SourceHandlers, SourceInformer } from '../../runtime/informer-supervisor.ts';
import { KubeHttpError, type KubeApi, type Query } from './kube-api.ts';

/** WATCH_IDLE_TIMEOUT_MS is client-node's Watch request timeout: no data this long ends the watch. */
export const WATCH_IDLE_TIMEOUT_MS = 30_000;
const BASE_RECONNECT_DELAY_MS = 1000;
const MAX_RECONNECT_DELAY_MS = 30_000;

/** ListWatchOptions configures `listWatchFactory`. */
export interface ListWatchOptions<T extends KubernetesObject> {
  readonly api: KubeApi;
  /** path is the collection's URL path, e.g. /api/v1/pods. */
  readonly path: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  /** project turns a raw object (as the server sent it) into what the cache keeps. */
  readonly project: (raw: unknown) => T;
  readonly clock: Clock;
  /** watchIdleTimeoutMs: default WATCH_IDLE_TIMEOUT_MS (tests shorten it). */
  readonly watchIdleTimeoutMs?: number;
}

/** listWatchFactory builds list+watch instances for an InformerSupervisor. */
export function listWatchFactory<T extends KubernetesObject>(options: ListWatchOptions<T>): InformerFactory<T> {
  return (handlers) => new ListWatch(options, handlers);
}

/** WatchEnd is how one watch request ended. */
type WatchEnd = { readonly kind: 'closed' } | { readonly kind: 'timeout' } | { readonly kind: 'failed'; readonly err: unknown };

interface WatchEvent {
  readonly type?: string;
  readonly object?: { readonly code?: number; readonly metadata?: { readonly resourceVersion?: string } };
}

class ListWatch<T extends KubernetesObject> implements SourceInformer {
  readonly #o: ListWatchOptions<T>;
  readonly #handlers: SourceHandlers<T>;
  readonly #abort = new AbortController();
  readonly #selectors: Query;
  #resourceVersion = '';
  #reconnectDelayMs = 0;
  #watched = false;
  #stopped = false;

  constructor(options: ListWatchOptions<T>, handlers: SourceHandlers<T>) {
    this.#o = options;
    this.#handlers = handlers;
    this.#selectors = { labelSelector: options.labelSelector, fieldSelector: options.fieldSelector };
  }

  start(): Promise<void> {
    void this.#run();
    return Promise.resolve();
  }

  stop(): Promise<void> {
    this.#stopped = true;
    this.#abort.abort();
    return Promise.resolve();
  }

  async #run(): Promise<void> {
    try {
      while (!this.#stopped) {
        this.#handlers.alive('connect');
        if (this.#resourceVersion === '') await this.#list();
        if (this.#stopped) return;
        if (this.#watched && this.#reconnectDelayMs > 0) await this.#o.clock.sleep(this.#reconnectDelayMs, this.#abort.signal);
        if (this.#watched) this.#reconnectDelayMs = Math.min(this.#reconnectDelayMs > 0 ? this.#reconnectDelayMs * 2 : BASE_RECONNECT_DELAY_MS, MAX_RECONNECT_DELAY_MS);
        this.#watched = true;
        const end = await this.#watch();
        if (this.#stopped) return;
        if (end.kind === 'timeout') this.#reconnectDelayMs = 0;
        else if (end.kind === 'failed') {
          if (!(end.err instanceof KubeHttpError && end.err.statusCode === 410)) throw end.err;
          this.#resourceVersion = '';
        }
      }
    } catch (err: unknown) {
      if (!this.#stopped) this.#handlers.error(err);
    }
  }

  async #list(): Promise<void> {
    const list = await this.#o.api.list(this.#o.path, this.#selectors, this.#o.project, this.#abort.signal);
    if (this.#stopped) return;
    this.#handlers.list(list.items);
    this.#resourceVersion = list.resourceVersion;
  }

  async #watch(): Promise<WatchEnd> {
    const idleMs = this.#o.watchIdleTimeoutMs ?? WATCH_IDLE_TIMEOUT_MS;
    let res: IncomingMessage;
    try {
      res = await this.#o.api.request('GET', this.#o.path, {
        query: { ...this.#selectors, watch: true, allowWatchBookmarks: true, resourceVersion: this.#resourceVersion },
        signal: this.#abort.signal,
        idleTimeoutMs: idleMs,
      });
    } catch (err: unknown) {
      return err instanceof Error && err.name === 'TimeoutError' ? { kind: 'timeout' } : { kind: 'failed', err };
    }
    return new Promise<WatchEnd>((resolve) => {
      let timedOut = false;
      let rest = '';
      let timer = setTimeout(() => undefined, 0);
      const arm = (): void => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          timedOut = true;
          res.destroy();
        }, idleMs);
        timer.unref();
      };
      arm();
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        arm();
        rest += chunk;
        let nl = rest.indexOf('\n');
        while (nl >= 0) {
          const line = rest.slice(0, nl);
          rest = rest.slice(nl + 1);
          if (line.trim() !== '') this.#onLine(line);
          nl = rest.indexOf('\n');
        }
      });
      const finish = (end: WatchEnd): void => {
        clearTimeout(timer);
        resolve(end);
      };
      res.once('error', (err) => finish(timedOut ? { kind: 'timeout' } : { kind: 'failed', err }));
      res.once('close', () => finish(timedOut ? { kind: 'timeout' } : { kind: 'closed' }));
    });
  }

  #onLine(line: string): void {
    if (this.#stopped) return;
    let event: WatchEvent;
    try {
      event = JSON.parse(line) as WatchEvent;
    } catch {
      return; // as client-node: a line that does not parse is skipped
    }
    const obj = event.object;
    switch (event.type) {
      case 'ERROR':
        if (obj?.code === 410) this.#resourceVersion = '';
        return;
      case 'ADDED':
      case 'MODIFIED':
        this.#handlers.upsert(this.#o.project(obj));
        break;
      case 'DELETED':
        this.#handlers.delete(this.#o.project(obj));
        break;
      case 'BOOKMARK':
        this.#handlers.alive('bookmark');
        break;
      default:
        return;
    }
    this.#reconnectDelayMs = 0;
    this.#resourceVersion = obj?.metadata?.resourceVersion ?? '';
  }
}
