/**
 * The filter stage shared by `place` and `distribute`: which (variant, pool) options a site offers for a workload,
 * and if none, why not.
 *
 * Site filters all run, so a site that is both cordoned and in a forbidden region says both. When a site fails one,
 * its pools are not examined: the user should read "cordoned", not a list of free GPUs on a site they cannot use.
 * Pool filters run in order and stop at a pool's first failure; of a variant's pools, the reasons of those that got
 * furthest are kept (a pool that fits but lacks free devices explains more than one with the wrong precision).
 */
import { demandOn } from './demand.ts';
import type { PoolCandidate, PoolFilter, SiteFilter } from './filters/filter.ts';
import { gangCapacity } from './filters/gang-capacity.ts';
import { priceCeiling } from './filters/price-ceiling.ts';
import { siteReady } from './filters/site-ready.ts';
import { siteRules } from './filters/site-rules.ts';
import { matchingPools, noMatchingPoolReason, variantFit } from './filters/variant-fit.ts';
import { sortedUnique } from './order.ts';
import type { PoolInfo, ResourceAmounts, SiteInfo } from './snapshot.ts';
import type { VariantDemand, Workload } from './workload.ts';

/** Option is one way to run a workload at a site: a variant on a pool, for `units` units. */
export interface Option {
  readonly site: SiteInfo;
  readonly variant: VariantDemand;
  readonly pool: PoolInfo;
  /** demand is what one unit requests on the pool. */
  readonly demand: ResourceAmounts;
  readonly units: number;
}

/** SITE_FILTERS run on every site, all of them. */
export const SITE_FILTERS: readonly SiteFilter[] = [siteReady, siteRules];
/** POOL_FILTERS run on each matching pool of each variant, in order, up to the first failure. */
export const POOL_FILTERS: readonly PoolFilter[] = [variantFit, gangCapacity, priceCeiling];

/** siteReasons returns why a site is out for the workload as a whole (empty: it is in). */
export function siteReasons(workload: Workload, site: SiteInfo): string[] {
  const reasons: string[] = [];
  for (const filter of SITE_FILTERS) {
    const r = filter({ workload, site });
    if (!r.ok) reasons.push(...r.reasons);
  }
  return sortedUnique(reasons);
}

/** VariantEvaluation is what one variant can do at one site. */
export interface VariantEvaluation {
  /** options that passed every filter, in pool name order. */
  readonly options: readonly Option[];
  /** reasons, prefixed with the variant, when options is empty. */
  readonly reasons: readonly string[];
}

/** evaluateVariant runs the pool filters for one variant at one site. */
export function evaluateVariant(
  workload: Workload,
  site: SiteInfo,
  variant: VariantDemand,
  units: number,
  filters: readonly PoolFilter[] = POOL_FILTERS,
): VariantEvaluation {
  const prefix = `variant ${variant.name}: `;
  const pools = matchingPools(variant, site);
  if (pools.length === 0) return { options: [], reasons: [prefix + noMatchingPoolReason(variant)] };
  const options: Option[] = [];
  let deepest = -1;
  let reasons: string[] = [];
  for (const pool of pools) {
    const option: Option = { site, variant, pool, demand: demandOn(variant, pool), units };
    const failure = firstFailure(filters, { workload, ...option });
    if (failure === undefined) {
      options.push(option);
    } else if (failure.at > deepest) {
      [deepest, reasons] = [failure.at, [...failure.reasons]];
    } else if (failure.at === deepest) {
      reasons.push(...failure.reasons);
    }
  }
  return { options, reasons: options.length > 0 ? [] : sortedUnique(reasons.map((r) => prefix + r)) };
}

function firstFailure(
  filters: readonly PoolFilter[],
  c: PoolCandidate,
): { readonly at: number; readonly reasons: readonly string[] } | undefined {
  for (const [at, filter] of filters.entries()) {
    const r = filter(c);
    if (!r.ok) return { at, reasons: r.reasons };
  }
  return undefined;
}

/** SiteEvaluation is what a site offers a workload. */
export interface SiteEvaluation {
  readonly site: SiteInfo;
  /** siteReasons from the site filters; when non-empty, the variants were not examined. */
  readonly siteReasons: readonly string[];
  /** options of every variant that fits, variant by variant in spec order. */
  readonly options: readonly Option[];
  /** variantReasons of every variant without an option. */
  readonly variantReasons: readonly string[];
}

/**
 * evaluateSite runs every filter for a site and `units` units of each variant. `filters` are the pool filters: the
 * built-in ones, and any a caller adds after them (a queue's quota: src/queueing/quota-filter.ts).
 */
export function evaluateSite(
  workload: Workload,
  site: SiteInfo,
  units: number,
  filters: readonly PoolFilter[] = POOL_FILTERS,
): SiteEvaluation {
  const out = siteReasons(workload, site);
  if (out.length > 0) return { site, siteReasons: out, options: [], variantReasons: [] };
  const options: Option[] = [];
  const variantReasons: string[] = [];
  for (const variant of workload.variants) {
    const e = evaluateVariant(workload, site, variant, units, filters);
    options.push(...e.options);
    variantReasons.push(...e.reasons);
  }
  return { site, siteReasons: [], options, variantReasons: sortedUnique(variantReasons) };
}

/** rejectionReasons are the reasons a site without options shows in the placement record. */
export function rejectionReasons(e: SiteEvaluation): readonly string[] {
  return e.siteReasons.length > 0 ? e.siteReasons : e.variantReasons;
}
