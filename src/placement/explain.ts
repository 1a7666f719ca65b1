/**
 * The explanation record written to a workload's status: every site considered, in name order, with why it was
 * rejected or how it scored, and a one-line message. Everything here is sorted and integer so that the same inputs
 * give byte-identical status, and an unchanged decision causes no status write.
 */
import type { PlacementCandidate, PlacementRecord } from '../api/generated/types.ts';
import { CandidateVerdict } from '../api/names.ts';
import { compareStrings } from './order.ts';
import type { ScoredOption } from './scoring.ts';
import type { Workload } from './workload.ts';

/** Explanation is a PlacementRecord without epoch and decisionTime, which the controller adds when it writes it. */
export type Explanation = Required<Pick<PlacementRecord, 'message' | 'candidates'>>;

/** Rejection is a site that failed a filter, and why. */
export interface Rejection {
  readonly site: string;
  readonly reasons: readonly string[];
}

/** scoredCandidate records a site that passed every filter. */
export function scoredCandidate(
  best: ScoredOption,
  verdict: typeof CandidateVerdict.Selected | typeof CandidateVerdict.Feasible,
  extra: { readonly replicas?: number; readonly reasons?: readonly string[] } = {},
): PlacementCandidate {
  return {
    site: best.site.name,
    verdict,
    variant: best.variant.name,
    score: best.score,
    scores: { ...best.scores },
    ...(extra.replicas === undefined ? {} : { replicas: extra.replicas }),
    ...(extra.reasons === undefined || extra.reasons.length === 0 ? {} : { reasons: [...extra.reasons] }),
  };
}

/** rejectedCandidate records a site that failed a filter. */
export function rejectedCandidate(r: Rejection): PlacementCandidate {
  return { site: r.site, verdict: CandidateVerdict.Rejected, reasons: [...r.reasons] };
}

/** sortCandidates puts candidates in site name order, as the API documents. */
export function sortCandidates(candidates: PlacementCandidate[]): PlacementCandidate[] {
  return candidates.sort((a, b) => compareStrings(a.site, b.site));
}

/**
 * rejectionSummary renders rejected sites for a one-line message: `beijing: ...; guizhou: ...`. A workload with one
 * variant drops the `variant <name>: ` prefix there (it names nothing the user has to choose between); the
 * candidates keep it. Several reasons of one site are joined with " and ", since a reason may contain a comma.
 */
export function rejectionSummary(workload: Workload, rejections: readonly Rejection[]): string {
  const only = workload.variants.length === 1 ? `variant ${workload.variants[0]?.name}: ` : undefined;
  return [...rejections]
    .sort((a, b) => compareStrings(a.site, b.site))
    .map((r) => {
      const reasons = r.reasons.map((x) => (only !== undefined && x.startsWith(only) ? x.slice(only.length) : x));
      return `${r.site}: ${reasons.join(' and ')}`;
    })
    .join('; ');
}

/** noSiteFitsMessage is the message when nothing could be placed: `0/3 sites fit: beijing: ...; ...`. */
export function noSiteFitsMessage(workload: Workload, siteCount: number, rejections: readonly Rejection[]): string {
  const summary = rejectionSummary(workload, rejections);
  return summary === '' ? `0/${siteCount} sites fit` : `0/${siteCount} sites fit: ${summary}`;
}
