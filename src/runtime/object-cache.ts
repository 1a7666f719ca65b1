/**
 * The one view of an informer's cache that controllers, the operator and the agent read through. An
 * InformerSupervisor is one; the interface is structural so that the hub kinds (typed by src/api, not by
 * client-node) fit without casts, and so tests pass a small in-memory cache instead.
 */

/** ObjectCache is an informer's cache and change feed. */
export interface ObjectCache<T> {
  /** get returns the cached object, or undefined (cluster-scoped kinds: namespace undefined). */
  get(namespace: string | undefined, name: string): T | undefined;
  /** list returns the cached objects, of one namespace when given. */
  list(namespace?: string): T[];
  /** onChange calls `listener` for every add, update and delete from now on (previous: the cached state before). */
  onChange(listener: (obj: T, previous: T | undefined) => void): () => void;
  /** waitForSync resolves once the cache holds a complete list. */
  waitForSync(signal?: AbortSignal): Promise<void>;
}

/** RunningObjectCache is an ObjectCache its owner starts and stops (an informer a component runs by itself). */
export interface RunningObjectCache<T> extends ObjectCache<T> {
  start(): void;
  stop(): Promise<void>;
  /** hasSynced is true once a first complete list reached the cache (it stays true across restarts). */
  hasSynced(): boolean;
}

/** LabelledObject is any object with labels: enough to map a member object to its workload. */
export interface LabelledObject {
  readonly metadata?: { readonly labels?: Readonly<Record<string, string>> | undefined } | undefined;
}
