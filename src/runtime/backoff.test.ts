import { describe, expect, it } from 'vitest';
import { backoffBounds, backoffDelay, validateBackoffPolicy, type BackoffPolicy } from './backoff.ts';

describe('backoffDelay', () => {
  const p: BackoffPolicy = { initialMs: 1000, maxMs: 60_000, multiplier: 2, jitter: 0.2 };

  const cases: { attempt: number; wantMin: number; wantMax: number }[] = [
    { attempt: 0, wantMin: 800, wantMax: 1200 },
    { attempt: 1, wantMin: 1600, wantMax: 2400 },
    { attempt: 4, wantMin: 12_800, wantMax: 19_200 },
    { attempt: 5, wantMin: 25_600, wantMax: 38_400 },
    { attempt: 6, wantMin: 48_000, wantMax: 60_000 }, // 64 s base is capped to 60 s before the jitter, which is cut at the cap
    { attempt: 7, wantMin: 48_000, wantMax: 60_000 },
    { attempt: 10_000, wantMin: 48_000, wantMax: 60_000 }, // a week-long outage neither overflows nor exceeds the cap
  ];
  it.each(cases)('attempt $attempt stays within [$wantMin, $wantMax]', ({ attempt, wantMin, wantMax }) => {
    expect(backoffBounds(p, attempt)).toEqual({ min: wantMin, max: wantMax });
    for (const r of [0, 0.001, 0.25, 0.5, 0.75, 0.999999]) {
      const d = backoffDelay(p, attempt, r);
      expect(d).toBeGreaterThanOrEqual(wantMin);
      expect(d).toBeLessThanOrEqual(wantMax);
      expect(d).toBeLessThanOrEqual(p.maxMs);
    }
    expect(backoffDelay(p, attempt, 0)).toBe(wantMin);
  });

  it('spreads agents apart: different random numbers give different delays', () => {
    const delays = new Set([0.1, 0.3, 0.5, 0.7, 0.9].map((r) => backoffDelay(p, 3, r)));
    expect(delays.size).toBe(5);
  });

  it('grows until the cap, never shrinks', () => {
    let prev = 0;
    for (let a = 0; a < 20; a++) {
      const d = backoffDelay(p, a, 0.5);
      expect(d).toBeGreaterThanOrEqual(prev);
      prev = d;
    }
    expect(prev).toBe(54_000);
  });

  it('clamps out-of-range random numbers and negative attempts', () => {
    expect(backoffDelay(p, 0, -1)).toBe(800);
    expect(backoffDelay(p, 0, 2)).toBe(1200);
    expect(backoffDelay(p, -3, 0.5)).toBe(1000);
  });

  it('without jitter is plain capped doubling', () => {
    const q = { ...p, jitter: 0 };
    expect([0, 1, 2, 3, 10].map((a) => backoffDelay(q, a, 0.9))).toEqual([1000, 2000, 4000, 8000, 60_000]);
  });

  it('with downward jitter only takes off, from the capped delay', () => {
    const q: BackoffPolicy = { ...p, jitterDirection: 'down' };
    expect(backoffBounds(q, 0)).toEqual({ min: 800, max: 1000 });
    expect(backoffBounds(q, 10)).toEqual({ min: 48_000, max: 60_000 });
    expect(backoffDelay(q, 1, 0.5)).toBe(1800);
  });
});

describe('validateBackoffPolicy', () => {
  it('accepts a usable policy', () => {
    expect(validateBackoffPolicy({ initialMs: 1000, maxMs: 60_000, multiplier: 2, jitter: 0.2 })).toEqual([]);
  });
  it('reports each problem', () => {
    expect(validateBackoffPolicy({ initialMs: 0, maxMs: -1, multiplier: 0.5, jitter: 2 })).toHaveLength(4);
  });
});
