/**
 * Score: cheaper is better. The cost of an option is what the whole decision costs per hour (units × devices per unit
 * × price per device-hour), so an 8-device variant and a 16-device variant compare fairly. Scores are relative to the
 * cheapest option: 100 × cheapest / cost, so twice the price scores half, however many options there are (a min-max
 * scale would call the dearer of two near-equal prices 0). Options without a price in the workload's currency (no
 * price listed, another currency, CPU-only) score NEUTRAL: prices in different currencies are not compared.
 *
 * Finite always: a cost too large for a double (a price near the largest the Site schema takes, times thousands of
 * devices) counts as the largest double, so two such costs tie rather than divide to NaN, and the ratio is taken
 * before the factor 100 so that it cannot overflow.
 */
import type { Option } from '../evaluate.ts';
import { priceOf } from '../snapshot.ts';
import type { Workload } from '../workload.ts';
import { clampScore, NEUTRAL, type ScorePlugin } from './score.ts';

/** costPerHour returns what an option costs per hour in the workload's currency, or undefined when not priced. */
export function costPerHour(workload: Workload, o: Option): number | undefined {
  const devices = o.variant.accelerator?.count;
  if (devices === undefined || o.pool.accelerator === undefined) return undefined;
  if (o.site.currency !== workload.rules.currency) return undefined;
  const price = priceOf(o.site, o.pool.accelerator.model);
  return price === undefined ? undefined : Math.min(price * devices * o.units, Number.MAX_VALUE);
}

/** price scores cheaper options higher. */
export const price: ScorePlugin = {
  name: 'price',
  applies: () => true,
  score(workload, options) {
    const costs = options.map((o) => costPerHour(workload, o));
    const priced = costs.filter((c): c is number => c !== undefined);
    const cheapest = priced.length === 0 ? 0 : Math.min(...priced);
    return costs.map((c) => {
      if (c === undefined) return NEUTRAL;
      if (c <= 0) return 100;
      return clampScore(100 * (cheapest / c));
    });
  },
};
