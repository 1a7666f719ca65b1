/**
 * Filter: the whole workload costs no more per hour than its ceiling: units × devices per unit × the site's price per
 * device-hour of the pool's model (TrainingPlacement.maxPricePerHour). A site without a price for the model, or priced
 * in another currency, is rejected when a ceiling is set: an unknown cost cannot be shown to be under it. CPU-only
 * variants are not priced.
 */
import { formatNumber } from '../format.ts';
import { priceOf } from '../snapshot.ts';
import { PASS, verdict, type FilterResult, type PoolCandidate } from './filter.ts';

/** priceCeiling rejects a pool whose devices would cost more than the workload allows. */
export function priceCeiling({ workload, site, variant, pool, units }: PoolCandidate): FilterResult {
  const max = workload.rules.maxPricePerHour;
  const devices = variant.accelerator?.count;
  if (max === undefined || devices === undefined || pool.accelerator === undefined) return PASS;
  const currency = workload.rules.currency;
  if (site.currency !== currency) return verdict([`priced in ${site.currency}, max price is in ${currency}`]);
  const price = priceOf(site, pool.accelerator.model);
  if (price === undefined) return verdict([`no price for ${pool.accelerator.model}`]);
  const count = units * devices;
  const cost = price * count;
  if (cost <= max) return PASS;
  const each = `${formatNumber(price)} ${currency}/h per device`;
  // A cost beyond the largest double exceeds every ceiling; the product itself has no number to show.
  const total = Number.isFinite(cost) ? ` = ${formatNumber(cost)} ${currency}/h` : '';
  return verdict([`${each} × ${count}${total} exceeds max ${formatNumber(max)}`]);
}
