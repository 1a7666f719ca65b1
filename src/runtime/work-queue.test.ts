import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ApiError } from './errors.ts';
import { FakeClock } from './clock.ts';
import { ExponentialBackoff, defaultControllerRateLimiter, type RateLimiter } from './rate-limiter.ts';
import { TerminalError, type Result } from './reconciler.ts';
import { deferred, flush, type Deferred } from './testing.ts';
import { WorkQueue } from './work-queue.ts';

/** backoff is a per-key backoff with no global bucket, for tests about one key's delays. */
function backoff(baseMs: number, maxMs: number): RateLimiter {
  return new ExponentialBackoff({ baseMs, maxMs });
}

/** advanceToNextTimer moves the fake clock to its next timer (if any) and lets the workers react. */
async function advanceToNextTimer(clock: FakeClock): Promise<void> {
  const next = clock.nextTimerIn();
  if (next !== undefined) clock.advance(next);
  await flush();
}

describe('WorkQueue mechanics', () => {
  it('de-duplicates a key added while queued', async () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    q.add('Job/ns/a');
    q.add('Job/ns/b');
    q.add('Job/ns/a');
    expect(q.len()).toBe(2);
    expect(await q.get()).toBe('Job/ns/a');
    expect(await q.get()).toBe('Job/ns/b');
    expect(q.len()).toBe(0);
  });

  it('re-queues a key dirtied while processing only after done, once', async () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    q.add('a');
    const key = await q.get();
    expect(key).toBe('a');
    q.add('a');
    q.add('a');
    expect(q.len()).toBe(0); // not handed out while 'a' is processing
    q.done('a');
    expect(q.len()).toBe(1);
    expect(await q.get()).toBe('a');
    q.done('a');
    expect(q.len()).toBe(0);
  });

  it('hands a key to a waiting getter as soon as it is added', async () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    const got = q.get();
    q.add('a');
    expect(await got).toBe('a');
  });

  it('addAfter waits for the clock and keeps the earliest of two requests', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock });
    q.addAfter('a', 1000);
    q.addAfter('a', 300); // brings it forward
    q.addAfter('a', 5000); // cannot push it back
    clock.advance(299);
    expect(q.len()).toBe(0);
    clock.advance(1);
    expect(q.len()).toBe(1);
    expect(clock.pending()).toBe(0);
  });
});

/** startWorkers runs the queue with a reconcile that records each call and its outcome from `behave`. */
function startWorkers(
  q: WorkQueue,
  clock: FakeClock,
  behave: (key: string, call: number) => Promise<Result> | Result,
  concurrency = 1,
): { calls: Array<{ key: string; at: number }>; done: Promise<void> } {
  const calls: Array<{ key: string; at: number }> = [];
  const start = clock.now();
  const done = q.run(concurrency, async (key) => {
    calls.push({ key, at: clock.now() - start });
    return behave(key, calls.length);
  });
  return { calls, done };
}

