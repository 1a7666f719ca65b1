/**
 * Replacement replicas while a site's lease is expired. Pure.
 *
 * A site whose agent stopped beating is Ready=Unknown (LeaseExpired) after the lease, and Lost only after the grace
 * (framework/site-liveness.ts): about 100 s with the defaults. Its replicas stay in the plan until then, as before:
 * they may well still serve (an agent that cannot reach the hub says nothing about the model servers), they are not
 * deleted, and nothing is fenced there. What changes is that the service does not wait with them: on the first pass
 * that sees the lease expired it adds replacement replicas elsewhere, placed as if the silent sites were gone (so
 * minSites, maxPerSite and the rules hold among the sites that answer). Then
 * - the site comes back within the grace: the replacements are scaled back and the service is at its replica count
 *   again, the returning site keeping its own replicas;
 * - the grace passes: the silent site's share leaves the plan (rebalance.ts) and the replacements stay as the
 *   service's replicas, so nothing more is placed or restarted then.
 *
 * Why this is safe for a service and not for a TrainingJob: replicas of a service are interchangeable and each
 * answers requests on its own, so for a while running some twice (the silent site's, which may still serve, and
 * their replacements) costs capacity and nothing else. A training attempt is one gang writing one checkpoint:
 * starting a second copy while the first may still run would have two gangs write the same checkpoint and charge
 * the job twice, so training keeps waiting for the grace and its fence before it runs anywhere else.
 *
 * Which replicas are replacements is not in the status (it has no field for it): the reconciler remembers the last
 * recorded decision's (`Replacements`), in memory. A restarted operator keeps the plan as recorded while the lease
 * is expired (nothing is scaled down then), names no replacements, and when the site comes back scales the service
 * back to its replica count as any scale-down does (distribute: the worst-ranked sites first), not necessarily
 * taking exactly the replacements away.
 */
import type { Site } from '../../api/generated/types.ts';
import { ConditionStatus, ConditionType, Reason } from '../../api/names.ts';
import type { Assignment } from '../../placement/distribute.ts';
import { compareStrings } from '../../placement/order.ts';
import { findCondition } from '../../runtime/conditions.ts';
import { siteLost } from '../framework/site-liveness.ts';

/** Replacements are the replicas a decision added elsewhere while some sites' leases were expired. */
export interface Replacements {
  /** The sites whose lease was expired, in name order. */
  readonly expired: readonly string[];
  /** Replacement replicas per site (only sites with at least one). */
  readonly bySite: Readonly<Record<string, number>>;
}

/** SiteReplicas is a number of replicas at a site. */
export interface SiteReplicas {
  readonly site: string;
  readonly replicas: number;
}

/**
 * leaseExpired says whether the service should run replacements for the replicas at `site`: the hub does not know
 * whether the site lives (Ready=Unknown: its lease expired, or it beats again but not yet long enough to be trusted)
 * and the grace has not passed yet. Not a cordon (the site is alive), not a Ready site the hub cannot reach (the
 * agent reports: SilentSites' grace covers that), not a lost one (rebalance.ts moves its share).
 */
export function leaseExpired(site: Site | undefined, graceMs: number, nowMs: number): boolean {
  if (site === undefined) return false;
  const ready = findCondition(site.status?.conditions, ConditionType.Ready);
  if (ready === undefined || (ready.status !== ConditionStatus.Unknown && ready.reason !== Reason.LeaseExpired)) return false;
  return siteLost(site, graceMs, nowMs).kind === 'WithinGrace';
}

/** TrimmedReplicas is `current` with replacements no longer needed taken off, what was taken, and what is left. */
export interface TrimmedReplicas {
  readonly current: readonly Assignment[];
  readonly trimmed: readonly SiteReplicas[];
  /** The remembered replacements still in `current`, per site. */
  readonly left: Readonly<Record<string, number>>;
}

/**
 * trimReplacements takes up to `excess` replicas off `current`, from the remembered replacements only (in site
 * order): more replicas than desired are running because a site whose lease had expired answers again (or the spec
 * asks for fewer), and the replacements are the ones to go first. What is left over is distribute's scale-down.
 */
