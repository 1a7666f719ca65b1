/**
 * Rebalancing: which of the replicas a service runs may keep running where they are, and which must move. Pure:
 * the sites, the grace and the time are arguments.
 *
 * The answer is the `current` argument of placement's distribute(): replicas passed as current stay where they are
 * (distribute keeps them even at a site that takes nothing new); replicas left out are placed anew elsewhere. A
 * share is left out, and so moves, when
 * - its Site was removed from the federation;
 * - its Site has not been Ready for longer than the grace (DESIGN.md: Unknown after the lease, Lost after a longer
 *   grace), measured from the Ready condition's lastTransitionTime to now (site/site-liveness.ts), or is marked
 *   SiteLost outright. Within
 *   the grace the replicas stay: a site that misses a few heartbeats should not cost a restart of everything on it;
 * - its Site refused the members by its own policy (a pull site's agent; refused-sites.ts says for how long): at once,
 *   as the site is fine and will not hold them however long one waits;
 * - its pool lost health: the healthy devices (Site status counts only those as allocatable) or Ready nodes of the
 *   pool no longer hold that many replicas. Only the part that no longer fits moves.
 * distribute() itself also drops replicas whose variant no longer fits the site at all, or that the rules now
 * exclude; those need nothing here.
 */
import type { InferenceSiteStatus, Site } from '../../api/generated/types.ts';
import { Reason } from '../../api/names.ts';
import { demandOn, unitsByNodes } from '../../placement/demand.ts';
import type { Assignment } from '../../placement/distribute.ts';
import { matchingPools } from '../../placement/filters/variant-fit.ts';
import { buildSnapshot, type SiteInfo } from '../../placement/snapshot.ts';
import type { Workload } from '../../placement/workload.ts';
import { formatDuration } from '../../api/duration.ts';
import { siteLost } from '../framework/site-liveness.ts';

/** MoveReason says why a share moves. */
export const MoveReason = {
  SiteRemoved: 'SiteRemoved',
  SiteLost: Reason.SiteLost,
  /** The site is Ready but the hub cannot reach it (credentials revoked, apiserver down behind a live agent). */
  SiteUnreachable: Reason.SiteUnreachable,
  DeviceUnhealthy: Reason.DeviceUnhealthy,
  RefusedBySite: Reason.RefusedBySite,
} as const;
/** MoveReasonName is one of MoveReason's values. */
export type MoveReasonName = (typeof MoveReason)[keyof typeof MoveReason];

/** Move is a number of replicas that leave a site. */
export interface Move {
  readonly site: string;
  readonly variant: string;
  readonly replicas: number;
  readonly reason: MoveReasonName;
  readonly message: string;
}

/** RebalanceInput is what the decision is made from. */
export interface RebalanceInput {
  /** What runs now, as recorded in status.sites. */
  readonly recorded: readonly InferenceSiteStatus[] | undefined;
  readonly sites: readonly Site[];
  readonly workload: Workload;
  /** The pool each site's replicas run in, where the site's Deployment says; else every matching pool counts. */
  readonly pools?: ReadonlyMap<string, string>;
  readonly graceMs: number;
  readonly nowMs: number;
  /** Since when each Ready site that the hub cannot read has not answered (sites that answer are absent). */
  readonly unreachableSince?: ReadonlyMap<string, number>;
  /** Sites that refused the members by their policy, with what to say (refused-sites.ts refusalText). */
  readonly refused?: ReadonlyMap<string, string>;
}

/** RebalancePlan is what stays (`current`, for distribute), what moves, and when to look again. */
export interface RebalancePlan {
  /** Replicas that may stay where they are, in site order. */
  readonly current: readonly Assignment[];
  /** Replicas that leave their site, in site order. */
  readonly moves: readonly Move[];
  /** When the first site still within its grace runs out of it (ms from now); undefined when none is. */
  readonly recheckInMs: number | undefined;
}

