import { describe, expect, it } from 'vitest';
import { FakeClock } from './clock.ts';
import { ExponentialBackoff, MaxOf, TokenBucket, defaultControllerRateLimiter } from './rate-limiter.ts';

describe('ExponentialBackoff', () => {
  it('doubles per failure, caps, and is per key', () => {
    const b = new ExponentialBackoff({ baseMs: 5, maxMs: 100 });
    expect([1, 2, 3, 4, 5, 6].map(() => b.when('a'))).toEqual([5, 10, 20, 40, 80, 100]);
    expect(b.when('b')).toBe(5);
    expect(b.numRequeues('a')).toBe(6);
    b.forget('a');
    expect(b.numRequeues('a')).toBe(0);
    expect(b.when('a')).toBe(5);
  });

  it('stays at the cap after very many failures', () => {
    const b = new ExponentialBackoff({ baseMs: 5, maxMs: 300_000 });
    let last = 0;
    for (let i = 0; i < 2000; i++) last = b.when('a');
    expect(last).toBe(300_000);
  });
});

describe('TokenBucket', () => {
  it('allows the burst, then spaces callers 1/qps apart, and refills with time', () => {
    const clock = new FakeClock();
    const t = new TokenBucket({ clock, qps: 10, burst: 3 });
    expect([1, 2, 3, 4, 5].map(() => t.when('x'))).toEqual([0, 0, 0, 100, 200]);
    clock.advance(1000); // 10 tokens back, but the bucket holds at most 3 and 2 were owed
    expect([1, 2, 3, 4].map(() => t.when('x'))).toEqual([0, 0, 0, 100]);
  });

  it('rejects a bucket that can never pass', () => {
    expect(() => new TokenBucket({ clock: new FakeClock(), qps: 0 })).toThrow(RangeError);
  });
});

describe('MaxOf and the default controller limiter', () => {
  it('takes the longer delay and records the failure in every limiter', () => {
    const clock = new FakeClock();
    const limiter = new MaxOf(new ExponentialBackoff({ baseMs: 50, maxMs: 1000 }), new TokenBucket({ clock, qps: 10, burst: 1 }));
    expect(limiter.when('a')).toBe(50); // backoff 50 > bucket 0
    expect(limiter.when('b')).toBe(100); // bucket owes a token: 100 > backoff 50
    expect(limiter.numRequeues('a')).toBe(1);
    limiter.forget('a');
    expect(limiter.numRequeues('a')).toBe(0);
  });

  it('defaults to 5 ms per-key backoff under a 10 qps burst 100 bucket', () => {
    const clock = new FakeClock();
    const limiter = defaultControllerRateLimiter(clock);
    const delays = Array.from({ length: 101 }, (_, i) => limiter.when(`k${i}`));
    expect(delays.slice(0, 100).every((d) => d === 5)).toBe(true);
    expect(delays[100]).toBe(100);
  });
});
