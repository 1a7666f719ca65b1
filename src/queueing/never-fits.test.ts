// The admission cycle's "never" (kstatus: Stalled, not waiting): a workload that could not fit the federation as
// built under its queue's unused quota — not one that merely does not fit now, with sites busy, down or cordoned.
import { describe, expect, it } from 'vitest';
import type { Queue } from '../api/generated/types.ts';
import { DEFAULT_PLACEMENT_CONFIG } from '../placement/config.ts';
import { gpuPool, makeSite, makeTrainingJob, snapshotOf, variant, type SiteBuilder } from '../placement/testing.ts';
import { trainingWorkload } from '../placement/workload.ts';
import { admissionCycle, type QueuedWorkload } from './admission-cycle.ts';
import { queueInfo } from './queue-info.ts';

const NOW = 1_000_000_000;
const h100 = (used = 0) => gpuPool('h100').nvidia('NVIDIA-H100-80GB-HBM3', 8).nodes(2).allocated({ 'nvidia.com/gpu': String(used) });

function training(name: string, workers: number): QueuedWorkload {
  const tj = makeTrainingJob(name).workers(workers).variant(variant('h100').nvidia('H100', 8)).obj();
  return { key: `TrainingJob/team/${name}`, kind: 'TrainingJob', namespace: 'team', name, queueName: 'q', priority: 0, createdMs: NOW, waitingSinceMs: NOW, workload: trainingWorkload(tj) };
}

function never(sites: SiteBuilder[], workers: number, quotaGpus = 64): boolean | undefined {
  const q: Queue = { apiVersion: 'suanwang.io/v1alpha1', kind: 'Queue', metadata: { name: 'q' }, spec: { quota: { 'nvidia.com/gpu': String(quotaGpus) } } };
  const { verdicts } = admissionCycle({ queues: new Map([['q', queueInfo(q)]]), workloads: [training('j', workers)], snapshot: snapshotOf(sites), config: DEFAULT_PLACEMENT_CONFIG, now: NOW });
  const v = verdicts.get('TrainingJob/team/j');
  if (v?.kind !== 'Wait') throw new Error(`expected a Wait verdict, got ${JSON.stringify(v)}`);
  return v.never;
}

describe('admission cycle: not now, or never', () => {
  const cases: ReadonlyArray<{ name: string; sites: () => SiteBuilder[]; workers: number; quota?: number; wantNever: boolean }> = [
    { name: 'every device busy', sites: () => [makeSite('sh').pool(h100(16))], workers: 2, wantNever: false },
    { name: 'the only site not Ready', sites: () => [makeSite('sh').notReady('LeaseExpired').pool(h100())], workers: 2, wantNever: false },
    { name: 'the only site cordoned', sites: () => [makeSite('sh').cordon().pool(h100())], workers: 2, wantNever: false },
    { name: 'more workers than any site holds', sites: () => [makeSite('sh').pool(h100()), makeSite('bj').pool(h100())], workers: 3, wantNever: true },
    { name: '1,000 workers on a site that is down', sites: () => [makeSite('sh').notReady('SiteLost', 'False').pool(h100())], workers: 1000, wantNever: true },
    { name: 'more than the queue\'s whole quota', sites: () => [makeSite('sh').pool(h100())], workers: 2, quota: 8, wantNever: true },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(never(c.sites(), c.workers, c.quota) === true).toBe(c.wantNever);
    });
  }
});