/** planRebalance decides, site by site, how many of the recorded replicas may stay. */
export function planRebalance(input: RebalanceInput): RebalancePlan {
  const infos = new Map(buildSnapshot(input.sites).sites.map((s) => [s.name, s]));
  const byName = new Map(input.sites.map((s) => [s.metadata.name ?? '', s]));
  const current: Assignment[] = [];
  const moves: Move[] = [];
  let recheckInMs: number | undefined;
  const recorded = [...(input.recorded ?? [])].sort((a, b) => (a.site < b.site ? -1 : a.site > b.site ? 1 : 0));
  for (const entry of recorded) {
    const replicas = entry.replicas ?? 0;
    if (entry.variant === undefined || replicas <= 0) continue;
    const here: Assignment = { site: entry.site, variant: entry.variant, replicas };
    const site = byName.get(entry.site);
    const info = infos.get(entry.site);
    if (site === undefined || info === undefined) {
      moves.push({ ...here, reason: MoveReason.SiteRemoved, message: `site ${entry.site} was removed from the federation` });
      continue;
    }
    const refusal = input.refused?.get(entry.site);
    if (refusal !== undefined) {
      moves.push({ ...here, reason: MoveReason.RefusedBySite, message: refusal });
      continue;
    }
    const lost = siteLost(site, input.graceMs, input.nowMs);
    if (lost.kind === 'Lost') {
      moves.push({ ...here, reason: MoveReason.SiteLost, message: lost.message });
      continue;
    }
    if (lost.kind === 'WithinGrace') {
      // A site that is not Ready reports stale pools; judge its health only once it reports again.
      recheckInMs = Math.min(recheckInMs ?? Number.POSITIVE_INFINITY, lost.remainingMs);
      current.push(here);
      continue;
    }
    const silentSince = input.unreachableSince?.get(entry.site);
    if (silentSince !== undefined) {
      const forMs = input.nowMs - silentSince;
      if (forMs >= input.graceMs) {
        moves.push({ ...here, reason: MoveReason.SiteUnreachable, message: `site ${entry.site} could not be reached from the hub for ${formatDuration(forMs)}` });
        continue;
      }
      recheckInMs = Math.min(recheckInMs ?? Number.POSITIVE_INFINITY, input.graceMs - forMs);
      current.push(here);
      continue;
    }
    const holdable = replicasHoldable(input.workload, info, entry.variant, input.pools?.get(entry.site));
    if (holdable !== undefined && holdable < replicas) {
      const moved = replicas - holdable;
      const message = `site ${entry.site}: its healthy devices and Ready nodes hold ${holdable} of ${replicas} replicas of variant ${entry.variant}`;
      moves.push({ ...here, replicas: moved, reason: MoveReason.DeviceUnhealthy, message });
      if (holdable > 0) current.push({ ...here, replicas: holdable });
      continue;
    }
    current.push(here);
  }
  return { current, moves, recheckInMs };
}

/**
 * replicasHoldable is how many replicas of `variant` the site's pool (or its matching pools) can hold at all:
 * Ready nodes times replicas per node, and for devices the healthy ones over the devices per replica. Other
 * workloads on the same pool are not subtracted: this asks whether the hardware still exists, not whether it is
 * free (capacity is distribute's question). Undefined when the variant is not in the spec.
 */
export function replicasHoldable(workload: Workload, site: SiteInfo, variant: string, pool: string | undefined): number | undefined {
  const demand = workload.variants.find((v) => v.name === variant);
  if (demand === undefined) return undefined;
  const pools = matchingPools(demand, site).filter((p) => pool === undefined || p.name === pool);
  let total = 0;
  for (const p of pools) {
    const perUnit = demandOn(demand, p);
    let n = unitsByNodes(perUnit, p);
    const device = p.accelerator?.resourceName;
    const count = demand.accelerator?.count ?? 0;
    if (device !== undefined && count > 0) n = Math.min(n, Math.floor((p.allocatable[device] ?? 0) / count));
    total += n;
  }
  return total;
}
