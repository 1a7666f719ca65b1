import { describe, expect, it } from 'vitest';
import { place } from './place.ts';
import {
  cpuPool,
  gpuPool,
  makeSite,
  makeTrainingJob,
  snapshotOf,
  variant,
  type SiteBuilder,
  type TrainingJobBuilder,
} from './testing.ts';

/** A site with one pool of 2 nodes × 8 H100 (64 cpu, 512Gi each), priced 28 CNY/h. */
function h100Site(name = 'a'): SiteBuilder {
  return makeSite(name).price('NVIDIA-H100-80GB-HBM3', 28).pool(h100Pool());
}
function h100Pool() {
  return gpuPool('h100').nvidia('NVIDIA-H100-80GB-HBM3', 8).nodes(2);
}
/** A job of `workers` workers × 8 H100. */
function h100Job(workers = 1): TrainingJobBuilder {
  return makeTrainingJob().workers(workers).variant(variant('gpu').nvidia('H100', 8));
}

interface Case {
  name: string;
  sites: SiteBuilder[];
  job: TrainingJobBuilder;
  /** wantSite is where the job goes; absent means Unschedulable. */
  wantSite?: string;
  wantPool?: string;
  /** wantReasons are the exact reasons of rejected sites. */
  wantReasons?: Record<string, string[]>;
}

