import { describe, expect, it } from 'vitest';
import { DEFAULT_PLACEMENT_CONFIG, type PlacementConfig } from './config.ts';
import { MAX_RECORDED_CANDIDATES } from './explain.ts';
import { place, type Decision } from './place.ts';
import { mergePromised, PROMISED_UNITS, promisedFor } from './promised.ts';
import { buildSnapshot, type PromisedCapacity } from './snapshot.ts';
import {
  gpuPool,
  labSites,
  makeSite,
  makeTrainingJob,
  pretrainJob,
  snapshotOf,
  variant,
  type SiteBuilder,
  type TrainingJobBuilder,
} from './testing.ts';

const h100 = () => gpuPool('h100').nvidia('NVIDIA-H100-80GB-HBM3', 8).nodes(2);

describe('place: the default lab', () => {
  it('places the pretraining example on guizhou (cheaper Ascend beats the preferred H100) and explains every site', () => {
    const { shanghai, guizhou, beijing } = labSites();
    const d = place(pretrainJob().workload(), snapshotOf([shanghai, guizhou, beijing]), DEFAULT_PLACEMENT_CONFIG);
    expect(d).toMatchObject({ kind: 'Placed', site: 'guizhou', variant: 'ascend910b', pool: 'ascend910b', score: 94 });
    expect(d.record).toEqual({
      message: 'placed on guizhou (variant ascend910b, score 94)',
      candidates: [
        { site: 'beijing', verdict: 'Rejected', reasons: ['region cn-north not allowed (allowed: cn-east, cn-southwest)'] },
        {
          site: 'guizhou',
          verdict: 'Selected',
          variant: 'ascend910b',
          score: 94,
          scores: { price: 100, packing: 100, health: 100, variantOrder: 50 },
        },
        {
          site: 'shanghai',
          verdict: 'Feasible',
          variant: 'h100',
          score: 75,
          // 12 × 16 = 192 CNY/h against 28 × 16 = 448: 100 × 192 / 448 = 43.
          scores: { price: 43, packing: 100, health: 100, variantOrder: 100 },
        },
      ],
    });
  });

  it('says exactly why nothing fits, site by site in name order', () => {
    const { shanghai, guizhou, beijing } = labSites();
    const job = makeTrainingJob('big')
      .workers(2)
      .resources('64', '512Gi')
      .variant(variant('h100').nvidia('H100', 8))
      .regions('cn-east', 'cn-north');
    const d = place(job.workload(), snapshotOf([shanghai.cordon(), guizhou, beijing]));
    expect(d.kind).toBe('Unschedulable');
    expect(d.record.message).toBe(
      '0/3 sites fit: beijing: no pool with nvidia H100; guizhou: region cn-southwest not allowed (allowed: cn-east, cn-north); shanghai: cordoned',
    );
  });

  it('names the variant in the message when there are several, and joins a site’s reasons with "and"', () => {
    const { shanghai } = labSites();
    const job = makeTrainingJob()
      .workers(3)
      .variant(variant('h100').nvidia('H100', 8))
      .variant(variant('npu').huawei('Ascend910B', 8));
    const d = place(job.workload(), snapshotOf([shanghai]));
    expect(d.record.message).toBe(
      '0/1 sites fit: shanghai: variant h100: needs 24 nvidia.com/gpu, 16 healthy free and variant npu: no pool with huawei Ascend910B',
    );
  });

  it('reports an empty federation', () => {
    const d = place(pretrainJob().workload(), snapshotOf([]));
    expect(d).toEqual({ kind: 'Unschedulable', record: { message: '0/0 sites fit', candidates: [] } });
  });
});

interface ScoreCase {
  name: string;
  sites: SiteBuilder[];
  job: TrainingJobBuilder;
  config?: PlacementConfig;
  wantSite: string;
  wantVariant: string;
  /** wantScores are the candidates' total scores by site. */
  wantScores?: Record<string, number>;
}

const twoVariants = () =>
  makeTrainingJob()
    .workers(2)
    .variant(variant('h100').nvidia('H100', 8))
    .variant(variant('npu').huawei('Ascend910B', 8));
const npuPool = () => gpuPool('npu').huawei('Ascend910B3', 8).nodes(2);

