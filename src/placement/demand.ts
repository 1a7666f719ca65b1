/**
 * Capacity arithmetic on aggregate pool numbers.
 *
 * Why node-equivalents: a Site's status reports each pool's totals (allocatable, allocated), not its nodes one by
 * one, yet a worker needs its devices, cpu and memory on ONE node. So placement treats a pool as `readyNodes` alike
 * nodes, each of size allocatable / nodes (devices: the reported devices per node), and asks two things: does one
 * unit fit such a node, and do the pool's free totals cover every unit, with no more units than whole nodes can
 * hold. This can be wrong when free capacity is fragmented across nodes (8 free GPUs as 4 + 4 do not hold one
 * 8-GPU worker); the site's own kube-scheduler does the final binding, and a gang that does not bind is re-placed.
 */
import type { PoolInfo, ResourceAmounts } from './snapshot.ts';
import type { VariantDemand } from './workload.ts';

// Quantities like 0.1 cpu do not add up exactly in binary floating point; this keeps 3 × 0.1 ≤ 0.3.
const EPSILON = 1e-9;

/** demandOn returns what one unit of a variant requests on a pool: cpu, memory and the pool's device resource. */
export function demandOn(variant: VariantDemand, pool: PoolInfo): ResourceAmounts {
  return demandWith(variant, pool.accelerator?.resourceName);
}

/** demandWith is demandOn for a pool known only by its accelerator resource name (undefined: a CPU pool). */
export function demandWith(variant: VariantDemand, acceleratorResource: string | undefined): ResourceAmounts {
  const demand: Record<string, number> = {};
  if (variant.cpu > 0) demand['cpu'] = variant.cpu;
  if (variant.memory > 0) demand['memory'] = variant.memory;
  if (variant.accelerator !== undefined && acceleratorResource !== undefined) demand[acceleratorResource] = variant.accelerator.count;
  return demand;
}

/** scaled returns every amount of a demand times n. */
export function scaled(demand: ResourceAmounts, n: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [resource, amount] of Object.entries(demand)) out[resource] = amount * n;
  return out;
}

/**
 * nodeSize is one node-equivalent of a pool: allocatable / nodes, except the device resource, which is the devices
 * per node the site reports (allocatable counts healthy devices only, so averaging it would call a node with one
 * failed GPU a 7.5-GPU node).
 */
export function nodeSize(pool: PoolInfo, resource: string): number {
  if (pool.accelerator?.resourceName === resource && pool.accelerator.perNode !== undefined) {
    return pool.accelerator.perNode;
  }
  if (pool.nodes <= 0) return 0;
  return (pool.allocatable[resource] ?? 0) / pool.nodes;
}

/** shortOnOneNode lists the resources of which one unit needs more than a node of the pool has. */
export function shortOnOneNode(demand: ResourceAmounts, pool: PoolInfo): string[] {
  return Object.keys(demand).filter((r) => (demand[r] ?? 0) > nodeSize(pool, r) + EPSILON);
}

/** unitsPerNode is how many units one empty node-equivalent holds. */
export function unitsPerNode(demand: ResourceAmounts, pool: PoolInfo): number {
  let n = Number.POSITIVE_INFINITY;
  for (const [resource, amount] of Object.entries(demand)) {
    if (amount > 0) n = Math.min(n, Math.floor(nodeSize(pool, resource) / amount + EPSILON));
  }
  return n;
}

/** unitsByNodes is how many units the pool's ready nodes hold at most, free or not. */
export function unitsByNodes(demand: ResourceAmounts, pool: PoolInfo): number {
  const perNode = unitsPerNode(demand, pool);
  return perNode === Number.POSITIVE_INFINITY ? perNode : pool.readyNodes * perNode;
}

/** unitsByFree is how many units the pool's free totals cover. */
export function unitsByFree(demand: ResourceAmounts, pool: PoolInfo): number {
  let n = Number.POSITIVE_INFINITY;
  for (const [resource, amount] of Object.entries(demand)) {
    if (amount > 0) n = Math.min(n, Math.floor((pool.free[resource] ?? 0) / amount + EPSILON));
  }
  return n;
}

/** unitsThatFit is how many more units the pool can take now: the lesser of the two bounds above. */
export function unitsThatFit(demand: ResourceAmounts, pool: PoolInfo): number {
  return Math.min(unitsByNodes(demand, pool), unitsByFree(demand, pool));
}

/** isShort says whether `need` exceeds `have` beyond rounding noise. */
export function isShort(need: number, have: number): boolean {
  return need > have + EPSILON;
}