describe('WorkQueue workers', () => {
  it('never runs a key concurrently with itself, and reruns it once if it changed meanwhile', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock });
    const inFlight = new Map<string, number>();
    let maxPerKey = 0;
    const holds: Array<Deferred<void>> = [];
    const calls: string[] = [];
    const done = q.run(4, async (key) => {
      calls.push(key);
      const n = (inFlight.get(key) ?? 0) + 1;
      inFlight.set(key, n);
      maxPerKey = Math.max(maxPerKey, n);
      const hold = deferred();
      holds.push(hold);
      await hold.promise;
      inFlight.set(key, n - 1);
      return {};
    });
    q.add('a');
    q.add('b');
    await flush();
    expect(calls).toEqual(['a', 'b']); // two different keys run in parallel
    q.add('a');
    q.add('a');
    await flush();
    expect(calls).toEqual(['a', 'b']); // 'a' is busy: it waits, whatever the free workers

    holds[0]?.resolve();
    await flush();
    expect(calls).toEqual(['a', 'b', 'a']); // the two adds collapsed into one rerun
    for (const h of holds) h.resolve();
    await flush();
    expect(calls).toEqual(['a', 'b', 'a']);
    expect(maxPerKey).toBe(1);
    await q.shutDown();
    await done;
  });

  it('backs a failing key off exponentially up to the cap', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock, rateLimiter: backoff(5, 40) });
    const { calls } = startWorkers(q, clock, () => {
      throw new Error('boom');
    });
    q.add('a');
    await flush();
    for (let i = 0; i < 6; i++) await advanceToNextTimer(clock);
    const gaps = calls.slice(1).map((c, i) => c.at - (calls[i]?.at ?? 0));
    expect(gaps).toEqual([5, 10, 20, 40, 40, 40]);
    expect(q.numRequeues('a')).toBe(7);
    await q.shutDown();
  });

  it('logs a failing workload key with its namespace and name, the fields the reconcilers log with', async () => {
    const clock = new FakeClock();
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: 'debug' }, { write: (l: string) => lines.push(JSON.parse(l) as Record<string, unknown>) });
    const q = new WorkQueue({ clock, rateLimiter: backoff(5, 40), logger });
    startWorkers(q, clock, () => {
      throw new Error('boom');
    });
    q.add('TrainingJob/ml/llm');
    q.add('Site//shanghai');
    await flush();
    const failed = lines.filter((l) => l['msg'] === 'reconcile failed; retrying with backoff');
    expect(failed.map((l) => [l['key'], l['namespace'], l['name']])).toEqual([
      ['TrainingJob/ml/llm', 'ml', 'llm'],
      ['Site//shanghai', undefined, 'shanghai'],
    ]);
    await q.shutDown();
  });

  it('forgets the backoff after a success', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock, rateLimiter: backoff(5, 1000) });
    // Fail three times, succeed once, then fail again: the fifth call must come after the base delay again.
    const { calls } = startWorkers(q, clock, (_key, call) => {
      if (call === 4) return {};
      throw new Error('boom');
    });
    q.add('a');
    await flush();
    for (let i = 0; i < 3; i++) await advanceToNextTimer(clock);
    expect(calls.map((c) => c.at)).toEqual([0, 5, 15, 35]);
    expect(q.numRequeues('a')).toBe(0);
    q.add('a');
    await flush();
    await advanceToNextTimer(clock);
    expect(calls.map((c) => c.at)).toEqual([0, 5, 15, 35, 35, 40]);
    await q.shutDown();
  });

  it('applies the global token bucket across keys (max of the two delays)', async () => {
    const clock = new FakeClock();
    // Burst 2 at 10 qps: the third and fourth failures wait for tokens (100 ms, 200 ms), more than the 5 ms backoff.
    const q = new WorkQueue({ clock, rateLimiter: defaultControllerRateLimiter(clock, { qps: 10, burst: 2 }) });
    const { calls } = startWorkers(
      q,
      clock,
      (_key, call) => {
        if (call <= 4) throw new Error('boom');
        return {};
      },
      4,
    );
    for (const k of ['a', 'b', 'c', 'd']) q.add(k);
    await flush();
    expect(calls).toHaveLength(4);
    for (let i = 0; i < 3; i++) await advanceToNextTimer(clock);
    expect(calls.slice(4).map((c) => `${c.key}@${c.at}`)).toEqual(['a@5', 'b@5', 'c@100', 'd@200']);
    await q.shutDown();
  });

  it('requeues after requeueAfter on success, not before', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock });
    const { calls } = startWorkers(q, clock, () => ({ requeueAfter: 30_000 }));
    q.add('a');
    await flush();
    clock.advance(29_999);
    await flush();
    expect(calls).toHaveLength(1);
    clock.advance(1);
    await flush();
    expect(calls.map((c) => c.at)).toEqual([0, 30_000]);
    await q.shutDown();
  });

  it('waits no less than an API Retry-After', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock, rateLimiter: backoff(5, 1000) });
    const { calls } = startWorkers(q, clock, (_key, call) => {
      if (call === 1) throw new ApiError({ code: 'TooManyRequests', status: 429, message: 'slow down', retryAfterMs: 3000 });
      return {};
    });
    q.add('a');
    await flush();
    await advanceToNextTimer(clock);
    expect(calls.map((c) => c.at)).toEqual([0, 3000]);
    await q.shutDown();
  });

  it('does not retry a TerminalError', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock });
    const { calls } = startWorkers(q, clock, () => {
      throw new TerminalError('spec names an unknown site');
    });
    q.add('a');
    await flush();
    expect(calls).toHaveLength(1);
    expect(clock.pending()).toBe(0);
    expect(q.len()).toBe(0);
    await q.shutDown();
  });

  it('shuts down: waits for in-flight keys, drops the rest, ignores new adds, leaves no timers', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock });
    const hold = deferred();
    const calls: string[] = [];
    const done = q.run(1, async (key) => {
      calls.push(key);
      await hold.promise;
      return { requeueAfter: 1000 };
    });
    q.add('a');
    q.add('b');
    q.addAfter('c', 500);
    await flush();
    expect(calls).toEqual(['a']);

    let shutDown = false;
    const stopping = q.shutDown().then(() => {
      shutDown = true;
    });
    q.add('d');
    await flush();
    expect(shutDown).toBe(false); // 'a' is still running

    hold.resolve();
    await stopping;
    await done;
    expect(calls).toEqual(['a']); // 'b' dropped, 'c' cancelled, 'd' ignored, requeueAfter ignored
    expect(clock.pending()).toBe(0);
    expect(await q.get()).toBeUndefined();
  });
});
