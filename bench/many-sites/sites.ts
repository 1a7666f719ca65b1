/**
 * The simulated federation: K pull sites, generated rather than written, shaped like the lab's (src/lab/topology.ts
 * types, so the lab's own Site object and Node builders apply): each site has a CPU pool and one pool of
 * accelerators, the vendor and model cycling over a few real ones, spread over a handful of regions. Small on
 * purpose (a few nodes per pool): the benchmark measures the operator's cost per site and per workload, not a big
 * site's, and K of them must fit in one bench process. Pure and deterministic: site i is always the same.
 */
import type { TopologyAccelerator, TopologyPool, TopologySite } from '../../src/api/topology-file.ts';
import { VENDOR_INFO, type Vendor } from '../../src/api/vendors.ts';

const GIB = 2 ** 30;

/** REGIONS the sites are spread over, round robin. */
export const REGIONS = ['cn-east', 'cn-north', 'cn-south', 'cn-southwest', 'cn-northwest', 'cn-central'] as const;

/** AcceleratorKind is one accelerator shape a site's device pool may have. */
interface AcceleratorKind {
  readonly pool: string;
  readonly vendor: Vendor;
  readonly model: string;
  readonly memoryGiB: number;
  readonly architecture: 'amd64' | 'arm64';
  readonly precisions: readonly string[];
  readonly pricePerHour: number;
}

/** ACCELERATORS cycle over the sites: site i gets ACCELERATORS[i % length]. */
export const ACCELERATORS: readonly AcceleratorKind[] = [
  { pool: 'h100', vendor: 'nvidia', model: 'NVIDIA H100 80GB HBM3', memoryGiB: 80, architecture: 'amd64', precisions: ['fp8', 'bf16', 'fp16', 'fp32'], pricePerHour: 28 },
  { pool: 'ascend910b', vendor: 'huawei', model: 'Ascend910B3', memoryGiB: 64, architecture: 'arm64', precisions: ['bf16', 'fp16', 'fp32'], pricePerHour: 12 },
  { pool: 'a100', vendor: 'nvidia', model: 'NVIDIA A100-SXM4-80GB', memoryGiB: 80, architecture: 'amd64', precisions: ['bf16', 'fp16', 'fp32'], pricePerHour: 18 },
  { pool: 'dcu', vendor: 'hygon', model: 'K100_AI', memoryGiB: 64, architecture: 'amd64', precisions: ['bf16', 'fp16', 'fp32'], pricePerHour: 9 },
];

/** SiteShape sizes every generated site's pools. */
export interface SiteShape {
  /** cpuNodes: nodes of the CPU pool (64 cores, 256 GiB each). */
  readonly cpuNodes: number;
  /** deviceNodes: nodes of the accelerator pool (8 devices, 128 cores, 1 TiB each). */
  readonly deviceNodes: number;
}

/** DEFAULT_SITE_SHAPE: 2 CPU nodes and 2 nodes of 8 devices per site. */
export const DEFAULT_SITE_SHAPE: SiteShape = { cpuNodes: 2, deviceNodes: 2 };

/** siteName names site i: site-0001 (1-based, four digits up to 9,999 sites). */
export function siteName(i: number): string {
  return `site-${String(i + 1).padStart(4, '0')}`;
}

function acceleratorPool(kind: AcceleratorKind, nodes: number): TopologyPool {
  const accelerator: TopologyAccelerator = {
    vendor: kind.vendor,
    model: kind.model,
    count: 8,
    memoryGiB: kind.memoryGiB,
    precisions: kind.precisions,
    resourceName: VENDOR_INFO[kind.vendor].resourceName,
    pricePerHour: kind.pricePerHour,
  };
  return { name: kind.pool, nodes, cpu: 128, memory: 1024 * GIB, architecture: kind.architecture, accelerator, labels: {}, taints: [] };
}

function cpuPool(nodes: number): TopologyPool {
  return { name: 'cpu', nodes, cpu: 64, memory: 256 * GIB, architecture: 'amd64', accelerator: undefined, labels: {}, taints: [] };
}

/** generateSite is site i of the federation: a pull site in REGIONS[i % 6] with a CPU pool and ACCELERATORS[i % 4]. */
export function generateSite(i: number, shape: SiteShape = DEFAULT_SITE_SHAPE): TopologySite {
  if (!Number.isInteger(i) || i < 0) throw new RangeError(`site index must be a whole number from 0, got ${i}`);
  const region = REGIONS[i % REGIONS.length] as string;
  const kind = ACCELERATORS[i % ACCELERATORS.length] as AcceleratorKind;
  const pools: TopologyPool[] = [];
  if (shape.cpuNodes > 0) pools.push(cpuPool(shape.cpuNodes));
  if (shape.deviceNodes > 0) pools.push(acceleratorPool(kind, shape.deviceNodes));
  if (pools.length === 0) throw new RangeError('a site needs at least one node: cpuNodes and deviceNodes are both 0');
  return {
    name: siteName(i),
    region,
    zone: `${region}-1a`,
    provider: `bench-provider-${i % 10}`,
    currency: 'CNY',
    labels: { 'suanwang.io/sovereignty': 'cn', 'suanwang.io/bench': 'many-sites' },
    pools,
    connection: 'pull',
    sitePolicy: undefined,
  };
}

/** generateSites is sites 0 … count-1. */
export function generateSites(count: number, shape: SiteShape = DEFAULT_SITE_SHAPE): TopologySite[] {
  if (!Number.isInteger(count) || count < 1 || count > 9999) throw new RangeError(`site count must be a whole number from 1 to 9999, got ${count}`);
  return Array.from({ length: count }, (_, i) => generateSite(i, shape));
}
