/**
 * place: the placement decision for a workload that runs on one site (a TrainingJob's gang). Pure: the same workload,
 * snapshot and config always give the same, byte-identical decision; no clock, no randomness, no I/O.
 */
import { CandidateVerdict } from '../api/names.ts';
import { DEFAULT_PLACEMENT_CONFIG, type PlacementConfig } from './config.ts';
import { evaluateSite, POOL_FILTERS, rejectionReasons } from './evaluate.ts';
import type { PoolFilter } from './filters/filter.ts';
import {
  boundedRecord,
  noSiteFitsMessage,
  rejectedCandidate,
  scoredCandidate,
  sortCandidates,
  type Explanation,
  type Rejection,
} from './explain.ts';
import { compareStrings } from './order.ts';
import { compareScored, scoreOptions, type ScoredOption } from './scoring.ts';
import type { ResourceAmounts, Snapshot } from './snapshot.ts';
import type { Workload } from './workload.ts';

/** Placed is a decision to run the workload as `variant` on pool `pool` of `site`. */
export interface Placed {
  readonly kind: 'Placed';
  readonly site: string;
  readonly variant: string;
  readonly pool: string;
  /** score is the winner's total score, 0–100. */
  readonly score: number;
  /** perUnit is what one worker requests on the pool; see promisedFor. */
  readonly perUnit: ResourceAmounts;
  readonly record: Explanation;
}

/** Unschedulable says no site fits now; the record says why, site by site. */
export interface Unschedulable {
  readonly kind: 'Unschedulable';
  readonly record: Explanation;
}

/** Decision is the outcome of place. */
export type Decision = Placed | Unschedulable;

/**
 * place chooses the site, variant and pool for all of a workload's units at once. `extraFilters` run after the
 * built-in pool filters: admission passes its queue's quota here, so that the best option is the best one that fits
 * both a site and the queue (one decision, not two).
 */
export function place(
  workload: Workload,
  snapshot: Snapshot,
  config: PlacementConfig = DEFAULT_PLACEMENT_CONFIG,
  extraFilters: readonly PoolFilter[] = [],
): Decision {
  // 1. Candidates: every site, in name order (the record's order, and the last tie-break).
  const sites = [...snapshot.sites].sort((a, b) => compareStrings(a.name, b.name));

  // 2. Filter every site × variant × pool for the whole gang.
  const filters = extraFilters.length === 0 ? POOL_FILTERS : [...POOL_FILTERS, ...extraFilters];
  const evaluations = sites.map((site) => evaluateSite(workload, site, workload.units, filters));

  // 3. Score the feasible options against each other.
  const scored = scoreOptions(
    workload,
    evaluations.flatMap((e) => e.options),
    config,
  ).sort(compareScored);

  // 4. Pick the best: highest score; ties to the earlier variant, then the site name, then the pool name.
  const bestPerSite = new Map<string, ScoredOption>();
  for (const o of scored) if (!bestPerSite.has(o.site.name)) bestPerSite.set(o.site.name, o);
  const winner = scored[0];

  // 5. Explain: every site with its outcome.
  const rejections: Rejection[] = evaluations
    .filter((e) => e.options.length === 0)
    .map((e) => ({ site: e.site.name, reasons: rejectionReasons(e) }));
  const candidates = sortCandidates([
    ...rejections.map(rejectedCandidate),
    ...[...bestPerSite.values()].map((o) =>
      scoredCandidate(o, o === winner ? CandidateVerdict.Selected : CandidateVerdict.Feasible),
    ),
  ]);
  if (winner === undefined) {
    const message = noSiteFitsMessage(workload, sites.length, rejections);
    return { kind: 'Unschedulable', record: boundedRecord({ message, candidates }) };
  }
  return {
    kind: 'Placed',
    site: winner.site.name,
    variant: winner.variant.name,
    pool: winner.pool.name,
    score: winner.score,
    perUnit: winner.demand,
    record: boundedRecord({
      message: `placed on ${winner.site.name} (variant ${winner.variant.name}, score ${winner.score})`,
      candidates,
    }),
  };
}
