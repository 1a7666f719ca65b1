/**
 * Resource amounts as admission counts them: resource name → number (cpu in cores, memory in bytes, devices as
 * counts), the same units placement uses (placement/snapshot.ts ResourceAmounts), so a placement's demand is a charge.
 */
import type { Quantity } from '../api/generated/types.ts';
import { parseQuantity } from '../api/quantity.ts';
import type { ResourceAmounts } from '../placement/snapshot.ts';

export type Amounts = ResourceAmounts;

// Quantities like 0.1 cpu do not add up exactly in binary floating point; this keeps 3 × 0.1 ≤ 0.3.
const EPSILON = 1e-9;

/** parseAmounts reads a resource list; quantities that do not parse are named in `invalid` and left out. */
export function parseAmounts(list: Readonly<Record<string, Quantity>> | undefined): { amounts: Amounts; invalid: string[] } {
  const amounts: Record<string, number> = {};
  const invalid: string[] = [];
  for (const [resource, q] of Object.entries(list ?? {})) {
    const n = parseQuantity(q);
    if (n === undefined || n < 0) invalid.push(resource);
    else amounts[resource] = n;
  }
  return { amounts, invalid };
}

/** addAmounts sums resource by resource. */
export function addAmounts(...all: readonly Amounts[]): Amounts {
  const out: Record<string, number> = {};
  for (const a of all) for (const [r, n] of Object.entries(a)) out[r] = (out[r] ?? 0) + n;
  return out;
}

/** subtractAmounts takes `b` from `a`, never below zero (a release never makes usage negative). */
export function subtractAmounts(a: Amounts, b: Amounts): Amounts {
  const out: Record<string, number> = { ...a };
  for (const [r, n] of Object.entries(b)) {
    const left = (out[r] ?? 0) - n;
    if (left > EPSILON) out[r] = left;
    else delete out[r];
  }
  return out;
}

/** exceeds says whether `need` is more than `have`, beyond rounding noise. */
export function exceeds(need: number, have: number): boolean {
  return need > have + EPSILON;
}

/** isEmpty says whether every amount is zero. */
export function isEmpty(a: Amounts): boolean {
  return Object.values(a).every((n) => n <= EPSILON);
}

/**
 * toQuantities renders amounts as Kubernetes quantities for status: cpu in millicores when fractional, memory in the
 * largest exact binary unit, counts as integers. Deterministic: equal amounts write equal strings (no status churn).
 */
export function toQuantities(a: Amounts): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of Object.keys(a).sort()) {
    const n = a[r] ?? 0;
    if (n <= EPSILON) continue;
    out[r] = toQuantity(r, n);
  }
  return out;
}

function toQuantity(resource: string, n: number): string {
  if (resource === 'memory') {
    const bytes = Math.ceil(n - EPSILON);
    for (const [unit, size] of [['Ti', 2 ** 40], ['Gi', 2 ** 30], ['Mi', 2 ** 20], ['Ki', 2 ** 10]] as const) {
      if (bytes % size === 0) return `${bytes / size}${unit}`;
    }
    return String(bytes);
  }
  const milli = Math.round(n * 1000);
  return milli % 1000 === 0 ? String(milli / 1000) : `${milli}m`;
}
