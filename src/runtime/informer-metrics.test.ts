import type { KubernetesObject } from '@kubernetes/client-node';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { FakeClock } from './clock.ts';
import { InformerMetrics } from './informer-metrics.ts';
import { InformerSupervisor } from './informer-supervisor.ts';
import { parseSamples } from './metrics-exposition.ts';
import { newMetricsRegistry } from './metrics-registry.ts';
import { FakeInformer, flush } from './testing.ts';

const silent = pino({ level: 'silent' });

function supervisor(clock: FakeClock, name: string): { sup: InformerSupervisor<KubernetesObject>; current: () => FakeInformer } {
  let informer: FakeInformer | undefined;
  const sup = new InformerSupervisor<KubernetesObject>({ name, clock, logger: silent, random: () => 0, factory: (h) => (informer = new FakeInformer(h)) });
  return { sup, current: () => informer as FakeInformer };
}

describe('InformerMetrics', () => {
  it('counts restarts and relists per resource, summing the informers of every cluster, and never goes down', async () => {
    const clock = new FakeClock(0);
    const registry = newMetricsRegistry({ processMetrics: false });
    const metrics = new InformerMetrics(registry);
    const east = supervisor(clock, 'Job@east');
    const west = supervisor(clock, 'Job@west');
    const sites = supervisor(clock, 'Site');
    let tracked = [east.sup, west.sup, sites.sup];
    metrics.track(() => tracked);
    for (const s of tracked) s.start();
    for (const s of [east, west, sites]) s.current().handlers.list([]);

    // east fails twice (each restart lists again), west once; Site never.
    for (let i = 0; i < 2; i++) {
      east.current().handlers.error(new Error('connection refused'));
      clock.advance(5_000);
      await flush();
      east.current().handlers.list([]);
    }
    west.current().handlers.error(new Error('connection refused'));
    clock.advance(5_000);
    await flush();
    west.current().handlers.list([]);

    const read = async (): Promise<Record<string, number>> => {
      const out: Record<string, number> = {};
      for (const s of parseSamples(await registry.metrics())) out[`${s.name}{${s.labels['resource'] ?? ''}}`] = s.value;
      return out;
    };
    expect(await read()).toEqual({
      'suanwang_informer_restarts_total{Job}': 3,
      'suanwang_informer_restarts_total{Site}': 0,
      'suanwang_informer_relists_total{Job}': 3,
      'suanwang_informer_relists_total{Site}': 0,
    });
    // west's site went away: what it counted stays counted.
    await west.sup.stop();
    tracked = [east.sup, sites.sup];
    expect((await read())['suanwang_informer_restarts_total{Job}']).toBe(3);
    await east.sup.stop();
    await sites.sup.stop();
  });
});
