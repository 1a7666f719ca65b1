/**
 * The shape of a filter plugin. Filters are pure predicates over (workload, candidate) that say why not in words a
 * user can act on; the pipeline in ../evaluate.ts decides what to do with the words. Site filters look at a site as
 * a whole; pool filters at one variant on one pool of the site.
 */
import type { PoolInfo, ResourceAmounts, SiteInfo } from '../snapshot.ts';
import type { VariantDemand, Workload } from '../workload.ts';

/** FilterResult is a pass, or a failure with one reason per broken condition. */
export type FilterResult = { readonly ok: true } | { readonly ok: false; readonly reasons: readonly string[] };

/** SiteCandidate is what a site filter sees. */
export interface SiteCandidate {
  readonly workload: Workload;
  readonly site: SiteInfo;
}

/** PoolCandidate is what a pool filter sees: one variant on one pool, for `units` units. */
export interface PoolCandidate extends SiteCandidate {
  readonly variant: VariantDemand;
  readonly pool: PoolInfo;
  /** demand is what one unit requests on this pool (see demandOn). */
  readonly demand: ResourceAmounts;
  /** units is how many units must fit at once: the whole gang for a TrainingJob, one replica for a spread. */
  readonly units: number;
}

/** SiteFilter is a filter plugin over whole sites. */
export type SiteFilter = (c: SiteCandidate) => FilterResult;
/** PoolFilter is a filter plugin over one variant on one pool. */
export type PoolFilter = (c: PoolCandidate) => FilterResult;

/** PASS is the passing result. */
export const PASS: FilterResult = { ok: true };

/** verdict passes when there are no reasons and fails with them otherwise. */
export function verdict(reasons: readonly string[]): FilterResult {
  return reasons.length === 0 ? PASS : { ok: false, reasons };
}
