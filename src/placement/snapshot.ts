/**
 * The snapshot placement decides on: every Site's spec and status, parsed once into numbers (cpu in cores, memory in
 * bytes, devices as counts), with capacity already promised to in-flight placements taken off. The engine reads
 * only this; it never sees a live cache, the clock or the network, so a decision can be replayed from its inputs.
 * A pool's free shape (how its free capacity lies node by node) is kept as reported; currentShape in free-shape.ts
 * parses it when first asked and takes the promises off it.
 */
import type { NodePool, Quantity, Site } from '../api/generated/types.ts';
import { ConditionStatus, ConditionType, DEFAULT_CURRENCY, type ARCHITECTURES, type PRECISIONS } from '../api/names.ts';
import { parseQuantity } from '../api/quantity.ts';
import { VENDOR_INFO, type Vendor } from '../api/vendors.ts';
import type { ReportedShape } from './free-shape.ts';
import { normaliseModel } from './model.ts';
import { compareStrings } from './order.ts';

/** Architecture is a node pool's CPU architecture (`kubernetes.io/arch`). */
export type Architecture = (typeof ARCHITECTURES)[number];
/** Precision is a numeric format an accelerator computes in. */
export type Precision = (typeof PRECISIONS)[number];
/** ResourceAmounts maps resource names (cpu, memory, nvidia.com/gpu, ...) to amounts: cores, bytes, counts. */
export type ResourceAmounts = Readonly<Record<string, number>>;

/**
 * PromisedCapacity is capacity decided but not yet visible in a site's `allocated`:
 * site → pool → resource → amount.
 * The controller holds what `promisedFor` returned until the site reports the pods, so two decisions made between
 * two heartbeats do not both spend the same free devices.
 */
export type PromisedCapacity = Readonly<Record<string, Readonly<Record<string, ResourceAmounts>>>>;

/** AcceleratorInfo describes the devices on each node of a pool. */
export interface AcceleratorInfo {
  readonly vendor: Vendor;
  /** model as the site reports it, for example NVIDIA-H100-80GB-HBM3. */
  readonly model: string;
  /** resourceName is the extended resource the devices are requested by. */
  readonly resourceName: string;
  /** memoryBytes is the memory of one device; absent when the site does not report it. */
  readonly memoryBytes?: number;
  readonly precisions: readonly Precision[];
  /** perNode is the number of devices on one node; absent when the site does not report it. */
  readonly perNode?: number;
}

/** PoolInfo is one node pool of a site, in numbers. */
export interface PoolInfo {
  readonly name: string;
  readonly architecture?: Architecture;
  readonly accelerator?: AcceleratorInfo;
  readonly nodes: number;
  readonly readyNodes: number;
  /** allocatable is the pool total; for devices the agent counts healthy ones only (so health shows up here). */
  readonly allocatable: ResourceAmounts;
  readonly allocated: ResourceAmounts;
  readonly promised: ResourceAmounts;
  /** free is allocatable − allocated − promised per resource, never negative. */
  readonly free: ResourceAmounts;
  readonly healthyDevices: number;
  readonly unhealthyDevices: number;
  /**
   * shape is the pool's free capacity node by node as the site reported it; absent when the site reports none (an
   * older agent), and placement then has the totals only. Read it through currentShape (free-shape.ts), which takes
   * off what `free` has lost since: promises, and an admission cycle's own takes.
   */
  readonly shape?: ReportedShape;
}

/** SiteInfo is one site as placement sees it. */
export interface SiteInfo {
  readonly name: string;
  readonly region: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly cordoned: boolean;
  /** ready is true only when the site's Ready condition is True. */
  readonly ready: boolean;
  /** notReadyReason is the Ready condition's reason (or NoReadyCondition) when ready is false. */
  readonly notReadyReason?: string;
  readonly currency: string;
  /** prices maps a normalised model name (see normaliseModel) to the price of one device-hour. */
  readonly prices: Readonly<Record<string, number>>;
  /** pools in name order. */
  readonly pools: readonly PoolInfo[];
}

/** Snapshot is every site placement may consider, in name order. */
export interface Snapshot {
  readonly sites: readonly SiteInfo[];
}

