/**
 * The lab's fault file: what a test injects on simulated devices, by node name, as JSON:
 *
 *   { "shanghai-h100-0": { "xids": [{ "device": 3, "xid": 79 }] },
 *     "guizhou-ascend910b-1": { "ascendCritical": [0, 5] },
 *     "beijing-a100-0": { "unavailable": "nvidia-smi: Failed to initialize NVML" } }
 *
 * Each value is an InjectedFaults (src/agent/devices/simulated.ts). Parsing is strict — an unknown key is an error —
 * because a misspelt fault ("xid" for "xids") silently injecting nothing would make a lab test pass for the wrong
 * reason. Whether a fault fits the node's devices (device index in range, XIDs on NVIDIA only) is checked later, by
 * simulateReport, which knows the devices.
 */
import type { InjectedFaults } from '../devices/simulated.ts';

/** FaultsByNode maps node names to the faults injected on them. */
export type FaultsByNode = ReadonlyMap<string, InjectedFaults>;

/** FaultsParseResult is the outcome of parsing a fault file. */
export type FaultsParseResult = { readonly ok: true; readonly value: FaultsByNode } | { readonly ok: false; readonly error: string };

const FAULT_KEYS = ['xids', 'ascendCritical', 'eccUncorrectable', 'unavailable'];

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function isCount(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x >= 0;
}

/** pairs reads a list of objects with two whole-number fields, e.g. [{device, xid}]. */
function pairs<A extends string, B extends string>(raw: unknown, a: A, b: B, where: string): Record<A | B, number>[] | string {
  if (!Array.isArray(raw)) return `${where} must be an array`;
  const out: Record<A | B, number>[] = [];
  for (const [i, item] of raw.entries()) {
    if (!isRecord(item)) return `${where}[${i}] must be an object`;
    const extra = Object.keys(item).find((k) => k !== a && k !== b);
    if (extra !== undefined) return `${where}[${i}]: unknown key "${extra}"`;
    const va = item[a];
    const vb = item[b];
    if (!isCount(va) || !isCount(vb)) return `${where}[${i}] needs whole numbers "${a}" and "${b}"`;
    out.push({ [a]: va, [b]: vb } as Record<A | B, number>);
  }
  return out;
}

function parseFaults(raw: unknown, where: string): InjectedFaults | string {
  if (!isRecord(raw)) return `${where} must be an object`;
  const extra = Object.keys(raw).find((k) => !FAULT_KEYS.includes(k));
  if (extra !== undefined) return `${where}: unknown key "${extra}" (expected ${FAULT_KEYS.join(', ')})`;
  const faults: { -readonly [K in keyof InjectedFaults]: InjectedFaults[K] } = {};
  if (raw['xids'] !== undefined) {
    const xids = pairs(raw['xids'], 'device', 'xid', `${where}.xids`);
    if (typeof xids === 'string') return xids;
    faults.xids = xids;
  }
  if (raw['eccUncorrectable'] !== undefined) {
    const ecc = pairs(raw['eccUncorrectable'], 'device', 'count', `${where}.eccUncorrectable`);
    if (typeof ecc === 'string') return ecc;
    faults.eccUncorrectable = ecc;
  }
  const asc = raw['ascendCritical'];
  if (asc !== undefined) {
    if (!Array.isArray(asc) || !asc.every(isCount)) return `${where}.ascendCritical must be an array of device indexes`;
    faults.ascendCritical = asc;
  }
  const unavailable = raw['unavailable'];
  if (unavailable !== undefined) {
    if (typeof unavailable !== 'string' || unavailable === '') return `${where}.unavailable must be a non-empty string`;
    faults.unavailable = unavailable;
  }
  return faults;
}

/** parseFaultsFile parses the text of a fault file. An empty file means no faults. */
export function parseFaultsFile(text: string): FaultsParseResult {
  if (text.trim() === '') return { ok: true, value: new Map() };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err: unknown) {
    return { ok: false, error: `not JSON: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (!isRecord(raw)) return { ok: false, error: 'must be a JSON object keyed by node name' };
  const out = new Map<string, InjectedFaults>();
  for (const [node, value] of Object.entries(raw)) {
    const f = parseFaults(value, JSON.stringify(node));
    if (typeof f === 'string') return { ok: false, error: f };
    out.set(node, f);
  }
  return { ok: true, value: out };
}
