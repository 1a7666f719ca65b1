import { describe, expect, it } from 'vitest';
import type { PlacementCandidate } from '../api/generated/types.ts';
import { CandidateVerdict } from '../api/names.ts';
import { boundedRecord, MAX_BEST_FEASIBLE, MAX_RECORDED_CANDIDATES } from './explain.ts';

const site = (i: number): string => `site-${String(i).padStart(4, '0')}`;
const feasible = (i: number, score: number): PlacementCandidate => ({ site: site(i), verdict: CandidateVerdict.Feasible, score });
const rejected = (i: number, reason: string): PlacementCandidate => ({ site: site(i), verdict: CandidateVerdict.Rejected, reasons: [reason] });

describe('boundedRecord', () => {
  it('keeps a record within the bounds unchanged', () => {
    const record = { message: 'placed on site-0000', candidates: [{ site: site(0), verdict: CandidateVerdict.Selected }, feasible(1, 50)] };
    expect(boundedRecord(record)).toBe(record);
  });

  it('lists the selected sites, the best few others, then one site per distinct reason, then the next best', () => {
    // 1 selected, 100 feasible (site i scores i), 30 rejected for 5 distinct reasons: every reason must be explained.
    const reasons = ['no GPU', 'excluded by spec.placement', 'not Ready', 'ImageNotAllowed', 'price above maxPrice'];
    const all: PlacementCandidate[] = [
      { site: site(0), verdict: CandidateVerdict.Selected, score: 99 },
      ...Array.from({ length: 100 }, (_, i) => feasible(i + 1, i + 1)),
      ...Array.from({ length: 30 }, (_, i) => rejected(101 + i, reasons[i % reasons.length] ?? '')),
    ];
    const { candidates = [], message = '' } = boundedRecord({ message: 'placed on site-0000', candidates: all });
    expect(candidates).toHaveLength(MAX_RECORDED_CANDIDATES);
    expect(candidates.filter((c) => c.verdict === CandidateVerdict.Selected).map((c) => c.site)).toEqual([site(0)]);
    expect(new Set(candidates.flatMap((c) => c.reasons ?? []))).toEqual(new Set(reasons));
    const kept = candidates.filter((c) => c.verdict === CandidateVerdict.Feasible).map((c) => c.score ?? 0);
    expect(kept).toHaveLength(MAX_RECORDED_CANDIDATES - 1 - reasons.length);
    expect(Math.min(...kept)).toBe(100 - kept.length + 1); // the best ones
    expect(MAX_BEST_FEASIBLE).toBeLessThan(kept.length);
    expect(candidates.map((c) => c.site)).toEqual(candidates.map((c) => c.site).sort());
    const left = all.length - MAX_RECORDED_CANDIDATES;
    expect(message).toBe(`placed on site-0000; ${left} more sites not listed (${100 - kept.length} feasible, ${30 - reasons.length} rejected)`);
  });

  it('with more distinct reasons than room, still lists the best few others first', () => {
    const all: PlacementCandidate[] = [
      { site: site(0), verdict: CandidateVerdict.Selected },
      ...Array.from({ length: 50 }, (_, i) => feasible(i + 1, i + 1)),
      ...Array.from({ length: 50 }, (_, i) => rejected(51 + i, `reason ${i}`)),
    ];
    const { candidates = [] } = boundedRecord({ candidates: all });
    expect(candidates).toHaveLength(MAX_RECORDED_CANDIDATES);
    expect(candidates.filter((c) => c.verdict === CandidateVerdict.Feasible).map((c) => c.score)).toEqual([47, 48, 49, 50].slice(-MAX_BEST_FEASIBLE));
    expect(candidates.filter((c) => c.verdict === CandidateVerdict.Rejected)).toHaveLength(MAX_RECORDED_CANDIDATES - 1 - MAX_BEST_FEASIBLE);
  });
});
