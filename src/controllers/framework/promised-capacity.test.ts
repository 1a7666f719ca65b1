// The promise tracker's settle bookkeeping: when a held promise should be looked at again.
import { describe, expect, it } from 'vitest';
import { mergePromised } from '../../placement/promised.ts';
import type { PromisedCapacity } from '../../placement/snapshot.ts';
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

describe('PromisedCapacityTracker.total', () => {
  it('equals the sum of what is held, with or without one key, after any series of holds, undos and releases', () => {
    // A seeded series (no Math.random: the failure must repeat). The sum is kept as promises come and go; the
    // reference adds every held promise up afresh.
    let seed = 7;
    const next = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const t = new PromisedCapacityTracker();
    const held = new Map<string, PromisedCapacity>();
    const undos: { key: string; undo: () => void; before: PromisedCapacity | undefined }[] = [];
    for (let step = 0; step < 2_000; step++) {
      const key = `k${next(12)}`;
      const op = next(10);
      if (op < 5) {
        const promise: PromisedCapacity = { [`s${next(4)}`]: { [`p${next(3)}`]: { 'nvidia.com/gpu': 1 + next(8), ...(next(2) === 0 && { cpu: 1000 * (1 + next(4)) }) } } };
        undos.push({ key, undo: t.hold(key, promise), before: held.get(key) });
        held.set(key, promise);
      } else if (op < 7 && undos.length > 0) {
        // Undo the latest hold only (as a reconciler does right after its write fails), then forget older undos.
        const last = undos.pop();
        if (last !== undefined) {
          last.undo();
          if (last.before === undefined) held.delete(last.key);
          else held.set(last.key, last.before);
        }
        undos.length = 0;
      } else {
        t.release(key);
        held.delete(key);
        undos.length = 0;
      }
      expect(t.total(), `step ${step}`).toEqual(mergePromised(...held.values()));
      const except = `k${next(12)}`;
      expect(t.total(except), `step ${step} without ${except}`).toEqual(mergePromised(...[...held].filter(([k]) => k !== except).map(([, p]) => p)));
    }
  });
});
