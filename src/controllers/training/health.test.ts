// A TrainingJob's GitOps health (Ready, Reconciling, Stalled) in every state, through the same status code the
// controller runs: kstatus reads Reconciling=True as InProgress, Stalled=True as Failed, else Ready=True as Current.
import { describe, expect, it } from 'vitest';
import type { PlacementRecord, TrainingJob } from '../../api/generated/types.ts';
import { DEFAULT_PLACEMENT_CONFIG } from '../../placement/config.ts';
import { gpuPool, makeSite } from '../../placement/testing.ts';
import { findCondition } from '../../runtime/conditions.ts';
import { decideTraining } from './decide.ts';
import { nextStatus, type StatusUpdate } from './status.ts';
import { makeTrainingJob, memberJob, variant } from './testing.ts';

const T0 = Date.UTC(2026, 0, 1, 8, 0, 0);
const at = (s: number): Date => new Date(T0 + s * 1000);
const noFit: PlacementRecord = { message: '0/1 sites fit: a: needs 16 nvidia.com/gpu, 8 free', candidates: [{ site: 'a', verdict: 'Rejected', reasons: ['needs 16 nvidia.com/gpu, 8 free'] }] };
const placedOn: StatusUpdate = { kind: 'Placed', decision: { site: 'a', variant: 'h100', epoch: 1 }, record: { message: 'placed on a (variant h100, score 90)' } };
const observed = (b: ReturnType<typeof memberJob>): StatusUpdate => ({ kind: 'Observed', job: b.obj() });

function job(workers = 2): TrainingJob {
  return makeTrainingJob('train').workers(workers).generation(1).variant(variant('h100').nvidia('H100', 8)).obj();
}

/** walk applies updates one second apart and returns the job as the next reconcile reads it. */
function walk(...updates: StatusUpdate[]): TrainingJob {
  let tj = job();
  for (const [i, u] of updates.entries()) tj = { ...tj, status: nextStatus(tj, u, at(i)) };
  return tj;
}

/** health is what kstatus and the Argo CD check read: Ready, and the abnormal-true condition present, if any. */
function health(tj: TrainingJob) {
  const c = (type: string) => findCondition(tj.status?.conditions, type);
  return {
    ready: `${c('Ready')?.status}/${c('Ready')?.reason}`,
    reconciling: c('Reconciling') === undefined ? undefined : `${c('Reconciling')?.status}/${c('Reconciling')?.reason}`,
    stalled: c('Stalled') === undefined ? undefined : `${c('Stalled')?.status}/${c('Stalled')?.reason}`,
  };
}

