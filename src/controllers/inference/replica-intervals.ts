/**
 * Replica intervals: the record metering reads of an InferenceService (status.replicaIntervals; queueing/metering.ts
 * via queueing/metered-workload.ts), as its attempts are for a TrainingJob. An interval is a stretch of time during
 * which one site held the same replicas of the service: the same count, variant and pool. It begins when status.sites
 * first shows them, and ends when the site's replicas change (a new interval begins at once), move away or go; what
 * they held (`charge`: replicas × one replica's cpu, memory and devices on that pool) and what that cost per hour at
 * the site (`pricePerHour`, `currency`, priced as attempts are: queueing/attempt-price.ts) are fixed when it begins,
 * so a later price change applies from the next interval and never rewrites what was spent. Placed replicas are
 * metered, ready or not, as an attempt is from its placement: placement holds their capacity.
 *
 * Pure: the status the reconciler is about to write goes in, the same status with its intervals brought up to date
 * comes out (the same object when nothing changed, so an unchanged service writes nothing). Times are whole seconds,
 * as the apiserver writes them; a change within the second an interval began replaces that interval rather than
 * leave one of no length, so a site never has two intervals beginning in the same second (their id for metering).
 * The list keeps the most recent MAX_REPLICA_INTERVALS, dropping the oldest closed ones first; an open one is never
 * dropped (there are at most as many as sites).
 */
import type { InferenceReplicaInterval, InferenceService, InferenceServiceStatus, InferenceSiteStatus, Site } from '../../api/generated/types.ts';
import { demandWith, scaled } from '../../placement/demand.ts';
import { inferenceWorkload } from '../../placement/workload.ts';
import { toQuantities } from '../../queueing/amounts.ts';
import { attemptPrice } from '../../queueing/attempt-price.ts';
import { formatTime } from '../../runtime/conditions.ts';
import { deepEqual } from '../../runtime/merge-patch.ts';

/** MAX_REPLICA_INTERVALS is the CRD's maxItems of status.replicaIntervals. */
export const MAX_REPLICA_INTERVALS = 256;

/**
 * withReplicaIntervals returns `next` (the status about to be written for `svc`) with its replica intervals matching
 * its sites at `now`; `sites` are the Sites, for each pool's device resource and price.
 */
export function withReplicaIntervals(svc: InferenceService, next: InferenceServiceStatus, sites: readonly Site[], now: Date): InferenceServiceStatus {
  const stamp = formatTime(now);
  const placed = new Map((next.sites ?? []).filter((s) => (s.replicas ?? 0) > 0).map((s) => [s.site, s]));
  const kept = new Set<string>();
  const intervals: InferenceReplicaInterval[] = [];
  for (const i of next.replicaIntervals ?? []) {
    if (i.endTime !== undefined) {
      intervals.push(i);
      continue;
    }
    const site = placed.get(i.site);
    if (site !== undefined && !kept.has(i.site) && holdsTheSame(i, site)) {
      kept.add(i.site);
      intervals.push(i);
    } else if (Date.parse(i.startTime) < Date.parse(stamp)) {
      intervals.push({ ...i, endTime: stamp });
    } // else it began this second: the new interval, if any, replaces it
  }
  for (const [name, site] of [...placed.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (!kept.has(name)) intervals.push(opened(svc, next, site, sites, stamp));
  }
  const bounded = keepRecent(intervals, MAX_REPLICA_INTERVALS);
  if (deepEqual(bounded, next.replicaIntervals ?? [])) return next;
  const s: InferenceServiceStatus = { ...next };
  if (bounded.length > 0) s.replicaIntervals = bounded;
  else delete s.replicaIntervals;
  return s;
}

/** holdsTheSame says whether an open interval still describes what the site holds. */
function holdsTheSame(i: InferenceReplicaInterval, site: InferenceSiteStatus): boolean {
  return i.replicas === (site.replicas ?? 0) && i.variant === site.variant && i.pool === site.pool;
}

/** opened is the interval that begins at `stamp` for what `site` holds. */
function opened(svc: InferenceService, next: InferenceServiceStatus, site: InferenceSiteStatus, sites: readonly Site[], stamp: string): InferenceReplicaInterval {
  const replicas = site.replicas ?? 0;
  const siteObj = sites.find((s) => s.metadata.name === site.site);
  const resource = siteObj?.status?.nodePools?.find((p) => p.name === site.pool)?.accelerator?.resourceName;
  const workload = inferenceWorkload(svc);
  const variant = workload.ok ? workload.value.variants.find((v) => v.name === site.variant) : undefined;
  const charge = variant === undefined ? undefined : scaled(demandWith(variant, resource), replicas);
  const price = charge === undefined || siteObj === undefined ? undefined : attemptPrice(siteObj, site.pool, charge);
  const queue = next.admission?.queue;
  return {
    site: site.site,
    ...(site.variant !== undefined && { variant: site.variant }),
    ...(site.pool !== undefined && { pool: site.pool }),
    replicas,
    startTime: stamp,
    ...(queue !== undefined && queue !== '' && { queue }),
    ...(charge !== undefined && { charge: toQuantities(charge) }),
    ...(price !== undefined && { pricePerHour: price.perHour, currency: price.currency }),
  };
}

/** keepRecent drops the oldest closed intervals until at most `max` are left, keeping the order. */
function keepRecent(intervals: readonly InferenceReplicaInterval[], max: number): InferenceReplicaInterval[] {
  let excess = intervals.length - max;
  if (excess <= 0) return [...intervals];
  const byAge = intervals
    .map((i, index) => ({ i, index }))
    .filter(({ i }) => i.endTime !== undefined)
    .sort((a, b) => Date.parse(a.i.endTime ?? '') - Date.parse(b.i.endTime ?? '') || a.index - b.index);
  const dropped = new Set<number>();
  for (const { index } of byAge) {
    if (excess-- <= 0) break;
    dropped.add(index);
  }
  return intervals.filter((_, index) => !dropped.has(index));
}
