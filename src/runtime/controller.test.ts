import type { KubernetesObject } from '@kubernetes/client-node';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { FakeClock } from './clock.ts';
import { Controller, type Reconciler, type Result } from './controller.ts';
import { InformerSupervisor } from './informer-supervisor.ts';
import { makeKey, objectKey } from './key.ts';
import { watchSource } from './source.ts';
import { FakeInformer, deferred, flush, type Deferred } from './testing.ts';

const silent = pino({ level: 'silent' });

function makeJob(name: string, rv: string): KubernetesObject {
  return { metadata: { namespace: 'ns', name, resourceVersion: rv } };
}

function makePod(name: string, rv: string, owner: string): KubernetesObject {
  return { metadata: { namespace: 'ns', name, resourceVersion: rv, labels: { owner } } };
}

/** supervised builds a supervisor over a FakeInformer and returns both. */
function supervised(clock: FakeClock, name: string): { sup: InformerSupervisor<KubernetesObject>; informer: () => FakeInformer } {
  let informer: FakeInformer | undefined;
  const sup = new InformerSupervisor<KubernetesObject>({
    name,
    clock,
    logger: silent,
    random: () => 0,
    factory: (handlers) => (informer = new FakeInformer(handlers)),
  });
  return {
    sup,
    informer: () => {
      if (informer === undefined) throw new Error('informer not started');
      return informer;
    },
  };
}

/** RecordingReconciler records keys; `hold` makes the next reconciles wait until released. */
class RecordingReconciler implements Reconciler {
  readonly keys: string[] = [];
  hold: Deferred<void> | undefined;

  async reconcile(key: string): Promise<Result> {
    this.keys.push(key);
    if (this.hold !== undefined) await this.hold.promise;
    return {};
  }
}

function setup() {
  const clock = new FakeClock(0);
  const jobs = supervised(clock, 'TrainingJob');
  const pods = supervised(clock, 'Pod');
  const reconciler = new RecordingReconciler();
  const controller = new Controller({
    name: 'trainingjob',
    reconciler,
    clock,
    logger: silent,
    concurrency: 2,
    sources: [
      watchSource(jobs.sup, (job) => [objectKey('TrainingJob', job)]),
      // A pod wakes the job named by its `owner` label.
      watchSource(pods.sup, (pod) => {
        const owner = pod.metadata?.labels?.['owner'];
        return owner === undefined ? [] : [makeKey('TrainingJob', pod.metadata?.namespace, owner)];
      }),
    ],
  });
  return { clock, jobs, pods, reconciler, controller };
}

describe('Controller', () => {
  it('starts workers only once every source synced, then reconciles each listed object once', async () => {
    const h = setup();
    h.jobs.sup.start();
    h.pods.sup.start();
    let started = false;
    const starting = h.controller.start().then(() => {
      started = true;
    });
    h.jobs.informer().handlers.list([makeJob('a', '1'), makeJob('b', '1')]);
    await flush();
    expect(started).toBe(false);
    expect(h.reconciler.keys).toEqual([]);

    h.pods.informer().handlers.list([makePod('a-0', '1', 'a')]); // maps to job a, already queued
    await starting;
    await flush();
    expect(h.reconciler.keys.sort()).toEqual(['TrainingJob/ns/a', 'TrainingJob/ns/b']);
    await h.controller.stop();
  });

  it('reconciles a key on add, update and delete alike', async () => {
    const h = setup();
    h.jobs.sup.start();
    h.pods.sup.start();
    h.jobs.informer().handlers.list([]);
    h.pods.informer().handlers.list([]);
    await h.controller.start();
    const inf = h.jobs.informer();
    inf.handlers.upsert(makeJob('a', '1'));
    await flush();
    inf.handlers.upsert(makeJob('a', '2'));
    await flush();
    inf.handlers.delete(makeJob('a', '2'));
    await flush();
    expect(h.reconciler.keys).toEqual(['TrainingJob/ns/a', 'TrainingJob/ns/a', 'TrainingJob/ns/a']);
    await h.controller.stop();
  });

  it('wakes both the old and the new owner when a mapping changes', async () => {
    const h = setup();
    h.jobs.sup.start();
    h.pods.sup.start();
    h.jobs.informer().handlers.list([]);
    h.pods.informer().handlers.list([makePod('p', '1', 'a')]);
    await h.controller.start();
    await flush();
    h.reconciler.keys.length = 0;
    h.pods.informer().handlers.upsert(makePod('p', '2', 'b'));
    await flush();
    expect(h.reconciler.keys.sort()).toEqual(['TrainingJob/ns/a', 'TrainingJob/ns/b']);
    await h.controller.stop();
  });

  it('replays objects an informer cached before the controller subscribed', async () => {
    const h = setup();
    h.jobs.sup.start();
    h.pods.sup.start();
    h.jobs.informer().handlers.list([makeJob('early', '1')]);
    h.pods.informer().handlers.list([]);
    await h.controller.start();
    await flush();
    expect(h.reconciler.keys).toEqual(['TrainingJob/ns/early']);
    await h.controller.stop();
  });

  it('stop waits for running reconciles, unsubscribes and leaves no timers behind', async () => {
    const h = setup();
    h.jobs.sup.start();
    h.pods.sup.start();
    h.jobs.informer().handlers.list([makeJob('a', '1')]);
    h.pods.informer().handlers.list([]);
    h.reconciler.hold = deferred();
    await h.controller.start();
    await flush();
    expect(h.reconciler.keys).toEqual(['TrainingJob/ns/a']);

    let stopped = false;
    const stopping = h.controller.stop().then(() => {
      stopped = true;
    });
    await flush();
    expect(stopped).toBe(false);
    h.reconciler.hold.resolve();
    await stopping;

    h.jobs.informer().handlers.upsert(makeJob('b', '1'));
    await flush();
    expect(h.reconciler.keys).toEqual(['TrainingJob/ns/a']);
    await h.jobs.sup.stop();
    await h.pods.sup.stop();
    expect(h.clock.pending()).toBe(0);
  });

  it('stop during the wait for sync ends start without starting workers', async () => {
    const h = setup();
    h.jobs.sup.start();
    const starting = h.controller.start();
    await h.controller.stop();
    await starting;
    h.jobs.informer().handlers.list([makeJob('a', '1')]);
    await flush();
    expect(h.reconciler.keys).toEqual([]);
  });
});
