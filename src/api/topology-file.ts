/**
 * The topology file (apiVersion lab.suanwang.io/v1alpha1, kind LabTopology: examples/lab/*.yaml, examples/sim/*.yaml):
 * a hub and the sites of a federation, each with its node pools. One file, two readers: the lab starts it as kind
 * clusters with kwok Nodes (src/lab/topology.ts), the simulator replays traces on it (src/sim/topology.ts).
 *
 * Why here, in api: it is a config-file format, read with the config-file tools (field-reader.ts, yaml-source.ts),
 * and api is the one layer both the lab and the simulator may import (the simulator may not import the lab;
 * test/unit/architecture/layers.ts). Parsed and validated in full; every problem names the file, line and field.
 *
 * The one thing the readers differ on is how many nodes a pool may have (`maxPoolNodes`): the lab runs every node as
 * a kwok Node on one machine (LAB_MAX_POOL_NODES), while a simulated pool is bounded only by the simulator's memory.
 */
import { DNS1123_LABEL, FieldReader } from './field-reader.ts';
import { ARCHITECTURES, DEFAULT_CURRENCY, PRECISIONS } from './names.ts';
import { isVendor, VENDOR_INFO, VENDORS, type Vendor } from './vendors.ts';
import { YamlSource } from './yaml-source.ts';

/** Architecture is one of the CPU architectures a pool may have (names.ts ARCHITECTURES). */
export type Architecture = (typeof ARCHITECTURES)[number];

/** TopologyAccelerator is a pool's accelerators per node, as the topology declares them. */
export interface TopologyAccelerator {
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

/** TopologyTaint is a taint on every node of a pool. */
export interface TopologyTaint {
  readonly key: string;
  readonly value: string | undefined;
  readonly effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

/** TopologyPool is one node pool of a site: identical nodes. */
export interface TopologyPool {
  readonly name: string;
  readonly nodes: number;
  /** cpu in cores per node. */
  readonly cpu: number;
  /** memory in bytes per node. */
  readonly memory: number;
  readonly architecture: Architecture;
  readonly accelerator: TopologyAccelerator | undefined;
  readonly labels: Readonly<Record<string, string>>;
  readonly taints: readonly TopologyTaint[];
}

/**
 * TOPOLOGY_CONNECTIONS are how the operator reaches a site (Site spec.connection.mode): `push`, it calls the site's
 * kube-apiserver with a kubeconfig; `pull`, it sends the member objects over the agent's session and the agent applies
 * them, so the hub holds no credential for the site.
 */
export const TOPOLOGY_CONNECTIONS = ['push', 'pull'] as const;
/** TopologyConnection is one of TOPOLOGY_CONNECTIONS. */
export type TopologyConnection = (typeof TOPOLOGY_CONNECTIONS)[number];

/** TopologySite is one site cluster of the federation. */
export interface TopologySite {
  readonly name: string;
  readonly region: string;
  readonly zone: string | undefined;
  readonly provider: string;
  readonly currency: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly pools: readonly TopologyPool[];
  /** connection defaults to push. */
  readonly connection: TopologyConnection;
  /**
   * sitePolicy is a pull site's policy document (docs/site-policy.md) as written in the file. Only its shape (a
   * mapping) is checked here: its fields are the agent's to define, and the lab checks them with the agent's own reader
   * (src/lab/topology.ts) before anything starts.
   */
  readonly sitePolicy: Readonly<Record<string, unknown>> | undefined;
}

/** Topology is a validated topology file: the hub and the sites, in file order. */
export interface Topology {
  readonly file: string;
  readonly hub: { readonly name: string };
  readonly sites: readonly TopologySite[];
}

/** TopologyLimits is what a reader allows beyond the format itself (module comment). */
export interface TopologyLimits {
  /** maxPoolNodes bounds `nodes` of every pool. */
  readonly maxPoolNodes: number;
}

/**
 * LAB_MAX_POOL_NODES is the lab's bound on a pool: kwok Nodes on one machine. Here rather than in src/lab because the
 * simulator writes topologies the lab must be able to start (src/sim/split.ts) and may not import the lab.
 */
export const LAB_MAX_POOL_NODES = 500;

const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const;
const DNS_HINT = 'use lower-case letters, digits and "-" (a DNS-1123 label)';

/** readTopologyFile reads and validates a topology file; throws ConfigError listing every problem. */
export function readTopologyFile(file: string, limits: TopologyLimits): Topology {
  return parseTopologyFile(YamlSource.read(file), limits);
}

/** parseTopologyFile validates an already parsed topology document. */
export function parseTopologyFile(src: YamlSource, limits: TopologyLimits): Topology {
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

  const sites: TopologySite[] = [];
  const seen = new Map<string, number>();
  (r.array(root, 'sites', [], { required: true, nonEmpty: true }) ?? []).forEach((raw, i) => {
    const path = ['sites', i];
    const s = r.object(raw, path, ['name', 'region', 'zone', 'provider', 'currency', 'labels', 'pools', 'connection', 'sitePolicy']);
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
    const pools = readPools(r, s, path, limits);
    const connection = (r.string(s, 'connection', path, { oneOf: TOPOLOGY_CONNECTIONS }) ?? 'push') as TopologyConnection;
    const sitePolicy = readSitePolicy(r, s, path, connection);
    if (name && region && pools && sitePolicy !== null) sites.push({ name, region, zone, provider, currency, labels, pools, connection, sitePolicy });
  });
  r.throwIfIssues();
  return { file: src.file, hub: { name: hubName }, sites };
}

/** readSitePolicy returns the site's policy document, undefined when it has none, null when it is unusable. */
function readSitePolicy(r: FieldReader, site: Record<string, unknown>, sitePath: readonly (string | number)[], connection: TopologyConnection): Record<string, unknown> | undefined | null {
  const raw = site['sitePolicy'];
  if (raw === undefined) return undefined;
  const path = [...sitePath, 'sitePolicy'];
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    r.fail(path, 'must be a mapping: a site policy document (docs/site-policy.md)');
    return null;
  }
  // Only a pull site's agent applies member objects, so only it checks them against a policy: on a push site the
  // block would look like a restriction that nothing enforces.
  if (connection !== 'pull') {
    r.fail(path, 'only a pull site (connection: pull) checks member objects against a site policy; add connection: pull or remove sitePolicy');
    return null;
  }
  return raw as Record<string, unknown>;
}

function readPools(r: FieldReader, site: Record<string, unknown>, sitePath: readonly (string | number)[], limits: TopologyLimits): TopologyPool[] | undefined {
  const pools: TopologyPool[] = [];
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
    const nodes = r.int(p, 'nodes', path, { required: true, min: 0, max: limits.maxPoolNodes });
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
      const effect = r.string(o, 'effect', tp, { required: true, oneOf: TAINT_EFFECTS }) as TopologyTaint['effect'] | undefined;
      return key && effect ? [{ key, value, effect }] : [];
    });
    if (name && nodes !== undefined && cpu !== undefined && memory !== undefined && accelerator !== null) {
      pools.push({ name, nodes, cpu, memory, architecture, accelerator, labels, taints });
    }
  });
  return pools;
}

/** readAccelerator returns null when invalid (undefined means "no accelerator"). */
function readAccelerator(r: FieldReader, raw: unknown, path: readonly (string | number)[]): TopologyAccelerator | null {
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
