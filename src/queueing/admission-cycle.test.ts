import { describe, expect, it } from 'vitest';
import type { Queue } from '../api/generated/types.ts';
import { DEFAULT_PLACEMENT_CONFIG } from '../placement/config.ts';
import { gpuPool, makeInferenceService, makeSite, makeTrainingJob, snapshotOf, variant, type SiteBuilder } from '../placement/testing.ts';
import { inferenceWorkload, trainingWorkload } from '../placement/workload.ts';
import { admissionCycle, type Held, type QueuedWorkload, type Verdict } from './admission-cycle.ts';
import { queueInfo, type QueueInfo } from './queue-info.ts';

const NOW = 1_000_000_000;

function queue(name: string, spec: Partial<Queue['spec']> = {}): QueueInfo {
  return queueInfo({ apiVersion: 'suanwang.io/v1alpha1', kind: 'Queue', metadata: { name }, spec: { ...spec } });
}

interface Job {
  name: string;
  queue?: string;
  namespace?: string;
  priority?: number;
  /** seconds before NOW it was created (and has waited) */
  age?: number;
  workers?: number;
  gpus?: number;
  /** extra Ascend variant with this many NPUs per worker */
  ascend?: number;
  /** only the Ascend variant (no H100 one) */
  ascendOnly?: boolean;
  held?: Partial<Held> & { gpus: number };
  inference?: { min: number; gpus: number };
}

function job(j: Job): QueuedWorkload {
  const ns = j.namespace ?? 'team';
  const created = NOW - (j.age ?? 0) * 1000;
  if (j.inference !== undefined) {
    const isvc = makeInferenceService(j.name).variant(variant('gpu').nvidia('H100', j.inference.gpus)).obj();
    isvc.spec.replicas = { min: j.inference.min, max: j.inference.min };
    const w = inferenceWorkload(isvc);
    const units = w.ok ? { ok: true as const, value: { ...w.value, units: j.inference.min } } : w;
    const held: Held | undefined =
      j.held === undefined ? undefined : { queue: j.queue ?? 'default', charge: { 'nvidia.com/gpu': j.held.gpus }, preemptible: false, admittedMs: NOW - 60_000 };
    return {
      key: `InferenceService/${ns}/${j.name}`,
      kind: 'InferenceService',
      namespace: ns,
      name: j.name,
      queueName: j.queue ?? 'default',
      priority: j.priority ?? 0,
      createdMs: created,
      waitingSinceMs: created,
      workload: units,
      ...(held !== undefined && { held }),
    };
  }
  let b = makeTrainingJob(j.name).workers(j.workers ?? 1);
  if (j.ascendOnly !== true) b = b.variant(variant('h100').nvidia('H100', j.gpus ?? 1));
  if (j.ascend !== undefined) b = b.variant(variant('ascend').huawei('910', j.ascend));
  const held: Held | undefined =
    j.held === undefined
      ? undefined
      : {
          queue: j.held.queue ?? j.queue ?? 'default',
          charge: { 'nvidia.com/gpu': j.held.gpus, cpu: 8 * (j.workers ?? 1), memory: 64 * 2 ** 30 * (j.workers ?? 1) },
          site: j.held.site ?? 'sh',
          pool: j.held.pool ?? 'h100',
          preemptible: j.held.preemptible ?? true,
          admittedMs: j.held.admittedMs ?? NOW - 60_000,
        };
  return {
    key: `TrainingJob/${ns}/${j.name}`,
    kind: 'TrainingJob',
    namespace: ns,
    name: j.name,
    queueName: j.queue ?? 'default',
    priority: j.priority ?? 0,
    createdMs: created,
    waitingSinceMs: created,
    workload: trainingWorkload(b.obj()),
    ...(held !== undefined && { held }),
  };
}

/** h100Site has `nodes` nodes of 8 H100 each, `used` GPUs of them allocated. */
function h100Site(name: string, nodes: number, used = 0): SiteBuilder {
  const pool = gpuPool('h100').nvidia('NVIDIA-H100-80GB-HBM3', 8).nodes(nodes);
  if (used > 0) pool.allocated({ 'nvidia.com/gpu': String(used), cpu: String(8 * used), memory: `${64 * used}Gi` });
  return makeSite(name).pool(pool);
}

