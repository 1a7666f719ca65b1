import type { KubernetesObject } from '@kubernetes/client-node';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { FakeClock } from './clock.ts';
import { InformerSupervisor, type InformerSupervisorOptions } from './informer-supervisor.ts';
import { FakeInformer, flush } from './testing.ts';

/** makeObj builds a namespaced object at a resourceVersion. */
function makeObj(name: string, rv: string, namespace = 'ns'): KubernetesObject {
  return { kind: 'TrainingJob', metadata: { namespace, name, resourceVersion: rv } };
}

interface Harness {
  clock: FakeClock;
  sup: InformerSupervisor<KubernetesObject>;
  instances: FakeInformer[];
  current(): FakeInformer;
  changes: string[];
}

function setup(options: Partial<InformerSupervisorOptions<KubernetesObject>> = {}): Harness {
  const clock = new FakeClock(0);
  const instances: FakeInformer[] = [];
  const sup = new InformerSupervisor<KubernetesObject>({
    name: 'TrainingJob',
    clock,
    logger: pino({ level: 'silent' }),
    random: () => 0,
    factory: (handlers) => {
      const informer = new FakeInformer(handlers);
      instances.push(informer);
      return informer;
    },
    ...options,
  });
  const changes: string[] = [];
  sup.onChange((obj, previous) => {
    const prev = previous?.metadata?.resourceVersion ?? '-';
    changes.push(`${obj.metadata?.name}@${obj.metadata?.resourceVersion}<${prev}`);
  });
  return {
    clock,
    sup,
    instances,
    current: () => {
      const last = instances.at(-1);
      if (last === undefined) throw new Error('no informer instance yet');
      return last;
    },
    changes,
  };
}

/** restartTimes records, for each error, how long after it the next instance was started. */
async function restartDelays(h: Harness, errors: unknown[]): Promise<number[]> {
  const delays: number[] = [];
  for (const err of errors) {
    const before = h.instances.length;
    const at = h.clock.now();
    h.current().handlers.error(err);
    await flush();
    const next = h.clock.nextTimerIn();
    if (next !== undefined) h.clock.advance(next);
    expect(h.instances.length).toBe(before + 1);
    delays.push(h.clock.now() - at);
  }
  return delays;
}

describe('InformerSupervisor cache and sync', () => {
  it('is synced only after a complete list, and serves the cache', async () => {
    const h = setup();
    h.sup.start();
    expect(h.current().started).toBe(true);
    expect(h.sup.hasSynced()).toBe(false);
    let synced = false;
    const waiting = h.sup.waitForSync().then(() => {
      synced = true;
    });
    h.current().handlers.alive('connect');
    await flush();
    expect(synced).toBe(false);

    h.current().handlers.list([makeObj('a', '1'), makeObj('b', '1', 'other')]);
    await waiting;
    expect(h.sup.hasSynced()).toBe(true);
    expect(h.sup.get('ns', 'a')?.metadata?.resourceVersion).toBe('1');
    expect(h.sup.get('ns', 'b')).toBeUndefined();
    expect(h.sup.list('other').map((o) => o.metadata?.name)).toEqual(['b']);
    expect(h.sup.list()).toHaveLength(2);
    expect(h.changes).toEqual(['a@1<-', 'b@1<-']);
    await h.sup.stop();
  });

  it('reports each real change once, with the previous state, and ignores repeats', () => {
    const h = setup();
    h.sup.start();
    const inf = h.current();
    inf.handlers.list([makeObj('a', '1')]);
    inf.handlers.upsert(makeObj('a', '1')); // client-node replays its list as adds: same version, no change
    inf.handlers.upsert(makeObj('a', '2'));
    inf.handlers.delete(makeObj('a', '2'));
    inf.handlers.delete(makeObj('a', '2')); // already gone
    expect(h.changes).toEqual(['a@1<-', 'a@2<1', 'a@2<2']);
    expect(h.sup.get('ns', 'a')).toBeUndefined();
  });

  it('waitForSync rejects when its signal aborts', async () => {
    const h = setup();
    h.sup.start();
    const ac = new AbortController();
    const waiting = h.sup.waitForSync(ac.signal);
    ac.abort(new Error('controller stopped'));
    await expect(waiting).rejects.toThrow('controller stopped');
  });
});

