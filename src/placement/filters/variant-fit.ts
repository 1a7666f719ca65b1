/**
 * Filter: a variant's unit fits a pool. First the kind of device (vendor and model: `matchingPools`), then, pool by
 * pool, device memory, precision, CPU architecture, and one unit's devices, cpu and memory on one node of the pool.
 * An accelerator variant only considers pools with its devices; a cpuOnly variant only pools without accelerators,
 * so CPU work does not take the nodes that accelerator work can use nowhere else.
 */
import { formatBytes } from '../../api/quantity.ts';
import { shortOnOneNode, nodeSize } from '../demand.ts';
import { formatAmount } from '../format.ts';
import { modelMatches } from '../model.ts';
import type { PoolInfo, SiteInfo } from '../snapshot.ts';
import type { VariantDemand } from '../workload.ts';
import { verdict, type FilterResult, type PoolCandidate } from './filter.ts';

/** matchingPools returns the site's pools that carry the variant's kind of device, in name order. */
export function matchingPools(variant: VariantDemand, site: SiteInfo): PoolInfo[] {
  const want = variant.accelerator;
  return site.pools.filter((pool) => {
    if (want === undefined) return pool.accelerator === undefined;
    return pool.accelerator?.vendor === want.vendor && modelMatches(want.model, pool.accelerator.model);
  });
}

/** noMatchingPoolReason says what the site lacks when matchingPools is empty. */
export function noMatchingPoolReason(variant: VariantDemand): string {
  const a = variant.accelerator;
  if (a === undefined) return 'no CPU pool';
  return a.model === undefined ? `no pool with ${a.vendor} devices` : `no pool with ${a.vendor} ${a.model}`;
}

/** variantFit rejects a matching pool whose devices or nodes cannot hold one unit of the variant. */
export function variantFit({ workload, variant, pool, demand }: PoolCandidate): FilterResult {
  const reasons: string[] = [];
  const want = variant.accelerator;
  const have = pool.accelerator;
  if (want !== undefined && have !== undefined) {
    if (want.minMemoryBytes !== undefined) {
      if (have.memoryBytes === undefined) {
        reasons.push(`pool ${pool.name} does not report device memory, needs ${formatBytes(want.minMemoryBytes)}`);
      } else if (have.memoryBytes < want.minMemoryBytes) {
        reasons.push(
          `pool ${pool.name} devices have ${formatBytes(have.memoryBytes)}, needs ${formatBytes(want.minMemoryBytes)}`,
        );
      }
    }
    if (want.precision !== undefined && !have.precisions.includes(want.precision)) {
      const list = have.precisions.length === 0 ? 'none reported' : have.precisions.join(', ');
      reasons.push(`pool ${pool.name} devices lack ${want.precision} (have ${list})`);
    }
  }
  if (variant.architecture !== undefined && pool.architecture !== variant.architecture) {
    reasons.push(
      pool.architecture === undefined
        ? `pool ${pool.name} does not report its architecture, needs ${variant.architecture}`
        : `pool ${pool.name} is ${pool.architecture}, needs ${variant.architecture}`,
    );
  }
  for (const resource of shortOnOneNode(demand, pool)) {
    reasons.push(
      `a ${workload.unitNoun} needs ${formatAmount(resource, demand[resource] ?? 0)} ${resource} on one node, ` +
        `pool ${pool.name} nodes have ${formatAmount(resource, nodeSize(pool, resource))}`,
    );
  }
  return verdict(reasons);
}
