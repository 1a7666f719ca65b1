import { describe, expect, it } from 'vitest';
import { WAITING_LOOKS_PER_SECOND, waitingRetryMs } from './waiting-retry.ts';

describe('waitingRetryMs', () => {
  it('is the base retry while few wait, and stretches so that all waiting jobs together stay within the bound', () => {
    expect(waitingRetryMs(10_000, 0)).toBe(10_000);
    expect(waitingRetryMs(10_000, 150)).toBe(10_000);
    expect(waitingRetryMs(10_000, 3_200)).toBe(160_000);
    for (const waiting of [1_000, 3_200, 10_000]) expect(waiting / (waitingRetryMs(10_000, waiting) / 1000)).toBeLessThanOrEqual(WAITING_LOOKS_PER_SECOND);
  });

  it('reads a negative count as none', () => {
    expect(waitingRetryMs(5_000, -3)).toBe(5_000);
  });
});
