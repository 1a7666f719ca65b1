import { describe, expect, it } from 'vitest';
import { demandOn } from './demand.ts';
import type { Option } from './evaluate.ts';
import { scoreOptions } from './scoring.ts';
import { fragmentation } from './scores/fragmentation.ts';
import { health } from './scores/health.ts';
import { locality } from './scores/locality.ts';
import { packing } from './scores/packing.ts';
import { price } from './scores/price.ts';
import { variantOrder } from './scores/variant-order.ts';
import { cpuPool, gpuPool, makeInferenceService, makeSite, makeTrainingJob, snapshotOf, variant, type SiteBuilder } from './testing.ts';
import type { Workload } from './workload.ts';

/** options makes one option per site: the workload's variant `v` on the site's first pool. */
function options(w: Workload, sites: SiteBuilder[], units = w.units, v = 0): Option[] {
  return snapshotOf(sites).sites.map((site) => {
    const pool = site.pools[0]!;
    const variant = w.variants[v]!;
    return { site, variant, pool, demand: demandOn(variant, pool), units };
  });
}

const gpu = (name = 'g') => gpuPool(name).nvidia('H100', 8).nodes(2);
const job = (workers = 2) => makeTrainingJob().workers(workers).variant(variant('gpu').nvidia('H100', 8)).variant(variant('cpu').cpuOnly());

describe('score plugins', () => {
  it('price: 100 × cheapest / cost; unpriced and other currencies neutral', () => {
    const w = job().workload();
    const sites = [
      makeSite('a').price('H100', 10).pool(gpu()),
      makeSite('b').price('H100', 20).pool(gpu()),
      makeSite('c').price('H100', 40).pool(gpu()),
      makeSite('d').pool(gpu()),
      makeSite('e').currency('USD').price('H100', 1).pool(gpu()),
    ];
    expect(price.score(w, options(w, sites))).toEqual([100, 50, 25, 50, 50]);
  });

  it('price: a cpuOnly option is neutral, and alone it does not make priced ones look dear', () => {
    const w = job().workload();
    const o = [...options(w, [makeSite('a').price('H100', 10).pool(gpu())]), ...options(w, [makeSite('b').pool(cpuPool('c'))], 2, 1)];
    expect(price.score(w, o)).toEqual([100, 50]);
  });

  it('price: a free device scores 100', () => {
    const w = job().workload();
    expect(price.score(w, options(w, [makeSite('a').price('H100', 0).pool(gpu())]))).toEqual([100]);
  });

  it('packing: fuller after placement is better; CPU pools by the mean of cpu and memory', () => {
    const w = job(1).workload();
    const o = options(w, [makeSite('a').pool(gpu()), makeSite('b').pool(gpu().allocated({ 'nvidia.com/gpu': 8 })), makeSite('c').pool(gpu().allocated({ 'nvidia.com/gpu': 12 }))]);
    expect(packing.score(w, o)).toEqual([50, 100, 100]);
    const cpu = options(w, [makeSite('d').pool(cpuPool('c').nodeCpu(16).nodeMemory('128Gi'))], 1, 1);
    // 8 of 16 cpu and 64Gi of 128Gi: 50 each.
    expect(packing.score(w, cpu)).toEqual([50]);
  });

  it('fragmentation: 100 × (1 + fewest) / (1 + whole nodes broken); CPU pools neutral; left out without shapes', () => {
    const w = makeTrainingJob().workers(1).variant(variant('gpu').nvidia('H100', 4)).variant(variant('cpu').cpuOnly()).workload();
    const o = [
      // Breaks its one whole node; fills a fragment; breaks one of two whole nodes; a CPU pool.
      ...options(w, [makeSite('a').pool(gpuPool('g').nvidia('H100', 8).nodes(1).shape({ nodes: 1, devices: 8 }))]),
      ...options(w, [makeSite('b').pool(gpu().allocated({ 'nvidia.com/gpu': 4 }).shape({ nodes: 1, devices: 8 }, { nodes: 1, devices: 4 }))]),
      ...options(w, [makeSite('c').pool(gpu().shape({ nodes: 2, devices: 8 }))]),
      ...options(w, [makeSite('d').pool(cpuPool('c').shape({ nodes: 1 }))], 1, 1),
    ];
    expect(fragmentation.applies(w, o)).toBe(true);
    expect(fragmentation.score(w, o)).toEqual([50, 100, 50, 50]);
    expect(fragmentation.applies(w, options(w, [makeSite('a').pool(gpu())]))).toBe(false);
  });

  it('health: healthy share of devices, else of nodes', () => {
    const w = job(1).workload();
    const o = options(w, [makeSite('a').pool(gpu()), makeSite('b').pool(gpu().unhealthy(4))]);
    expect(health.score(w, o)).toEqual([100, 75]);
    const cpu = options(w, [makeSite('c').pool(cpuPool('c').nodes(4).readyNodes(3))], 1, 1);
    expect(health.score(w, cpu)).toEqual([75]);
  });

  it('variantOrder: 100 × (n − index) / n', () => {
    const w = makeTrainingJob()
      .variant(variant('a').nvidia('H100', 1))
      .variant(variant('b').nvidia('H100', 1))
      .variant(variant('c').nvidia('H100', 1))
      .variant(variant('d').nvidia('H100', 1))
      .workload();
    const site = [makeSite('s').pool(gpu())];
    expect([0, 1, 2, 3].flatMap((v) => variantOrder.score(w, options(w, site, 1, v)))).toEqual([100, 75, 50, 25]);
  });

  it('locality: earlier preferred regions higher, others 0; left out without preferences', () => {
    const w = makeInferenceService().variant(variant('g').nvidia('H100', 1)).preferredRegions('cn-east', 'cn-north').workload();
    const o = options(w, [
      makeSite('a').region('cn-east').pool(gpu()),
      makeSite('b').region('cn-north').pool(gpu()),
      makeSite('c').region('cn-southwest').pool(gpu()),
    ]);
    expect(locality.score(w, o)).toEqual([100, 50, 0]);
    expect(locality.applies(w, o)).toBe(true);
    expect(locality.applies(job().workload(), o)).toBe(false);
  });
});

describe('scoreOptions', () => {
  it('takes the weighted mean of rounded plugin scores, and leaves out plugins weighted 0', () => {
    const w = job(1).workload();
    const o = options(w, [makeSite('a').price('H100', 10).pool(gpu().unhealthy(3)), makeSite('b').price('H100', 30).pool(gpu())]);
    const got = scoreOptions(w, o, { weights: { price: 2, packing: 0, fragmentation: 0, health: 1, variantOrder: 0, locality: 5 } });
    expect(got.map((s) => [s.scores, s.score])).toEqual([
      // health 13/16 = 81.25 → 81; (2 × 100 + 81) / 3 = 93.7 → 94.
      [{ price: 100, health: 81 }, 94],
      // price 33.3 → 33; (2 × 33 + 100) / 3 = 55.3 → 55.
      [{ price: 33, health: 100 }, 55],
    ]);
  });

  it('scores 0 when every weight is 0', () => {
    const w = job(1).workload();
    const got = scoreOptions(w, options(w, [makeSite('a').pool(gpu())]), { weights: { price: 0, packing: 0, fragmentation: 0, health: 0, variantOrder: 0, locality: 0 } });
    expect(got.map((s) => [s.scores, s.score])).toEqual([[{}, 0]]);
  });
});
