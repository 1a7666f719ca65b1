import { describe, expect, it } from 'vitest';
import { distribute } from './distribute.ts';
import { place } from './place.ts';
import type { PromisedCapacity } from './snapshot.ts';
import {
  cpuPool,
  gpuPool,
  makeInferenceService,
  makeSite,
  makeTrainingJob,
  snapshotOf,
  variant,
  type PoolBuilder,
  type SiteBuilder,
  type TrainingJobBuilder,
} from './testing.ts';

/** A pool of `nodes` nodes × 8 H100 (64 cpu, 512Gi each) with `used` devices allocated; no shape unless given. */
function h100(nodes: number, used = 0): PoolBuilder {
  return gpuPool('h100').nvidia('NVIDIA-H100-80GB-HBM3', 8).nodes(nodes).allocated({ 'nvidia.com/gpu': String(used) });
}
/** A job of `workers` workers × `gpus` H100 with 8 cpu and 64Gi each (the builder's default). */
function job(workers: number, gpus: number): TrainingJobBuilder {
  return makeTrainingJob().workers(workers).variant(variant('gpu').nvidia('H100', gpus));
}

interface Case {
  name: string;
  sites: SiteBuilder[];
  job: TrainingJobBuilder;
  promised?: PromisedCapacity;
  /** wantSite is where the job goes; absent means Unschedulable. */
  wantSite?: string;
  /** wantReasons are the exact reasons of rejected sites. */
  wantReasons?: Record<string, string[]>;
}

