/**
 * The simulated federation, read from a lab topology file (examples/lab/*.yaml, src/lab/topology.ts), so that a
 * simulated federation and a lab federation are the same file. The simulator may not import the lab (layers), so this
 * reads the subset it needs with the same field reader: every problem names the file, line and field. Fields the
 * simulator has no use for (zone, provider, pool labels and taints) are accepted and checked for shape only.
 *
 * One difference: the lab caps a pool at 500 nodes (kwok nodes on one machine); a simulated pool may be larger.
 * test/unit/sim/topology-agreement.test.ts checks that both readers agree on examples/lab and examples/sim.
 */
import { DNS1123_LABEL, FieldReader } from '../api/field-reader.ts';
import { ARCHITECTURES, DEFAULT_CURRENCY, PRECISIONS } from '../api/names.ts';
import { isVendor, VENDOR_INFO, VENDORS, type Vendor } from '../api/vendors.ts';
import { YamlSource } from '../api/yaml-source.ts';

/** SimAccelerator is the devices on each node of a pool. */
export interface SimAccelerator {
  readonly vendor: Vendor;
  readonly model: string;
  /** count is devices per node. */
  readonly count: number;
  readonly memoryGiB: number;
  readonly precisions: readonly string[];
  readonly resourceName: string;
  readonly pricePerHour: number | undefined;
}

/** SimPool is a pool of identical nodes. */
export interface SimPool {
  readonly name: string;
  readonly nodes: number;
  /** cpu in cores per node. */
  readonly cpu: number;
  /** memory in bytes per node. */
  readonly memory: number;
  readonly architecture: (typeof ARCHITECTURES)[number];
  readonly accelerator: SimAccelerator | undefined;
}

/** SimSiteSpec is one site of the simulated federation. */
export interface SimSiteSpec {
  readonly name: string;
  readonly region: string;
  readonly currency: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly pools: readonly SimPool[];
}

/** SimTopology is the federation a run replays on; sites in file order. */
export interface SimTopology {
  readonly file: string;
  readonly sites: readonly SimSiteSpec[];
}

const DNS_HINT = 'use lower-case letters, digits and "-" (a DNS-1123 label)';
/** MAX_POOL_NODES bounds a simulated pool (the lab's bound is 500; the simulator's memory is the limit here). */
const MAX_POOL_NODES = 100_000;

/** loadSimTopology reads a topology file; throws ConfigError listing every problem with its line. */
export function loadSimTopology(file: string): SimTopology {
  return parseSimTopology(YamlSource.read(file));
}

/** parseSimTopology reads an already parsed topology document. */
export function parseSimTopology(src: YamlSource): SimTopology {
  const r = new FieldReader(src);
  const root = r.object(src.value ?? {}, [], ['apiVersion', 'kind', 'hub', 'sites']);
  if (!root) return (r.throwIfIssues(), undefined as never);
  r.string(root, 'apiVersion', [], { oneOf: ['lab.suanwang.io/v1alpha1'] });
  r.string(root, 'kind', [], { oneOf: ['LabTopology'] });
  if (root['hub'] !== undefined) {
    const hub = r.object(root['hub'], ['hub'], ['name']);
    if (hub) r.string(hub, 'name', ['hub'], { pattern: DNS1123_LABEL, hint: DNS_HINT });
  }
  const sites: SimSiteSpec[] = [];
  const seen = new Map<string, number>();
  (r.array(root, 'sites', [], { required: true, nonEmpty: true }) ?? []).forEach((raw, i) => {
    const path = ['sites', i];
    const s = r.object(raw, path, ['name', 'region', 'zone', 'provider', 'currency', 'labels', 'pools']);
    if (!s) return;
    const name = r.string(s, 'name', path, { required: true, pattern: DNS1123_LABEL, hint: DNS_HINT });
    if (name !== undefined) {
      const prev = seen.get(name);
      if (prev !== undefined) r.fail([...path, 'name'], `duplicate site name "${name}" (also sites[${prev}])`);
      else seen.set(name, i);
    }
    const region = r.string(s, 'region', path, { required: true });
    r.string(s, 'zone', path);
    r.string(s, 'provider', path);
    const currency = r.string(s, 'currency', path, { pattern: /^[A-Z]{3}$/, hint: 'an ISO 4217 code such as CNY or USD' }) ?? DEFAULT_CURRENCY;
    const labels = r.stringMap(s, 'labels', path);
    const pools = readPools(r, s, path);
    if (name && region && pools) sites.push({ name, region, currency, labels, pools });
  });
  r.throwIfIssues();
  return { file: src.file, sites };
}

function readPools(r: FieldReader, site: Record<string, unknown>, sitePath: readonly (string | number)[]): SimPool[] | undefined {
  const list = r.array(site, 'pools', sitePath, { required: true, nonEmpty: true });
  if (!list) return undefined;
  const pools: SimPool[] = [];
  const seen = new Set<string>();
  list.forEach((raw, j) => {
    const path = [...sitePath, 'pools', j];
    const p = r.object(raw, path, ['name', 'nodes', 'cpu', 'memory', 'architecture', 'accelerator', 'labels', 'taints']);
    if (!p) return;
    const name = r.string(p, 'name', path, { required: true, pattern: DNS1123_LABEL, hint: DNS_HINT });
    if (name !== undefined) {
      if (seen.has(name)) r.fail([...path, 'name'], `duplicate pool name "${name}" in this site`);
      seen.add(name);
    }
    const nodes = r.int(p, 'nodes', path, { required: true, min: 0, max: MAX_POOL_NODES });
    const cpu = r.quantity(p, 'cpu', path, { required: true, min: 0.001 });
    const memory = r.quantity(p, 'memory', path, { required: true, min: 1 });
    const architecture = (r.string(p, 'architecture', path, { oneOf: ARCHITECTURES }) ?? 'amd64') as SimPool['architecture'];
    const accelerator = p['accelerator'] === undefined ? undefined : readAccelerator(r, p['accelerator'], [...path, 'accelerator']);
    // Labels and taints change nothing the simulator models; their shape is still checked, as the lab would.
    r.stringMap(p, 'labels', path);
    r.array(p, 'taints', path);
    if (name && nodes !== undefined && cpu !== undefined && memory !== undefined && accelerator !== null) {
      pools.push({ name, nodes, cpu, memory, architecture, accelerator });
    }
  });
  return pools;
}

/** readAccelerator returns null when invalid (undefined means "no accelerator"). */
function readAccelerator(r: FieldReader, raw: unknown, path: readonly (string | number)[]): SimAccelerator | null {
  const a = r.object(raw, path, ['vendor', 'model', 'count', 'memoryGiB', 'precisions', 'pricePerHour']);
  if (!a) return null;
  const vendor = r.string(a, 'vendor', path, { required: true, oneOf: VENDORS });
  const model = r.string(a, 'model', path, { required: true });
  const count = r.int(a, 'count', path, { required: true, min: 1, max: 64 });
  const memoryGiB = r.number(a, 'memoryGiB', path, { required: true, min: 1 });
  const precisions = r.stringList(a, 'precisions', path);
  precisions.forEach((p, k) => {
    if (!(PRECISIONS as readonly string[]).includes(p)) r.fail([...path, 'precisions', k], `must be one of ${PRECISIONS.join(', ')}, got "${p}"`);
  });
  const pricePerHour = r.number(a, 'pricePerHour', path, { min: 0 });
  if (!vendor || !isVendor(vendor) || !model || count === undefined || memoryGiB === undefined) return null;
  return { vendor, model, count, memoryGiB, precisions, resourceName: VENDOR_INFO[vendor].resourceName, pricePerHour };
}
