/**
 * Kubernetes resource quantities ("500m", "96", "1024Gi", "1.5") parsed into plain numbers: cpu in cores,
 * memory in bytes, counts as counts. Placement arithmetic works on these numbers; the API keeps the strings.
 *
 * Every value parseQuantity returns is finite and at most MAX_QUANTITY in size: "1e400" (Infinity as a double), a
 * 400-digit number, or "16Ei" is not a quantity here. Kubernetes keeps quantities in int64 where it can and caps
 * binary ones at the int64 maximum; no node, pod or workload needs more, and a value beyond it would only carry
 * overflow into sums and scores. The CRDs refuse such strings first (QUANTITY_PATTERN in schema/builders.ts).
 */

const BINARY: Readonly<Record<string, number>> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Readonly<Record<string, number>> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };
const QUANTITY = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?)$/;

/**
 * MAX_QUANTITY is the int64 maximum (2^63 − 1) as a double, which rounds it to 2^63: the largest size parseQuantity
 * returns (module comment).
 */
export const MAX_QUANTITY = 2 ** 63;

/** parseQuantity returns the value of a quantity string or number, or undefined when it is not one (module comment). */
export function parseQuantity(input: string | number): number | undefined {
  if (typeof input === 'number') return bounded(input);
  const m = QUANTITY.exec(input.trim());
  if (!m) return undefined;
  const base = Number(m[1]);
  if (m[2] !== undefined) return bounded(base * 10 ** Number(m[2].slice(1)));
  const suffix = m[3] ?? '';
  const factor = BINARY[suffix] ?? DECIMAL[suffix];
  return factor === undefined ? undefined : bounded(base * factor);
}

/** bounded keeps finite values within ±MAX_QUANTITY; NaN, ±Infinity and larger values are not quantities. */
function bounded(v: number): number | undefined {
  return Number.isFinite(v) && Math.abs(v) <= MAX_QUANTITY ? v : undefined;
}

/** formatBytes renders bytes the way kubectl users read memory: the largest exact binary unit, else Mi rounded up. */
export function formatBytes(bytes: number): string {
  for (const unit of ['Ti', 'Gi', 'Mi', 'Ki'] as const) {
    const f = BINARY[unit] as number;
    if (bytes >= f && bytes % f === 0) return `${bytes / f}${unit}`;
  }
  if (bytes < 2 ** 20) return String(Math.ceil(bytes));
  return `${Math.ceil(bytes / 2 ** 20)}Mi`;
}

/** formatCpu renders cores as kubectl does: whole cores plainly, fractions in millicores. */
export function formatCpu(cores: number): string {
  return Number.isInteger(cores) ? String(cores) : `${Math.round(cores * 1000)}m`;
}
