import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiError } from '../runtime/errors.ts';
import { FakeClock } from '../runtime/clock.ts';
import { LeaderElector, resolveLeaderElectionTiming, type LeaseClient, type LeaseRecord, type LeadershipLoss, type StoredLease } from './leader-election.ts';

const silent = pino({ level: 'silent' });

/**
 * LeaseStore is one Lease held in memory with the apiserver's rules: create fails with AlreadyExists when it exists,
 * update fails with Conflict unless it names the current resourceVersion. `mode` makes every call fail or hang, and
 * `beforeWrite` lets a test slip another writer in between a candidate's read and its write.
 */
class LeaseStore {
  lease: StoredLease | undefined;
  #version = 0;
  mode: 'ok' | 'fail' | 'hang' = 'ok';
  beforeWrite: (() => void) | undefined;
  writes = 0;

  /** put writes the Lease as another party would (an operator we do not run, or a person). */
  put(record: LeaseRecord): void {
    this.lease = { record, resourceVersion: String(++this.#version) };
  }

  /** touch bumps the resourceVersion without changing the record, as a label edit does. */
  touch(): void {
    if (this.lease !== undefined) this.lease = { ...this.lease, resourceVersion: String(++this.#version) };
  }

  client(): LeaseClient {
    const call = <T>(signal: AbortSignal, fn: () => T): Promise<T> => {
      if (this.mode === 'hang') return new Promise<T>(() => undefined);
      if (this.mode === 'fail') return Promise.reject(new ApiError({ code: 'Unavailable', message: 'Unavailable: ECONNREFUSED' }));
      if (signal.aborted) return Promise.reject(signal.reason as Error);
      try {
        return Promise.resolve(fn());
      } catch (err: unknown) {
        return Promise.reject(err as Error);
      }
    };
    return {
      description: 'suanwang-system/suanwang-operator',
      get: (signal) => call(signal, () => this.lease),
      create: (record, signal) =>
        call(signal, () => {
          this.#interpose();
          if (this.lease !== undefined) throw new ApiError({ code: 'AlreadyExists', status: 409, message: 'AlreadyExists' });
          this.put(record);
          this.writes++;
          return this.lease as unknown as StoredLease;
        }),
      update: (record, resourceVersion, signal) =>
        call(signal, () => {
          this.#interpose();
          if (this.lease === undefined) throw new ApiError({ code: 'NotFound', status: 404, message: 'NotFound' });
          if (this.lease.resourceVersion !== resourceVersion) throw new ApiError({ code: 'Conflict', status: 409, message: 'Conflict' });
          this.put(record);
          this.writes++;
          return this.lease as unknown as StoredLease;
        }),
    };
  }

  #interpose(): void {
    const hook = this.beforeWrite;
    this.beforeWrite = undefined;
    hook?.();
  }
}

const T0 = Date.UTC(2026, 0, 1);

/** flush lets every promise continuation that the last timers caused run. */
async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise(setImmediate);
}

/** run advances the fake clock by `ms` in 100 ms steps, flushing in between, as real time would. */
async function run(clock: FakeClock, ms: number): Promise<void> {
  await flush();
  for (let t = 0; t < ms; t += 100) {
    clock.advance(Math.min(100, ms - t));
    await flush();
  }
}

interface Candidate {
  readonly elector: LeaderElector;
  readonly newLeaders: string[];
  loss: LeadershipLoss | undefined;
  acquired: boolean | undefined;
}

function candidate(store: LeaseStore, clock: FakeClock, identity: string): Candidate {
  const c: Candidate = {
    newLeaders: [],
    loss: undefined,
    acquired: undefined,
    elector: new LeaderElector({ client: store.client(), identity, clock, logger: silent, onNewLeader: (h) => c.newLeaders.push(h) }),
  };
  void c.elector.lost.then((l) => (c.loss = l));
  return c;
}

function start(c: Candidate): void {
  void c.elector.acquire().then((ok) => (c.acquired = ok));
}

const stoppers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const s of stoppers.splice(0)) await s();
});

