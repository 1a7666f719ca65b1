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

describe('PromisedCapacityTracker with the sites\' report times', () => {
  it('keeps a settled promise until its site\'s pools were written after the pods were seen, up to the longest wait', () => {
    let reportedAt: number | undefined;
    const t = new PromisedCapacityTracker({ settleMs: 5000, maxSettleMs: 30_000, poolsReportedAt: (site) => (site === 'a' ? reportedAt : undefined) });
    t.hold('k', { a: { p: { 'nvidia.com/gpu': 8 } } });
    expect(t.releaseWhenSettled('k', 1000)).toBe(false); // pods seen at 1000
    // Settled by time, but the hub's Site has not shown a pool change since: the report may not count the pods.
    reportedAt = 900;
    expect(t.releaseWhenSettled('k', 6000)).toBe(false);
    expect(t.settleCheckInMs('k', 6000)).toBe(1000); // look again soon: a write is on its way
    // A status change written at least the agent's gathering time (and a write's round trip) after the pods were seen.
    reportedAt = 1000 + 2000;
    expect(t.releaseWhenSettled('k', 6500)).toBe(true);
  });

  it('releases after the longest wait even when no pool change came (the report already counted the pods)', () => {
    const t = new PromisedCapacityTracker({ settleMs: 5000, maxSettleMs: 30_000, poolsReportedAt: () => 0 });
    t.hold('k', { a: { p: { 'nvidia.com/gpu': 8 } } });
    t.releaseWhenSettled('k', 1000);
    expect(t.releaseWhenSettled('k', 30_999)).toBe(false);
    expect(t.releaseWhenSettled('k', 31_000)).toBe(true);
  });
});
