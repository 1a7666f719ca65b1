/**
 * buildPools: the site's Nodes and Pods → the node pools the agent reports (wire NodePool), pure and deterministic.
 *
 * 1. Group: a Node belongs to the pool its LABEL_POOL label names (used verbatim: the operator selects pools by that
 *    label). A Node without it goes to `<arch>-<accelerator product or "cpu">`, made a DNS-1123 label.
 * 2. Describe: vendor and accelerator model from the vendor product labels (VENDOR_INFO), else from which vendor's
 *    extended resource the Node has; "cpu" when neither.
 * 3. Resources: capacity and allocatable summed from Node status; allocated summed from the effective requests of
 *    pods bound to the pool's Nodes and not finished (pod-requests.ts). cpu, memory and accelerator resources only
 *    (resource-units.ts).
 * 4. Devices and health from each Node's ANNOTATION_DEVICES (device-annotation.ts) — see node-devices.ts for the
 *    rules, including how unhealthy, missing and stale-reported devices lower allocatable. Staleness is judged
 *    against the time the caller passes (the agent's clock), so the function stays pure.
 * 5. Free shape: what each Ready, schedulable node has free (its allocatable from step 4 less its allocated), as a
 *    bounded histogram (free-shape.ts). Cordoned and not-Ready nodes take no new pods, so they add nothing to it.
 *
 * Everything comes out in a fixed order (pools, nodes, devices, map keys), so equal inputs give equal JSON and the
 * site agent can compare pools by their JSON.
 *
 * Proto gaps (the wire NodePool has no field for them): the pool's architecture, precisions and per-device memory
 * are carried on each Node's `labels` (kubernetes.io/arch, suanwang.io/precisions, nvidia.com/gpu.memory) and on
 * each Device's telemetry.memoryTotalBytes.
 */
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { LABEL_ARCH, LABEL_POOL, LABEL_PRECISIONS } from '../../api/names.ts';
import { VENDOR_INFO, VENDORS, type Vendor } from '../../api/vendors.ts';
import type { Device, NodePool } from '../../wire/messages.ts';
import type { Node as WireNode } from '../../wire/generated/suanwang/agent/v1/Node.ts';
import type { DeviceHealthCounts } from '../../wire/generated/suanwang/agent/v1/DeviceHealthCounts.ts';
import { freeShape, nodeFree, type NodeFree } from './free-shape.ts';
import { nodeDevices, type NodeDevices, type ReportFreshness } from './node-devices.ts';
import { holdsResources, podRequests } from './pod-requests.ts';
import { addList, addUnits, toQuantityMap, toUnits, type Units } from './resource-units.ts';

/** LABEL_NVIDIA_GPU_MEMORY is GPU feature discovery's per-GPU memory label, in MiB. */
export const LABEL_NVIDIA_GPU_MEMORY = 'nvidia.com/gpu.memory';

/** REPORTED_NODE_LABELS are the Node labels copied into each wire Node: what placement reads, nothing else. */
export const REPORTED_NODE_LABELS: readonly string[] = [
  LABEL_ARCH,
  'kubernetes.io/os',
  'node.kubernetes.io/instance-type',
  'topology.kubernetes.io/region',
  'topology.kubernetes.io/zone',
  LABEL_POOL,
  LABEL_PRECISIONS,
  ...VENDORS.map((v) => VENDOR_INFO[v].productLabel),
  LABEL_NVIDIA_GPU_MEMORY,
  'nvidia.com/gpu.count',
  'nvidia.com/gpu.replicas',
  'nvidia.com/mig.strategy',
  'amd.com/gpu.vram',
];

/** NodeShape is how one Node is classified. */
interface NodeShape {
  readonly node: V1Node;
  readonly name: string;
  readonly pool: string;
  readonly vendor: Vendor | undefined;
  readonly model: string | undefined;
  /** devices are the node's devices and what they do to its allocatable (node-devices.ts). */
  readonly devices: NodeDevices;
  /** capacity, and on the wire capacity and allocatable (after the allocatable rule), as the node reports them. */
  readonly capacity: Units;
  readonly capacityQuantities: Record<string, string>;
  readonly allocatableQuantities: Record<string, string>;
  /** ready is the Ready condition's verdict, undefined without one. */
  readonly ready: boolean | undefined;
  readonly unschedulable: boolean;
  /** labels are the REPORTED_NODE_LABELS the node has, in name order. */
  readonly labels: Record<string, string>;
}

/** sanitizePoolName turns any text into a DNS-1123 label (lower case, [a-z0-9-], at most 63 characters). */
export function sanitizePoolName(s: string): string {
  const label = s
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-+/, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return label === '' ? 'pool' : label;
}