const scoreCases: ScoreCase[] = [
  {
    name: 'equal scores: the earlier site name wins',
    sites: [makeSite('beta').pool(h100()), makeSite('alpha').pool(h100())],
    job: makeTrainingJob().variant(variant('gpu').nvidia('H100', 8)),
    wantSite: 'alpha',
    wantVariant: 'gpu',
  },
  {
    name: 'unpriced and otherwise equal: the earlier variant wins, wherever it is',
    sites: [makeSite('a').pool(npuPool()), makeSite('b').pool(h100())],
    job: twoVariants(),
    wantSite: 'b',
    wantVariant: 'h100',
    // price 50 (neutral), packing 100, health 100; variant order 100 vs 50.
    wantScores: { a: 72, b: 78 },
  },
  {
    name: 'with variant order weighted 0 the tie goes to the earlier variant anyway',
    sites: [makeSite('a').pool(npuPool()), makeSite('b').pool(h100())],
    job: twoVariants(),
    config: { weights: { ...DEFAULT_PLACEMENT_CONFIG.weights, variantOrder: 0 } },
    wantSite: 'b',
    wantVariant: 'h100',
    wantScores: { a: 75, b: 75 },
  },
  {
    name: 'the second variant wins when clearly cheaper (22 against 28)',
    sites: [
      makeSite('a').price('Ascend910B3', 22).pool(npuPool()),
      makeSite('b').price('NVIDIA-H100-80GB-HBM3', 28).pool(h100()),
    ],
    job: twoVariants(),
    wantSite: 'a',
    wantVariant: 'npu',
  },
  {
    name: 'the first variant keeps its place when the second is only slightly cheaper',
    sites: [
      makeSite('a').price('Ascend910B3', 26).pool(npuPool()),
      makeSite('b').price('NVIDIA-H100-80GB-HBM3', 28).pool(h100()),
    ],
    job: twoVariants(),
    wantSite: 'b',
    wantVariant: 'h100',
  },
  {
    name: 'the cheaper site wins',
    sites: [makeSite('a').price('NVIDIA-H100-80GB-HBM3', 30).pool(h100()), makeSite('b').price('NVIDIA-H100-80GB-HBM3', 20).pool(h100())],
    job: makeTrainingJob().variant(variant('gpu').nvidia('H100', 8)),
    wantSite: 'b',
    wantVariant: 'gpu',
  },
  {
    name: 'the healthier pool wins when both fit',
    sites: [makeSite('a').pool(h100().nodes(3).unhealthy(2)), makeSite('b').pool(h100().nodes(3))],
    job: makeTrainingJob().variant(variant('gpu').nvidia('H100', 8)),
    wantSite: 'b',
    wantVariant: 'gpu',
  },
  {
    name: 'packing: the pool already in use wins over an empty one',
    sites: [makeSite('a').pool(h100()), makeSite('b').pool(h100().allocated({ 'nvidia.com/gpu': 8 }))],
    job: makeTrainingJob().variant(variant('gpu').nvidia('H100', 8)),
    wantSite: 'b',
    wantVariant: 'gpu',
    // packing: a 8/16 → 50, b 16/16 → 100.
    wantScores: { a: 67, b: 78 },
  },
  {
    name: 'weights are configurable: price alone',
    sites: [
      makeSite('a').price('Ascend910B3', 27).pool(npuPool()),
      makeSite('b').price('NVIDIA-H100-80GB-HBM3', 28).pool(h100().unhealthy(1).nodes(3)),
    ],
    job: twoVariants(),
    config: { weights: { price: 1, packing: 0, fragmentation: 0, health: 0, variantOrder: 0, locality: 0 } },
    wantSite: 'a',
    wantVariant: 'npu',
    wantScores: { a: 100, b: 96 },
  },
];

describe('place: scores and ties', () => {
  it.each(scoreCases)('$name', (c) => {
    const d = place(c.job.workload(), snapshotOf(c.sites), c.config ?? DEFAULT_PLACEMENT_CONFIG);
    expect(d).toMatchObject({ kind: 'Placed', site: c.wantSite, variant: c.wantVariant });
    if (c.wantScores !== undefined) {
      const got = Object.fromEntries(d.record.candidates.map((x) => [x.site, x.score]));
      expect(got).toEqual(c.wantScores);
    }
  });
});

