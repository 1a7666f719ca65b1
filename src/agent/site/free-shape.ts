/**
 * freeShape: the free capacity of a pool's Ready, schedulable nodes as a bounded histogram (wire FreeBucket[]), so
 * the operator can fit a gang's workers node by node — 8 free GPUs as 4 + 4 do not hold one 8-GPU worker — without
 * receiving every node's numbers in the Site status. Pure and deterministic.
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
import { MAX_FREE_SHAPE_BUCKETS } from '../../api/schema/site.ts';
import type { FreeBucket } from '../../wire/messages.ts';
import { formatUnits, type Units } from './resource-units.ts';

/** NodeFree is what one Ready, schedulable node has free: devices (count), cpu (millicores), memory (bytes). */
export interface NodeFree {
  readonly devices: number;
  readonly cpuMilli: number;
  readonly memoryBytes: number;
}

/**
 * nodeFree is allocatable − allocated per resource, never negative (pods that the kubelet admitted before a device
 * turned unhealthy can hold more than the lowered allocatable). `deviceResource` is the pool's accelerator resource;
 * undefined for a CPU pool, whose nodes have 0 free devices.
 */
export function nodeFree(allocatable: Units, allocated: Units, deviceResource: string | undefined): NodeFree {
  const free = (r: string): number => Math.max(0, (allocatable.get(r) ?? 0) - (allocated.get(r) ?? 0));
  return { devices: deviceResource === undefined ? 0 : free(deviceResource), cpuMilli: free('cpu'), memoryBytes: free('memory') };
}

/** Bucket is a group being built: its node count and the least of each amount. */
interface Bucket {
  nodes: number;
  devices: number;
  cpuMilli: number;
  memoryBytes: number;
}

/** CLASS_STEPS are the cpu and memory classes per octave of the levels of step 1, finest first. */
const CLASS_STEPS: readonly number[] = [4, 2, 1];

/**
 * freeShape groups the nodes into at most `maxBuckets` buckets (steps in the module comment). `accelerated` says the
 * pool has an accelerator resource (its nodes with no free device form one bucket).
 */
export function freeShape(nodes: readonly NodeFree[], accelerated: boolean, maxBuckets = MAX_FREE_SHAPE_BUCKETS): FreeBucket[] {
  if (maxBuckets < 1) throw new Error(`freeShape: maxBuckets must be at least 1, got ${maxBuckets}`);
  const classKey =
    (steps: number) =>
    (n: NodeFree): string =>
      accelerated && n.devices === 0 ? '0' : `${n.devices}/${ratioClass(n.cpuMilli, steps)}/${ratioClass(n.memoryBytes, steps)}`;
  const keys = [...CLASS_STEPS.map(classKey), (n: NodeFree): string => String(n.devices)];
  let buckets: Bucket[] | undefined;
  for (const key of keys) {
    buckets = group(nodes, key);
    if (buckets.length <= maxBuckets) break;
  }
  if (buckets === undefined || buckets.length > maxBuckets) buckets = byDeviceRanges(nodes, maxBuckets);
  return buckets.sort(compareBuckets).map((b) => ({
    nodes: b.nodes,
    devices: b.devices,
    cpu: formatUnits('cpu', b.cpuMilli),
    memory: formatUnits('memory', b.memoryBytes),
  }));
}

/** ratioClass is floor(steps × log2 v): classes `1/steps` of an octave wide; −1 for 0. */
function ratioClass(v: number, steps: number): number {
  return v <= 0 ? -1 : Math.floor(steps * Math.log2(v));
}

/** group puts nodes of equal key into one bucket holding the least of each amount. */
function group(nodes: readonly NodeFree[], key: (n: NodeFree) => string): Bucket[] {
  const byKey = new Map<string, Bucket>();
  for (const n of nodes) {
    const k = key(n);
    const b = byKey.get(k);
    if (b === undefined) {
      byKey.set(k, { nodes: 1, devices: n.devices, cpuMilli: n.cpuMilli, memoryBytes: n.memoryBytes });
    } else {
      b.nodes += 1;
      b.devices = Math.min(b.devices, n.devices);
      b.cpuMilli = Math.min(b.cpuMilli, n.cpuMilli);
      b.memoryBytes = Math.min(b.memoryBytes, n.memoryBytes);
    }
  }
  return [...byKey.values()];
}

/** byDeviceRanges groups consecutive distinct free-device counts, ceil(k / maxBuckets) counts to a bucket. */
function byDeviceRanges(nodes: readonly NodeFree[], maxBuckets: number): Bucket[] {
  const distinct = [...new Set(nodes.map((n) => n.devices))].sort((a, b) => b - a);
  const perBucket = Math.ceil(distinct.length / maxBuckets);
  const rank = new Map(distinct.map((d, i) => [d, Math.floor(i / perBucket)]));
  return group(nodes, (n) => String(rank.get(n.devices)));
}

function compareBuckets(a: Bucket, b: Bucket): number {
  return b.devices - a.devices || b.cpuMilli - a.cpuMilli || b.memoryBytes - a.memoryBytes || b.nodes - a.nodes;
}