const cases: Case[] = [
  {
    name: '4 + 4: eight free GPUs split over two nodes hold no 8-GPU worker',
    sites: [makeSite('a').pool(h100(2, 8).shape({ nodes: 2, devices: 4 }))],
    job: job(1, 8),
    wantReasons: {
      a: ["variant gpu: pool h100's free capacity holds 0 workers node by node, needs 1; most free per node: 2 × (4 nvidia.com/gpu, 64 cpu, 512Gi memory)"],
    },
  },
  {
    name: 'one whole node free holds the 8-GPU worker',
    sites: [makeSite('a').pool(h100(2, 8).shape({ nodes: 1, devices: 8 }, { nodes: 1, devices: 0, cpu: '56', memory: '448Gi' }))],
    job: job(1, 8),
    wantSite: 'a',
  },
  {
    name: 'the split site is passed over for the one with a whole node, though it is cheaper',
    sites: [
      makeSite('split').price('NVIDIA-H100-80GB-HBM3', 10).pool(h100(2, 8).shape({ nodes: 2, devices: 4 })),
      makeSite('whole').price('NVIDIA-H100-80GB-HBM3', 30).pool(h100(2, 8).shape({ nodes: 1, devices: 8 }, { nodes: 1 })),
    ],
    job: job(1, 8),
    wantSite: 'whole',
  },
  {
    name: 'a pool that reports no shape keeps the aggregate check: 4 + 4 looks like room for one 8-GPU worker',
    sites: [makeSite('a').pool(h100(2, 8))],
    job: job(1, 8),
    wantSite: 'a',
  },
  {
    name: 'a pool that reports no shape still needs its totals',
    sites: [makeSite('a').pool(h100(2, 12))],
    job: job(1, 8),
    wantReasons: { a: ['variant gpu: needs 8 nvidia.com/gpu, 4 healthy free'] },
  },
  {
    name: 'workers smaller than a node fill the fragments: 2 × 4 GPUs on 4 + 4',
    sites: [makeSite('a').pool(h100(2, 8).shape({ nodes: 2, devices: 4 }))],
    job: job(2, 4),
    wantSite: 'a',
  },
  {
    name: 'node by node is a sum over buckets: 3 × 4 GPUs on 8 + 4',
    sites: [makeSite('a').pool(h100(2, 4).shape({ nodes: 1, devices: 8 }, { nodes: 1, devices: 4 }))],
    job: job(3, 4),
    wantSite: 'a',
  },
  {
    name: 'node by node, though the totals would hold a fourth 3-GPU worker (8 + 4 = 12 free)',
    sites: [makeSite('a').pool(h100(2, 4).shape({ nodes: 1, devices: 8 }, { nodes: 1, devices: 4 }))],
    job: job(4, 3),
    wantReasons: {
      a: [
        "variant gpu: pool h100's free capacity holds 3 workers node by node, needs 4; most free per node: 1 × (8 nvidia.com/gpu, 64 cpu, 512Gi memory), 1 × (4 nvidia.com/gpu, 64 cpu, 512Gi memory)",
      ],
    },
  },
  {
    name: 'cpu-limited bucket: whole GPUs but 4 cpu free on the node (CPU pods took the rest)',
    sites: [makeSite('a').pool(h100(2, 8).shape({ nodes: 1, devices: 8, cpu: '4' }, { nodes: 1, devices: 0 }))],
    job: job(1, 8),
    wantReasons: {
      a: [
        "variant gpu: pool h100's free capacity holds 0 workers node by node, needs 1; most free per node: 1 × (8 nvidia.com/gpu, 4 cpu, 512Gi memory), 1 × (0 nvidia.com/gpu, 64 cpu, 512Gi memory)",
      ],
    },
  },
  {
    name: 'memory-limited bucket: two 4-GPU workers of 64Gi do not share a node with 100Gi free',
    sites: [makeSite('a').pool(h100(2, 8).shape({ nodes: 1, devices: 8, memory: '100Gi' }, { nodes: 1 }))],
    job: job(2, 4),
    wantReasons: {
      a: [
        "variant gpu: pool h100's free capacity holds 1 worker node by node, needs 2; most free per node: 1 × (8 nvidia.com/gpu, 64 cpu, 100Gi memory), 1 × (0 nvidia.com/gpu, 64 cpu, 512Gi memory)",
      ],
    },
  },
  {
    name: 'promised capacity: 8 GPUs promised on two whole nodes may land 4 + 4 (levelled from the top)',
    sites: [makeSite('a').pool(h100(2).shape({ nodes: 2, devices: 8 }))],
    promised: { a: { h100: { 'nvidia.com/gpu': 8, cpu: 16, memory: 128 * 2 ** 30 } } },
    job: job(1, 8),
    wantReasons: {
      a: ["variant gpu: pool h100's free capacity holds 0 workers node by node, needs 1; most free per node: 2 × (4 nvidia.com/gpu, 56 cpu, 448Gi memory)"],
    },
  },
  {
    name: 'promised capacity: what the promise cannot reach stays whole (3 whole nodes, 8 promised)',
    sites: [makeSite('a').pool(h100(3).shape({ nodes: 3, devices: 8 }))],
    promised: { a: { h100: { 'nvidia.com/gpu': 8 } } },
    job: job(1, 8),
    // Levelled: 8 + 8 + 8 less 8 is 6 + 5 + 5, not a whole node in it: conservative for whole-node workers.
    wantReasons: {
      a: ["variant gpu: pool h100's free capacity holds 0 workers node by node, needs 1; most free per node: 1 × (6 nvidia.com/gpu, 64 cpu, 512Gi memory), 2 × (5 nvidia.com/gpu, 64 cpu, 512Gi memory)"],
    },
  },
  {
    name: 'promised capacity: the smaller workers still fit the levelled nodes',
    sites: [makeSite('a').pool(h100(3).shape({ nodes: 3, devices: 8 }))],
    promised: { a: { h100: { 'nvidia.com/gpu': 8 } } },
    job: job(3, 4),
    wantSite: 'a',
  },
  {
    name: 'promised capacity: the totals, which subtract the promise exactly, are checked as well',
    sites: [makeSite('a').pool(h100(1).shape({ nodes: 1, devices: 8 }))],
    promised: { a: { h100: { 'nvidia.com/gpu': 4 } } },
    job: job(2, 4),
    wantReasons: { a: ['variant gpu: needs 8 nvidia.com/gpu, 4 healthy free'] },
  },
  {
    name: 'an empty shape: no Ready, schedulable node has anything free, whatever the totals say',
    sites: [makeSite('a').pool(h100(2).shape())],
    job: job(1, 1),
    wantReasons: { a: ["variant gpu: pool h100's free capacity holds 0 workers node by node, needs 1; no node has anything free"] },
  },
];

describe('exact fit (through place)', () => {
  it.each(cases)('$name', (c) => {
    const d = place(c.job.workload(), snapshotOf(c.sites, c.promised));
    if (c.wantSite === undefined) expect(d.kind).toBe('Unschedulable');
    else expect(d).toMatchObject({ kind: 'Placed', site: c.wantSite });
    for (const [site, reasons] of Object.entries(c.wantReasons ?? {})) {
      expect(
        d.record.candidates.find((x) => x.site === site),
        site,
      ).toMatchObject({ verdict: 'Rejected', reasons });
    }
  });
});