describe('TrainingJob health: in progress, current, failed', () => {
  const cases: ReadonlyArray<{ name: string; tj: () => TrainingJob; wantReady: string; wantReconciling?: string; wantStalled?: string }> = [
    {
      name: 'no room now: in progress',
      tj: () => walk({ kind: 'Unschedulable', record: noFit }),
      wantReady: 'False/Unschedulable',
      wantReconciling: 'True/Unschedulable',
    },
    {
      name: 'never fits the federation as built: failed',
      tj: () => walk({ kind: 'Unschedulable', record: noFit, never: true }),
      wantReady: 'False/NeverFits',
      wantStalled: 'True/NeverFits',
    },
    {
      name: 'waiting in its queue: in progress, with the queue\'s reason',
      tj: () => walk({ kind: 'Waiting', reason: 'QuotaExceeded', message: 'needs 16 nvidia.com/gpu, queue has 8 left', record: noFit }),
      wantReady: 'False/QuotaExceeded',
      wantReconciling: 'True/QuotaExceeded',
    },
    {
      name: 'its queue could never admit it: failed',
      tj: () => walk({ kind: 'Waiting', reason: 'QuotaExceeded', message: 'needs 8000 nvidia.com/gpu, quota 64', record: noFit, never: true }),
      wantReady: 'False/NeverFits',
      wantStalled: 'True/NeverFits',
    },
    {
      name: 'never fits, then an update that does not look at fit: still failed',
      tj: () => walk({ kind: 'Unschedulable', record: noFit, never: true }, { kind: 'Observed', job: undefined }),
      wantReady: 'False/NeverFits',
      wantStalled: 'True/NeverFits',
    },
    {
      name: 'never fits, then a site joins that holds it: in progress again',
      tj: () => walk({ kind: 'Unschedulable', record: noFit, never: true }, { kind: 'Unschedulable', record: noFit }),
      wantReady: 'False/Unschedulable',
      wantReconciling: 'True/Unschedulable',
    },
    { name: 'placed, members being created: in progress', tj: () => walk(placedOn), wantReady: 'False/SiteSelected', wantReconciling: 'True/SiteSelected' },
    {
      name: 'workers starting: in progress',
      tj: () => walk(placedOn, observed(memberJob().active(2).ready(1))),
      wantReady: 'False/WorkersStarting',
      wantReconciling: 'True/WorkersStarting',
    },
    {
      name: 'running: in progress (a training job is done when it succeeds)',
      tj: () => walk(placedOn, observed(memberJob().active(2).ready(2))),
      wantReady: 'False/WorkersRunning',
      wantReconciling: 'True/WorkersRunning',
    },
    {
      name: 'site lost, restarting elsewhere: in progress',
      tj: () => walk(placedOn, { kind: 'Unplaced', outcome: 'SiteLost', message: 'site a lost' }),
      wantReady: 'False/SiteLost',
      wantReconciling: 'True/SiteLost',
    },
    {
      name: 'preempted by its queue: in progress (waits to be admitted again)',
      tj: () => walk(placedOn, { kind: 'Preempted', message: 'preempted by default/big' }),
      wantReady: 'False/Preempted',
      wantReconciling: 'True/Preempted',
    },
    { name: 'succeeded: current', tj: () => walk(placedOn, observed(memberJob().succeeded(2).complete())), wantReady: 'True/Completed' },
    {
      name: 'member Job failed: failed',
      tj: () => walk(placedOn, observed(memberJob().failed('BackoffLimitExceeded', 'Job has reached the specified backoff limit'))),
      wantReady: 'False/BackoffLimitExceeded',
      wantStalled: 'True/BackoffLimitExceeded',
    },
    {
      name: 'failover limit reached: failed',
      tj: () => walk(placedOn, { kind: 'FailoverLimitExceeded', message: 'site a lost; no failovers left' }),
      wantReady: 'False/FailoverLimitExceeded',
      wantStalled: 'True/FailoverLimitExceeded',
    },
    { name: 'suspended: neither (Ready=False alone; Argo CD: Suspended)', tj: () => walk(placedOn, { kind: 'Suspended' }), wantReady: 'False/Suspended' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(health(c.tj())).toEqual({ ready: c.wantReady, reconciling: c.wantReconciling, stalled: c.wantStalled });
    });
  }

  it('says why a job never fits, with the queue\'s numbers when it is the queue that says no', () => {
    const tj = walk({ kind: 'Waiting', reason: 'QuotaExceeded', message: 'needs 8000 nvidia.com/gpu, quota 64', record: noFit, never: true });
    expect(findCondition(tj.status?.conditions, 'Stalled')?.message).toBe(
      "can never fit the federation as built (every site Ready and idle, nothing of its queue's quota used): needs 8000 nvidia.com/gpu, quota 64",
    );
  });

  it('a job that finished before health was written gets it once; after that only observedGeneration moves', () => {
    const finished = walk(placedOn, observed(memberJob().succeeded(2).complete()));
    const old: TrainingJob = { ...finished, status: { ...finished.status, conditions: (finished.status?.conditions ?? []).filter((c) => c.type !== 'Ready') } };
    const upgraded = { ...old, status: nextStatus(old, observed(memberJob()), at(100)) };
    expect(health(upgraded).ready).toBe('True/Completed');
    const edited = { ...upgraded, metadata: { ...upgraded.metadata, generation: 2 } };
    expect(nextStatus(edited, observed(memberJob()), at(200))).toEqual({ ...upgraded.status, observedGeneration: 2 });
  });
});

describe('decideTraining: not now, or never', () => {
  // One site of 2 nodes × 8 H100, all in use now.
  const busy = makeSite('a').pool(gpuPool('h100').nvidia('NVIDIA-H100-80GB-HBM3', 8).nodes(2).allocated({ 'nvidia.com/gpu': '16' })).obj();
  const decide = (workers: number) =>
    decideTraining({
      tj: { ...job(workers), metadata: { ...job(workers).metadata, uid: 'uid-1' } },
      sites: [busy],
      members: { kind: 'None' },
      discover: () => [],
      promised: {},
      config: DEFAULT_PLACEMENT_CONFIG,
      graceMs: 60_000,
      pollMs: 10_000,
      pendingMs: 10_000,
      now: T0,
    });

  const withStatus = (tj: TrainingJob, status: TrainingJob['status']): TrainingJob => (status === undefined ? tj : { ...tj, status });

  it('2 workers on a busy site that holds 2: waiting for capacity, in progress', () => {
    const tj = withStatus(job(2), decide(2).status);
    expect(health(tj)).toEqual({ ready: 'False/Unschedulable', reconciling: 'True/Unschedulable', stalled: undefined });
  });

  it('1,000 workers where the whole federation holds 2: failed', () => {
    const tj = withStatus(job(1000), decide(1000).status);
    expect(health(tj)).toEqual({ ready: 'False/NeverFits', reconciling: undefined, stalled: 'True/NeverFits' });
    expect(tj.status?.phase).toBe('Pending');
  });
});
