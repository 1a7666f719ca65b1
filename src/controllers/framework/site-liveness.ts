/**
 * Site liveness against a grace: how long a site may be not Ready before the work placed there moves elsewhere
 * (DESIGN.md "Failure and fencing": Unknown after the lease, Lost after a longer grace). Shared by the controllers
 * that move work off a lost site (InferenceService replicas, TrainingJob attempts). Pure: the site, the grace and
 * the time are arguments, and the time comes from the caller's injected clock.
 */
import type { Site } from '../../api/generated/types.ts';
import { ConditionStatus, ConditionType, Reason } from '../../api/names.ts';

/**
 * DEFAULT_SITE_LOST_GRACE_MS is how long a site may be not Ready before the work placed there moves (option
 * siteLostGraceMs).
 */
export const DEFAULT_SITE_LOST_GRACE_MS = 60_000;

/** SiteLiveness is how a site stands against the grace. */
export type SiteLiveness =
  | { readonly kind: 'Ready' }
  | { readonly kind: 'WithinGrace'; readonly remainingMs: number }
  | { readonly kind: 'Lost'; readonly message: string };

/**
 * siteLost measures a site's Ready condition against the grace. A site without a Ready condition (the operator has
 * not looked at it yet) or with an unreadable transition time counts as Ready here: there is nothing to measure
 * from, and placement already gives such a site nothing new. So does a cordoned one: Ready is False/Cordoned only
 * while heartbeats arrive (site-status.ts checks liveness first), and a cordon stops new placements, not running
 * work, however long it lasts.
 */
export function siteLost(site: Site, graceMs: number, nowMs: number): SiteLiveness {
  const name = site.metadata.name ?? '';
  const ready = site.status?.conditions?.find((c) => c.type === ConditionType.Ready);
  if (ready === undefined || ready.status === ConditionStatus.True || ready.reason === Reason.Cordoned) return { kind: 'Ready' };
  if (ready.reason === Reason.SiteLost) return { kind: 'Lost', message: `site ${name} is lost (${ready.message || ready.reason})` };
  const since = Date.parse(ready.lastTransitionTime);
  if (Number.isNaN(since)) return { kind: 'Ready' };
  const elapsed = nowMs - since;
  if (elapsed < graceMs) return { kind: 'WithinGrace', remainingMs: graceMs - elapsed };
  const seconds = Math.floor(elapsed / 1000);
  return {
    kind: 'Lost',
    message: `site ${name} not Ready (${ready.reason || ready.status}) for ${seconds}s, longer than the grace of ${Math.round(graceMs / 1000)}s`,
  };
}
