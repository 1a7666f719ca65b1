/**
 * Filter: every unit fits at once (a TrainingJob's gang is all or nothing). The pool's free totals (allocatable less
 * allocated less promised; devices count healthy ones only) must cover units × demand, and its ready nodes must be
 * able to hold that many units one node at a time. See ../demand.ts for why this is an approximation.
 */
import { isShort, scaled, unitsByNodes } from '../demand.ts';
import { formatAmount } from '../format.ts';
import { compareStrings } from '../order.ts';
import { verdict, type FilterResult, type PoolCandidate } from './filter.ts';

/** gangCapacity rejects a pool without room for all units now. */
export function gangCapacity({ workload, pool, demand, units }: PoolCandidate): FilterResult {
  const reasons: string[] = [];
  const total = scaled(demand, units);
  for (const resource of Object.keys(total).sort(compareStrings)) {
    const need = total[resource] ?? 0;
    const free = pool.free[resource] ?? 0;
    if (!isShort(need, free)) continue;
    // Device allocatable leaves unhealthy devices out, so "healthy free" is exact, not a hope.
    const healthy = pool.accelerator?.resourceName === resource ? ' healthy' : '';
    reasons.push(`needs ${formatAmount(resource, need)} ${resource}, ${formatAmount(resource, free)}${healthy} free`);
  }
  if (reasons.length === 0) {
    const byNodes = unitsByNodes(demand, pool);
    if (pool.readyNodes === 0) reasons.push(`pool ${pool.name} has no ready nodes`);
    else if (byNodes < units) {
      const nodes = pool.readyNodes === 1 ? '1 ready node holds' : `${pool.readyNodes} ready nodes hold`;
      const noun = byNodes === 1 ? workload.unitNoun : `${workload.unitNoun}s`;
      reasons.push(`pool ${pool.name}'s ${nodes} at most ${byNodes} ${noun}, needs ${units}`);
    }
  }
  return verdict(reasons);
}
