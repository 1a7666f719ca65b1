import { describe, expect, it } from 'vitest';
import { backoffBounds, validateBackoffPolicy } from '../runtime/backoff.ts';
import { DEFAULT_RECONNECT_BACKOFF } from './client.ts';

describe('DEFAULT_RECONNECT_BACKOFF', () => {
  it('is a usable policy: 1 s ± 20 % at first, never more than 60 s (README, "Protocol" step 6)', () => {
    expect(validateBackoffPolicy(DEFAULT_RECONNECT_BACKOFF)).toEqual([]);
    expect(backoffBounds(DEFAULT_RECONNECT_BACKOFF, 0)).toEqual({ min: 800, max: 1200 });
    expect(backoffBounds(DEFAULT_RECONNECT_BACKOFF, 1_000).max).toBe(60_000);
  });
});
