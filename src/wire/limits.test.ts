import { describe, expect, it } from 'vitest';
import { DEFAULT_WIRE_LIMITS, resolveWireLimits } from './limits.ts';

describe('resolveWireLimits', () => {
  it('fills in the defaults, which stay well inside what they guard', () => {
    expect(resolveWireLimits()).toEqual(DEFAULT_WIRE_LIMITS);
    expect(resolveWireLimits({ helloTimeoutMs: 500 })).toEqual({ ...DEFAULT_WIRE_LIMITS, helloTimeoutMs: 500 });
    expect(DEFAULT_WIRE_LIMITS.maxMessageBytes).toBeLessThan(16 * 2 ** 20);
  });

  it('refuses values that would switch a limit off, naming each field', () => {
    expect(() => resolveWireLimits({ maxMessageBytes: 0, helloTimeoutMs: Infinity, messageRate: { perSecond: -1, burst: 0.5 } })).toThrow(
      'invalid wire limits: maxMessageBytes must be a positive number, got 0; helloTimeoutMs must be a positive number, got Infinity; ' +
        'messageRate.perSecond must be a positive number, got -1; messageRate.burst must be at least 1, got 0.5',
    );
    expect(() => resolveWireLimits({ maxMessageBytes: 1.5 })).toThrow('maxMessageBytes must be a whole number, got 1.5');
  });
});
