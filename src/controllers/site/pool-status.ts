/**
 * Node pools as the agent reports them on the wire (suanwang.agent.v1 NodePool) turned into the `Site` status's
 * NodePool, which is what placement reads (src/placement/snapshot.ts). Pure.
 *
 * The wire carries raw observations — nodes with their labels and resources, devices with their health — while the
 * API summarises a pool. The summary is derived from the same labels a real cluster carries (the lab's kwok nodes
 * carry them too, src/lab/topology.ts), so nothing here is lab-specific:
 * - architecture: the nodes' `kubernetes.io/arch`;
 * - accelerator.count: devices per node from the nodes' capacity of the vendor's extended resource (kubelet counts
 *   unhealthy devices in capacity, so this is the hardware, not what is free);
 * - accelerator.memory: the devices' reported total memory, else the vendor's node label;
 * - accelerator.precisions: `suanwang.io/precisions`, which only site operators set — vendors label no formats.
 * - freeShape: the agent's histogram of free capacity (src/agent/site/free-shape.ts), its first
 *   MAX_FREE_SHAPE_BUCKETS buckets only, so an agent that sends more costs no more (report-check.ts names the excess).
 *   Dropping buckets only under-states free capacity, never over-states it. Absent when the agent sent none (an
 *   older agent): placement then keeps to the pool's totals.
 * Quantities are copied as the agent sent them: they are Kubernetes canonical strings already, and re-rendering them
 * would only create diffs (report-check.ts drops those the CRD or placement could not take).
 */
import type { FreeShapeBucket, NodePool, PoolAccelerator, Quantity } from '../../api/generated/types.ts';
import { ARCHITECTURES, LABEL_ARCH, LABEL_PRECISIONS, PRECISIONS } from '../../api/names.ts';
import { formatBytes } from '../../api/quantity.ts';
import { MAX_FREE_SHAPE_BUCKETS } from '../../api/schema/site.ts';
import { isVendor, VENDOR_INFO, type Vendor } from '../../api/vendors.ts';
import type { FreeShapeOut, NodePoolOut } from '../../wire/messages.ts';
import type { Node__Output as NodeOut } from '../../wire/generated/suanwang/agent/v1/Node.ts';
import { bucketOf } from './site-sessions.ts';


type Architecture = (typeof ARCHITECTURES)[number];
type Precision = (typeof PRECISIONS)[number];

/**
 * nodePoolStatus maps one wire pool to the API's NodePool; undefined when the pool has no name. The result is not
 * yet fit to write: report-check.ts chooses the pools, checks every value against the CRD and orders them by name.
 */
export function nodePoolStatus(pool: NodePoolOut): NodePool | undefined {
  if (!pool.name) return undefined;
  const nodes = pool.nodes ?? [];
  const architecture = architectureOf(nodes);
  const accelerator = acceleratorOf(pool, nodes);
  const devices = deviceCounts(pool);
  const res = pool.resources;
  return {
    name: pool.name,
    ...(architecture !== undefined && { architecture }),
    ...(accelerator !== undefined && { accelerator }),
    nodes: nodes.length,
    readyNodes: nodes.filter((n) => n.ready === true && n.unschedulable !== true).length,
    ...quantities('capacity', res?.capacity),
    ...quantities('allocatable', res?.allocatable),
    ...quantities('allocated', res?.allocated),
    ...(devices !== undefined && { healthyDevices: devices.healthy, unhealthyDevices: devices.unhealthy }),
    ...(pool.freeShape !== undefined && { freeShape: freeShapeOf(pool.freeShape) }),
  };
}

/**
 * freeShapeOf copies the first MAX_FREE_SHAPE_BUCKETS buckets. A count the wire left out is 0 (proto3 does not send
 * zeros); a quantity it left out stays out, so report-check.ts drops the bucket as incomplete rather than guess.
 */
function freeShapeOf(shape: FreeShapeOut): FreeShapeBucket[] {
  return (shape.buckets ?? []).slice(0, MAX_FREE_SHAPE_BUCKETS).map((b) => {
    const bucket = { nodes: b.nodes ?? 0, devices: b.devices ?? 0, ...(b.cpu && { cpu: b.cpu }), ...(b.memory && { memory: b.memory }) };
    return bucket as FreeShapeBucket; // possibly without cpu or memory: the schema check below drops such a bucket
  });
}

/** quantities copies a resource map with sorted keys, or nothing when the agent sent none (absent ≠ zero). */
function quantities<K extends 'capacity' | 'allocatable' | 'allocated'>(
  key: K,
  map: Readonly<Record<string, string>> | undefined,
): { [P in K]?: Record<string, Quantity> } {
  const keys = Object.keys(map ?? {}).sort();
  if (map === undefined || keys.length === 0) return {};
  const out: Record<string, Quantity> = {};
  for (const k of keys) out[k] = map[k] as string;
  return { [key]: out } as { [P in K]?: Record<string, Quantity> };
}

/** architectureOf is the most common known `kubernetes.io/arch` among the nodes. */
function architectureOf(nodes: readonly NodeOut[]): Architecture | undefined {
  const arch = mostCommon(nodes.map((n) => n.labels?.[LABEL_ARCH]));
  return (ARCHITECTURES as readonly string[]).includes(arch ?? '') ? (arch as Architecture) : undefined;
}

