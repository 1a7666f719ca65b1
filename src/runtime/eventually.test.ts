import { describe, expect, it } from 'vitest';
import { FakeClock } from './clock.ts';
import { eventually } from './eventually.ts';

/** drive advances a fake clock in steps until the promise settles, as a test of a polling caller would. */
async function drive<T>(clock: FakeClock, p: Promise<T>, stepMs: number): Promise<T> {
  let settled = false;
  const done = p.finally(() => {
    settled = true;
  });
  done.catch(() => undefined);
  while (!settled) {
    await new Promise(setImmediate);
    clock.advance(stepMs);
  }
  return done;
}

describe('eventually', () => {
  it('returns the first value that is not false, trying again while the check returns false or throws', async () => {
    const clock = new FakeClock(0);
    const answers: Array<() => string | false> = [
      () => false,
      () => {
        throw new Error('not yet');
      },
      () => 'found',
    ];
    let tries = 0;
    const got = await drive(clock, eventually(() => (answers[tries++] ?? (() => 'late'))(), { clock, intervalMs: 100 }), 100);
    expect(got).toBe('found');
    expect(tries).toBe(3);
    expect(clock.now()).toBeLessThanOrEqual(300);
  });

  it('passes an assertion block that returns nothing once it stops throwing', async () => {
    let n = 0;
    await eventually(() => {
      n += 1;
      expect(n).toBeGreaterThanOrEqual(3);
    });
    expect(n).toBe(3);
  });

  it('awaits an async check', async () => {
    let n = 0;
    expect(await eventually(async () => ++n >= 2 && `after ${n}`)).toBe('after 2');
  });

  it('says what it waited for, how long, and why the last try failed', async () => {
    const clock = new FakeClock(0);
    const boom = new Error('expected 2 to be 3');
    const failing = (): never => {
      throw boom;
    };
    const threw = await drive(clock, eventually(failing, { clock, timeoutMs: 1000, intervalMs: 300, what: 'three heartbeats' }), 300).catch((e: unknown) => e);
    expect(threw).toBeInstanceOf(Error);
    expect((threw as Error).message).toBe('timed out after 1000 ms (5 tries) waiting for three heartbeats; on the last try it threw: expected 2 to be 3');
    expect((threw as Error).cause).toBe(boom);

    const falsy = await drive(clock, eventually(() => false, { clock, timeoutMs: 50 }), 10).catch((e: unknown) => e);
    expect((falsy as Error).message).toMatch(/^timed out after 50 ms \(\d+ tries\) waiting for the check to pass; on the last try the check returned false$/);
  });

  it('tries once more at the deadline rather than sleeping past it', async () => {
    const clock = new FakeClock(0);
    const seen: number[] = [];
    const check = (): false => {
      seen.push(clock.now());
      return false;
    };
    const p = eventually(check, { clock, timeoutMs: 250, intervalMs: 100 });
    await drive(clock, p, 50).catch(() => undefined);
    expect(seen).toEqual([0, 100, 200, 250]);
  });
});