/** world is a store, a clock and a way to make candidates that are stopped after the test. */
function world(): { store: LeaseStore; clock: FakeClock; make: (id: string) => Candidate } {
  const store = new LeaseStore();
  const clock = new FakeClock(T0);
  const make = (id: string): Candidate => {
    const c = candidate(store, clock, id);
    stoppers.push(async () => {
      const stopped = c.elector.stop();
      await run(clock, 0);
      await stopped;
    });
    return c;
  };
  return { store, clock, make };
}

describe('resolveLeaderElectionTiming', () => {
  it('applies client-go’s defaults', () => {
    expect(resolveLeaderElectionTiming({})).toEqual({ leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 });
  });

  it.each([
    { name: 'a renew deadline as long as the lease', opts: { leaseDurationMs: 10_000 }, want: /shorter than the lease duration/ },
    { name: 'a renew deadline no longer than the retry period', opts: { renewDeadlineMs: 2_000 }, want: /longer than the retry period/ },
    { name: 'a lease of part seconds', opts: { leaseDurationMs: 15_500 }, want: /whole seconds/ },
    { name: 'a zero retry period', opts: { retryPeriodMs: 0 }, want: /at least 100ms/ },
  ])('refuses $name', ({ opts, want }) => {
    expect(() => resolveLeaderElectionTiming(opts)).toThrow(want);
  });
});

