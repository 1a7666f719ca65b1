import { describe, expect, it } from 'vitest';
import { histogramQuantile, nearestRank, subtractBuckets, summarise } from './stats.ts';

describe('summarise', () => {
  it('gives nearest-rank percentiles of the finite values', () => {
    const s = summarise([...Array.from({ length: 100 }, (_, i) => i + 1), undefined, NaN]);
    expect(s).toMatchObject({ count: 100, p50: 50, p90: 90, p99: 99, max: 100, mean: 50.5 });
  });

  it('is empty for no values', () => {
    expect(summarise([undefined])).toEqual({ count: 0, p50: undefined, p90: undefined, p99: undefined, max: undefined, mean: undefined });
  });

  it('refuses a percentile outside (0, 100]', () => {
    expect(() => nearestRank([1], 0)).toThrow(/percentile/);
  });
});

describe('histogramQuantile', () => {
  const buckets = [
    { le: 0.001, count: 50 },
    { le: 0.01, count: 90 },
    { le: 0.1, count: 100 },
    { le: Infinity, count: 100 },
  ];

  it('interpolates within the bucket the rank falls in, as Prometheus does', () => {
    expect(histogramQuantile(buckets, 0.5)).toBeCloseTo(0.001);
    expect(histogramQuantile(buckets, 0.25)).toBeCloseTo(0.0005);
    expect(histogramQuantile(buckets, 0.7)).toBeCloseTo(0.001 + 0.009 * 0.5);
    expect(histogramQuantile(buckets, 0.99)).toBeCloseTo(0.01 + 0.09 * 0.9);
  });

  it('answers the highest finite edge when the rank is in +Inf, and nothing with no observations', () => {
    expect(histogramQuantile([{ le: 0.1, count: 1 }, { le: Infinity, count: 10 }], 0.99)).toBe(0.1);
    expect(histogramQuantile([{ le: 0.1, count: 0 }, { le: Infinity, count: 0 }], 0.5)).toBeUndefined();
  });

  it('reads the observations between two scrapes', () => {
    const before = [{ le: 0.001, count: 10 }, { le: Infinity, count: 10 }];
    const after = [{ le: 0.001, count: 10 }, { le: Infinity, count: 30 }];
    expect(subtractBuckets(after, before)).toEqual([{ le: 0.001, count: 0 }, { le: Infinity, count: 20 }]);
  });
});
