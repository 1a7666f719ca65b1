/**
 * The snapshot placement decides on: every Site's spec and status, parsed once into numbers (cpu in cores, memory in
 * bytes, devices as counts), with capacity already promised to in-flight placements taken off. The engine reads
 * only this; it never sees a live cache, the clock or the network, so a decision can be replayed from its inputs.
 * A pool's free shape (how its free capacity lies node by node) is kept as reported; currentShape in free-shape.ts
 * parses it when first asked and takes the promises off it.
 */
import type { NodePool, Quantity, Site } from '../api/generated/types.ts';
import { ConditionStatus, ConditionType, DEFAULT_CURRENCY, type ARCHITECTURES, type PRECISIONS } from '../api/names.ts';
import { VENDOR_INFO, type Vendor } from '../api/vendors.ts';
import type { ReportedShape } from './free-shape.ts';
import { normaliseModel } from './model.ts';
import { compareStrings } from './order.ts';
import { quantity } from './quantities.ts';

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
    const promises = promised[name];
    infos.push(promises === undefined || isEmpty(promises) ? unpromisedSiteInfo(name, site) : siteInfo(name, site, promises));
  }
  infos.sort((a, b) => compareStrings(a.name, b.name));
  return { sites: infos };
}

/**
 * PARSED keeps each Site object's SiteInfo (without promises) while the object lives. The controllers rebuild the
 * snapshot for every decision from the informer's Site objects, which are replaced, never changed, when a Site
 * changes; parsing only the changed ones keeps a decision at 1,000 sites from parsing 4,000 pools and from the
 * collection pauses that garbage caused. The resourceVersion is compared too, so a caller that edits a Site in place
 * and gives it a new version is not served the old parse. SiteInfo is never mutated (snapshot-edits copies).
 */
const PARSED = new WeakMap<Site, { readonly resourceVersion: string | undefined; readonly info: SiteInfo }>();

function unpromisedSiteInfo(name: string, site: Site): SiteInfo {
  const known = PARSED.get(site);
  if (known !== undefined && known.resourceVersion === site.metadata.resourceVersion && known.info.name === name) return known.info;
  const info = siteInfo(name, site, NO_PROMISES);
  PARSED.set(site, { resourceVersion: site.metadata.resourceVersion, info });
  return info;
}

function isEmpty(o: object): boolean {
  for (const _ in o) return false;
  return true;
}

/** Mutable builds a snapshot object field by field: conditional spreads allocate a temporary object per field. */
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** NOTHING_PROMISED and NO_PROMISES stand for no promise at a pool and a site, shared by the thousands of either. */
const NOTHING_PROMISED: ResourceAmounts = Object.freeze({});
const NO_PROMISES: Readonly<Record<string, ResourceAmounts>> = Object.freeze({});

function siteInfo(name: string, site: Site, promised: Readonly<Record<string, ResourceAmounts>>): SiteInfo {
  const ready = site.status?.conditions?.find((c) => c.type === ConditionType.Ready);
  const isReady = ready?.status === ConditionStatus.True;
  const prices: Record<string, number> = {};
  for (const p of site.spec.pricing?.accelerators ?? []) prices[normalisedModel(p.model)] = p.pricePerHour;
  const pools: PoolInfo[] = [];
  for (const p of site.status?.nodePools ?? []) pools.push(poolInfo(p, promised[p.name]));
  pools.sort((a, b) => compareStrings(a.name, b.name));
  // Fields in the order the type lists them, optional ones only when present.
  const info = { name, region: site.spec.region, labels: { ...site.spec.labels }, cordoned: site.spec.cordon === true, ready: isReady } as Mutable<SiteInfo>;
  if (!isReady) info.notReadyReason = ready === undefined ? NO_READY_CONDITION : ready.reason || ready.status;
  info.currency = site.spec.pricing?.currency ?? DEFAULT_CURRENCY;
  info.prices = prices;
  info.pools = pools;
  return info;
}

function poolInfo(pool: NodePool, promised: ResourceAmounts | undefined): PoolInfo {
  const allocatable = amounts(pool.allocatable);
  const allocated = amounts(pool.allocated);
  const free: Record<string, number> = {};
  const reportedFree: Record<string, number> = {};
  for (const resource in allocatable) {
    const left = (allocatable[resource] as number) - (allocated[resource] ?? 0);
    reportedFree[resource] = Math.max(0, left);
    free[resource] = Math.max(0, left - (promised?.[resource] ?? 0));
  }
  // Absent node counts mean the agent reported nothing about nodes; zero keeps the pool out of placement rather
  // than dividing its totals by a guess.
  const nodes = pool.nodes ?? 0;
  const info = { name: pool.name } as Mutable<PoolInfo>;
  if (pool.architecture !== undefined) info.architecture = pool.architecture;
  if (pool.accelerator !== undefined) info.accelerator = acceleratorInfo(pool.accelerator);
  info.nodes = nodes;
  info.readyNodes = pool.readyNodes ?? nodes;
  info.allocatable = allocatable;
  info.allocated = allocated;
  info.promised = promised === undefined ? NOTHING_PROMISED : { ...promised };
  info.free = free;
  info.healthyDevices = pool.healthyDevices ?? 0;
  info.unhealthyDevices = pool.unhealthyDevices ?? 0;
  if (pool.freeShape !== undefined) info.shape = { buckets: [...pool.freeShape], free: reportedFree };
  return info;
}

function acceleratorInfo(a: NonNullable<NodePool['accelerator']>): AcceleratorInfo {
  const info = { vendor: a.vendor, model: a.model, resourceName: a.resourceName ?? VENDOR_INFO[a.vendor].resourceName } as Mutable<AcceleratorInfo>;
  const memoryBytes = a.memory === undefined ? undefined : quantity(a.memory);
  if (memoryBytes !== undefined) info.memoryBytes = memoryBytes;
  info.precisions = a.precisions === undefined ? [] : [...a.precisions];
  if (a.count !== undefined) info.perNode = a.count;
  return info;
}

function amounts(list: Record<string, Quantity> | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  if (list === undefined) return out;
  for (const resource in list) {
    const n = quantity(list[resource] as Quantity);
    if (n !== undefined && n >= 0) out[resource] = n;
  }
  return out;
}

/**
 * MODELS remembers normalised price model names: a federation prices the same few models at every site. Bounded like
 * quantities.ts.
 */
const MODELS = new Map<string, string>();
const MODELS_MAX = 1024;

function normalisedModel(model: string): string {
  let n = MODELS.get(model);
  if (n !== undefined) return n;
  if (MODELS.size >= MODELS_MAX) MODELS.clear();
  n = normaliseModel(model);
  MODELS.set(model, n);
  return n;
}

/** priceOf returns a site's price for one device-hour of a model, or undefined when the site lists none. */
export function priceOf(site: SiteInfo, model: string): number | undefined {
  return site.prices[normaliseModel(model)];
}