describe('LeaderElector', () => {
  it('creates the Lease when there is none and leads', async () => {
    const { store, clock, make } = world();
    const a = make('a');
    start(a);
    await run(clock, 0);
    expect(a.acquired).toBe(true);
    expect(a.elector.leading).toBe(true);
    expect(store.lease?.record).toEqual({ holderIdentity: 'a', leaseDurationSeconds: 15, acquireTime: T0, renewTime: T0, leaseTransitions: 0 });
  });

  it('renews every retry period while leading, keeping acquireTime and the transition count', async () => {
    const { store, clock, make } = world();
    const a = make('a');
    start(a);
    await run(clock, 0);
    const writes = store.writes;
    await run(clock, 10_000);
    expect(store.writes - writes).toBe(5);
    expect(store.lease?.record).toEqual({ holderIdentity: 'a', leaseDurationSeconds: 15, acquireTime: T0, renewTime: T0 + 10_000, leaseTransitions: 0 });
    expect(a.loss).toBeUndefined();
  });

  it('stays standby while the holder renews, and names the holder once', async () => {
    const { store, clock, make } = world();
    const a = make('a');
    start(a);
    await run(clock, 0);
    const b = make('b');
    start(b);
    await run(clock, 60_000);
    expect(b.acquired).toBeUndefined();
    expect(b.elector.leading).toBe(false);
    expect(b.elector.holder).toBe('a');
    expect(b.newLeaders).toEqual(['a']);
    expect(store.lease?.record.holderIdentity).toBe('a');
  });

  it.each([
    { clockOfHolder: 'far behind ours', renewTime: T0 - 3_600_000 },
    { clockOfHolder: 'far ahead of ours', renewTime: T0 + 3_600_000 },
  ])('takes over a Lease left unrenewed for a lease duration on its own clock, whatever renewTime says ($clockOfHolder)', async ({ renewTime }) => {
    const { store, clock, make } = world();
    store.put({ holderIdentity: 'dead', leaseDurationSeconds: 15, acquireTime: renewTime, renewTime, leaseTransitions: 3 });
    const b = make('b');
    start(b);
    await run(clock, 14_900);
    expect(b.elector.leading).toBe(false);
    await run(clock, 2_000); // the next try after 15 s
    expect(b.elector.leading).toBe(true);
    const r = store.lease?.record;
    expect(r?.holderIdentity).toBe('b');
    expect(r?.leaseTransitions).toBe(4);
    expect(r?.acquireTime).toBe(r?.renewTime);
    expect(r?.acquireTime).toBeGreaterThanOrEqual(T0 + 15_000);
  });

  it('uses the holder’s lease duration, not its own', async () => {
    const { store, clock, make } = world();
    store.put({ holderIdentity: 'dead', leaseDurationSeconds: 40, acquireTime: T0, renewTime: T0, leaseTransitions: 0 });
    const b = make('b');
    start(b);
    await run(clock, 39_000);
    expect(b.elector.leading).toBe(false);
    await run(clock, 2_000);
    expect(b.elector.leading).toBe(true);
  });

  it('restarts the wait when the record changes, but not for a change of resourceVersion alone (a label edit)', async () => {
    const { store, clock, make } = world();
    store.put({ holderIdentity: 'x', leaseDurationSeconds: 15, acquireTime: T0, renewTime: T0, leaseTransitions: 0 });
    const b = make('b');
    start(b);
    await run(clock, 10_000);
    store.touch();
    await run(clock, 6_000);
    expect(b.elector.leading).toBe(true);

    const w = world();
    w.store.put({ holderIdentity: 'x', leaseDurationSeconds: 15, acquireTime: T0, renewTime: T0, leaseTransitions: 0 });
    const c = w.make('c');
    start(c);
    await run(w.clock, 10_000);
    w.store.put({ holderIdentity: 'x', leaseDurationSeconds: 15, acquireTime: T0, renewTime: T0 + 10_000, leaseTransitions: 0 }); // x renewed
    await run(w.clock, 6_000); // c saw the renewal at 12 s: it waits until 27 s now
    expect(c.elector.leading).toBe(false);
    await run(w.clock, 9_000);
    expect(c.elector.leading).toBe(false);
    await run(w.clock, 3_000);
    expect(c.elector.leading).toBe(true);
  });

  it('takes a released Lease at its next try', async () => {
    const { store, clock, make } = world();
    store.put({ holderIdentity: '', leaseDurationSeconds: 15, acquireTime: T0, renewTime: T0, leaseTransitions: 2 });
    const b = make('b');
    start(b);
    await run(clock, 0);
    expect(b.elector.leading).toBe(true);
    expect(store.lease?.record.leaseTransitions).toBe(3);
  });

  it('takes back at once a Lease that names its own identity (a restarted container of the same pod)', async () => {
    const { store, clock, make } = world();
    store.put({ holderIdentity: 'a', leaseDurationSeconds: 15, acquireTime: T0 - 60_000, renewTime: T0 - 1_000, leaseTransitions: 1 });
    const a = make('a');
    start(a);
    await run(clock, 0);
    expect(a.elector.leading).toBe(true);
    expect(store.lease?.record).toMatchObject({ holderIdentity: 'a', acquireTime: T0 - 60_000, leaseTransitions: 1 });
  });

  it('stays standby when another candidate writes between its read and its write (409 Conflict)', async () => {
    const { store, clock, make } = world();
    store.put({ holderIdentity: 'dead', leaseDurationSeconds: 15, acquireTime: T0, renewTime: T0, leaseTransitions: 0 });
    const b = make('b');
    start(b);
    await run(clock, 14_000);
    // b's next try finds the Lease expired, but c's write lands first.
    store.beforeWrite = () => store.put({ holderIdentity: 'c', leaseDurationSeconds: 15, acquireTime: clock.now(), renewTime: clock.now(), leaseTransitions: 1 });
    await run(clock, 2_000);
    expect(store.beforeWrite).toBeUndefined();
    expect(b.elector.leading).toBe(false);
    expect(store.lease?.record.holderIdentity).toBe('c');
    await run(clock, 2_000);
    expect(b.elector.holder).toBe('c');
    expect(b.newLeaders).toEqual(['dead', 'c']);
  });

  it('stays standby when another candidate creates the Lease first (409 AlreadyExists)', async () => {
    const { store, clock, make } = world();
    store.beforeWrite = () => store.put({ holderIdentity: 'c', leaseDurationSeconds: 15, acquireTime: T0, renewTime: T0, leaseTransitions: 0 });
    const b = make('b');
    start(b);
    await run(clock, 4_000);
    expect(b.elector.leading).toBe(false);
    expect(b.elector.holder).toBe('c');
  });

  it.each([
    { how: 'fail', mode: 'fail' as const },
    { how: 'hang', mode: 'hang' as const },
  ])('reports the leadership lost when renews $how for the renew deadline', async ({ mode }) => {
    const { store, clock, make } = world();
    const a = make('a');
    start(a);
    await run(clock, 4_000); // renewed at 2 s and 4 s
    store.mode = mode;
    await run(clock, 9_900);
    expect(a.loss).toBeUndefined();
    expect(a.elector.leading).toBe(true);
    await run(clock, 100); // 10 s after the last renew was sent
    expect(a.loss?.reason).toMatch(/could not renew the lease within the renew deadline \(10s\)/);
    expect(a.elector.leading).toBe(false);
    // A lost leader does not release: it cannot know the Lease is still its own.
    store.mode = 'ok';
    await a.elector.stop();
    expect(store.lease?.record.holderIdentity).toBe('a');
  });

  it('survives renews that fail for less than the renew deadline', async () => {
    const { store, clock, make } = world();
    const a = make('a');
    start(a);
    await run(clock, 2_000); // renewed at 2 s: the deadline is 12 s
    store.mode = 'fail';
    await run(clock, 6_000); // the tries at 4, 6 and 8 s fail
    store.mode = 'ok';
    await run(clock, 20_000);
    expect(a.loss).toBeUndefined();
    expect(a.elector.leading).toBe(true);
  });

  it('reports the leadership lost at once when the Lease shows another holder', async () => {
    const { store, clock, make } = world();
    const a = make('a');
    start(a);
    await run(clock, 2_000);
    store.put({ holderIdentity: 'intruder', leaseDurationSeconds: 15, acquireTime: clock.now(), renewTime: clock.now(), leaseTransitions: 1 });
    await run(clock, 2_000);
    expect(a.loss?.reason).toBe('the lease is now held by intruder');
    expect(a.elector.leading).toBe(false);
  });

  it('releases the Lease on stop, so a standby takes over at its next try instead of after the lease duration', async () => {
    const { store, clock, make } = world();
    const a = make('a');
    start(a);
    await run(clock, 0);
    const b = make('b');
    start(b);
    await run(clock, 5_000);
    const stopped = a.elector.stop();
    await run(clock, 0);
    await stopped;
    expect(store.lease?.record.holderIdentity).toBe('');
    expect(a.loss).toBeUndefined();
    await run(clock, 2_000);
    expect(b.elector.leading).toBe(true);
    expect(store.lease?.record).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
  });

  it('stops a standby without writing, and leaves no timer behind', async () => {
    const { store, clock, make } = world();
    store.put({ holderIdentity: 'x', leaseDurationSeconds: 15, acquireTime: T0, renewTime: T0, leaseTransitions: 0 });
    const b = make('b');
    start(b);
    await run(clock, 3_000);
    const stopped = b.elector.stop();
    await run(clock, 0);
    await stopped;
    expect(b.acquired).toBe(false);
    expect(store.writes).toBe(0);
    expect(clock.pending()).toBe(0);
  });

  it('stops a standby at once even when its read hangs', async () => {
    const { store, clock, make } = world();
    store.mode = 'hang';
    const b = make('b');
    start(b);
    await run(clock, 1_000);
    const stopped = b.elector.stop();
    await flush();
    await stopped;
    expect(b.acquired).toBe(false);
    expect(clock.pending()).toBe(0);
  });
});
