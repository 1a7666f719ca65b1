/**
 * Waiting, in tests, for something that happens asynchronously: a gRPC session, a controller on a real cluster, a
 * process that writes a log line. The one helper for it, used by the wire's loopback tests and the lab tests alike;
 * a fixed sleep instead would be either too short on a loaded machine or needlessly long everywhere else.
 */
import { systemClock, type Clock } from './clock.ts';

/** EventuallyOptions tune `eventually`; every field has a default. */
export interface EventuallyOptions {
  /** timeoutMs is how long to keep trying (default 5 s). */
  readonly timeoutMs?: number;
  /**
   * intervalMs is the pause between tries (default 10 ms, for in-process state). Checks that run kubectl or call an
   * apiserver pass a few hundred milliseconds so as not to load what they watch.
   */
  readonly intervalMs?: number;
  /** what names the awaited condition in the timeout error, e.g. 'three heartbeats'. */
  readonly what?: string;
  /** clock measures the timeout and paces the tries (default the real one; with a FakeClock the test advances it). */
  readonly clock?: Clock;
}

/** Check is what `eventually` retries: it fails by throwing or by returning (or resolving to) `false`. */
export type Check<T> = () => T | false | PromiseLike<T | false>;

/**
 * eventually calls `check` until it passes and returns what it returned. A check fails by throwing (a vitest
 * `expect`, say) or by returning `false`; anything else passes — `undefined` too, so an assertion block that returns
 * nothing passes once it stops throwing. A lookup that may find nothing is written `() => list[0] ?? false`.
 *
 * Tries run one at a time, `intervalMs` apart, with a last one at the deadline. When time runs out it throws an Error
 * that says what was awaited, for how long, and why the last try failed; a thrown failure is also its `cause`.
 */
export async function eventually<T>(check: Check<T>, options: EventuallyOptions = {}): Promise<Awaited<T>> {
  const { timeoutMs = 5_000, intervalMs = 10, what = 'the check to pass', clock = systemClock } = options;
  const deadline = clock.now() + timeoutMs;
  for (let tries = 1; ; tries++) {
    let failure: { readonly error: unknown } | undefined;
    try {
      const value = await check();
      if (value !== false) return value;
    } catch (error: unknown) {
      failure = { error };
    }
    const left = deadline - clock.now();
    if (left <= 0) {
      const why = failure === undefined ? 'the check returned false' : `it threw: ${messageOf(failure.error)}`;
      const message = `timed out after ${timeoutMs} ms (${tries} tries) waiting for ${what}; on the last try ${why}`;
      throw failure === undefined ? new Error(message) : new Error(message, { cause: failure.error });
    }
    await clock.sleep(Math.min(intervalMs, left));
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
