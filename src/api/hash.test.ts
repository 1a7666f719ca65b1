import { describe, expect, it } from 'vitest';
import { fnv1a, spreadMs } from './hash.ts';

describe('fnv1a', () => {
  it('is the FNV-1a of the published test vectors', () => {
    expect(fnv1a('')).toBe(0x811c9dc5);
    expect(fnv1a('a')).toBe(0xe40c292c);
    expect(fnv1a('foobar')).toBe(0xbf9cf968);
  });
});

describe('spreadMs', () => {
  it('stays within ±fraction, is stable per key, and spreads keys over the range', () => {
    const keys = Array.from({ length: 1000 }, (_, i) => `TrainingJob/bench/job-${i}`);
    const got = keys.map((k) => spreadMs(k, 60_000, 0.25));
    expect(Math.min(...got)).toBeGreaterThanOrEqual(45_000);
    expect(Math.max(...got)).toBeLessThanOrEqual(75_000);
    expect(spreadMs(keys[0] as string, 60_000, 0.25)).toBe(got[0]);
    // Ten equal buckets of the range each hold some of the thousand.
    const buckets = new Set(got.map((ms) => Math.min(9, Math.floor((ms - 45_000) / 3_000))));
    expect(buckets.size).toBe(10);
  });
});
