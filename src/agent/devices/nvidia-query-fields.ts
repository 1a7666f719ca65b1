/**
 * Choosing nvidia-smi `--query-gpu` fields. nvidia-smi fails the whole query on one unknown field
 * (`Field "x" is not a valid field to query.`) and renames fields between drivers (clocks_throttle_reasons.* became
 * clocks_event_reasons.*), so the field list is built from the driver's own `--help-query-gpu` (research pitfall 1).
 */

/**
 * NVIDIA_QUERY_FIELDS is the field list the provider asks for, in order (the 30 fields of the research report's
 * fixtures, test/fixtures/devices/nvidia-smi_query_fields.txt).
 */
export const NVIDIA_QUERY_FIELDS: readonly string[] = [
  'index',
  'uuid',
  'name',
  'pci.bus_id',
  'driver_version',
  'pstate',
  'memory.total',
  'memory.reserved',
  'memory.used',
  'memory.free',
  'utilization.gpu',
  'utilization.memory',
  'temperature.gpu',
  'temperature.memory',
  'power.draw',
  'power.limit',
  'ecc.mode.current',
  'ecc.errors.corrected.volatile.total',
  'ecc.errors.uncorrected.volatile.total',
  'ecc.errors.uncorrected.aggregate.total',
  'retired_pages.pending',
  'remapped_rows.pending',
  'remapped_rows.failure',
  'clocks_event_reasons.active',
  'clocks_event_reasons.hw_slowdown',
  'clocks_event_reasons.sw_thermal_slowdown',
  'pcie.link.gen.current',
  'pcie.link.width.current',
  'mig.mode.current',
  'gpu_recovery_action',
];

/** NVIDIA_REQUIRED_FIELDS are the fields without which a row cannot become a Device. */
export const NVIDIA_REQUIRED_FIELDS: readonly string[] = ['index', 'name'];

const OLD_PREFIX = 'clocks_throttle_reasons.';
const NEW_PREFIX = 'clocks_event_reasons.';
const ALIASES: ReadonlyMap<string, string> = new Map([
  ['gpu_bus_id', 'pci.bus_id'],
  ['gpu_name', 'name'],
  ['gpu_uuid', 'uuid'],
  ['gpu_serial', 'serial'],
]);

/** canonicalField maps an old or alternative field name to the name this package uses for it. */
export function canonicalField(name: string): string {
  const n = name.trim();
  if (n.startsWith(OLD_PREFIX)) return NEW_PREFIX + n.slice(OLD_PREFIX.length);
  return ALIASES.get(n) ?? n;
}

// A property line is one or more quoted names joined by "or", alone on its line:
//   "clocks_event_reasons.active" or "clocks_throttle_reasons.active"
// Description lines also contain quotes ("YYYY/MM/DD …"), but never as the whole line.
const PROPERTY_LINE = /^"[^"\s]+"(?:\s+or\s+"[^"\s]+")*\s*$/;

/** parseHelpQueryGpu returns every field name (primary and alias) the driver's `--help-query-gpu` lists. */
export function parseHelpQueryGpu(help: string): Set<string> {
  const names = new Set<string>();
  for (const raw of help.split('\n')) {
    const line = raw.trim();
    if (!PROPERTY_LINE.test(line)) continue;
    for (const m of line.matchAll(/"([^"]+)"/g)) if (m[1] !== undefined) names.add(m[1]);
  }
  return names;
}

/** QueryFieldPick is the field list to query: `query` goes on the command line, `fields` names each column. */
export type QueryFieldPick =
  | {
      readonly ok: true;
      /** query is the names to pass in `--query-gpu=`, as this driver spells them. */
      readonly query: readonly string[];
      /** fields is the canonical name of each queried column, same order as query. */
      readonly fields: readonly string[];
      /** dropped lists wanted fields this driver does not support. */
      readonly dropped: readonly string[];
    }
  | { readonly ok: false; readonly reason: string };

/**
 * pickQueryFields keeps the wanted fields the driver supports, falling back to clocks_throttle_reasons.* on old
 * drivers, and drops the rest. It fails when the help text lists no fields at all (not the help we expected) or
 * when a required field is missing.
 */
export function pickQueryFields(help: string, wanted: readonly string[] = NVIDIA_QUERY_FIELDS): QueryFieldPick {
  const supported = parseHelpQueryGpu(help);
  if (supported.size === 0) return { ok: false, reason: 'nvidia-smi --help-query-gpu listed no fields' };
  const query: string[] = [];
  const fields: string[] = [];
  const dropped: string[] = [];
  for (const field of wanted) {
    const candidates = field.startsWith(NEW_PREFIX) ? [field, OLD_PREFIX + field.slice(NEW_PREFIX.length)] : [field];
    const name = candidates.find((c) => supported.has(c));
    if (name === undefined) {
      dropped.push(field);
      continue;
    }
    query.push(name);
    fields.push(canonicalField(field));
  }
  const missing = NVIDIA_REQUIRED_FIELDS.filter((f) => !fields.includes(f));
  if (missing.length > 0) {
    return { ok: false, reason: `nvidia-smi does not support required field(s) ${missing.join(', ')}` };
  }
  return { ok: true, query, fields, dropped };
}
