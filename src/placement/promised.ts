/**
 * Capacity a decision promises. A site reports new pods in its `allocated` only after they are bound, seconds to a
 * heartbeat later; a second decision in between would see the same free devices. The controller therefore holds
 * what a decision promises (keyed by workload, say) and passes the sum into buildSnapshot until the site's
 * allocated shows it, so the engine never over-commits between two decisions.
 */
import { scaled } from './demand.ts';
import type { Assignment, InferenceDecision } from './distribute.ts';
import type { Decision } from './place.ts';
import type { PromisedCapacity, ResourceAmounts } from './snapshot.ts';
import type { Workload } from './workload.ts';

/** promisedFor returns what a place() decision takes from its pool: every worker's demand. Nothing if Unschedulable. */
export function promisedFor(decision: Decision, workload: Workload): PromisedCapacity {
  if (decision.kind !== 'Placed') return {};
  return { [decision.site]: { [decision.pool]: scaled(decision.perUnit, workload.units) } };
}

/**
 * promisedForDistribution returns what a distribute() decision adds on top of what already runs (`current`, the
 * argument distribute was given): replicas that stay in their variant are in allocated already; new ones are not.
 */
export function promisedForDistribution(decision: InferenceDecision, current: readonly Assignment[]): PromisedCapacity {
  const parts: PromisedCapacity[] = [];
  for (const a of decision.assignments) {
    const running = current.find((c) => c.site === a.site && c.variant === a.variant)?.replicas ?? 0;
    const added = a.replicas - running;
    if (added > 0) parts.push({ [a.site]: { [a.pool]: scaled(a.perReplica, added) } });
  }
  return mergePromised(...parts);
}

/** mergePromised sums promises, site by site, pool by pool, resource by resource. */
export function mergePromised(...all: readonly PromisedCapacity[]): PromisedCapacity {
  const out: Record<string, Record<string, Record<string, number>>> = {};
  for (const promise of all) {
    for (const [site, pools] of Object.entries(promise)) {
      const sitePools = (out[site] ??= {});
      for (const [pool, amounts] of Object.entries(pools)) {
        const sum = (sitePools[pool] ??= {});
        for (const [resource, amount] of Object.entries(amounts as ResourceAmounts)) {
          sum[resource] = (sum[resource] ?? 0) + amount;
        }
      }
    }
  }
  return out;
}
