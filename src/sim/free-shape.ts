/**
 * A pool's free shape as the site agent reports it (src/agent/site/free-shape.ts, freeShape): the simulator may not
 * import the agent (layers), and the decision it replays must read the same shape the operator would. This is the
 * same grouping — by free devices exactly and cpu/memory in ratio classes of 1/4, 1/2, then 1 octave; then by free
 * devices alone; then by ranges of free devices — with cpu in millicores and memory in bytes as numbers rather than
 * quantity strings. test/unit/sim/free-shape-agreement.test.ts checks that both give the same buckets on random pools.
 * (It belongs in one place; moving the agent's to src/placement would let both import it.)
 */
import { MAX_FREE_SHAPE_BUCKETS } from '../api/schema/site.ts';

/** FreeNode is one node's free devices, cpu (millicores) and memory (bytes). */
export interface FreeNode {
  readonly devices: number;
  readonly cpuMilli: number;
  readonly memoryBytes: number;
}

/** ShapeGroup is a bucket: `nodes` nodes and the least of each amount among them. */
export interface ShapeGroup {
  nodes: number;
  devices: number;
  cpuMilli: number;
  memoryBytes: number;
}

const CLASS_STEPS: readonly number[] = [4, 2, 1];

/** poolShape groups the nodes into at most `maxBuckets` buckets, most free devices first (module comment). */
export function poolShape(nodes: readonly FreeNode[], accelerated: boolean, maxBuckets = MAX_FREE_SHAPE_BUCKETS): ShapeGroup[] {
  const classKey =
    (steps: number) =>
    (n: FreeNode): string =>
      accelerated && n.devices === 0 ? '0' : `${n.devices}/${ratioClass(n.cpuMilli, steps)}/${ratioClass(n.memoryBytes, steps)}`;
  let groups: ShapeGroup[] | undefined;
  for (const key of [...CLASS_STEPS.map(classKey), (n: FreeNode): string => String(n.devices)]) {
    groups = group(nodes, key);
    if (groups.length <= maxBuckets) break;
  }
  if (groups === undefined || groups.length > maxBuckets) groups = byDeviceRanges(nodes, maxBuckets);
  return groups.sort(mostFreeFirst);
}

function ratioClass(v: number, steps: number): number {
  return v <= 0 ? -1 : Math.floor(steps * Math.log2(v));
}

function group(nodes: readonly FreeNode[], key: (n: FreeNode) => string): ShapeGroup[] {
  const byKey = new Map<string, ShapeGroup>();
  for (const n of nodes) {
    const k = key(n);
    const g = byKey.get(k);
    if (g === undefined) {
      byKey.set(k, { nodes: 1, devices: n.devices, cpuMilli: n.cpuMilli, memoryBytes: n.memoryBytes });
    } else {
      g.nodes += 1;
      g.devices = Math.min(g.devices, n.devices);
      g.cpuMilli = Math.min(g.cpuMilli, n.cpuMilli);
      g.memoryBytes = Math.min(g.memoryBytes, n.memoryBytes);
    }
  }
  return [...byKey.values()];
}

function byDeviceRanges(nodes: readonly FreeNode[], maxBuckets: number): ShapeGroup[] {
  const distinct = [...new Set(nodes.map((n) => n.devices))].sort((a, b) => b - a);
  const perBucket = Math.ceil(distinct.length / maxBuckets);
  const rank = new Map(distinct.map((d, i) => [d, Math.floor(i / perBucket)]));
  return group(nodes, (n) => String(rank.get(n.devices)));
}

function mostFreeFirst(a: ShapeGroup, b: ShapeGroup): number {
  return b.devices - a.devices || b.cpuMilli - a.cpuMilli || b.memoryBytes - a.memoryBytes || b.nodes - a.nodes;
}
