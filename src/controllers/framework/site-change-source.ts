/**
 * Which Site changes wake the controllers that place workloads (TrainingJob, InferenceService). The site controller
 * rewrites a Site's status at least once per heartbeat refresh (site-status.ts) with nothing but a newer
 * lastHeartbeatTime; waking every workload of every site on each of those would cost, per workload, a reconcile with
 * reads at the site or a placement run, for nothing. Only what placement and rebalancing read counts.
 */
import type { Site } from '../../api/generated/types.ts';
import { deepEqual } from '../../runtime/merge-patch.ts';
import type { ObjectCache } from '../../runtime/object-cache.ts';
import type { WatchSource } from '../../runtime/source.ts';

/**
 * siteChangeMatters says whether a Site changed in a way placement or rebalancing can see: its spec, its conditions
 * (status, reason, transition) or its pools. A heartbeat alone (lastHeartbeatTime, resourceVersion) does not.
 */
export function siteChangeMatters(previous: Site | undefined, next: Site): boolean {
  if (previous === undefined || previous === next) return true;
  const view = (s: Site): unknown => ({
    deleting: s.metadata.deletionTimestamp !== undefined,
    spec: s.spec,
    conditions: (s.status?.conditions ?? []).map((c) => [c.type, c.status, c.reason, c.lastTransitionTime]),
    pools: s.status?.nodePools ?? [],
  });
  return !deepEqual(view(previous), view(next));
}

/**
 * siteChangeSource enqueues `keys(site)` for every Site change that matters, and for a deleted Site; on subscribe,
 * for every cached Site. `keys` names the workloads a change of that site may concern; the reconciler decides.
 */
export function siteChangeSource(cache: ObjectCache<Site>, keys: (site: string) => readonly string[]): WatchSource {
  return {
    subscribe(enqueue) {
      const unsubscribe = cache.onChange((site, previous) => {
        const name = site.metadata.name ?? '';
        // A deleted Site is no longer cached (its last state may equal the previous one).
        const deleted = cache.get(undefined, name) !== site;
        if (deleted || siteChangeMatters(previous, site)) for (const key of keys(name)) enqueue(key);
      });
      const initial = new Set(cache.list().flatMap((site) => keys(site.metadata.name ?? '')));
      for (const key of initial) enqueue(key);
      return unsubscribe;
    },
    waitForSync: (signal) => cache.waitForSync(signal),
  };
}
