/**
 * A source turns an informer's changes into work queue keys. The mapper sees only objects — the new state and,
 * for an update or delete, the one cached before — never whether it was an add, update or delete
 * (level-triggered; see reconciler.ts). Mapping the previous state too matters when the mapping itself changed:
 * a child relabelled from owner A to owner B must wake both A and B.
 */

/** KeyMapper returns the keys to enqueue for an object (none, its own key, or e.g. its owner's). */
export type KeyMapper<T> = (obj: T) => readonly string[];

/** WatchSource is a source with its object type erased, so one controller can hold sources of several kinds. */
export interface WatchSource {
  /**
   * subscribe calls `enqueue` for every key mapped from a change from now on, and at once for every object
   * already cached — an informer shared with another controller may have synced before this one subscribed.
   * The returned function unsubscribes.
   */
  subscribe(enqueue: (key: string) => void): () => void;
  /** waitForSync resolves once the informer's cache holds a complete list. */
  waitForSync(signal?: AbortSignal): Promise<void>;
}

/**
 * SourceInformerView is what a source needs of an informer: its changes, its cache and its sync. An
 * InformerSupervisor is one; the view is structural so that caches typed by src/api (whose objects client-node's
 * KubernetesObject does not describe) fit without casts, and tests can pass a narrow fake.
 */
export interface SourceInformerView<T> {
  onChange(listener: (obj: T, previous: T | undefined) => void): () => void;
  list(): readonly T[];
  waitForSync(signal?: AbortSignal): Promise<void>;
}

/** watchSource maps the changes of `informer` to keys with `map`. */
export function watchSource<T>(informer: SourceInformerView<T>, map: KeyMapper<T>): WatchSource {
  return {
    subscribe(enqueue) {
      const unsubscribe = informer.onChange((obj, previous) => {
        // One change, one enqueue per key: the queue hands a key to a free worker at once, so a second add of
        // the same key in the same breath would count as a new change and cost a second reconcile.
        const keys = new Set(map(obj));
        if (previous !== undefined && previous !== obj) for (const key of map(previous)) keys.add(key);
        for (const key of keys) enqueue(key);
      });
      for (const obj of informer.list()) for (const key of map(obj)) enqueue(key);
      return unsubscribe;
    },
    waitForSync: (signal) => informer.waitForSync(signal),
  };
}
