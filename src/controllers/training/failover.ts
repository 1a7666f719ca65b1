/**
 * Failover and fencing decisions for a TrainingJob. Pure: the job, the Sites, the grace and the time are arguments.
 *
 * A job never runs as two copies (DESIGN.md "Failure and fencing"):
 * - Its site may be not Ready for a while (a missed heartbeat, a short partition): within the grace the job stays.
 *   Beyond it (site/site-liveness.ts) the attempt there is closed as SiteLost and the job is placed anew, under a
 *   new epoch, as long as status.failovers is below failurePolicy.maxSiteFailovers; past that it fails.
 * - Member objects carry the placement epoch and the TrainingJob's uid (member-objects.ts). A member found with an
 *   older epoch, or made for another TrainingJob of the same name (another uid: epochs restart at 1 with a new
 *   object), is stale and is deleted wherever it is found: at the current site on every pass, and at each site an
 *   attempt was lost at, once that site answers again (`sitesToFence`).
 * - Deletion waits for clean-up at every site that may hold members (`cleanupSites`), except a site that is lost
 *   beyond the grace and does not answer: waiting for it could last forever, so it is given up on (see `mayAbandon`).
 */
import type { Site, TrainingJob } from '../../api/generated/types.ts';
import { formatDuration } from '../../api/duration.ts';
import { AttemptOutcome, Reason } from '../../api/names.ts';
import { siteLost } from '../framework/site-liveness.ts';

/** DEFAULT_MAX_SITE_FAILOVERS is failurePolicy.maxSiteFailovers when the spec leaves it out (as the schema says). */
export const DEFAULT_MAX_SITE_FAILOVERS = 2;

/** SiteVerdict is what a job placed on a site should do about the site's health. */
export type SiteVerdict =
  /** The site is Ready (or cordoned, or not measured yet): converge there. */
  | { readonly kind: 'Stay' }
  /** The site is not Ready but within the grace: converge there as far as it answers, and look again in time. */
  | { readonly kind: 'Wait'; readonly recheckInMs: number }
  /** The site is lost (or removed): close the attempt there as SiteLost and place anew. */
  | { readonly kind: 'FailOver'; readonly message: string }
  /** The site is lost and the job used up its failovers: it fails with FailoverLimitExceeded. */
  | { readonly kind: 'GiveUp'; readonly message: string };

/** maxSiteFailovers is the job's failover limit. */
export function maxSiteFailovers(tj: TrainingJob): number {
  return tj.spec.failurePolicy?.maxSiteFailovers ?? DEFAULT_MAX_SITE_FAILOVERS;
}

/**
 * judgeSite decides what a job placed on `siteName` does about it; `site` is undefined when the Site was removed
 * from the federation (nothing there can run for the job any more, so that counts as lost at once).
 */
export function judgeSite(tj: TrainingJob, siteName: string, site: Site | undefined, graceMs: number, nowMs: number): SiteVerdict {
  let message: string;
  if (site === undefined) {
    message = `site ${siteName} was removed from the federation`;
  } else {
    const liveness = siteLost(site, graceMs, nowMs);
    if (liveness.kind === 'Ready') return { kind: 'Stay' };
    if (liveness.kind === 'WithinGrace') return { kind: 'Wait', recheckInMs: liveness.remainingMs };
    message = liveness.message;
  }
  return moveOrGiveUp(tj, message);
}

/**
 * judgeUnreachable decides what a job does about a site that is Ready (its agent reports) but that the hub cannot
 * reach (credentials deleted or revoked, an apiserver down behind a live agent): it waits out the grace, then moves
 * like a lost site. `forMs` is how long the site has not answered.
 */
export function judgeUnreachable(tj: TrainingJob, message: string, forMs: number, graceMs: number): SiteVerdict {
  if (forMs < graceMs) return { kind: 'Wait', recheckInMs: graceMs - forMs };
  return moveOrGiveUp(tj, `${message} for ${formatDuration(forMs)}`);
}

/**
 * moveOrGiveUp is FailOver below the job's failover limit, GiveUp at it. The message says how many remain: status is
 * where a user reads how many more restarts the job has.
 */
export function moveOrGiveUp(tj: TrainingJob, message: string, doing = 'failing over'): SiteVerdict {
  const done = tj.status?.failovers ?? 0;
  const limit = maxSiteFailovers(tj);
  if (done >= limit) {
    return { kind: 'GiveUp', message: `${message}; the job already failed over ${done} time(s), the limit (maxSiteFailovers) is ${limit}` };
  }
  return { kind: 'FailOver', message: `${message}; ${doing} (${done + 1} of at most ${limit}, ${limit - done - 1} left after this)` };
}

/** failoverReason is the reason of the event and condition for a verdict that moves or ends the job. */
export function failoverReason(verdict: SiteVerdict): string {
  return verdict.kind === 'GiveUp' ? Reason.FailoverLimitExceeded : Reason.FailingOver;
}

/** FenceTarget is a site that may still hold members of older epochs, and the newest such epoch there. */
export interface FenceTarget {
  readonly site: string;
  readonly lostEpoch: number;
}

/**
 * sitesToFence lists the sites where an attempt was lost (outcome SiteLost) other than the current one, with the
 * newest lost epoch at each, leaving out those `cleaned` says are already known clean up to that epoch. Cheap by
 * design: a job that never lost a site yields nothing, and one whose lost sites were cleaned yields nothing either.
 */
export function sitesToFence(tj: TrainingJob, cleaned: ReadonlyMap<string, number> | undefined): FenceTarget[] {
  const current = tj.status?.site;
  const newest = new Map<string, number>();
  for (const a of tj.status?.attempts ?? []) {
    if (a.outcome !== AttemptOutcome.SiteLost || a.site === current) continue;
    newest.set(a.site, Math.max(newest.get(a.site) ?? 0, a.epoch ?? 0));
  }
  return [...newest]
    .filter(([site, epoch]) => (cleaned?.get(site) ?? -1) < epoch)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([site, lostEpoch]) => ({ site, lostEpoch }));
}

/**
 * cleanupSites lists every site that may hold member objects of the job when it is deleted: the current site and
 * every site an attempt ran at (members of attempts that ended otherwise were deleted when they ended, but a delete
 * retried costs one call per site, once, while a member left running is a second copy).
 */
export function cleanupSites(tj: TrainingJob): string[] {
  const sites = new Set<string>((tj.status?.attempts ?? []).map((a) => a.site));
  if (tj.status?.site !== undefined) sites.add(tj.status.site);
  return [...sites].sort();
}

/**
 * mayAbandon says whether deletion may go ahead without cleaning `site`: the Site was removed from the federation
 * (nothing to reach), or it has been not Ready for longer than the grace. Members left at such a site carry the
 * job's uid; nothing deletes them once the TrainingJob is gone, which is the price of not blocking deletion on a
 * site that may never come back. A site within the grace is waited for.
 */
export function mayAbandon(site: Site | undefined, graceMs: number, nowMs: number): boolean {
  return site === undefined || siteLost(site, graceMs, nowMs).kind === 'Lost';
}