describe('place: promised capacity', () => {
  const sites = () => [
    makeSite('a').price('NVIDIA-H100-80GB-HBM3', 20).pool(h100()).obj(),
    makeSite('b').price('NVIDIA-H100-80GB-HBM3', 30).pool(h100()).obj(),
  ];
  const job = makeTrainingJob().workers(2).variant(variant('gpu').nvidia('H100', 8));

  it('sends the second of two jobs elsewhere, and makes the third unschedulable, until allocated shows them', () => {
    const w = job.workload();
    let promised: PromisedCapacity = {};
    const decide = (): Decision => {
      const d = place(w, buildSnapshot(sites(), promised));
      promised = mergePromised(promised, promisedFor(d, w));
      return d;
    };
    expect(decide()).toMatchObject({ kind: 'Placed', site: 'a' });
    expect(promised).toEqual({ a: { h100: { cpu: 16, memory: 128 * 2 ** 30, 'nvidia.com/gpu': 16, [PROMISED_UNITS]: 2 } } });
    expect(decide()).toMatchObject({ kind: 'Placed', site: 'b' });
    const third = decide();
    expect(third.kind).toBe('Unschedulable');
    expect(third.record.message).toBe(
      '0/2 sites fit: a: needs 16 nvidia.com/gpu, 0 healthy free; b: needs 16 nvidia.com/gpu, 0 healthy free',
    );
    expect(promisedFor(third, w)).toEqual({});
  });

  it('without the promise the second job would pick the same site', () => {
    const w = job.workload();
    expect(place(w, buildSnapshot(sites()))).toMatchObject({ site: 'a' });
    expect(place(w, buildSnapshot(sites()))).toMatchObject({ site: 'a' });
  });
});

describe('place: determinism', () => {
  it('gives byte-identical output for the same input, whatever order the sites come in', () => {
    const { shanghai, guizhou, beijing } = labSites();
    const w = pretrainJob().regions().workload();
    const a = JSON.stringify(place(w, snapshotOf([shanghai, guizhou, beijing])));
    const b = JSON.stringify(place(w, snapshotOf([beijing, shanghai, guizhou])));
    const c = JSON.stringify(place(w, { sites: [...snapshotOf([beijing, shanghai, guizhou]).sites].reverse() }));
    expect(b).toBe(a);
    expect(c).toBe(a);
  });
});

describe('place: the record stays within what the status schema takes, at any federation size', () => {
  // The schema caps status.placement.candidates at 256 and its message at 4,096 characters: a status write over
  // either is refused (HTTP 422), so the job could never be placed or explained. Seen with 1,000 sites.
  const many = (n: number, gpus: number): SiteBuilder[] =>
    Array.from({ length: n }, (_, i) => makeSite(`site-${String(i).padStart(4, '0')}`).pool(gpuPool('h100').nvidia('NVIDIA-H100-80GB-HBM3', gpus).nodes(1)));
  const job = makeTrainingJob('big').workers(1).variant(variant('h100').nvidia('H100', 8));

  it('placed among 1,000 sites: the winner and the best others are listed, and the message says how many are not', () => {
    const d = place(job.workload(), snapshotOf(many(1000, 8)), DEFAULT_PLACEMENT_CONFIG);
    expect(d.kind).toBe('Placed');
    const candidates = d.record.candidates ?? [];
    expect(candidates.length).toBe(MAX_RECORDED_CANDIDATES);
    expect(candidates.filter((c) => c.verdict === 'Selected')).toHaveLength(1);
    expect(candidates.map((c) => c.site)).toEqual([...candidates.map((c) => c.site)].sort());
    expect(d.record.message).toMatch(new RegExp(`; ${1000 - MAX_RECORDED_CANDIDATES} more sites not listed \\(${1000 - MAX_RECORDED_CANDIDATES} feasible\\)$`));
  });

  it('no site fits among 1,000: the message names a few sites, counts the rest, and stays under 4,096 characters', () => {
    const d = place(job.workload(), snapshotOf(many(1000, 4)), DEFAULT_PLACEMENT_CONFIG);
    expect(d.kind).toBe('Unschedulable');
    expect(d.record.candidates?.length).toBe(MAX_RECORDED_CANDIDATES);
    expect(d.record.message?.length).toBeLessThanOrEqual(4096);
    expect(d.record.message).toMatch(/^0\/1000 sites fit: site-0000: .*; and \d+ more sites\b/);
  });
});
