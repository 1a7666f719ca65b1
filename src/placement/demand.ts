/**
 * Capacity arithmetic: how many units of a demand a pool holds.
 *
 * A worker needs its devices, cpu and memory on ONE node. Two views of a pool answer that:
 *
 * - Node by node, when the site reports its free shape (free-shape.ts): a bucket of n nodes, each with at least
 *   d free devices, c cores and m bytes, holds n × floor(min(d / devices, c / cpu, m / memory)) units of a demand,
 *   and the pool holds the sum over its buckets. Units are identical, so no node can hold more of them than that
 *   and filling each node to that many is an optimal packing (first-fit-decreasing gives the same); the sum is the
 *   exact answer for nodes as the buckets state them, and buckets under-state nodes, never over-state them. So 8
 *   free GPUs as 4 + 4 hold no 8-GPU worker, and one whole 8-GPU node holds one.
 * - Node-equivalents, when it does not (an older agent): the pool is `readyNodes` alike nodes, each of size
 *   allocatable / nodes (devices: the reported devices per node), and the question is whether one unit fits such a
 *   node, and whether the pool's free totals cover every unit with no more units than whole nodes can hold. This
 *   can be wrong when free capacity is fragmented across nodes; the site's own kube-scheduler does the final
 *   binding, and a gang that does not bind is re-placed.
 *
 * The free totals are checked in both views: they subtract promised capacity exactly, where the shape can only
 * estimate where a promise lands.
 */
import { currentShape, type ShapeBucket } from './free-shape.ts';
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

/**
 * ShapeNeed is what one unit asks of a shape bucket's node: its devices (the pool's device resource), cpu and
 * memory; `other` when it asks for a resource the buckets do not describe (no node holds it then).
 */
export interface ShapeNeed {
  readonly devices: number;
  readonly cpu: number;
  readonly memory: number;
  readonly other: boolean;
}

/** shapeNeed reads a demand as bucket amounts (computed once per pool, not per bucket). */
export function shapeNeed(demand: ResourceAmounts, deviceResource: string | undefined): ShapeNeed {
  let other = false;
  for (const [resource, amount] of Object.entries(demand)) {
    if (amount > 0 && resource !== 'cpu' && resource !== 'memory' && resource !== deviceResource) other = true;
  }
  const of = (r: string | undefined): number => (r === undefined ? 0 : Math.max(0, demand[r] ?? 0));
  return { devices: of(deviceResource), cpu: of('cpu'), memory: of('memory'), other };
}

/** unitsOnShapeNode is how many units one node of a bucket holds: floor(min(have / need)) over what a unit asks. */
export function unitsOnShapeNode(need: ShapeNeed, bucket: ShapeBucket): number {
  if (need.other) return 0;
  let n = Number.POSITIVE_INFINITY;
  if (need.devices > 0) n = Math.min(n, Math.floor(bucket.devices / need.devices + EPSILON));
  if (need.cpu > 0) n = Math.min(n, Math.floor(bucket.cpu / need.cpu + EPSILON));
  if (need.memory > 0) n = Math.min(n, Math.floor(bucket.memory / need.memory + EPSILON));
  return n;
}

/** unitsByShape is how many units the shape's nodes hold, node by node (module comment). */
export function unitsByShape(demand: ResourceAmounts, shape: readonly ShapeBucket[], deviceResource: string | undefined): number {
  const need = shapeNeed(demand, deviceResource);
  let total = 0;
  for (const b of shape) {
    const perNode = unitsOnShapeNode(need, b);
    if (perNode === Number.POSITIVE_INFINITY) return perNode; // a unit that asks for nothing
    total += b.nodes * perNode;
  }
  return total;
}

/**
 * unitsThatFit is how many more units the pool can take now: its free totals, and node by node its current shape
 * when it has one, else its node-equivalents.
 */
export function unitsThatFit(demand: ResourceAmounts, pool: PoolInfo): number {
  const shape = currentShape(pool);
  const byNodes = shape === undefined ? unitsByNodes(demand, pool) : unitsByShape(demand, shape, pool.accelerator?.resourceName);
  return Math.min(byNodes, unitsByFree(demand, pool));
}

/** isShort says whether `need` exceeds `have` beyond rounding noise. */
export function isShort(need: number, have: number): boolean {
  return need > have + EPSILON;
}