describe('fragmentation score (through place)', () => {
  interface ScoreCase {
    name: string;
    sites: SiteBuilder[];
    job: TrainingJobBuilder;
    wantSite: string;
    /** wantFragmentation is each feasible site's fragmentation score; absent: the plugin is left out. */
    wantFragmentation?: Record<string, number>;
  }
  const price = (b: SiteBuilder): SiteBuilder => b.price('NVIDIA-H100-80GB-HBM3', 20);
  const scoreCases: ScoreCase[] = [
    {
      name: 'a 4-GPU worker goes where a 4-GPU fragment is, not into a whole node',
      sites: [
        price(makeSite('a')).pool(h100(2, 8).shape({ nodes: 1, devices: 8 }, { nodes: 1 })),
        price(makeSite('b')).pool(h100(2, 4).shape({ nodes: 1, devices: 8 }, { nodes: 1, devices: 4 })),
      ],
      job: job(1, 4),
      // a: breaks its whole node (1); b: fills the fragment (0): 100 × 1/2 and 100.
      wantSite: 'b',
      wantFragmentation: { a: 50, b: 100 },
    },
    {
      name: 'fewer whole nodes broken wins: 3 × 4 GPUs break one whole node at b, two at a',
      sites: [
        price(makeSite('a')).pool(h100(2).shape({ nodes: 2, devices: 8 })),
        price(makeSite('b')).pool(h100(3, 12).shape({ nodes: 1, devices: 8 }, { nodes: 1, devices: 4 }, { nodes: 1 })),
      ],
      job: job(3, 4),
      wantSite: 'b',
      wantFragmentation: { a: 67, b: 100 },
    },
    {
      name: 'whole-node workers break as many nodes everywhere: every site scores 100, the next plugin decides',
      sites: [
        price(makeSite('a')).pool(h100(3).shape({ nodes: 3, devices: 8 })),
        price(makeSite('b')).pool(h100(4, 16).shape({ nodes: 2, devices: 8 }, { nodes: 2 })),
      ],
      job: job(2, 8),
      // Packing prefers the fuller b (32 of 32 devices in use after, against 16 of 24).
      wantSite: 'b',
      wantFragmentation: { a: 100, b: 100 },
    },
    {
      name: 'a pool without a shape beside one with: its totals packed into as few nodes as they fill',
      sites: [
        price(makeSite('a')).pool(h100(2, 4)),
        price(makeSite('b')).pool(h100(2).shape({ nodes: 2, devices: 8 })),
      ],
      job: job(1, 4),
      // a: 12 free = one whole node + 4 → the fragment takes it (0 broken); b breaks one.
      wantSite: 'a',
      wantFragmentation: { a: 100, b: 50 },
    },
    {
      name: 'no pool reports a shape: the plugin is left out, and the record has no fragmentation score',
      sites: [price(makeSite('a')).pool(h100(2, 4)), price(makeSite('b')).pool(h100(2))],
      job: job(1, 4),
      wantSite: 'a',
    },
  ];

  it.each(scoreCases)('$name', (c) => {
    const d = place(c.job.workload(), snapshotOf(c.sites));
    expect(d).toMatchObject({ kind: 'Placed', site: c.wantSite });
    const got = Object.fromEntries(d.record.candidates.map((x) => [x.site, x.scores?.['fragmentation']]));
    const want = c.wantFragmentation ?? Object.fromEntries(c.sites.map((s) => [s.obj().metadata.name, undefined]));
    expect(got).toEqual(want);
  });
});

describe('exact fit (through distribute)', () => {
  it('counts the replicas a site can take node by node', () => {
    const svc = makeInferenceService().replicas(6).variant(variant('gpu').nvidia('H100', 3)).minSites(1);
    // 8 + 4 free: 2 + 1 replicas of 3 GPUs node by node, though the totals (12) would say 4.
    const d = distribute(svc.workload(), snapshotOf([makeSite('a').pool(h100(2, 4).shape({ nodes: 1, devices: 8 }, { nodes: 1, devices: 4 }))]));
    expect(d.assignments.map((a) => [a.site, a.replicas])).toEqual([['a', 3]]);
    expect(d.short).toBe(3);
  });

  it('a CPU pool is fitted by its cpu and memory buckets', () => {
    const svc = makeInferenceService().replicas(4).resources('16', '64Gi').variant(variant('cpu').cpuOnly()).minSites(1);
    const pool = cpuPool('cpu').nodes(3).nodeCpu(64).shape({ nodes: 1, cpu: '40' }, { nodes: 2, cpu: '15' });
    // 40 cpu holds 2 replicas of 16; 15 cpu holds none.
    const d = distribute(svc.workload(), snapshotOf([makeSite('a').pool(pool)]));
    expect(d.assignments.map((a) => a.replicas)).toEqual([2]);
  });
});
