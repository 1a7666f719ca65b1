// The promise tracker's settle bookkeeping: when a held promise should be looked at again.
import { describe, expect, it } from 'vitest';
import { PromisedCapacityTracker } from './promised-capacity.ts';

describe('PromisedCapacityTracker.settleCheckInMs', () => {
  it('asks for a look when the promise settles, once the pods were seen, and not before or after', () => {
    const t = new PromisedCapacityTracker({ settleMs: 5000 });
    t.hold('k', { a: { p: { 'nvidia.com/gpu': 8 } } });
    expect(t.settleCheckInMs('k', 1000)).toBeUndefined(); // pods not seen yet: the member informer wakes it
    expect(t.releaseWhenSettled('k', 1000)).toBe(false);
    expect(t.settleCheckInMs('k', 2000)).toBe(4001);
    expect(t.releaseWhenSettled('k', 6000)).toBe(true);
    expect(t.settleCheckInMs('k', 6000)).toBeUndefined();
    expect(t.settleCheckInMs('other', 6000)).toBeUndefined();
  });
});
