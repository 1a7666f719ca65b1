import type { KubernetesObject } from '@kubernetes/client-node';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { FakeClock } from './clock.ts';
import { Controller, type Result } from './controller.ts';
import { InformerSupervisor } from './informer-supervisor.ts';
import { objectKey } from './key.ts';
import { LoopMetrics } from './loop-metrics.ts';
import { parseSamples, type Sample } from './metrics-exposition.ts';
import { newMetricsRegistry } from './metrics-registry.ts';
import { watchSource } from './source.ts';
import { deferred, FakeInformer, flush, type Deferred } from './testing.ts';
import { WorkQueue } from './work-queue.ts';

const silent = pino({ level: 'silent' });

function value(samples: readonly Sample[], name: string, labels: Record<string, string>): number | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

function job(name: string): KubernetesObject {
  return { metadata: { namespace: 'ns', name, resourceVersion: '1' } };
}

describe('LoopMetrics on a Controller', () => {
  it('counts reconciles by result, times them, and counts adds and retries', async () => {
    const clock = new FakeClock(0);
    const registry = newMetricsRegistry({ processMetrics: false });
    let seconds = 0;
    const metrics = new LoopMetrics(registry, { now: () => (seconds += 0.02) });
    let informer: FakeInformer | undefined;
    const jobs = new InformerSupervisor<KubernetesObject>({ name: 'TrainingJob', clock, logger: silent, factory: (h) => (informer = new FakeInformer(h)) });
    const outcomes: Record<string, () => Result> = {
      'TrainingJob/ns/ok': () => ({}),
      'TrainingJob/ns/later': () => ({ requeueAfter: 60_000 }),
      'TrainingJob/ns/bad': () => {
        throw new Error('apiserver said no');
      },
    };
    const controller = new Controller({
      name: 'trainingjob',
      reconciler: { reconcile: async (key) => (outcomes[key] as () => Result)() },
      sources: [watchSource(jobs, (o) => [objectKey('TrainingJob', o)])],
      clock,
      logger: silent,
      metrics,
    });
    jobs.start();
    informer?.handlers.list([job('ok'), job('later'), job('bad')]);
    await controller.start();
    await flush();

    const samples = parseSamples(await registry.metrics());
    const reconciles = (result: string): number | undefined => value(samples, 'suanwang_reconcile_total', { controller: 'trainingjob', result });
    expect([reconciles('success'), reconciles('requeue'), reconciles('error')]).toEqual([1, 1, 1]);
    expect(value(samples, 'suanwang_reconcile_duration_seconds_count', { controller: 'trainingjob' })).toBe(3);
    // Each reconcile took one tick of the fake monotonic clock: 0.02 s.
    expect(value(samples, 'suanwang_reconcile_duration_seconds_sum', { controller: 'trainingjob' })).toBeCloseTo(0.06);
    expect(value(samples, 'suanwang_workqueue_adds_total', { controller: 'trainingjob' })).toBe(3);
    expect(value(samples, 'suanwang_workqueue_retries_total', { controller: 'trainingjob' })).toBe(1);
    expect(value(samples, 'suanwang_workqueue_depth', { controller: 'trainingjob' })).toBe(0);

    await controller.stop();
    await jobs.stop();
    // A stopped controller's queue is no longer reported; its counters stay.
    const after = parseSamples(await registry.metrics());
    expect(value(after, 'suanwang_workqueue_depth', { controller: 'trainingjob' })).toBeUndefined();
    expect(value(after, 'suanwang_reconcile_total', { controller: 'trainingjob', result: 'success' })).toBe(1);
  });

  it('reports the depth and the age of the oldest waiting key at scrape time', async () => {
    const clock = new FakeClock(0);
    const registry = newMetricsRegistry({ processMetrics: false });
    const metrics = new LoopMetrics(registry);
    const queue = new WorkQueue({ clock, observer: metrics.queueObserver('site') });
    metrics.trackQueue('site', queue);
    const hold: Deferred<void> = deferred();
    const running = queue.run(1, async () => {
      await hold.promise;
      return {};
    });
    queue.add('Site//a'); // handed to the one worker at once
    queue.add('Site//b');
    clock.advance(3_000);
    queue.add('Site//c');
    queue.add('Site//b'); // already queued: not an add
    clock.advance(2_000);

    const samples = parseSamples(await registry.metrics());
    expect(value(samples, 'suanwang_workqueue_depth', { controller: 'site' })).toBe(2);
    expect(value(samples, 'suanwang_workqueue_oldest_item_age_seconds', { controller: 'site' })).toBe(5);
    expect(value(samples, 'suanwang_workqueue_adds_total', { controller: 'site' })).toBe(3);
    hold.resolve();
    await flush();
    expect(value(parseSamples(await registry.metrics()), 'suanwang_workqueue_oldest_item_age_seconds', { controller: 'site' })).toBe(0);
    await queue.shutDown();
    await running;
  });
});
