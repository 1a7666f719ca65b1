/**
 * A pool's free shape (Site status nodePools[].freeShape, schema/site.ts): the free capacity of its Ready,
 * schedulable nodes as a bounded histogram, so the operator can fit a gang's workers node by node — 8 free GPUs as
 * 4 + 4 do not hold one 8-GPU worker — without receiving every node's numbers. Built here from per-node free amounts;
 * the site agent reports it (src/agent/site/free-shape.ts, as quantity strings) and the simulator's Site objects carry
 * it (src/sim/site-objects.ts, as numbers); placement reads it (src/placement/free-shape.ts). Here, in api, because
 * it is what the Site status field means, and api is the one layer the agent and the simulator both may import
 * (test/unit/architecture/layers.ts). Pure and deterministic.
 *
 * A bucket is a group of nodes and the LEAST free devices, cpu and memory among them: whatever placement reads from a
 * bucket, each of its nodes has at least that, so a fit is never over-promised; merging nodes only ever under-states.
 *
 * How nodes are grouped, finest first, keeping the first level that gives at most `maxBuckets` buckets:
 *  1. by free devices exactly, and by free cpu and free memory in classes a quarter of an octave wide (a node's cpu
 *     or memory is then under-stated by at most 16 %: 2^(1/4) = 1.19), then half an octave (29 %), then an octave
 *     (50 %);
 *  2. by free devices alone (cpu and memory the least of all nodes with that many free devices);
 *  3. by ranges of free devices, as equal in count as can be (only a pool of more than `maxBuckets` distinct free
 *     counts, such as nodes of 64 devices, gets here).
 * Why classes by ratio, not by fixed steps: what decides a fit is free / request, so an error of a fixed share costs
 * the same at 8 cores as at 192. Zero is a class of its own (a full node must never share a bucket with a free one).
 * In an accelerator pool the nodes with no free device form one bucket whatever their cpu and memory: placement sends
 * CPU work to CPU pools only (src/placement/filters/variant-fit.ts), so no work fits them and classes would only
 * spend buckets.
 *
 * Buckets come most free devices first, then most free cpu, then most free memory, then most nodes.
 */
import { MAX_FREE_SHAPE_BUCKETS } from './schema/site.ts';

/** FreeNode is what one Ready, schedulable node has free: devices (count), cpu (millicores), memory (bytes). */
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

/** CLASS_STEPS are the cpu and memory classes per octave of the levels of step 1, finest first. */
const CLASS_STEPS: readonly number[] = [4, 2, 1];

/**
 * poolShape groups the nodes into at most `maxBuckets` buckets (steps in the module comment). `accelerated` says the
 * pool has an accelerator resource (its nodes with no free device form one bucket).
 */
export function poolShape(nodes: readonly FreeNode[], accelerated: boolean, maxBuckets = MAX_FREE_SHAPE_BUCKETS): ShapeGroup[] {
  if (maxBuckets < 1) throw new Error(`poolShape: maxBuckets must be at least 1, got ${maxBuckets}`);
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

/** ratioClass is floor(steps × log2 v): classes `1/steps` of an octave wide; −1 for 0. */
function ratioClass(v: number, steps: number): number {
  return v <= 0 ? -1 : Math.floor(steps * Math.log2(v));
}

/** group puts nodes of equal key into one bucket holding the least of each amount. */
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

/** byDeviceRanges groups consecutive distinct free-device counts, ceil(k / maxBuckets) counts to a bucket. */
function byDeviceRanges(nodes: readonly FreeNode[], maxBuckets: number): ShapeGroup[] {
  const distinct = [...new Set(nodes.map((n) => n.devices))].sort((a, b) => b - a);
  const perBucket = Math.ceil(distinct.length / maxBuckets);
  const rank = new Map(distinct.map((d, i) => [d, Math.floor(i / perBucket)]));
  return group(nodes, (n) => String(rank.get(n.devices)));
}

function mostFreeFirst(a: ShapeGroup, b: ShapeGroup): number {
  return b.devices - a.devices || b.cpuMilli - a.cpuMilli || b.memoryBytes - a.memoryBytes || b.nodes - a.nodes;
}
