/**
 * Resource arithmetic for node pools: Kubernetes quantity strings in, sums out, quantity strings back, without
 * floating-point drift. Each resource is summed as a whole number of its smallest unit the agent reports:
 * cpu in millicores (Kubernetes' own precision for cpu), everything else in whole units — memory in bytes,
 * devices in devices — rounded up the way Kubernetes rounds a fractional byte. Integers stay exact far beyond any
 * site (2^53 bytes is 8 PiB). A sum is reported as at most MAX_QUANTITY (int64's maximum, where Kubernetes caps
 * quantities too), so a site of absurd nodes still sends values the hub's schema and parser take.
 *
 * Which resources a pool reports: cpu, memory, and accelerator extended resources — any resource of a vendor's
 * domain (nvidia.com/gpu, nvidia.com/mig-3g.20gb, huawei.com/Ascend910, …), so MIG and renamed device-plugin
 * resources are counted too.
 */
import { formatCpu, MAX_QUANTITY, parseQuantity } from '../../api/quantity.ts';
import { VENDOR_INFO, VENDORS } from '../../api/vendors.ts';

/** Units maps resource names to whole numbers of their unit (see the module comment). */
export type Units = Map<string, number>;

const VENDOR_DOMAINS: ReadonlySet<string> = new Set(VENDORS.map((v) => VENDOR_INFO[v].resourceName.split('/')[0] ?? ''));

/** isReportedResource says whether a pool reports this resource. */
export function isReportedResource(name: string): boolean {
  if (name === 'cpu' || name === 'memory') return true;
  const slash = name.indexOf('/');
  return slash > 0 && VENDOR_DOMAINS.has(name.slice(0, slash));
}

/** isAcceleratorResource says whether this is an extended resource of an accelerator vendor. */
export function isAcceleratorResource(name: string): boolean {
  return name !== 'cpu' && name !== 'memory' && isReportedResource(name);
}

/** toUnits converts one quantity of a resource to its unit; undefined for a value that is not a quantity. */
export function toUnits(resource: string, quantity: string): number | undefined {
  const v = parseQuantity(quantity);
  if (v === undefined || v < 0) return undefined;
  return resource === 'cpu' ? Math.round(v * 1000) : Math.ceil(v);
}

/** formatUnits renders a sum back as a canonical quantity string. */
export function formatUnits(resource: string, units: number): string {
  if (resource === 'cpu') return formatCpu(units / 1000);
  if (resource === 'memory') return formatMemory(units);
  return String(units);
}

const BINARY_SUFFIXES = [
  ['Ei', 2 ** 60],
  ['Pi', 2 ** 50],
  ['Ti', 2 ** 40],
  ['Gi', 2 ** 30],
  ['Mi', 2 ** 20],
  ['Ki', 2 ** 10],
] as const;

/** formatMemory renders bytes exactly: the largest binary suffix that divides them, else plain bytes. */
export function formatMemory(bytes: number): string {
  for (const [suffix, factor] of BINARY_SUFFIXES) {
    if (bytes >= factor && bytes % factor === 0) return `${bytes / factor}${suffix}`;
  }
  return String(bytes);
}

/** addList adds the reported resources of a resource list (node capacity, container requests) to `into`. */
export function addList(into: Units, list: Readonly<Record<string, string>> | undefined): void {
  for (const [name, q] of Object.entries(list ?? {})) {
    if (!isReportedResource(name)) continue;
    const u = toUnits(name, q);
    if (u !== undefined) into.set(name, (into.get(name) ?? 0) + u);
  }
}

/** addUnits adds `from` to `into`. */
export function addUnits(into: Units, from: Units): void {
  for (const [name, u] of from) into.set(name, (into.get(name) ?? 0) + u);
}

/** toQuantityMap renders sums, capped at MAX_QUANTITY, as a quantity map with keys in name order (equal sums, equal JSON). */
export function toQuantityMap(units: Units): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of [...units.keys()].sort()) {
    const cap = name === 'cpu' ? MAX_QUANTITY * 1000 : MAX_QUANTITY; // cpu is summed in millicores
    out[name] = formatUnits(name, Math.min(units.get(name) ?? 0, cap));
  }
  return out;
}
