/**
 * Score: leave the most whole free nodes. A gang of 8-device workers can start only on whole free nodes, and free
 * devices scattered over many nodes are the usual reason it cannot (Weng et al., "Beware of Fragmentation:
 * Scheduling GPU-Sharing Workloads with Fragmentation Gradient Descent", USENIX ATC 2023: place each task where it
 * adds the least fragmentation). Here the measure of fragmentation is simple: how many whole free nodes a placement
 * breaks — a node is whole when all of its devices are free, and broken when some work lands on it.
 *
 * How many an option breaks: its units fill the pool's nodes best fit first — the nodes with the fewest free devices
 * that still hold a unit, each taking as many units as it holds — so whole nodes are used only when the fragments
 * cannot take the units. That assumes the site's scheduler packs devices (MostAllocated, or the
 * NVIDIA-recommended bin-packing for GPUs); with kube-scheduler's default spreading, the site breaks more nodes
 * than this, whichever pool is chosen.
 *
 * Every option's placement keeps the federation's other pools as they are, so the option that breaks the fewest
 * whole nodes leaves the most. Scores are relative to that best: 100 × (1 + fewest) / (1 + broken), so breaking none
 * against one is 100 against 50, and one against two is 100 against 67 (a gang of whole-node workers breaks as many
 * nodes as it has workers everywhere, and every option scores 100).
 *
 * The score needs shapes: it is left out when no option's pool reports one (pools totals alone cannot tell 4 + 4
 * from 8, and the packing score already prefers fuller pools by their totals). Among options where some do, a pool
 * without a shape is taken as its totals packed into as few nodes as they fill — the same optimism as its gang
 * filter — and a CPU pool, which has no devices to fragment, is NEUTRAL.
 */
import { shapeNeed, unitsOnShapeNode } from '../demand.ts';
import type { Option } from '../evaluate.ts';
import { currentShape, type ShapeBucket } from '../free-shape.ts';
import type { PoolInfo } from '../snapshot.ts';
import { clampScore, NEUTRAL, type ScorePlugin } from './score.ts';

/**
 * wholeNodesBroken is how many whole free nodes the option's units break when they fill the fullest nodes that hold
 * them first; undefined for a pool without devices. Units that do not fit (only under a totals estimate) count as
 * breaking a whole node each: they would need room somewhere.
 */
export function wholeNodesBroken(o: Option): number | undefined {
  const device = o.pool.accelerator?.resourceName;
  if (device === undefined) return undefined;
  // Most free first (currentShape's order, and packedTotals'): read backwards, the fullest nodes come first.
  const shape = currentShape(o.pool) ?? packedTotals(o.pool);
  const perNode = o.pool.accelerator?.perNode ?? shape[0]?.devices ?? 0;
  const whole = (b: ShapeBucket): boolean => b.devices > 0 && b.devices >= perNode;
  const need = shapeNeed(o.demand, device);
  let left = o.units;
  let broken = 0;
  for (let i = shape.length - 1; i >= 0 && left > 0; i--) {
    const b = shape[i] as ShapeBucket;
    const each = unitsOnShapeNode(need, b);
    if (each <= 0) continue;
    const used = each === Number.POSITIVE_INFINITY ? 1 : Math.min(b.nodes, Math.ceil(left / each));
    if (whole(b)) broken += used;
    left -= used * each;
  }
  return broken + Math.max(0, left);
}

/**
 * packedTotals is a pool's free devices as if packed into as few of its ready nodes as they fill: whole nodes, then
 * one with the rest. The totals say nothing of how cpu and memory lie, so they do not limit this estimate.
 */
function packedTotals(pool: PoolInfo): ShapeBucket[] {
  const device = pool.accelerator?.resourceName;
  const perNode = pool.accelerator?.perNode;
  const free = device === undefined ? 0 : Math.floor(pool.free[device] ?? 0);
  if (perNode === undefined || perNode <= 0) return [];
  const whole = Math.min(pool.readyNodes, Math.floor(free / perNode));
  const rest = free - whole * perNode;
  const unbounded = { cpu: Number.POSITIVE_INFINITY, memory: Number.POSITIVE_INFINITY };
  return [
    ...(whole > 0 ? [{ nodes: whole, devices: perNode, ...unbounded }] : []),
    ...(rest > 0 && pool.readyNodes > whole ? [{ nodes: 1, devices: rest, ...unbounded }] : []),
  ];
}

/** fragmentation scores options that break fewer whole free nodes higher. */
export const fragmentation: ScorePlugin = {
  name: 'fragmentation',
  applies: (_workload, options) => options.some((o) => o.pool.shape !== undefined && o.pool.accelerator !== undefined),
  score: (_workload, options) => {
    const broken = options.map(wholeNodesBroken);
    const rated = broken.filter((b): b is number => b !== undefined);
    const fewest = rated.length === 0 ? 0 : Math.min(...rated);
    return broken.map((b) => (b === undefined ? NEUTRAL : clampScore((100 * (1 + fewest)) / (1 + b))));
  },
};