function acceleratorOf(pool: NodePoolOut, nodes: readonly NodeOut[]): PoolAccelerator | undefined {
  const vendor = pool.vendor ?? '';
  if (!isVendor(vendor)) return undefined; // "cpu" or unknown: a pool without accelerators
  const resourceName = VENDOR_INFO[vendor].resourceName;
  const devices = pool.devices ?? [];
  const model = pool.acceleratorModel || mostCommon(devices.map((d) => d.model)) || '';
  const memory = deviceMemory(pool) ?? labelMemory(vendor, nodes);
  const precisions = precisionsOf(nodes);
  const count = perNode(resourceName, pool, nodes);
  return {
    vendor,
    model,
    resourceName,
    ...(memory !== undefined && { memory }),
    ...(precisions.length > 0 && { precisions }),
    ...(count !== undefined && { count }),
  };
}

/** deviceMemory is the most common total memory the devices report. */
function deviceMemory(pool: NodePoolOut): string | undefined {
  const bytes = mostCommon((pool.devices ?? []).map((d) => d.telemetry?.memoryTotalBytes).filter((b) => b !== undefined && b > 0));
  return bytes === undefined ? undefined : formatBytes(bytes);
}

/** labelMemory reads the per-device memory the vendor's feature discovery labels nodes with. */
function labelMemory(vendor: Vendor, nodes: readonly NodeOut[]): string | undefined {
  if (vendor === 'nvidia') {
    // GPU feature discovery: nvidia.com/gpu.memory in MiB.
    const mib = mostCommon(nodes.map((n) => n.labels?.['nvidia.com/gpu.memory']).filter((v) => v !== undefined && /^\d+$/.test(v)));
    return mib === undefined ? undefined : formatBytes(Number(mib) * 2 ** 20);
  }
  if (vendor === 'amd') {
    // AMD node labeller: amd.com/gpu.vram such as "64G", meaning GiB.
    const vram = mostCommon(nodes.map((n) => n.labels?.['amd.com/gpu.vram']).filter((v) => v !== undefined && /^\d+G$/.test(v)));
    return vram === undefined ? undefined : formatBytes(Number(vram.slice(0, -1)) * 2 ** 30);
  }
  return undefined;
}

/**
 * precisionsOf is the formats every labelled node supports (the intersection: a workload placed on the pool may land
 * on any of its nodes), in PRECISIONS order.
 */
function precisionsOf(nodes: readonly NodeOut[]): Precision[] {
  let common: Set<string> | undefined;
  for (const n of nodes) {
    const label = n.labels?.[LABEL_PRECISIONS];
    if (label === undefined) continue;
    const mine = new Set(label.split('.'));
    common = common === undefined ? mine : new Set([...common].filter((p) => mine.has(p)));
  }
  return PRECISIONS.filter((p) => common?.has(p) === true);
}

/** perNode is the most devices any node has, from node capacity, else from the device list. */
function perNode(resourceName: string, pool: NodePoolOut, nodes: readonly NodeOut[]): number | undefined {
  let best: number | undefined;
  for (const n of nodes) {
    const raw = n.resources?.capacity?.[resourceName];
    if (raw === undefined || !/^\d+$/.test(raw)) continue;
    best = Math.max(best ?? 0, Number(raw));
  }
  if (best !== undefined) return best;
  const perNodeName = new Map<string, number>();
  for (const d of pool.devices ?? []) if (d.nodeName) perNodeName.set(d.nodeName, (perNodeName.get(d.nodeName) ?? 0) + 1);
  return perNodeName.size === 0 ? undefined : Math.max(...perNodeName.values());
}

/**
 * deviceCounts: healthy counts healthy and degraded devices (degraded is usable, with warnings); unhealthy counts
 * unhealthy, unknown and lost ones — a device we cannot observe must not look available. From the agent's counts
 * when it sent them, else from its device list; undefined when it reported neither.
 */
function deviceCounts(pool: NodePoolOut): { healthy: number; unhealthy: number } | undefined {
  const c = pool.deviceHealth;
  if (c !== undefined) {
    return {
      healthy: (c.healthy ?? 0) + (c.degraded ?? 0),
      unhealthy: (c.unhealthy ?? 0) + (c.unknown ?? 0) + (c.lost ?? 0),
    };
  }
  const devices = pool.devices ?? [];
  if (devices.length === 0) return undefined;
  let healthy = 0;
  for (const d of devices) {
    const b = bucketOf(d.health?.status);
    if (b === 'healthy' || b === 'degraded') healthy++;
  }
  return { healthy, unhealthy: devices.length - healthy };
}

/** mostCommon returns the most frequent defined, non-empty value; ties go to the one seen first. */
function mostCommon<T extends string | number>(values: readonly (T | undefined)[]): T | undefined {
  const counts = new Map<T, number>();
  let best: T | undefined;
  let bestCount = 0;
  for (const v of values) {
    if (v === undefined || v === '') continue;
    const n = (counts.get(v) ?? 0) + 1;
    counts.set(v, n);
    if (n > bestCount) {
      best = v;
      bestCount = n;
    }
  }
  return best;
}
