import { describe, expect, it } from 'vitest';
import { FakeClock } from './clock.ts';

describe('FakeClock', () => {
  it('fires due timers in time order, then insertion order, at their due time', () => {
    const clock = new FakeClock(0);
    const fired: string[] = [];
    clock.after(20, () => fired.push(`b@${clock.now()}`));
    clock.after(10, () => fired.push(`a@${clock.now()}`));
    clock.after(20, () => fired.push(`c@${clock.now()}`));
    clock.after(30, () => fired.push('late'));
    clock.advance(25);
    expect(fired).toEqual(['a@10', 'b@20', 'c@20']);
    expect(clock.now()).toBe(25);
    expect(clock.nextTimerIn()).toBe(5);
  });

  it('fires a timer set by a firing timer when it falls inside the same advance', () => {
    const clock = new FakeClock(0);
    const fired: number[] = [];
    clock.after(10, () => {
      fired.push(clock.now());
      clock.after(10, () => fired.push(clock.now()));
    });
    clock.advance(20);
    expect(fired).toEqual([10, 20]);
  });

  it('cancels timers', () => {
    const clock = new FakeClock(0);
    let fired = false;
    const cancel = clock.after(10, () => {
      fired = true;
    });
    cancel();
    clock.advance(10);
    expect(fired).toBe(false);
    expect(clock.pending()).toBe(0);
  });

  it('sleep resolves on time and rejects with the abort reason', async () => {
    const clock = new FakeClock(0);
    let woke = false;
    const sleeping = clock.sleep(100).then(() => {
      woke = true;
    });
    clock.advance(99);
    await Promise.resolve();
    expect(woke).toBe(false);
    clock.advance(1);
    await sleeping;
    expect(woke).toBe(true);

    const ac = new AbortController();
    const aborted = clock.sleep(100, ac.signal);
    ac.abort(new Error('stopped'));
    await expect(aborted).rejects.toThrow('stopped');
    expect(clock.pending()).toBe(0);
  });
});