function ascendSite(name: string, nodes: number): SiteBuilder {
  return makeSite(name).pool(gpuPool('ascend').huawei('Ascend910B', 8).nodes(nodes));
}

/** summary renders a verdict as "Admit sh/h100", "Wait QuotaExceeded: ...", "Preempt by ...". */
function summary(v: Verdict | undefined): string {
  if (v === undefined) return 'none';
  if (v.kind === 'Admit') return v.placement === undefined ? `Admit ${JSON.stringify(v.charge)}` : `Admit ${v.placement.site}/${v.placement.variant}`;
  if (v.kind === 'Preempt') return `Preempt by ${v.by}`;
  return `Wait ${v.reason}`;
}

interface Case {
  name: string;
  queues: QueueInfo[];
  sites: SiteBuilder[];
  jobs: Job[];
  headOfLineMs?: number;
  preempting?: string[];
  want: Record<string, string>;
  /** substrings a verdict's message must hold */
  wantMessages?: Record<string, string>;
  /** the workloads an admission preempts */
  wantPreempting?: Record<string, string[]>;
  wantUsage?: Record<string, Record<string, number>>;
}

const CASES: Case[] = [
  {
    name: 'a job within its quota is admitted and placed in one decision',
    queues: [queue('research', { quota: { 'nvidia.com/gpu': '16' } })],
    sites: [h100Site('sh', 2)],
    jobs: [{ name: 'a', queue: 'research', workers: 1, gpus: 8 }],
    want: { a: 'Admit sh/h100' },
    wantUsage: { research: { 'nvidia.com/gpu': 8 } },
  },
  {
    name: 'quota left is too little: QuotaExceeded names the numbers',
    queues: [queue('research', { quota: { 'nvidia.com/gpu': '12' } })],
    sites: [h100Site('sh', 4)],
    jobs: [
      { name: 'running', queue: 'research', held: { gpus: 4 } },
      { name: 'a', queue: 'research', workers: 2, gpus: 8 },
    ],
    want: { a: 'Wait QuotaExceeded' },
    wantMessages: { a: 'needs 16 nvidia.com/gpu, queue research has 8 of 12 left' },
  },
  {
    name: 'the variant charged is the one that fits the queue: no H100 quota, Ascend quota',
    queues: [queue('research', { quota: { 'nvidia.com/gpu': '0', 'huawei.com/Ascend910': '16' } })],
    sites: [h100Site('sh', 2), ascendSite('gz', 2)],
    jobs: [{ name: 'a', queue: 'research', workers: 2, gpus: 8, ascend: 8 }],
    want: { a: 'Admit gz/ascend' },
    wantUsage: { research: { 'huawei.com/Ascend910': 16 } },
  },
  {
    name: 'a missing queue and a namespace not allowed wait with their reasons; default absent means no queue',
    queues: [queue('research', { namespaces: ['ml'] })],
    sites: [h100Site('sh', 2)],
    jobs: [
      { name: 'lost', queue: 'nope' },
      { name: 'outsider', queue: 'research', namespace: 'web' },
      { name: 'plain', queue: 'default' },
    ],
    want: { lost: 'Wait QueueNotFound', outsider: 'Wait NamespaceNotAllowed', plain: 'Admit sh/h100' },
    wantMessages: { lost: 'queue nope does not exist', outsider: 'namespace web may not use queue research (allowed: ml)' },
  },
  {
    name: 'within a queue: priority first, then age',
    queues: [queue('q')],
    sites: [h100Site('sh', 1)],
    jobs: [
      { name: 'old-low', queue: 'q', gpus: 8, age: 100, priority: 0 },
      { name: 'new-high', queue: 'q', gpus: 8, age: 1, priority: 10 },
      { name: 'older-low', queue: 'q', gpus: 8, age: 200, priority: 0 },
    ],
    want: { 'new-high': 'Admit sh/h100', 'older-low': 'Wait Unschedulable', 'old-low': 'Wait Unschedulable' },
  },
  {
    name: 'small work passes a gang that does not fit now',
    queues: [queue('q')],
    sites: [h100Site('sh', 2, 4)],
    jobs: [
      { name: 'gang', queue: 'q', workers: 2, gpus: 8, age: 10 },
      { name: 'small', queue: 'q', gpus: 2, age: 5 },
    ],
    want: { gang: 'Wait Unschedulable', small: 'Admit sh/h100' },
  },
  {
    name: 'past the head-of-line bound the gang holds the line: nothing behind it is admitted',
    queues: [queue('q')],
    sites: [h100Site('sh', 2, 4)],
    headOfLineMs: 60_000,
    jobs: [
      { name: 'gang', queue: 'q', workers: 2, gpus: 8, age: 120 },
      { name: 'small', queue: 'q', gpus: 2, age: 5 },
    ],
    want: { gang: 'Wait Unschedulable', small: 'Wait Queued' },
    wantMessages: { small: 'waiting behind team/gang' },
  },
  {
    name: 'past the head-of-line bound, work for other devices still passes the gang',
    queues: [queue('q')],
    sites: [h100Site('sh', 2, 4), ascendSite('gz', 1)],
    headOfLineMs: 60_000,
    jobs: [
      { name: 'gang', queue: 'q', workers: 2, gpus: 8, age: 120 },
      { name: 'small-gpu', queue: 'q', gpus: 2, age: 5 },
      { name: 'npu-only', queue: 'q', ascend: 8, ascendOnly: true, age: 4 },
    ],
    want: { gang: 'Wait Unschedulable', 'small-gpu': 'Wait Queued', 'npu-only': 'Admit gz/ascend' },
  },
  {
    name: 'past the head-of-line bound, the same devices in a pool the gang could never use still pass it',
    queues: [queue('q')],
    // bj's one H100 node can never hold the two-node gang: holding it idle would not free sh sooner.
    sites: [h100Site('sh', 2, 4), h100Site('bj', 1)],
    headOfLineMs: 60_000,
    jobs: [
      { name: 'gang', queue: 'q', workers: 2, gpus: 8, age: 120 },
      { name: 'small-a', queue: 'q', gpus: 2, age: 5 },
      { name: 'small-b', queue: 'q', gpus: 4, age: 4 },
      { name: 'small-c', queue: 'q', gpus: 4, age: 3 },
    ],
    want: { gang: 'Wait Unschedulable', 'small-a': 'Admit bj/h100', 'small-b': 'Admit bj/h100', 'small-c': 'Wait Queued' },
    wantMessages: { 'small-c': 'waiting behind team/gang' },
  },
  {
    name: 'a gang that could never fit does not hold the line, however long it waited',
    queues: [queue('q')],
    sites: [h100Site('sh', 2, 4)],
    headOfLineMs: 60_000,
    jobs: [
      { name: 'huge', queue: 'q', workers: 9, gpus: 8, age: 999 },
      { name: 'small', queue: 'q', gpus: 2, age: 5 },
    ],
    want: { huge: 'Wait Unschedulable', small: 'Admit sh/h100' },
  },
  {
    name: 'DRF: weights 1 and 3 split 8 contended GPUs 2 : 6',
    queues: [queue('a', { weight: 1 }), queue('b', { weight: 3 })],
    sites: [h100Site('sh', 1)],
    jobs: [
      ...[1, 2, 3, 4, 5, 6, 7, 8].map((i) => ({ name: `a${i}`, queue: 'a', gpus: 1, age: 100 - i })),
      ...[1, 2, 3, 4, 5, 6, 7, 8].map((i) => ({ name: `b${i}`, queue: 'b', gpus: 1, age: 100 - i })),
    ],
    want: {
      a1: 'Admit sh/h100', a2: 'Admit sh/h100', a3: 'Wait Unschedulable',
      b1: 'Admit sh/h100', b6: 'Admit sh/h100', b7: 'Wait Unschedulable',
    },
    wantUsage: { a: { 'nvidia.com/gpu': 2 }, b: { 'nvidia.com/gpu': 6 } },
  },
  {
    name: 'DRF tie: equal shares and weights go by queue name',
    queues: [queue('beta'), queue('alpha')],
    sites: [h100Site('sh', 1, 7)],
    jobs: [
      { name: 'from-beta', queue: 'beta', gpus: 1, age: 10 },
      { name: 'from-alpha', queue: 'alpha', gpus: 1, age: 1 },
    ],
    want: { 'from-alpha': 'Admit sh/h100', 'from-beta': 'Wait Unschedulable' },
  },
  {
    name: 'borrowing: above quota only within borrowingLimit, and only on idle capacity',
    queues: [queue('lender', { quota: { 'nvidia.com/gpu': '8' } }), queue('borrower', { quota: { 'nvidia.com/gpu': '4' }, borrowingLimit: { 'nvidia.com/gpu': '2' } })],
    sites: [h100Site('sh', 2)],
    jobs: [
      { name: 'b1', queue: 'borrower', gpus: 4, age: 3 },
      { name: 'b2', queue: 'borrower', gpus: 2, age: 2 },
      { name: 'b3', queue: 'borrower', gpus: 2, age: 1 },
    ],
    want: { b1: 'Admit sh/h100', b2: 'Admit sh/h100', b3: 'Wait QuotaExceeded' },
    wantMessages: { b3: 'queue borrower has 0 left (quota 4 + borrowing 2)' },
    wantUsage: { borrower: { 'nvidia.com/gpu': 6 } },
  },
  {
    name: 'LowerPriority: a higher-priority job preempts a lower one of its queue, and waits for it',
    queues: [queue('q', { quota: { 'nvidia.com/gpu': '8' }, preemptionPolicy: 'LowerPriority' })],
    sites: [h100Site('sh', 1, 8)],
    jobs: [
      { name: 'low', queue: 'q', priority: 0, gpus: 8, held: { gpus: 8 } },
      { name: 'high', queue: 'q', priority: 10, gpus: 8 },
    ],
    want: { low: 'Preempt by TrainingJob/team/high', high: 'Admit sh/h100' },
    wantMessages: { low: 'preempted by team/high (priority 10, queue q): lower priority (0) in queue q' },
    wantPreempting: { high: ['team/low'] },
  },
  {
    name: 'no preemption that would not make room: the victim frees 4 of the 16 needed',
    queues: [queue('q', { preemptionPolicy: 'LowerPriority' })],
    sites: [h100Site('sh', 2, 16)],
    jobs: [
      { name: 'low', queue: 'q', priority: 0, gpus: 4, held: { gpus: 4 } },
      { name: 'high', queue: 'q', priority: 10, workers: 2, gpus: 8 },
    ],
    want: { low: 'none', high: 'Wait Unschedulable' },
  },
  {
    name: 'preemption takes only the victims the fit needs, whatever the order it tried them in',
    queues: [queue('q', { preemptionPolicy: 'LowerPriority' })],
    sites: [h100Site('sh', 1, 8)],
    jobs: [
      // Tried first (lowest priority), but its 2 GPUs do not make room for 6; with the 6-GPU one they do, and then
      // the 6-GPU one alone is enough: the 2-GPU job keeps running.
      { name: 'tiny', queue: 'q', priority: 0, gpus: 2, held: { gpus: 2 } },
      { name: 'big', queue: 'q', priority: 1, gpus: 6, held: { gpus: 6 } },
      { name: 'high', queue: 'q', priority: 10, gpus: 6 },
    ],
    want: { tiny: 'none', big: 'Preempt by TrainingJob/team/high', high: 'Admit sh/h100' },
    wantPreempting: { high: ['team/big'] },
  },
  {
    name: 'a preempting queue only reclaims what it needs: one of two borrowed jobs',
    queues: [
      queue('owner', { quota: { 'nvidia.com/gpu': '8' }, preemptionPolicy: 'FairShare' }),
      queue('borrower', { quota: { 'nvidia.com/gpu': '0' }, borrowingLimit: { 'nvidia.com/gpu': '16' } }),
    ],
    sites: [h100Site('sh', 2, 16)],
    jobs: [
      { name: 'b1', queue: 'borrower', gpus: 8, held: { gpus: 8, queue: 'borrower', admittedMs: NOW - 120_000 } },
      { name: 'b2', queue: 'borrower', gpus: 8, held: { gpus: 8, queue: 'borrower', admittedMs: NOW - 60_000 } },
      { name: 'mine', queue: 'owner', gpus: 8 },
    ],
    want: { b1: 'none', b2: 'Preempt by TrainingJob/team/mine', mine: 'Admit sh/h100' },
  },
  {
    name: 'FairShare does not reclaim for a workload that would itself borrow',
    queues: [
      queue('owner', { quota: { 'nvidia.com/gpu': '4' }, borrowingLimit: { 'nvidia.com/gpu': '8' }, preemptionPolicy: 'FairShare' }),
      queue('borrower', { quota: { 'nvidia.com/gpu': '0' }, borrowingLimit: { 'nvidia.com/gpu': '8' } }),
    ],
    sites: [h100Site('sh', 1, 8)],
    jobs: [
      { name: 'borrowed', queue: 'borrower', gpus: 8, held: { gpus: 8, queue: 'borrower' } },
      { name: 'mine', queue: 'owner', gpus: 8 },
    ],
    want: { borrowed: 'none', mine: 'Wait Unschedulable' },
  },
  {
    name: 'Never: a higher-priority job only waits',
    queues: [queue('q', { quota: { 'nvidia.com/gpu': '8' } })],
    sites: [h100Site('sh', 1, 8)],
    jobs: [
      { name: 'low', queue: 'q', priority: 0, gpus: 8, held: { gpus: 8 } },
      { name: 'high', queue: 'q', priority: 10, gpus: 8 },
    ],
    want: { low: 'none', high: 'Wait QuotaExceeded' },
  },
  {
    name: 'FairShare: a queue within its quota takes back what another borrows',
    queues: [
      queue('owner', { quota: { 'nvidia.com/gpu': '8' }, preemptionPolicy: 'FairShare' }),
      queue('borrower', { quota: { 'nvidia.com/gpu': '0' }, borrowingLimit: { 'nvidia.com/gpu': '8' } }),
    ],
    sites: [h100Site('sh', 1, 8)],
    jobs: [
      { name: 'borrowed', queue: 'borrower', gpus: 8, held: { gpus: 8, queue: 'borrower' } },
      { name: 'mine', queue: 'owner', gpus: 8 },
    ],
    want: { borrowed: 'Preempt by TrainingJob/team/mine', mine: 'Admit sh/h100' },
    wantMessages: { borrowed: 'queue borrower borrows above its quota' },
    wantPreempting: { mine: ['team/borrowed'] },
  },
  {
    name: 'FairShare never takes from a queue at or below this one\'s share',
    queues: [queue('a', { preemptionPolicy: 'FairShare' }), queue('b')],
    sites: [h100Site('sh', 1, 8)],
    jobs: [
      { name: 'a-run', queue: 'a', gpus: 4, held: { gpus: 4, queue: 'a' } },
      { name: 'b-run', queue: 'b', gpus: 4, held: { gpus: 4, queue: 'b' } },
      { name: 'a-more', queue: 'a', gpus: 4 },
    ],
    want: { 'b-run': 'none', 'a-more': 'Wait Unschedulable' },
  },
  {
    name: 'InferenceService minimum replicas are charged, and never preempted',
    queues: [queue('q', { quota: { 'nvidia.com/gpu': '4' }, preemptionPolicy: 'LowerPriority' })],
    sites: [h100Site('sh', 1, 4)],
    jobs: [
      { name: 'svc', queue: 'q', inference: { min: 2, gpus: 1 } },
      { name: 'old-svc', queue: 'q', inference: { min: 2, gpus: 1 }, held: { gpus: 2, preemptible: false } },
      { name: 'high', queue: 'q', priority: 10, gpus: 4 },
    ],
    want: { svc: 'Admit {"cpu":16,"memory":137438953472,"nvidia.com/gpu":2}', 'old-svc': 'none', high: 'Wait QuotaExceeded' },
  },
  {
    name: 'a quota lowered below usage admits nothing new above it and stops nothing (policy Never)',
    queues: [queue('q', { quota: { 'nvidia.com/gpu': '4' } })],
    sites: [h100Site('sh', 2, 8)],
    jobs: [
      { name: 'running', queue: 'q', gpus: 8, held: { gpus: 8 } },
      { name: 'small', queue: 'q', gpus: 1 },
    ],
    want: { running: 'none', small: 'Wait QuotaExceeded' },
    wantMessages: { small: 'needs 1 nvidia.com/gpu, queue q has 0 of 4 left' },
    wantUsage: { q: { 'nvidia.com/gpu': 8 } },
  },
  {
    name: 'held by a queue that no longer exists: its workloads keep running; new ones wait for the queue',
    queues: [],
    sites: [h100Site('sh', 2, 8)],
    jobs: [
      { name: 'running', queue: 'gone', gpus: 8, held: { gpus: 8, queue: 'gone' } },
      { name: 'next', queue: 'gone', gpus: 1 },
    ],
    want: { running: 'none', next: 'Wait QueueNotFound' },
  },
  {
    name: 'a workload already being preempted no longer counts against its queue',
    queues: [queue('q', { quota: { 'nvidia.com/gpu': '8' } })],
    sites: [h100Site('sh', 2, 8)],
    preempting: ['TrainingJob/team/leaving'],
    jobs: [
      { name: 'leaving', queue: 'q', gpus: 8, held: { gpus: 8 } },
      { name: 'next', queue: 'q', gpus: 8 },
    ],
    want: { next: 'Admit sh/h100' },
  },
];