describe('InformerSupervisor restarts', () => {
  it('restarts a failed informer as a fresh instance with growing, capped backoff', async () => {
    const h = setup({ backoffBaseMs: 1000, backoffMaxMs: 8000 });
    h.sup.start();
    const boom = Object.assign(new Error('Internal Server Error'), { statusCode: 500 });
    const delays = await restartDelays(h, [boom, boom, boom, boom, boom]);
    expect(delays).toEqual([1000, 2000, 4000, 8000, 8000]);
    expect(h.instances.slice(0, -1).every((i) => i.stopped)).toBe(true);
    expect(h.current().stopped).toBe(false);
  });

  it('waits the whole backoff before restarting', async () => {
    const h = setup({ backoffBaseMs: 1000 });
    h.sup.start();
    h.current().handlers.error(new Error('connect ECONNREFUSED'));
    await flush();
    h.clock.advance(999);
    expect(h.instances).toHaveLength(1);
    h.clock.advance(1);
    expect(h.instances).toHaveLength(2);
  });

  it('jitters the delay downwards from the capped value', async () => {
    const h = setup({ backoffBaseMs: 1000, jitter: 0.2, random: () => 0.5 });
    h.sup.start();
    expect(await restartDelays(h, [new Error('x'), new Error('x')])).toEqual([900, 1800]);
  });

  it('starts the backoff over after an instance stayed healthy long enough', async () => {
    const h = setup({ backoffBaseMs: 1000, backoffResetMs: 60_000 });
    h.sup.start();
    expect(await restartDelays(h, [new Error('x'), new Error('x')])).toEqual([1000, 2000]);
    // A list that succeeds and a watch that fails at once does not reset the backoff...
    h.current().handlers.list([]);
    expect(await restartDelays(h, [new Error('x')])).toEqual([4000]);
    // ...but a minute of health does.
    h.current().handlers.list([]);
    h.clock.advance(60_000);
    h.current().handlers.alive('bookmark');
    expect(await restartDelays(h, [new Error('x')])).toEqual([1000]);
  });

  it('treats a failed start() like an error', async () => {
    const h = setup({ backoffBaseMs: 1000 });
    let first = true;
    const sup = new InformerSupervisor<KubernetesObject>({
      name: 'x',
      clock: h.clock,
      logger: pino({ level: 'silent' }),
      random: () => 0,
      factory: (handlers) => {
        const inf = new FakeInformer(handlers);
        if (first) inf.startError = new Error('No currently active cluster');
        first = false;
        h.instances.push(inf);
        return inf;
      },
    });
    sup.start();
    await flush();
    h.clock.advance(1000);
    expect(h.instances).toHaveLength(2);
    await sup.stop();
  });

  it('ignores whatever a replaced instance still delivers', async () => {
    const h = setup();
    h.sup.start();
    const old = h.current();
    old.handlers.list([makeObj('a', '1')]);
    old.handlers.error(new Error('x'));
    await flush();
    old.handlers.upsert(makeObj('late', '9'));
    old.handlers.error(new Error('abort after stop'));
    h.clock.advance(h.clock.nextTimerIn() ?? 0);
    expect(h.instances).toHaveLength(2); // the late error did not schedule a second restart
    expect(h.sup.get('ns', 'late')).toBeUndefined();
    expect(h.clock.pending()).toBe(1); // only the new instance's staleness timer
  });

  it('relists at once on 410 Gone and reports objects deleted while unwatched', async () => {
    const h = setup({ backoffBaseMs: 1000 });
    h.sup.start();
    h.current().handlers.list([makeObj('a', '1'), makeObj('b', '1')]);
    h.changes.length = 0;

    const gone = { code: 410, body: '{"kind":"Status","reason":"Expired","code":410}', headers: {} };
    expect(await restartDelays(h, [gone])).toEqual([0]);
    h.current().handlers.list([makeObj('a', '2')]);
    expect(h.changes).toEqual(['a@2<1', 'b@1<1']);
    expect(h.sup.list().map((o) => o.metadata?.name)).toEqual(['a']);
    expect(h.sup.hasSynced()).toBe(true);

    // A 410 straight after a relist-for-410, with no list in between, backs off instead of spinning.
    expect(await restartDelays(h, [gone])).toEqual([0]);
    expect(await restartDelays(h, [gone])).toEqual([1000]);
  });

  it('restarts a watch that went silent for staleAfterMs, and not one that keeps talking', async () => {
    const h = setup({ staleAfterMs: 300_000 });
    h.sup.start();
    h.current().handlers.list([makeObj('a', '1')]);
    for (let i = 0; i < 5; i++) {
      h.clock.advance(200_000);
      h.current().handlers.alive('bookmark');
    }
    expect(h.instances).toHaveLength(1);

    h.clock.advance(299_999);
    expect(h.instances).toHaveLength(1);
    h.clock.advance(1);
    await flush();
    expect(h.instances).toHaveLength(2);
    expect(h.instances[0]?.stopped).toBe(true);
    expect(h.sup.get('ns', 'a')).toBeDefined(); // the cache survives a restart
  });

  it('stop stops the instance and leaves no timers, even mid-backoff', async () => {
    const h = setup();
    h.sup.start();
    h.current().handlers.error(new Error('x'));
    await flush();
    expect(h.clock.pending()).toBe(1); // the restart timer
    await h.sup.stop();
    expect(h.clock.pending()).toBe(0);
    h.clock.advance(10 * 60_000);
    expect(h.instances).toHaveLength(1);
    expect(h.instances[0]?.stopped).toBe(true);
  });
});
