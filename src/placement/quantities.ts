/**
 * Parsed quantities, remembered: a federation's Site statuses repeat a few strings ("64", "512Gi", "8") thousands of
 * times, and the controllers build a snapshot (snapshot.ts) for every decision, so parsing each string once keeps
 * the regular expression off the hot path. Bounded: cleared when full, so odd values cannot grow it.
 */
import { parseQuantity } from '../api/quantity.ts';

const QUANTITIES = new Map<string | number, number | undefined>();
const QUANTITIES_MAX = 4096;

/** quantity is parseQuantity(q), from memory when q was seen before. */
export function quantity(q: string | number): number | undefined {
  const known = QUANTITIES.get(q);
  if (known !== undefined || QUANTITIES.has(q)) return known;
  if (QUANTITIES.size >= QUANTITIES_MAX) QUANTITIES.clear();
  const n = parseQuantity(q);
  QUANTITIES.set(q, n);
  return n;
}