const cases: Case[] = [
  // Devices: vendor, model, memory, precision.
  { name: 'vendor and model match', sites: [h100Site()], job: h100Job(), wantSite: 'a' },
  {
    name: 'model matches case-insensitively ignoring spaces, - and _',
    sites: [makeSite('a').pool(gpuPool('h100').nvidia('NVIDIA H100 80GB HBM3', 8))],
    job: makeTrainingJob().variant(variant('gpu').nvidia('h100_80gb', 8)),
    wantSite: 'a',
  },
  {
    name: 'no model means any model of the vendor',
    sites: [makeSite('a').pool(gpuPool('a100').nvidia('NVIDIA-A100-SXM4-80GB', 8))],
    job: makeTrainingJob().variant(variant('gpu').nvidia(undefined, 8)),
    wantSite: 'a',
  },
  {
    name: 'other model of the same vendor',
    sites: [makeSite('a').pool(gpuPool('a100').nvidia('NVIDIA-A100-SXM4-80GB', 8))],
    job: h100Job(),
    wantReasons: { a: ['variant gpu: no pool with nvidia H100'] },
  },
  {
    name: 'other vendor, no model asked',
    sites: [makeSite('a').pool(gpuPool('npu').huawei('Ascend910B3', 8))],
    job: makeTrainingJob().variant(variant('gpu').nvidia(undefined, 1)),
    wantReasons: { a: ['variant gpu: no pool with nvidia devices'] },
  },
  {
    name: 'device memory below minMemory',
    sites: [makeSite('a').pool(gpuPool('a100').nvidia('NVIDIA-A100-PCIE-40GB', 8).deviceMemory('40Gi'))],
    job: makeTrainingJob().variant(variant('gpu').nvidia('A100', 8).minMemory('80Gi')),
    wantReasons: { a: ['variant gpu: pool a100 devices have 40Gi, needs 80Gi'] },
  },
  {
    name: 'device memory equal to minMemory fits',
    sites: [makeSite('a').pool(gpuPool('a100').nvidia('NVIDIA-A100-SXM4-80GB', 8).deviceMemory('80Gi'))],
    job: makeTrainingJob().variant(variant('gpu').nvidia('A100', 8).minMemory('80Gi')),
    wantSite: 'a',
  },
  {
    name: 'device memory not reported while minMemory is asked',
    sites: [makeSite('a').pool(gpuPool('a100').nvidia('A100', 8).deviceMemory(undefined))],
    job: makeTrainingJob().variant(variant('gpu').nvidia('A100', 8).minMemory('80Gi')),
    wantReasons: { a: ['variant gpu: pool a100 does not report device memory, needs 80Gi'] },
  },
  {
    name: 'precision not supported',
    sites: [h100Site()],
    job: makeTrainingJob().variant(variant('gpu').nvidia('H100', 8).precision('fp8')),
    wantReasons: { a: ['variant gpu: pool h100 devices lack fp8 (have bf16, fp16, fp32)'] },
  },
  {
    name: 'precision supported',
    sites: [h100Site()],
    job: makeTrainingJob().variant(variant('gpu').nvidia('H100', 8).precision('bf16')),
    wantSite: 'a',
  },
  // Architecture.
  {
    name: 'architecture differs',
    sites: [h100Site()],
    job: makeTrainingJob().variant(variant('gpu').nvidia('H100', 8).arch('arm64')),
    wantReasons: { a: ['variant gpu: pool h100 is amd64, needs arm64'] },
  },
  {
    name: 'architecture not reported while the variant needs one',
    sites: [makeSite('a').pool(h100Pool().arch(undefined))],
    job: makeTrainingJob().variant(variant('gpu').nvidia('H100', 8).arch('amd64')),
    wantReasons: { a: ['variant gpu: pool h100 does not report its architecture, needs amd64'] },
  },
  {
    name: 'a multi-architecture variant runs anywhere',
    sites: [makeSite('a').pool(gpuPool('npu').huawei('Ascend910B3', 8).arch('arm64'))],
    job: makeTrainingJob().variant(variant('npu').huawei('Ascend910B', 8)),
    wantSite: 'a',
  },
  // One worker on one node.
  {
    name: 'more devices per worker than a node has, though the pool has enough',
    sites: [h100Site()],
    job: makeTrainingJob().variant(variant('gpu').nvidia('H100', 16)),
    wantReasons: { a: ['variant gpu: a worker needs 16 nvidia.com/gpu on one node, pool h100 nodes have 8'] },
  },
  {
    name: 'more cpu and memory per worker than a node has',
    sites: [h100Site()],
    job: h100Job().resources('96', '1Ti'),
    wantReasons: {
      a: [
        'variant gpu: a worker needs 1Ti memory on one node, pool h100 nodes have 512Gi',
        'variant gpu: a worker needs 96 cpu on one node, pool h100 nodes have 64',
      ],
    },
  },
  {
    name: 'a variant override of cpu applies',
    sites: [h100Site()],
    job: makeTrainingJob().variant(variant('gpu').nvidia('H100', 8).resources({ cpu: '65' })),
    wantReasons: { a: ['variant gpu: a worker needs 65 cpu on one node, pool h100 nodes have 64'] },
  },
  {
    name: 'devices per node come from allocatable when the count is not reported',
    sites: [makeSite('a').pool(h100Pool().omitDeviceCount())],
    job: makeTrainingJob().variant(variant('gpu').nvidia('H100', 9)),
    wantReasons: { a: ['variant gpu: a worker needs 9 nvidia.com/gpu on one node, pool h100 nodes have 8'] },
  },
  // The whole gang on one site.
  { name: 'gang fills the pool exactly', sites: [h100Site()], job: h100Job(2), wantSite: 'a' },
  {
    name: 'gang larger than the pool',
    sites: [h100Site()],
    job: h100Job(3),
    wantReasons: { a: ['variant gpu: needs 24 nvidia.com/gpu, 16 healthy free'] },
  },
  {
    name: 'gang larger than what is free',
    sites: [makeSite('a').pool(h100Pool().allocated({ 'nvidia.com/gpu': 8, cpu: '8', memory: '64Gi' }))],
    job: h100Job(2),
    wantReasons: { a: ['variant gpu: needs 16 nvidia.com/gpu, 8 healthy free'] },
  },
  {
    name: 'gang short of cpu and memory too: one reason per resource',
    sites: [makeSite('a').pool(h100Pool().allocated({ cpu: '100', memory: '960Gi' }))],
    job: h100Job(2).resources('32', '64Gi'),
    wantReasons: {
      a: ['variant gpu: needs 128Gi memory, 64Gi free', 'variant gpu: needs 64 cpu, 28 free'],
    },
  },
  {
    name: 'unhealthy devices are not free (allocatable counts healthy devices only)',
    sites: [makeSite('a').pool(h100Pool().unhealthy(2))],
    job: h100Job(2),
    wantReasons: { a: ['variant gpu: needs 16 nvidia.com/gpu, 14 healthy free'] },
  },
  {
    name: 'enough devices in total but not node by node',
    sites: [makeSite('a').pool(gpuPool('h100').nvidia('H100', 6).nodes(3))],
    job: makeTrainingJob().workers(4).variant(variant('gpu').nvidia('H100', 4)),
    wantReasons: { a: ["variant gpu: pool h100's 3 ready nodes hold at most 3 workers, needs 4"] },
  },
  {
    name: 'nodes that are not ready hold nothing',
    sites: [makeSite('a').pool(h100Pool().readyNodes(1))],
    job: h100Job(2),
    wantReasons: { a: ["variant gpu: pool h100's 1 ready node holds at most 1 worker, needs 2"] },
  },
  {
    name: 'a pool without ready nodes',
    sites: [makeSite('a').pool(h100Pool().readyNodes(0))],
    job: h100Job(1),
    wantReasons: { a: ['variant gpu: pool h100 has no ready nodes'] },
  },
  {
    name: 'of two matching pools, the reasons of the one that got furthest',
    sites: [
      makeSite('a')
        .pool(gpuPool('h100-old').nvidia('H100', 8).precisions('fp16'))
        .pool(gpuPool('h100-new').nvidia('H100', 8).allocated({ 'nvidia.com/gpu': 4 })),
    ],
    job: makeTrainingJob().variant(variant('gpu').nvidia('H100', 8).precision('bf16')),
    wantReasons: { a: ['variant gpu: needs 8 nvidia.com/gpu, 4 healthy free'] },
  },
  {
    name: 'of two matching pools, the one that fits',
    sites: [
      makeSite('a')
        .pool(gpuPool('h100-old').nvidia('H100', 8).precisions('fp16'))
        .pool(gpuPool('h100-new').nvidia('H100', 8)),
    ],
    job: makeTrainingJob().variant(variant('gpu').nvidia('H100', 8).precision('bf16')),
    wantSite: 'a',
    wantPool: 'h100-new',
  },
  // CPU-only variants use CPU pools only.
  {
    name: 'a cpuOnly variant goes to the CPU pool, not the GPU pool',
    sites: [h100Site().pool(cpuPool('cpu').nodes(2))],
    job: makeTrainingJob().workers(2).variant(variant('cpu').cpuOnly()),
    wantSite: 'a',
    wantPool: 'cpu',
  },
  {
    name: 'a cpuOnly variant at a site with only GPU pools',
    sites: [h100Site()],
    job: makeTrainingJob().variant(variant('cpu').cpuOnly()),
    wantReasons: { a: ['variant cpu: no CPU pool'] },
  },
  // Site rules.
  {
    name: 'region not allowed',
    sites: [h100Site().region('cn-north'), h100Site('b').region('cn-east')],
    job: h100Job().regions('cn-east', 'cn-southwest'),
    wantSite: 'b',
    wantReasons: { a: ['region cn-north not allowed (allowed: cn-east, cn-southwest)'] },
  },
  {
    name: 'site not among the allowed sites',
    sites: [h100Site('a'), h100Site('b')],
    job: h100Job().sites('b'),
    wantSite: 'b',
    wantReasons: { a: ['site not allowed (allowed: b)'] },
  },
  {
    name: 'site excluded',
    sites: [h100Site('a'), h100Site('b')],
    job: h100Job().excludedSites('a'),
    wantSite: 'b',
    wantReasons: { a: ['site excluded'] },
  },
  {
    name: 'required label missing or different; every broken rule is listed',
    sites: [h100Site('a').region('us-west'), h100Site('b').label('suanwang.io/sovereignty', 'sg'), h100Site('c').label('suanwang.io/sovereignty', 'cn')],
    job: h100Job().selector('suanwang.io/sovereignty', 'cn').regions('cn-east'),
    wantSite: 'c',
    wantReasons: {
      a: ['label suanwang.io/sovereignty=cn required (site has none)', 'region us-west not allowed (allowed: cn-east)'],
      b: ['label suanwang.io/sovereignty=cn required (site has sg)'],
    },
  },
  // Price ceiling and currency.
  { name: 'price at the ceiling', sites: [h100Site()], job: h100Job(2).maxPrice(448), wantSite: 'a' },
  {
    name: 'price above the ceiling',
    sites: [h100Site()],
    job: h100Job(2).maxPrice(300),
    wantReasons: { a: ['variant gpu: 28 CNY/h per device × 16 = 448 CNY/h exceeds max 300'] },
  },
  {
    name: 'no price for the model while a ceiling is set',
    sites: [makeSite('a').price('A100', 10).pool(h100Pool())],
    job: h100Job().maxPrice(1000),
    wantReasons: { a: ['variant gpu: no price for NVIDIA-H100-80GB-HBM3'] },
  },
  {
    name: 'priced in another currency while a ceiling is set',
    sites: [h100Site().currency('USD')],
    job: h100Job().maxPrice(1000, 'CNY'),
    wantReasons: { a: ['variant gpu: priced in USD, max price is in CNY'] },
  },
  {
    name: 'ceiling in the site currency',
    sites: [makeSite('a').currency('USD').price('NVIDIA H100 80GB HBM3', 4).pool(h100Pool())],
    job: h100Job().maxPrice(40, 'USD'),
    wantSite: 'a',
  },
  {
    name: 'no ceiling: an unpriced site is fine',
    sites: [makeSite('a').pool(h100Pool())],
    job: h100Job(),
    wantSite: 'a',
  },
  {
    name: 'cpuOnly variants are not priced',
    sites: [makeSite('a').currency('USD').pool(cpuPool('cpu'))],
    job: makeTrainingJob().variant(variant('cpu').cpuOnly()).maxPrice(1),
    wantSite: 'a',
  },
  // Site readiness.
  {
    name: 'not Ready sites and cordoned sites take nothing new; variants are not examined',
    sites: [
      h100Site('a').notReady('LeaseExpired'),
      h100Site('b').cordon(),
      h100Site('c').noConditions(),
      h100Site('d').cordon().notReady('SiteLost', 'False'),
      h100Site('e'),
    ],
    job: h100Job(3),
    wantReasons: {
      a: ['not Ready (LeaseExpired)'],
      b: ['cordoned'],
      c: ['not Ready (NoReadyCondition)'],
      d: ['cordoned', 'not Ready (SiteLost)'],
      e: ['variant gpu: needs 24 nvidia.com/gpu, 16 healthy free'],
    },
  },
  // Several variants.
  {
    name: 'every variant that does not fit says why',
    sites: [h100Site()],
    job: makeTrainingJob()
      .variant(variant('gpu').nvidia('H100', 16))
      .variant(variant('npu').huawei('Ascend910B', 8))
      .variant(variant('cpu').cpuOnly()),
    wantReasons: {
      a: [
        'variant cpu: no CPU pool',
        'variant gpu: a worker needs 16 nvidia.com/gpu on one node, pool h100 nodes have 8',
        'variant npu: no pool with huawei Ascend910B',
      ],
    },
  },
];

describe('filters (through place)', () => {
  it.each(cases)('$name', (c) => {
    const d = place(c.job.workload(), snapshotOf(c.sites));
    if (c.wantSite === undefined) {
      expect(d.kind).toBe('Unschedulable');
    } else {
      expect(d).toMatchObject({ kind: 'Placed', site: c.wantSite, ...(c.wantPool ? { pool: c.wantPool } : {}) });
    }
    for (const [site, reasons] of Object.entries(c.wantReasons ?? {})) {
      const candidate = d.record.candidates.find((x) => x.site === site);
      expect(candidate, site).toMatchObject({ verdict: 'Rejected', reasons });
    }
  });
});