/** NO_READY_CONDITION is the not-ready reason of a site whose status carries no Ready condition yet. */
export const NO_READY_CONDITION = 'NoReadyCondition';

/**
 * buildSnapshot turns Site objects into a Snapshot. Sites without a name are skipped (the apiserver never returns
 * one). A quantity that does not parse counts as not reported: zero allocatable (nothing is placed on what we cannot
 * read) and zero allocated.
 */
export function buildSnapshot(sites: readonly Site[], promised: PromisedCapacity = {}): Snapshot {
  const infos: SiteInfo[] = [];
  for (const site of sites) {
    const name = site.metadata.name;
    if (name === undefined || name === '') continue;
    infos.push(siteInfo(name, site, promised[name] ?? {}));
  }
  infos.sort((a, b) => compareStrings(a.name, b.name));
  return { sites: infos };
}

function siteInfo(name: string, site: Site, promised: Readonly<Record<string, ResourceAmounts>>): SiteInfo {
  const ready = site.status?.conditions?.find((c) => c.type === ConditionType.Ready);
  const isReady = ready?.status === ConditionStatus.True;
  const prices: Record<string, number> = {};
  for (const p of site.spec.pricing?.accelerators ?? []) prices[normaliseModel(p.model)] = p.pricePerHour;
  const pools = (site.status?.nodePools ?? [])
    .map((p) => poolInfo(p, promised[p.name] ?? {}))
    .sort((a, b) => compareStrings(a.name, b.name));
  return {
    name,
    region: site.spec.region,
    labels: { ...site.spec.labels },
    cordoned: site.spec.cordon === true,
    ready: isReady,
    ...(isReady ? {} : { notReadyReason: ready === undefined ? NO_READY_CONDITION : ready.reason || ready.status }),
    currency: site.spec.pricing?.currency ?? DEFAULT_CURRENCY,
    prices,
    pools,
  };
}

function poolInfo(pool: NodePool, promised: ResourceAmounts): PoolInfo {
  const allocatable = amounts(pool.allocatable);
  const allocated = amounts(pool.allocated);
  const free: Record<string, number> = {};
  const reportedFree: Record<string, number> = {};
  for (const [resource, total] of Object.entries(allocatable)) {
    reportedFree[resource] = Math.max(0, total - (allocated[resource] ?? 0));
    free[resource] = Math.max(0, total - (allocated[resource] ?? 0) - (promised[resource] ?? 0));
  }
  const shape: ReportedShape | undefined = pool.freeShape === undefined ? undefined : { buckets: [...pool.freeShape], free: reportedFree };
  // Absent node counts mean the agent reported nothing about nodes; zero keeps the pool out of placement rather
  // than dividing its totals by a guess.
  const nodes = pool.nodes ?? 0;
  return {
    name: pool.name,
    ...(pool.architecture === undefined ? {} : { architecture: pool.architecture }),
    ...(pool.accelerator === undefined ? {} : { accelerator: acceleratorInfo(pool.accelerator) }),
    nodes,
    readyNodes: pool.readyNodes ?? nodes,
    allocatable,
    allocated,
    promised: { ...promised },
    free,
    healthyDevices: pool.healthyDevices ?? 0,
    unhealthyDevices: pool.unhealthyDevices ?? 0,
    ...(shape === undefined ? {} : { shape }),
  };
}

function acceleratorInfo(a: NonNullable<NodePool['accelerator']>): AcceleratorInfo {
  const memoryBytes = a.memory === undefined ? undefined : parseQuantity(a.memory);
  return {
    vendor: a.vendor,
    model: a.model,
    resourceName: a.resourceName ?? VENDOR_INFO[a.vendor].resourceName,
    ...(memoryBytes === undefined ? {} : { memoryBytes }),
    precisions: [...(a.precisions ?? [])],
    ...(a.count === undefined ? {} : { perNode: a.count }),
  };
}

function amounts(list: Record<string, Quantity> | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [resource, q] of Object.entries(list ?? {})) {
    const n = parseQuantity(q);
    if (n !== undefined && n >= 0) out[resource] = n;
  }
  return out;
}

/** priceOf returns a site's price for one device-hour of a model, or undefined when the site lists none. */
export function priceOf(site: SiteInfo, model: string): number | undefined {
  return site.prices[normaliseModel(model)];
}