/** nodeVendor names the vendor of a Node's accelerators: by product label first, then by extended resource. */
export function nodeVendor(node: V1Node): Vendor | undefined {
  const labels = node.metadata?.labels ?? {};
  const byLabel = VENDORS.find((v) => (labels[VENDOR_INFO[v].productLabel] ?? '') !== '');
  if (byLabel !== undefined) return byLabel;
  const capacity = node.status?.capacity ?? {};
  return VENDORS.find((v) => {
    const q = capacity[VENDOR_INFO[v].resourceName];
    return q !== undefined && (toUnits(VENDOR_INFO[v].resourceName, q) ?? 0) > 0;
  });
}

/**
 * SHAPES remembers each Node object's NodeShape: its cached Nodes are replaced, never changed (node-devices.ts), and
 * the agent rebuilds on every pod change, so a node's pool, devices and wire resources and labels are worked out once
 * per Node object, and again only when its devices are (a report turning stale). What changes per build, the pods'
 * allocation, is added in buildPool. Callers only read a shape.
 */
const SHAPES = new WeakMap<V1Node, NodeShape>();

function classify(node: V1Node, freshness: ReportFreshness): NodeShape {
  const vendor = nodeVendor(node);
  const devices = nodeDevices(node, vendor, freshness);
  const known = SHAPES.get(node);
  if (known !== undefined && known.devices === devices) return known;
  const labels = node.metadata?.labels ?? {};
  const product = vendor === undefined ? undefined : labels[VENDOR_INFO[vendor].productLabel];
  const model = product === undefined || product === '' ? undefined : product;
  const explicit = labels[LABEL_POOL];
  const arch = labels[LABEL_ARCH] ?? '';
  const pool = explicit !== undefined && explicit !== '' ? explicit : sanitizePoolName(`${arch === '' ? 'unknown' : arch}-${model ?? 'cpu'}`);
  const capacity: Units = new Map();
  addList(capacity, node.status?.capacity);
  const shape: NodeShape = {
    node,
    name: node.metadata?.name ?? '',
    pool,
    vendor,
    model,
    devices,
    capacity,
    capacityQuantities: toQuantityMap(capacity),
    allocatableQuantities: toQuantityMap(devices.allocatable),
    ready: readyOf(node),
    unschedulable: node.spec?.unschedulable === true,
    labels: reportedLabels(node),
  };
  SHAPES.set(node, shape);
  return shape;
}

function readyOf(node: V1Node): boolean | undefined {
  const c = node.status?.conditions?.find((x) => x.type === 'Ready');
  return c === undefined ? undefined : c.status === 'True';
}

const SORTED_REPORTED_LABELS: readonly string[] = [...REPORTED_NODE_LABELS].sort();

function reportedLabels(node: V1Node): Record<string, string> {
  const labels = node.metadata?.labels ?? {};
  const out: Record<string, string> = {};
  for (const key of SORTED_REPORTED_LABELS) {
    const v = labels[key];
    if (v !== undefined) out[key] = v;
  }
  return out;
}

/**
 * REQUESTS remembers effective requests, for the same reason and on the same terms as node-devices.ts remembers
 * decoded annotations: cached objects are replaced, never changed. Callers only read the returned units. A pod with
 * containers only (the usual case) is remembered by its containers list, which the agent's cache shares between pods
 * of one template (site-objects.ts), so 10,000 such pods hold a few sets of units, not 10,000.
 */
const REQUESTS = new WeakMap<object, Units>();

function requestsOf(pod: V1Pod): Units {
  const spec = pod.spec;
  const containersOnly = spec !== undefined && spec.initContainers === undefined && spec.overhead === undefined && Array.isArray(spec.containers);
  const key: object = containersOnly ? spec.containers : pod;
  let units = REQUESTS.get(key);
  if (units === undefined) {
    units = podRequests(pod);
    REQUESTS.set(key, units);
  }
  return units;
}

/**
 * WIRE_NODES remembers the wire Node last built for each NodeShape, with the allocation it was built with. Most
 * rebuilds change a few nodes' allocation (a pod started or ended), so the other nodes' records are handed out again,
 * the same objects: no garbage per unchanged node, and pool-changes.ts digests each record once (its digest is
 * remembered per object too). A node's record is rebuilt when its Node object, its devices or its allocation change.
 */
const WIRE_NODES = new WeakMap<NodeShape, { readonly allocated: Units; readonly wire: WireNode }>();

function sameUnits(a: Units, b: Units): boolean {
  if (a.size !== b.size) return false;
  for (const [name, units] of a) if (b.get(name) !== units) return false;
  return true;
}

function wireNode(s: NodeShape, allocated: Units): WireNode {
  const known = WIRE_NODES.get(s);
  if (known !== undefined && sameUnits(known.allocated, allocated)) return known.wire;
  const wire: WireNode = {
    name: s.name,
    ...(s.ready === undefined ? {} : { ready: s.ready }),
    unschedulable: s.unschedulable,
    resources: { capacity: s.capacityQuantities, allocatable: s.allocatableQuantities, allocated: toQuantityMap(allocated) },
    labels: s.labels,
  };
  WIRE_NODES.set(s, { allocated, wire });
  return wire;
}

