/**
 * The lab topology: which clusters the lab starts (a hub and several sites) and what node pools each site has.
 * Parsed and validated in full before anything starts; every problem names the file, line and field.
 */
import { acceleratorNodeLabels, isVendor, VENDOR_INFO, VENDORS, type Vendor } from '../api/vendors.ts';
import { DNS1123_LABEL, FieldReader } from '../api/field-reader.ts';
import { ARCHITECTURES, DEFAULT_CURRENCY, LABEL_POOL, LABEL_PRECISIONS, PRECISIONS } from '../api/names.ts';
import { YamlSource } from '../api/yaml-source.ts';

/** Architecture is one of the CPU architectures a pool may have (names.ts ARCHITECTURES). */
export type Architecture = (typeof ARCHITECTURES)[number];

/** LabAccelerator is a pool's accelerators per node, as the topology declares them. */
export interface LabAccelerator {
  readonly vendor: Vendor;
  readonly model: string;
  /** count is devices per node. */
  readonly count: number;
  readonly memoryGiB: number;
  readonly precisions: readonly string[];
  readonly resourceName: string;
  /** pricePerHour is the price of one device-hour at this site, in the site's currency. */
  readonly pricePerHour: number | undefined;
}

/** LabTaint is a taint on every node of a pool. */
export interface LabTaint {
  readonly key: string;
  readonly value: string | undefined;
  readonly effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

/** LabPool is one node pool of a site: identical kwok Nodes. */
export interface LabPool {
  readonly name: string;
  readonly nodes: number;
  /** cpu in cores per node. */
  readonly cpu: number;
  /** memory in bytes per node. */
  readonly memory: number;
  readonly architecture: Architecture;
  readonly accelerator: LabAccelerator | undefined;
  readonly labels: Readonly<Record<string, string>>;
  readonly taints: readonly LabTaint[];
}

/** LabSite is one site cluster of the lab. */
export interface LabSite {
  readonly name: string;
  readonly region: string;
  readonly zone: string | undefined;
  readonly provider: string;
  readonly currency: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly pools: readonly LabPool[];
}

/** Topology is a validated topology file: the hub and the sites. */
export interface Topology {
  readonly file: string;
  readonly hub: { readonly name: string };
  readonly sites: readonly LabSite[];
}

const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const;
const DNS_HINT = 'use lower-case letters, digits and "-" (a DNS-1123 label)';

/** loadTopology reads and validates a topology file; throws ConfigError listing every problem. */
export function loadTopology(file: string): Topology {
  return parseTopology(YamlSource.read(file));
}

/** parseTopology validates an already parsed topology document. */
export function parseTopology(src: YamlSource): Topology {
  const r = new FieldReader(src);
  const root = r.object(src.value ?? {}, [], ['apiVersion', 'kind', 'hub', 'sites']);
  if (!root) return (r.throwIfIssues(), undefined as never);
  r.string(root, 'apiVersion', [], { oneOf: ['lab.suanwang.io/v1alpha1'] });
  r.string(root, 'kind', [], { oneOf: ['LabTopology'] });

  let hubName = 'hub';
  if (root['hub'] !== undefined) {
    const hub = r.object(root['hub'], ['hub'], ['name']);
    hubName = (hub && r.string(hub, 'name', ['hub'], { pattern: DNS1123_LABEL, hint: DNS_HINT })) ?? hubName;
  }

  const sites: LabSite[] = [];
  const seen = new Map<string, number>();
  (r.array(root, 'sites', [], { required: true, nonEmpty: true }) ?? []).forEach((raw, i) => {
    const path = ['sites', i];
    const s = r.object(raw, path, ['name', 'region', 'zone', 'provider', 'currency', 'labels', 'pools']);
    if (!s) return;
    const name = r.string(s, 'name', path, { required: true, pattern: DNS1123_LABEL, hint: DNS_HINT });
    if (name !== undefined) {
      const prev = seen.get(name);
      if (prev !== undefined) r.fail([...path, 'name'], `duplicate site name "${name}" (also sites[${prev}])`);
      else if (name === hubName) r.fail([...path, 'name'], `"${name}" is the hub's name; sites need other names`);
      else seen.set(name, i);
    }
    const region = r.string(s, 'region', path, { required: true });
    const zone = r.string(s, 'zone', path);
    const provider = r.string(s, 'provider', path) ?? 'lab';
    const currency = r.string(s, 'currency', path, { pattern: /^[A-Z]{3}$/, hint: 'an ISO 4217 code such as CNY or USD' }) ?? DEFAULT_CURRENCY;
    const labels = r.stringMap(s, 'labels', path);
    const pools = readPools(r, s, path);
    if (name && region && pools) sites.push({ name, region, zone, provider, currency, labels, pools });
  });
  r.throwIfIssues();
  return { file: src.file, hub: { name: hubName }, sites };
}

function readPools(r: FieldReader, site: Record<string, unknown>, sitePath: readonly (string | number)[]): LabPool[] | undefined {
  const pools: LabPool[] = [];
  const seen = new Set<string>();
  const list = r.array(site, 'pools', sitePath, { required: true, nonEmpty: true });
  if (!list) return undefined;
  list.forEach((raw, j) => {
    const path = [...sitePath, 'pools', j];
    const p = r.object(raw, path, ['name', 'nodes', 'cpu', 'memory', 'architecture', 'accelerator', 'labels', 'taints']);
    if (!p) return;
    const name = r.string(p, 'name', path, { required: true, pattern: DNS1123_LABEL, hint: DNS_HINT });
    if (name !== undefined) {
      if (seen.has(name)) r.fail([...path, 'name'], `duplicate pool name "${name}" in this site`);
      seen.add(name);
    }
    const nodes = r.int(p, 'nodes', path, { required: true, min: 0, max: 500 });
    const cpu = r.quantity(p, 'cpu', path, { required: true, min: 0.001 });
    const memory = r.quantity(p, 'memory', path, { required: true, min: 1 });
    const architecture = (r.string(p, 'architecture', path, { oneOf: ARCHITECTURES }) ?? 'amd64') as Architecture;
    const accelerator = p['accelerator'] === undefined ? undefined : readAccelerator(r, p['accelerator'], [...path, 'accelerator']);
    const labels = r.stringMap(p, 'labels', path);
    const taints = (r.array(p, 'taints', path) ?? []).flatMap((t, k) => {
      const tp = [...path, 'taints', k];
      const o = r.object(t, tp, ['key', 'value', 'effect']);
      if (!o) return [];
      const key = r.string(o, 'key', tp, { required: true });
      const value = r.string(o, 'value', tp);
      const effect = r.string(o, 'effect', tp, { required: true, oneOf: TAINT_EFFECTS }) as LabTaint['effect'] | undefined;
      return key && effect ? [{ key, value, effect }] : [];
    });
    if (name && nodes !== undefined && cpu !== undefined && memory !== undefined && accelerator !== null) {
      pools.push({ name, nodes, cpu, memory, architecture, accelerator, labels, taints });
    }
  });
  return pools;
}

/** readAccelerator returns null when invalid (undefined means "no accelerator"). */
function readAccelerator(r: FieldReader, raw: unknown, path: readonly (string | number)[]): LabAccelerator | null {
  const a = r.object(raw, path, ['vendor', 'model', 'count', 'memoryGiB', 'precisions', 'pricePerHour']);
  if (!a) return null;
  const vendor = r.string(a, 'vendor', path, { required: true, oneOf: VENDORS });
  const model = r.string(a, 'model', path, { required: true });
  const count = r.int(a, 'count', path, { required: true, min: 1, max: 64 });
  const memoryGiB = r.number(a, 'memoryGiB', path, { required: true, min: 1 });
  const precisions = r.stringList(a, 'precisions', path);
  // Placement knows only these; another spelling ("FP8") would be dropped from the Site without a word.
  precisions.forEach((p, k) => {
    if (!(PRECISIONS as readonly string[]).includes(p)) r.fail([...path, 'precisions', k], `must be one of ${PRECISIONS.join(', ')}, got "${p}"`);
  });
  const pricePerHour = r.number(a, 'pricePerHour', path, { min: 0 });
  if (!vendor || !isVendor(vendor) || !model || count === undefined || memoryGiB === undefined) return null;
  return { vendor, model, count, memoryGiB, precisions, resourceName: VENDOR_INFO[vendor].resourceName, pricePerHour };
}

/** nodeName is the deterministic name of node `index` of a pool. */
export function nodeName(site: LabSite, pool: LabPool, index: number): string {
  return `${site.name}-${pool.name}-${index}`;
}

/** nodeLabels are the labels a lab Node carries: well-known Kubernetes labels, vendor labels, the pool's own. */
export function nodeLabels(site: LabSite, pool: LabPool, index: number): Record<string, string> {
  const name = nodeName(site, pool, index);
  return {
    'kubernetes.io/hostname': name,
    'kubernetes.io/os': 'linux',
    'kubernetes.io/arch': pool.architecture,
    'topology.kubernetes.io/region': site.region,
    ...(site.zone ? { 'topology.kubernetes.io/zone': site.zone } : {}),
    [LABEL_POOL]: pool.name,
    type: 'kwok',
    ...(pool.accelerator ? acceleratorNodeLabels(pool.accelerator) : {}),
    ...(pool.accelerator && pool.accelerator.precisions.length > 0 ? { [LABEL_PRECISIONS]: pool.accelerator.precisions.join('.') } : {}),
    ...pool.labels,
  };
}

/** nodeCapacity is what one node of the pool advertises (status.capacity and status.allocatable). */
export function nodeCapacity(pool: LabPool): Record<string, string> {
  const cap: Record<string, string> = {
    cpu: String(pool.cpu),
    memory: String(Math.floor(pool.memory)),
    pods: '110',
    'ephemeral-storage': '1Ti',
  };
  if (pool.accelerator) cap[pool.accelerator.resourceName] = String(pool.accelerator.count);
  return cap;
}
