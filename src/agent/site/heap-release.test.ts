import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../runtime/clock.ts';
import { HeapRelease, type GcFunction } from './heap-release.ts';

describe('handing freed heap back', () => {
  it('asks for a memory-reducing collection at start and every interval until stopped', () => {
    const clock = new FakeClock();
    const calls: unknown[] = [];
    const gc: GcFunction = (o) => void calls.push(o);
    const release = new HeapRelease({ clock, gc, everyMs: 60_000 });
    release.start();
    release.start();
    expect(calls).toEqual([{ type: 'major', execution: 'sync', flavor: 'last-resort' }]);
    clock.advance(59_999);
    expect(release.runs).toBe(1);
    clock.advance(1);
    clock.advance(60_000);
    expect(release.runs).toBe(3);
    release.stop();
    clock.advance(600_000);
    expect(calls).toHaveLength(3);
    expect(clock.pending()).toBe(0);
  });

  it('does nothing without an exposed gc, and refuses an interval that is not positive', () => {
    const clock = new FakeClock();
    const release = new HeapRelease({ clock, gc: undefined });
    release.start();
    expect(release.available).toBe(false);
    expect(clock.pending()).toBe(0);
    expect(() => new HeapRelease({ clock, gc: undefined, everyMs: 0 })).toThrow(RangeError);
  });
});