function byName<T>(key: (x: T) => string): (a: T, b: T) => number {
  return (a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
}

/** SiteBuild is the outcome of buildSite. */
export interface SiteBuild {
  readonly pools: NodePool[];
  /**
   * freshUntil is the earliest time (ms since the epoch) at which a device report that is fresh now turns stale, and
   * the pools would change with no Node changing; undefined when no report would.
   */
  readonly freshUntil: number | undefined;
}

/** buildPools computes the site's node pools in name order (steps in the module comment). */
export function buildPools(nodes: readonly V1Node[], pods: readonly V1Pod[], freshness: ReportFreshness): NodePool[] {
  return buildSite(nodes, pods, freshness).pools;
}

/** buildSite is buildPools, also saying when the pools would next change by time alone. */
export function buildSite(nodes: readonly V1Node[], pods: readonly V1Pod[], freshness: ReportFreshness): SiteBuild {
  // 1. Group.
  const groups = new Map<string, NodeShape[]>();
  for (const shape of nodes.map((n) => classify(n, freshness)).sort(byName((s) => s.name))) {
    const list = groups.get(shape.pool) ?? [];
    list.push(shape);
    groups.set(shape.pool, list);
  }
  // 3 (input). What each node's pods hold.
  const allocatedByNode = new Map<string, Units>();
  for (const pod of pods) {
    if (!holdsResources(pod)) continue;
    const node = pod.spec?.nodeName ?? '';
    const units = allocatedByNode.get(node) ?? new Map<string, number>();
    addUnits(units, requestsOf(pod));
    allocatedByNode.set(node, units);
  }
  // 4 (input). The earliest time a node's device report turns stale.
  let freshUntil: number | undefined;
  for (const shapes of groups.values()) {
    for (const { devices } of shapes) {
      if (devices.freshUntil !== undefined) freshUntil = Math.min(freshUntil ?? devices.freshUntil, devices.freshUntil);
    }
  }
  const pools = [...groups.keys()].sort().map((name) => buildPool(name, groups.get(name) ?? [], allocatedByNode));
  return { pools, freshUntil };
}

function buildPool(name: string, shapes: readonly NodeShape[], allocatedByNode: ReadonlyMap<string, Units>): NodePool {
  // 2. Describe: nodes of one pool should agree; when they do not, the first node (by name) with a vendor decides.
  const lead = shapes.find((s) => s.vendor !== undefined);
  const deviceResource = lead?.vendor === undefined ? undefined : VENDOR_INFO[lead.vendor].resourceName;
  const free: NodeFree[] = [];
  const capacity: Units = new Map();
  const allocatable: Units = new Map();
  const allocated: Units = new Map();
  const wireNodes: WireNode[] = [];
  const devices: Device[] = [];
  const counts = { healthy: 0, degraded: 0, unhealthy: 0, unknown: 0, lost: 0 };
  let reported = false;
  for (const s of shapes) {
    // 4. Devices; 3. resources, with allocatable lowered for unusable devices.
    const d: NodeDevices = s.devices;
    const nodeCapacity = s.capacity;
    // Every resource the node has is reported as allocated, 0 included: on the wire a missing key means "not reported".
    const nodeAllocated: Units = new Map([...nodeCapacity.keys()].map((r) => [r, 0]));
    addUnits(nodeAllocated, allocatedByNode.get(s.name) ?? new Map<string, number>());
    addUnits(capacity, nodeCapacity);
    addUnits(allocatable, d.allocatable);
    addUnits(allocated, nodeAllocated);
    devices.push(...d.devices);
    if (d.counts !== undefined) {
      reported = true;
      counts.healthy += d.counts.healthy;
      counts.degraded += d.counts.degraded;
      counts.unhealthy += d.counts.unhealthy;
      counts.unknown += d.counts.unknown;
      counts.lost += d.counts.lost;
    }
    const { ready, unschedulable } = s;
    // 5. Free shape.
    if (ready === true && !unschedulable) free.push(nodeFree(d.allocatable, nodeAllocated, deviceResource));
    wireNodes.push(wireNode(s, nodeAllocated));
  }
  const deviceHealth: DeviceHealthCounts | undefined = reported ? counts : undefined;
  return {
    name,
    vendor: lead?.vendor ?? 'cpu',
    ...(lead?.model === undefined ? {} : { acceleratorModel: lead.model }),
    resources: { capacity: toQuantityMap(capacity), allocatable: toQuantityMap(allocatable), allocated: toQuantityMap(allocated) },
    nodes: wireNodes,
    devices,
    ...(deviceHealth === undefined ? {} : { deviceHealth }),
    freeShape: { buckets: freeShape(free, deviceResource !== undefined) },
  };
}