export function trimReplacements(current: readonly Assignment[], remembered: Replacements | undefined, excess: number): TrimmedReplicas {
  const left: Record<string, number> = {};
  const trimmed: SiteReplicas[] = [];
  let over = excess;
  const out: Assignment[] = [];
  for (const a of current) {
    const mine = Math.min(remembered?.bySite[a.site] ?? 0, a.replicas);
    const take = Math.max(0, Math.min(mine, over));
    over -= take;
    if (take > 0) trimmed.push({ site: a.site, replicas: take });
    if (mine - take > 0) left[a.site] = mine - take;
    if (a.replicas - take > 0) out.push({ ...a, replicas: a.replicas - take });
  }
  return { current: out, trimmed, left };
}

/**
 * replacementsOf says which of the `placed` replicas (at the sites that answer) are replacements: those beyond what
 * the sites held before any replacement (`current` less the remembered replacements `left` in it).
 */
export function replacementsOf(
  placed: readonly Assignment[],
  current: readonly Assignment[],
  left: Readonly<Record<string, number>>,
  expired: readonly string[],
): Replacements {
  const bySite: Record<string, number> = {};
  for (const a of [...placed].sort((x, y) => compareStrings(x.site, y.site))) {
    const before = (current.find((c) => c.site === a.site)?.replicas ?? 0) - (left[a.site] ?? 0);
    const extra = a.replicas - Math.max(0, before);
    if (extra > 0) bySite[a.site] = extra;
  }
  return { expired: [...expired].sort(compareStrings), bySite };
}

/** replacementCount is how many replacement replicas there are in all. */
export function replacementCount(r: Replacements | undefined): number {
  return Object.values(r?.bySite ?? {}).reduce((n, x) => n + x, 0);
}

/**
 * replacementNote explains the replacements for the placement message and the Degraded condition, e.g. "2
 * replacement replicas at beijing while shanghai's lease is expired (its 2 replicas stay planned until the grace
 * ends)". `held` is how many replicas the silent sites keep in the plan.
 */
export function replacementNote(r: Replacements, held: number): string {
  const n = replacementCount(r);
  const while_ = `while ${leases(r.expired)}`;
  const stay = `${r.expired.length === 1 ? 'its' : 'their'} ${replicas(held)} ${held === 1 ? 'stays' : 'stay'} planned until the grace ends`;
  if (n === 0) return `no replacement replicas placed ${while_} (${stay})`;
  return `${replicas(n, 'replacement ')} at ${where(r.bySite)} ${while_} (${stay})`;
}

/** scaledBackNote says which replacements go, for the event, e.g. "scaling back 1 replacement replica at guizhou". */
export function scaledBackNote(trimmed: readonly SiteReplicas[], expired: readonly string[]): string {
  const n = trimmed.reduce((x, t) => x + t.replicas, 0);
  const bySite = Object.fromEntries(trimmed.map((t) => [t.site, t.replicas]));
  const after = expired.length === 0 ? '' : ` (placed while ${leases(expired, 'past')})`;
  return `scaling back ${replicas(n, 'replacement ')} at ${where(bySite)}${after}: the service is at its replica count again`;
}

function leases(sites: readonly string[], tense: 'present' | 'past' = 'present'): string {
  if (sites.length === 1) return `${sites[0] ?? ''}'s lease ${tense === 'past' ? 'was' : 'is'} expired`;
  return `the leases of ${sites.join(', ')} ${tense === 'past' ? 'were' : 'are'} expired`;
}

function where(bySite: Readonly<Record<string, number>>): string {
  const sites = Object.keys(bySite).sort(compareStrings);
  return sites.length === 1 ? (sites[0] ?? '') : sites.map((s) => `${s} ${bySite[s] ?? 0}`).join(', ');
}

function replicas(n: number, adjective = ''): string {
  return `${n} ${adjective}replica${n === 1 ? '' : 's'}`;
}
