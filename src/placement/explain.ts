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

/**
 * MAX_RECORDED_CANDIDATES is how many candidates a record lists in all (more only when more sites are selected, each
 * of which is always listed, up to MAX_SELECTED_CANDIDATES). The status schema takes 256
 * (and a status write over it is refused, so the workload could never be placed); and the record is most of what a
 * workload's status weighs, written again at every phase: with 64 candidates at 100 sites a TrainingJob weighed
 * 28 KB on the hub (its status 11 KB, and the field ownership the apiserver keeps for it 15 KB), and every write of
 * it cost the hub apiserver that much to merge and track. Sixteen name the winner, the best alternatives and an
 * example of each reason the others were turned down; the rest are counted in the message.
 */
export const MAX_RECORDED_CANDIDATES = 16;
/** MAX_BEST_FEASIBLE is how many of the best-scored feasible sites a bounded record lists before it explains each rejection. */
export const MAX_BEST_FEASIBLE = 4;
/** MAX_SELECTED_CANDIDATES is the schema's bound on the list (src/api/schema/placement-record.ts): selected sites are kept up to it. */
export const MAX_SELECTED_CANDIDATES = 256;
/** MAX_SUMMARY_SITES is how many rejected sites a one-line message names before it counts the rest. */
export const MAX_SUMMARY_SITES = 8;
/** MAX_RECORD_MESSAGE is the schema's maxLength of status.placement.message. */
export const MAX_RECORD_MESSAGE = 4096;

/**
 * boundedRecord keeps a record within the status schema at any federation size: every selected site (up to the
 * schema's bound), then the MAX_BEST_FEASIBLE best-scored feasible sites, then one rejected site per distinct set of
 * reasons, then the next best feasible sites, then more rejected sites, up to MAX_RECORDED_CANDIDATES in all; back in
 * name order. The message says how many were left out, by verdict, and is cut to MAX_RECORD_MESSAGE characters. A
 * record within the bounds comes back unchanged.
 */
export function boundedRecord<R extends { readonly message?: string; readonly candidates?: PlacementCandidate[] }>(record: R): R {
  const all = record.candidates ?? [];
  const message = record.message ?? '';
  if (all.length <= MAX_RECORDED_CANDIDATES && message.length <= MAX_RECORD_MESSAGE) return record;
  let candidates = all;
  let omittedNote = '';
  if (all.length > MAX_RECORDED_CANDIDATES) {
    const selected = all.filter((c) => c.verdict === CandidateVerdict.Selected).slice(0, MAX_SELECTED_CANDIDATES);
    const feasible = all.filter((c) => c.verdict === CandidateVerdict.Feasible).sort((a, b) => (b.score ?? 0) - (a.score ?? 0) || compareStrings(a.site, b.site));
    const rejected = all.filter((c) => c.verdict === CandidateVerdict.Rejected);
    const seen = new Set<string>();
    const firstOfReasons: PlacementCandidate[] = [];
    const others: PlacementCandidate[] = [];
    for (const c of rejected) {
      const key = (c.reasons ?? []).join('\n');
      (seen.has(key) ? others : firstOfReasons).push(c);
      seen.add(key);
    }
    const room = Math.max(0, MAX_RECORDED_CANDIDATES - selected.length);
    const best = feasible.slice(0, MAX_BEST_FEASIBLE);
    const kept = [...selected, ...[...best, ...firstOfReasons, ...feasible.slice(best.length), ...others].slice(0, room)];
    const keptSet = new Set(kept);
    const left = all.filter((c) => !keptSet.has(c));
    const count = (v: string): number => left.filter((c) => c.verdict === v).length;
    const parts = [
      [count(CandidateVerdict.Selected), 'selected'],
      [count(CandidateVerdict.Feasible), 'feasible'],
      [count(CandidateVerdict.Rejected), 'rejected'],
    ].filter(([n]) => (n as number) > 0).map(([n, what]) => `${n} ${what}`);
    candidates = sortCandidates(kept);
    omittedNote = `; ${left.length} more sites not listed (${parts.join(', ')})`;
  }
  return { ...record, candidates, message: clip(message + omittedNote, MAX_RECORD_MESSAGE) };
}

/** clip cuts `s` to at most `max` characters, ending with an ellipsis when cut. */
function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
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
  const sorted = [...rejections].sort((a, b) => compareStrings(a.site, b.site));
  const named = sorted
    .slice(0, MAX_SUMMARY_SITES)
    .map((r) => {
      const reasons = r.reasons.map((x) => (only !== undefined && x.startsWith(only) ? x.slice(only.length) : x));
      return `${r.site}: ${reasons.join(' and ')}`;
    })
    .join('; ');
  // A federation of hundreds of sites: name a few, count the rest (the record's candidates give more).
  const more = sorted.length - MAX_SUMMARY_SITES;
  return more > 0 ? `${named}; and ${more} more sites` : named;
}

/** noSiteFitsMessage is the message when nothing could be placed: `0/3 sites fit: beijing: ...; ...`. */
export function noSiteFitsMessage(workload: Workload, siteCount: number, rejections: readonly Rejection[]): string {
  const summary = rejectionSummary(workload, rejections);
  return summary === '' ? `0/${siteCount} sites fit` : `0/${siteCount} sites fit: ${summary}`;
}
