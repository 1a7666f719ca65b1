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

/** CAPACITY_FIELDS are a pool's free-capacity fields: what every pod start or end at the site changes. */
const CAPACITY_FIELDS: ReadonlySet<string> = new Set(['capacity', 'allocatable', 'allocated', 'freeShape']);

/**
 * SiteChange is what kind of Site change placement or rebalancing can see: `Capacity` when only the pools' free
 * capacity moved (capacity, allocatable, allocated, free shape: a pod started or ended there), `State` for
 * anything else (spec, conditions, a deletion, pools added or gone, nodes, device health).
 */
export type SiteChange = 'Capacity' | 'State';

function stateView(s: Site): unknown {
  return {
    deleting: s.metadata.deletionTimestamp !== undefined,
    spec: s.spec,
    conditions: (s.status?.conditions ?? []).map((c) => [c.type, c.status, c.reason, c.lastTransitionTime]),
    pools: (s.status?.nodePools ?? []).map((p) => Object.fromEntries(Object.entries(p).filter(([k]) => !CAPACITY_FIELDS.has(k)))),
  };
}

/** siteChangeOf says what kind of change `next` is over `previous`; undefined for a heartbeat alone (nothing seen). */
export function siteChangeOf(previous: Site | undefined, next: Site): SiteChange | undefined {
  if (previous === undefined || previous === next) return 'State';
  if (!deepEqual(stateView(previous), stateView(next))) return 'State';
  return deepEqual(previous.status?.nodePools ?? [], next.status?.nodePools ?? []) ? undefined : 'Capacity';
}

/**
 * siteChangeMatters says whether a Site changed in a way placement or rebalancing can see: its spec, its conditions
 * (status, reason, transition) or its pools. A heartbeat alone (lastHeartbeatTime, resourceVersion) does not.
 */
export function siteChangeMatters(previous: Site | undefined, next: Site): boolean {
  return siteChangeOf(previous, next) !== undefined;
}

/**
 * siteChangeSource enqueues `keys(site, change)` for every Site change that matters, and for a deleted Site (a
 * `State` change); on subscribe, for every cached Site (`State`). `keys` names the workloads a change of that kind
 * at that site may concern; the reconciler decides.
 */
export function siteChangeSource(cache: ObjectCache<Site>, keys: (site: string, change: SiteChange) => readonly string[]): WatchSource {
  return {
    subscribe(enqueue) {
      const unsubscribe = cache.onChange((site, previous) => {
        const name = site.metadata.name ?? '';
        // A deleted Site is no longer cached (its last state may equal the previous one).
        const deleted = cache.get(undefined, name) !== site;
        const change = deleted ? 'State' : siteChangeOf(previous, site);
        if (change !== undefined) for (const key of keys(name, change)) enqueue(key);
      });
      const initial = new Set(cache.list().flatMap((site) => keys(site.metadata.name ?? '', 'State')));
      for (const key of initial) enqueue(key);
      return unsubscribe;
    },
    waitForSync: (signal) => cache.waitForSync(signal),
  };
}
