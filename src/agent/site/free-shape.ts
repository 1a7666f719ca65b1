/**
 * The agent's side of a pool's free shape: what each Ready, schedulable node has free, from its allocatable and its
 * pods' requests, and the shape (src/api/free-shape.ts, poolShape) as the wire sends it, cpu and memory as quantity
 * strings. The grouping itself is shared with the simulator, which must report what the agent would.
 */
import { poolShape, type FreeNode } from '../../api/free-shape.ts';
import { MAX_FREE_SHAPE_BUCKETS } from '../../api/schema/site.ts';
import type { FreeBucket } from '../../wire/messages.ts';
import { formatUnits, type Units } from './resource-units.ts';

/** NodeFree is what one Ready, schedulable node has free: devices (count), cpu (millicores), memory (bytes). */
export type NodeFree = FreeNode;

/**
 * nodeFree is allocatable − allocated per resource, never negative (pods that the kubelet admitted before a device
 * turned unhealthy can hold more than the lowered allocatable). `deviceResource` is the pool's accelerator resource;
 * undefined for a CPU pool, whose nodes have 0 free devices.
 */
export function nodeFree(allocatable: Units, allocated: Units, deviceResource: string | undefined): NodeFree {
  const free = (r: string): number => Math.max(0, (allocatable.get(r) ?? 0) - (allocated.get(r) ?? 0));
  return { devices: deviceResource === undefined ? 0 : free(deviceResource), cpuMilli: free('cpu'), memoryBytes: free('memory') };
}

/**
 * freeShape is the pool's shape in at most `maxBuckets` wire buckets. `accelerated` says the pool has an accelerator
 * resource (its nodes with no free device form one bucket).
 */
export function freeShape(nodes: readonly NodeFree[], accelerated: boolean, maxBuckets = MAX_FREE_SHAPE_BUCKETS): FreeBucket[] {
  return poolShape(nodes, accelerated, maxBuckets).map((g) => ({
    nodes: g.nodes,
    devices: g.devices,
    cpu: formatUnits('cpu', g.cpuMilli),
    memory: formatUnits('memory', g.memoryBytes),
  }));
}
