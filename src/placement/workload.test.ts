import { describe, expect, it } from 'vitest';
import { inferenceWorkload, trainingWorkload } from './workload.ts';
import { makeInferenceService, makeTrainingJob, pretrainJob, variant } from './testing.ts';

const GI = 2 ** 30;

describe('trainingWorkload', () => {
  it('reduces the pretraining example to numbers per worker and its rules', () => {
    expect(pretrainJob().workload()).toEqual({
      kind: 'TrainingJob',
      units: 2,
      unitNoun: 'worker',
      variants: [
        {
          name: 'h100',
          index: 0,
          accelerator: { vendor: 'nvidia', model: 'H100', count: 8, minMemoryBytes: 80 * GI, precision: 'bf16' },
          architecture: 'amd64',
          cpu: 64,
          memory: 512 * GI,
        },
        {
          name: 'ascend910b',
          index: 1,
          accelerator: { vendor: 'huawei', model: 'Ascend910B', count: 8, minMemoryBytes: 64 * GI, precision: 'bf16' },
          architecture: 'arm64',
          cpu: 64,
          memory: 512 * GI,
        },
      ],
      rules: {
        regions: ['cn-east', 'cn-southwest'],
        sites: [],
        excludedSites: [],
        siteSelector: { 'suanwang.io/sovereignty': 'cn' },
        maxPricePerHour: 500,
        currency: 'CNY',
      },
      preferredRegions: [],
      minSites: 1,
    });
  });

  it('applies variant overrides and defaults (1 worker, 1 device)', () => {
    const tj = makeTrainingJob().variant(variant('gpu').nvidia(undefined, 1).resources({ cpu: '500m' })).obj();
    delete tj.spec.workers;
    delete tj.spec.variants[0]!.accelerator!.count;
    const w = trainingWorkload(tj);
    expect(w.ok && w.value.units).toBe(1);
    expect(w.ok && w.value.variants[0]).toEqual({ name: 'gpu', index: 0, accelerator: { vendor: 'nvidia', count: 1 }, cpu: 0.5, memory: 64 * GI });
  });

  it('reports quantities that do not parse, by path', () => {
    const tj = makeTrainingJob().resources('eight', '64Gi').variant(variant('gpu').nvidia('H100', 1).minMemory('80GB')).obj();
    expect(trainingWorkload(tj)).toEqual({
      ok: false,
      errors: [
        'spec.variants[0].resources.cpu: "eight" is not a non-negative Kubernetes quantity',
        'spec.variants[0].accelerator.minMemory: "80GB" is not a non-negative Kubernetes quantity',
      ],
    });
  });
});

describe('inferenceWorkload', () => {
  const svc = () =>
    makeInferenceService()
      .replicas(3, 6)
      .variant(variant('gpu').nvidia(undefined, 1))
      .variant(variant('cpu').cpuOnly('96Gi').resources({ cpu: '32' }))
      .preferredRegions('cn-east')
      .minSites(2)
      .maxPerSite(2);

  it('raises a cpuOnly replica’s memory to the model’s minMemory', () => {
    const w = svc().workload();
    expect(w.variants.map((v) => [v.name, v.cpu, v.memory / GI])).toEqual([
      ['gpu', 8, 64],
      ['cpu', 32, 96],
    ]);
    expect(w).toMatchObject({ kind: 'InferenceService', unitNoun: 'replica', preferredRegions: ['cn-east'], minSites: 2, maxUnitsPerSite: 2 });
  });

  it('keeps a cpuOnly replica’s memory when it already exceeds minMemory', () => {
    const w = makeInferenceService().variant(variant('cpu').cpuOnly('16Gi')).workload();
    expect(w.variants[0]?.memory).toBe(64 * GI);
  });

  it('runs min replicas unless told otherwise, and never outside [min, max]', () => {
    const units = (desired?: number) => {
      const r = inferenceWorkload(svc().obj(), desired);
      return r.ok ? r.value.units : -1;
    };
    expect([units(), units(1), units(4), units(60)]).toEqual([3, 3, 4, 6]);
    const fixed = inferenceWorkload(makeInferenceService().replicas(2).variant(variant('gpu').nvidia(undefined, 1)).obj(), 5);
    expect(fixed.ok && fixed.value.units).toBe(2);
  });
});