describe('admissionCycle', () => {
  it('times every waiting workload’s look once, and only while it is looked at', () => {
    const workloads = [job({ name: 'a', gpus: 8 }), job({ name: 'b', gpus: 8 }), job({ name: 'svc', inference: { min: 1, gpus: 1 } })];
    const looks: string[] = [];
    let open = 0;
    admissionCycle({
      queues: new Map(),
      workloads,
      snapshot: snapshotOf([h100Site('sh', 1)]),
      config: DEFAULT_PLACEMENT_CONFIG,
      now: NOW,
      timeLook: (kind) => {
        looks.push(kind);
        open += 1;
        return () => (open -= 1);
      },
    });
    expect(looks.sort()).toEqual(['InferenceService', 'TrainingJob', 'TrainingJob']);
    expect(open).toBe(0);
  });

  it.each(CASES)('$name', (c) => {
    const workloads = c.jobs.map(job);
    const result = admissionCycle({
      queues: new Map(c.queues.map((q) => [q.name, q])),
      workloads,
      // Each job has been first in its queue since it was created (the ledger keeps this across cycles).
      headSince: new Map(workloads.map((w) => [w.key, w.createdMs])),
      snapshot: snapshotOf(c.sites),
      config: DEFAULT_PLACEMENT_CONFIG,
      now: NOW,
      ...(c.headOfLineMs !== undefined && { headOfLineMs: c.headOfLineMs }),
      ...(c.preempting !== undefined && { preempting: new Set(c.preempting) }),
    });
    const byName = (name: string): Verdict | undefined =>
      result.verdicts.get(`TrainingJob/team/${name}`) ?? result.verdicts.get(`TrainingJob/web/${name}`) ?? result.verdicts.get(`InferenceService/team/${name}`);
    const got = Object.fromEntries(Object.keys(c.want).map((name) => [name, summary(byName(name))]));
    expect(got).toEqual(c.want);
    for (const [name, text] of Object.entries(c.wantMessages ?? {})) {
      const v = byName(name);
      expect(v && v.kind !== 'Admit' ? v.message : '', name).toContain(text);
    }
    for (const [name, victims] of Object.entries(c.wantPreempting ?? {})) {
      const v = byName(name);
      expect(v?.kind === 'Admit' ? v.preempting : undefined, name).toEqual(victims);
    }
    for (const [q, usage] of Object.entries(c.wantUsage ?? {})) {
      const got = result.queues.get(q)?.usage ?? {};
      for (const [r, n] of Object.entries(usage)) expect(got[r], `${q} ${r}`).toBeCloseTo(n);
    }
  });

  it('is deterministic: the same input gives the same verdicts', () => {
    const c = CASES.find((x) => x.name.startsWith('DRF: weights'))!;
    const input = () => ({
      queues: new Map(c.queues.map((q) => [q.name, q])),
      workloads: c.jobs.map(job),
      snapshot: snapshotOf(c.sites),
      config: DEFAULT_PLACEMENT_CONFIG,
      now: NOW,
    });
    expect([...admissionCycle(input()).verdicts]).toEqual([...admissionCycle(input()).verdicts]);
  });
});
