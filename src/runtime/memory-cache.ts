/**
 * An ObjectCache held in memory and changed by hand: what tests pass where production passes an informer. `set` and
 * `remove` notify listeners the way an informer does (a delete reports the last state as both object and previous).
 */
import type { RunningObjectCache } from './object-cache.ts';

interface Named {
  readonly metadata?: { readonly name?: string | undefined; readonly namespace?: string | undefined } | undefined;
}

/** MemoryCache is a RunningObjectCache of objects keyed by namespace and name. */
export class MemoryCache<T extends Named> implements RunningObjectCache<T> {
  readonly #objects = new Map<string, T>();
  readonly #listeners = new Set<(obj: T, previous: T | undefined) => void>();
  #synced: Promise<void> = Promise.resolve();
  #hasSynced = true;
  started = false;
  stopped = false;

  constructor(objects: readonly T[] = []) {
    for (const o of objects) this.#objects.set(keyOf(o.metadata?.namespace, o.metadata?.name ?? ''), o);
  }

  /** holdSync makes waitForSync wait for `until` (a test's deferred), as an informer still listing would. */
  holdSync(until: Promise<void>): this {
    this.#hasSynced = false;
    this.#synced = until.then(() => {
      this.#hasSynced = true;
    });
    return this;
  }

  hasSynced(): boolean {
    return this.#hasSynced;
  }

  set(obj: T): void {
    const key = keyOf(obj.metadata?.namespace, obj.metadata?.name ?? '');
    const previous = this.#objects.get(key);
    this.#objects.set(key, obj);
    for (const l of this.#listeners) l(obj, previous);
  }

  remove(namespace: string | undefined, name: string): void {
    const key = keyOf(namespace, name);
    const previous = this.#objects.get(key);
    if (previous === undefined) return;
    this.#objects.delete(key);
    for (const l of this.#listeners) l(previous, previous);
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.#objects.get(keyOf(namespace, name));
  }

  list(namespace?: string): T[] {
    const all = [...this.#objects.values()];
    return namespace === undefined ? all : all.filter((o) => o.metadata?.namespace === namespace);
  }

  onChange(listener: (obj: T, previous: T | undefined) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  waitForSync(signal?: AbortSignal): Promise<void> {
    if (signal === undefined) return this.#synced;
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      this.#synced.then(resolve, reject);
    });
  }

  start(): void {
    this.started = true;
  }

  async stop(): Promise<void> {
    this.stopped = true;
  }
}

function keyOf(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}
