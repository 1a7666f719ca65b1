/**
 * Filter: every unit fits at once (a TrainingJob's gang is all or nothing). The pool's free totals (allocatable less
 * allocated less promised; devices count healthy ones only) must cover units × demand, and its nodes must hold that
 * many units one node at a time: node by node against the pool's free shape when the site reports one (8 free GPUs
 * as 4 + 4 hold no 8-GPU worker), else against its ready node-equivalents. See ../demand.ts for the rule.
 */
import { currentShape, type ShapeBucket } from '../free-shape.ts';
import { isShort, scaled, unitsByNodes, unitsByShape } from '../demand.ts';
import { formatAmount } from '../format.ts';
import { compareStrings } from '../order.ts';
import type { PoolInfo } from '../snapshot.ts';
import { verdict, type FilterResult, type PoolCandidate } from './filter.ts';

/** SHOWN_BUCKETS is how many of the most free buckets a rejection names. */
const SHOWN_BUCKETS = 2;

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
  if (reasons.length > 0) return verdict(reasons);
  const noun = (n: number): string => (n === 1 ? workload.unitNoun : `${workload.unitNoun}s`);
  if (pool.readyNodes === 0) return verdict([`pool ${pool.name} has no ready nodes`]);
  const shape = currentShape(pool);
  if (shape !== undefined) {
    const fit = unitsByShape(demand, shape, pool.accelerator?.resourceName);
    if (fit < units) {
      reasons.push(`pool ${pool.name}'s free capacity holds ${fit} ${noun(fit)} node by node, needs ${units}; ${mostFree(pool, shape)}`);
    }
  } else {
    const byNodes = unitsByNodes(demand, pool);
    if (byNodes < units) {
      const nodes = pool.readyNodes === 1 ? '1 ready node holds' : `${pool.readyNodes} ready nodes hold`;
      reasons.push(`pool ${pool.name}'s ${nodes} at most ${byNodes} ${noun(byNodes)}, needs ${units}`);
    }
  }
  return verdict(reasons);
}

/** mostFree names the buckets with the most free devices (then cpu, memory): what the pool has at best, per node. */
function mostFree(pool: PoolInfo, shape: readonly ShapeBucket[]): string {
  const best = shape.slice(0, SHOWN_BUCKETS); // currentShape comes most free first
  if (best.length === 0) return 'no node has anything free';
  const device = pool.accelerator?.resourceName;
  const each = best.map((b) => {
    const amounts = [
      ...(device === undefined ? [] : [`${formatAmount(device, b.devices)} ${device}`]),
      `${formatAmount('cpu', b.cpu)} cpu`,
      `${formatAmount('memory', b.memory)} memory`,
    ];
    return `${b.nodes} × (${amounts.join(', ')})`;
  });
  return `most free per node: ${each.join(', ')}`;
}
