import { describe, expect, it } from 'vitest';
import { FakeClock } from '../runtime/clock.ts';
import { SiteRateLimit } from './site-rate-limit.ts';
import { site } from './test-helpers.ts';

const A = site('alpha');
const B = site('beta');

function takeN(limit: SiteRateLimit, s: typeof A, n: number): number {
  let ok = 0;
  for (let i = 0; i < n; i++) if (limit.take(s)) ok++;
  return ok;
}

describe('SiteRateLimit', () => {
  it('admits a burst, then the refill rate, and counts every refusal', () => {
    const clock = new FakeClock(0);
    const limit = new SiteRateLimit(clock, { perSecond: 10, burst: 5 });
    expect(takeN(limit, A, 8)).toBe(5);
    expect(limit.dropped(A)).toBe(3);
    clock.advance(250); // 2.5 tokens
    expect(takeN(limit, A, 5)).toBe(2);
    expect(limit.dropped(A)).toBe(6);
  });

  it('does not charge refusals: a site that keeps flooding gets its rate back as soon as it slows down', () => {
    const clock = new FakeClock(0);
    const limit = new SiteRateLimit(clock, { perSecond: 10, burst: 5 });
    takeN(limit, A, 5);
    // 10,000 refused attempts within 100 ms would be a debt of 1,000 s with a reserving bucket.
    for (let i = 0; i < 100; i++) {
      takeN(limit, A, 100);
      clock.advance(1);
    }
    clock.advance(1000);
    expect(takeN(limit, A, 5)).toBe(5);
  });

  it('never holds more than the burst, and keeps each site apart', () => {
    const clock = new FakeClock(0);
    const limit = new SiteRateLimit(clock, { perSecond: 10, burst: 5 });
    clock.advance(60_000);
    expect(takeN(limit, A, 10)).toBe(5);
    expect(takeN(limit, B, 5)).toBe(5);
    expect(limit.dropped(B)).toBe(0);
    expect(limit.dropped(A)).toBe(5);
  });
});
