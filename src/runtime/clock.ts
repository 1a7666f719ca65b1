/**
 * Time as a dependency: the one clock of every process. Everything that waits, backs off or stamps a time — the
 * controllers, the wire's client and server, the agent's tool runner — takes a `Clock`, so tests can drive time by
 * hand (`FakeClock`) and logic never reads `Date.now()` or calls `setTimeout` itself (STYLE.md "Values, errors,
 * time"; the same seam as Kueue's `WithClock` and client-go's `clock.WithTicker`). Outside the composition roots,
 * which pass `systemClock` and `systemRandom`, this file is the one place that touches the real timers and `Math.random`.
 */

/** Cancel stops a timer from `Clock.after`. Calling it after the timer fired, or twice, does nothing. */
export type Cancel = () => void;

/** Clock is the injected source of time and timers. */
export interface Clock {
  /** now returns the current time in milliseconds since the Unix epoch. */
  now(): number;
  /** after calls `fn` once, `ms` milliseconds from now (0 or less: on the next timer turn), unless cancelled. */
  after(ms: number, fn: () => void): Cancel;
  /**
   * sleep resolves after `ms` milliseconds. When `signal` aborts first it rejects with `signal.reason`, the way
   * `node:timers/promises` does, so a stopped loop unwinds instead of hanging.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** sleepWith builds `Clock.sleep` from `Clock.after`, so the real and the fake clock cancel the same way. */
function sleepWith(clock: Pick<Clock, 'after'>, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      cancel();
      reject(signal?.reason);
    };
    const cancel = clock.after(ms, () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** systemClock is the real clock: wall time and Node's timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  after(ms, fn) {
    const timer = setTimeout(fn, Math.max(0, ms));
    return () => clearTimeout(timer);
  },
  sleep(ms, signal) {
    return sleepWith(systemClock, ms, signal);
  },
};

/**
 * Random returns a number in [0, 1). It is injected next to the clock for the same reason: jitter decided by
 * `Math.random()` inside logic makes backoff untestable.
 */
export type Random = () => number;

/** systemRandom is the real source of jitter. */
export const systemRandom: Random = () => Math.random();

interface FakeTimer {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
}

/**
 * FakeClock is a hand-driven clock for tests. Time moves only in `advance`, which fires every timer that falls due,
 * earliest first and, for equal times, in the order they were set; a timer set by a firing timer also fires in the
 * same `advance` when it falls inside the window. Timers run synchronously: promise continuations they cause run
 * after `advance` returns, so tests await a flush (e.g. `await new Promise(setImmediate)`) before asserting.
 */
export class FakeClock implements Clock {
  #now: number;
  #seq = 0;
  #timers: FakeTimer[] = [];

  /** Creates a fake clock that reads `startMs` (default 2026-01-01T00:00:00Z, an arbitrary fixed instant). */
  constructor(startMs = Date.UTC(2026, 0, 1)) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  after(ms: number, fn: () => void): Cancel {
    const timer: FakeTimer = { at: this.#now + Math.max(0, ms), seq: this.#seq++, fn };
    this.#timers.push(timer);
    return () => {
      this.#timers = this.#timers.filter((t) => t !== timer);
    };
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepWith(this, ms, signal);
  }

  /** advance moves time forward by `ms`, firing due timers in order; time reads each timer's due time as it fires. */
  advance(ms: number): void {
    const target = this.#now + ms;
    for (;;) {
      const next = this.#nextDue(target);
      if (next === undefined) break;
      this.#timers = this.#timers.filter((t) => t !== next);
      this.#now = next.at;
      next.fn();
    }
    this.#now = target;
  }

  /** pending is the number of timers not yet fired or cancelled; tests use it to prove `stop()` left none behind. */
  pending(): number {
    return this.#timers.length;
  }

  /** nextTimerIn is how long until the earliest pending timer, or undefined when there is none. */
  nextTimerIn(): number | undefined {
    const next = this.#nextDue(Number.POSITIVE_INFINITY);
    return next === undefined ? undefined : next.at - this.#now;
  }

  #nextDue(limit: number): FakeTimer | undefined {
    let best: FakeTimer | undefined;
    for (const t of this.#timers) {
      if (t.at > limit) continue;
      if (best === undefined || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t;
    }
    return best;
  }
}
