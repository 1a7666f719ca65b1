import { describe, expect, it } from 'vitest';
import type { PlacementRecord, TrainingJob } from '../../api/generated/types.ts';
import { findCondition } from '../../runtime/conditions.ts';
import { nextStatus, statusChanged, WAIT_EXPLANATION_REFRESH_MS, type StatusUpdate } from './status.ts';
import { makeTrainingJob, memberJob, variant } from './testing.ts';

const T0 = Date.UTC(2026, 0, 1, 8, 0, 0);
const at = (seconds: number) => new Date(T0 + seconds * 1000);
const iso = (seconds: number) => at(seconds).toISOString().replace('.000Z', 'Z');

const placedRecord: PlacementRecord = {
  message: 'placed on guizhou (variant ascend910b, score 94)',
  candidates: [{ site: 'guizhou', verdict: 'Selected', variant: 'ascend910b', score: 94 }],
};
const noFit: PlacementRecord = {
  message: '0/1 sites fit: guizhou: needs 16 huawei.com/Ascend910, 8 free',
  candidates: [{ site: 'guizhou', verdict: 'Rejected', reasons: ['needs 16 huawei.com/Ascend910, 8 free'] }],
};
const placedOn = (site: string, epoch: number): StatusUpdate => ({
  kind: 'Placed',
  decision: { site, variant: 'ascend910b', epoch },
  record: { ...placedRecord, message: `placed on ${site} (variant ascend910b, score 94)` },
});
const observed = (job: ReturnType<typeof memberJob>): StatusUpdate => ({ kind: 'Observed', job: job.obj() });

function job(): TrainingJob {
  return makeTrainingJob('train').workers(2).generation(1).variant(variant('ascend910b').huawei('Ascend910B', 8)).obj();
}

/** step applies an update at second `s` and returns the job with its new status, as the next reconcile reads it. */
function step(tj: TrainingJob, update: StatusUpdate, s: number): TrainingJob {
  return { ...tj, status: nextStatus(tj, update, at(s)) };
}

function cond(tj: TrainingJob, type: string) {
  return findCondition(tj.status?.conditions, type);
}

describe('nextStatus: phase transitions', () => {
  it('Pending when no site fits, with the record and the reason', () => {
    const tj = step(job(), { kind: 'Unschedulable', record: noFit }, 0);
    expect(tj.status).toMatchObject({ phase: 'Pending', observedGeneration: 1, placement: { ...noFit, decisionTime: iso(0) } });
    expect(tj.status?.placement?.epoch).toBeUndefined();
    expect(tj.status?.site).toBeUndefined();
    expect(cond(tj, 'Placed')).toEqual({
      type: 'Placed',
      status: 'False',
      observedGeneration: 1,
      lastTransitionTime: iso(0),
      reason: 'Unschedulable',
      message: noFit.message,
    });
  });

  it('Pending → Placed → Running → Succeeded, recording the attempt and the times', () => {
    let tj = step(job(), { kind: 'Unschedulable', record: noFit }, 0);
    tj = step(tj, placedOn('guizhou', 1), 10);
    expect(tj.status).toMatchObject({
      phase: 'Placed',
      site: 'guizhou',
      variant: 'ascend910b',
      placement: { epoch: 1, decisionTime: iso(10), message: 'placed on guizhou (variant ascend910b, score 94)' },
      attempts: [{ site: 'guizhou', variant: 'ascend910b', epoch: 1, startTime: iso(10), outcome: 'Running' }],
    });
    // Decided, but the member objects are not there yet: Placed stays False until the Job is seen.
    expect(cond(tj, 'Placed')).toMatchObject({ status: 'False', reason: 'SiteSelected', lastTransitionTime: iso(0) });

    tj = step(tj, observed(memberJob().active(2).ready(0)), 20);
    expect(tj.status).toMatchObject({ phase: 'Placed', startTime: iso(20) });
    expect(cond(tj, 'Placed')).toMatchObject({ status: 'True', reason: 'SiteSelected', lastTransitionTime: iso(20) });
    expect(cond(tj, 'Running')).toMatchObject({ status: 'False', reason: 'WorkersStarting', message: '0/2 workers ready' });

    tj = step(tj, observed(memberJob().active(2).ready(2)), 30);
    expect(tj.status?.phase).toBe('Running');
    expect(cond(tj, 'Running')).toMatchObject({ status: 'True', reason: 'WorkersRunning', lastTransitionTime: iso(30) });
    expect(cond(tj, 'Placed')?.lastTransitionTime).toBe(iso(20));

    tj = step(tj, observed(memberJob().succeeded(2).complete()), 40);
    expect(tj.status).toMatchObject({ phase: 'Succeeded', startTime: iso(20), completionTime: iso(40) });
    expect(tj.status?.attempts).toEqual([
      { site: 'guizhou', variant: 'ascend910b', epoch: 1, startTime: iso(10), endTime: iso(40), outcome: 'Succeeded', message: 'all 2 workers completed' },
    ]);
    expect(cond(tj, 'Succeeded')).toMatchObject({ status: 'True', reason: 'Completed', lastTransitionTime: iso(40) });
    expect(cond(tj, 'Running')).toMatchObject({ status: 'False', reason: 'Completed' });
    expect(cond(tj, 'Failed')).toBeUndefined();
  });

  it('Failed when the member Job failed, with its reason in the message', () => {
    let tj = step(job(), placedOn('guizhou', 1), 0);
    tj = step(tj, observed(memberJob().active(2).ready(2)), 10);
    tj = step(tj, observed(memberJob().failed('BackoffLimitExceeded', 'Job has reached the specified backoff limit')), 20);
    const message = 'member Job failed: BackoffLimitExceeded: Job has reached the specified backoff limit';
    expect(tj.status).toMatchObject({ phase: 'Failed', completionTime: iso(20) });
    expect(tj.status?.attempts?.[0]).toMatchObject({ outcome: 'Failed', endTime: iso(20), message });
    expect(cond(tj, 'Failed')).toMatchObject({ status: 'True', reason: 'BackoffLimitExceeded', message });
    expect(cond(tj, 'Succeeded')).toBeUndefined();
  });

  it('counts active pods as running on a site that does not report ready ones', () => {
    let tj = step(job(), placedOn('guizhou', 1), 0);
    tj = step(tj, observed(memberJob().active(2)), 10);
    expect(tj.status?.phase).toBe('Running');
  });

  it('goes back to Placed when a worker stops being ready, and to Running again', () => {
    let tj = step(job(), placedOn('guizhou', 1), 0);
    tj = step(tj, observed(memberJob().active(2).ready(2)), 10);
    tj = step(tj, observed(memberJob().active(2).ready(1)), 20);
    expect(tj.status?.phase).toBe('Placed');
    expect(cond(tj, 'Running')).toMatchObject({ status: 'False', message: '1/2 workers ready', lastTransitionTime: iso(20) });
    tj = step(tj, observed(memberJob().active(2).ready(2)), 30);
    expect(tj.status?.phase).toBe('Running');
  });

  it('stays Running while the last workers run after the first ones finished, until the Job completes', () => {
    let tj = step(job(), placedOn('guizhou', 1), 0);
    tj = step(tj, observed(memberJob().active(2).ready(2)), 10);
    tj = step(tj, observed(memberJob().active(1).ready(1).succeeded(1)), 20);
    expect(tj.status?.phase).toBe('Running');
    // All pods done, the Job controller has not set Complete yet: not back to Placed.
    tj = step(tj, observed(memberJob().active(0).ready(0).succeeded(2)), 30);
    expect(tj.status?.phase).toBe('Running');
    expect(cond(tj, 'Running')).toMatchObject({ status: 'True', lastTransitionTime: iso(10) });
    tj = step(tj, observed(memberJob().succeeded(2).complete()), 40);
    expect(tj.status?.phase).toBe('Succeeded');
  });

  it('Suspended closes the attempt and forgets the site, keeping the epoch for the next placement', () => {
    let tj = step(job(), placedOn('guizhou', 1), 0);
    tj = step(tj, observed(memberJob().active(2).ready(2)), 10);
    tj = step(tj, { kind: 'Suspended' }, 20);
    expect(tj.status?.phase).toBe('Suspended');
    expect(tj.status?.site).toBeUndefined();
    expect(tj.status?.variant).toBeUndefined();
    expect(tj.status?.placement?.epoch).toBe(1);
    expect(tj.status?.attempts?.[0]).toMatchObject({ outcome: 'Suspended', endTime: iso(20) });
    expect(cond(tj, 'Placed')).toMatchObject({ status: 'False', reason: 'Suspended' });
    expect(cond(tj, 'Running')).toMatchObject({ status: 'False', reason: 'Suspended' });

    tj = step(tj, placedOn('guizhou', 2), 30);
    expect(tj.status).toMatchObject({ phase: 'Placed', site: 'guizhou', placement: { epoch: 2 } });
    expect(tj.status?.attempts).toHaveLength(2);
    expect(tj.status?.failovers).toBeUndefined();
  });

  it('a lost site ends the attempt (Restarting); placing elsewhere counts a failover', () => {
    let tj = step(job(), placedOn('shanghai', 1), 0);
    tj = step(tj, observed(memberJob().active(2).ready(2)), 10);
    tj = step(tj, { kind: 'Unplaced', outcome: 'SiteLost', message: 'site shanghai was removed from the federation' }, 20);
    expect(tj.status?.phase).toBe('Restarting');
    expect(tj.status?.site).toBeUndefined();
    expect(cond(tj, 'Placed')).toMatchObject({ status: 'False', reason: 'SiteLost' });
    expect(tj.status?.attempts?.[0]).toMatchObject({ outcome: 'SiteLost', endTime: iso(20) });

    tj = step(tj, placedOn('guizhou', 2), 20);
    expect(tj.status).toMatchObject({ phase: 'Placed', site: 'guizhou', failovers: 1, placement: { epoch: 2 } });
    expect(tj.status?.attempts?.map((a) => [a.site, a.epoch, a.outcome])).toEqual([
      ['shanghai', 1, 'SiteLost'],
      ['guizhou', 2, 'Running'],
    ]);
    // Running was True at 10; it is False since the site was lost.
    expect(cond(tj, 'Running')).toMatchObject({ status: 'False', lastTransitionTime: iso(20) });
  });

  it('MemberCreateFailed keeps the placement and says why in the Placed condition', () => {
    let tj = step(job(), placedOn('guizhou', 1), 0);
    tj = step(tj, { kind: 'MemberCreateFailed', message: 'creating member objects on guizhou failed: Forbidden' }, 10);
    expect(tj.status).toMatchObject({ phase: 'Placed', site: 'guizhou', placement: { epoch: 1 } });
    expect(cond(tj, 'Placed')).toMatchObject({ status: 'False', reason: 'MemberCreateFailed', lastTransitionTime: iso(0) });
  });

  it('a finished job stays finished whatever is observed later; only observedGeneration follows', () => {
    let tj = step(job(), placedOn('guizhou', 1), 0);
    tj = step(tj, observed(memberJob().complete()), 10);
    const done = tj.status;
    for (const u of [observed(memberJob()), { kind: 'Suspended' } as const, placedOn('beijing', 2), { kind: 'Unschedulable', record: noFit } as const]) {
      expect(statusChanged(done, nextStatus(tj, u, at(100)))).toBe(false);
    }
    const edited = { ...tj, metadata: { ...tj.metadata, generation: 2 } };
    expect(nextStatus(edited, observed(memberJob()), at(100))).toEqual({ ...done, observedGeneration: 2 });
  });
});

describe('nextStatus: no change, no write', () => {
  it('the same observation later changes nothing (times stay, statusChanged is false)', () => {
    let tj = step(job(), placedOn('guizhou', 1), 0);
    tj = step(tj, observed(memberJob().active(2).ready(2)), 10);
    const again = nextStatus(tj, observed(memberJob().active(2).ready(2)), at(500));
    expect(statusChanged(tj.status, again)).toBe(false);
  });

  it('the same unschedulable verdict later changes nothing; a different one is a new decision', () => {
    const tj = step(job(), { kind: 'Unschedulable', record: noFit }, 0);
    expect(statusChanged(tj.status, nextStatus(tj, { kind: 'Unschedulable', record: noFit }, at(60)))).toBe(false);
    const other = { ...noFit, message: '0/1 sites fit: guizhou: not ready' };
    const changed = nextStatus(tj, { kind: 'Unschedulable', record: other }, at(60));
    expect(statusChanged(tj.status, changed)).toBe(true);
    expect(changed.placement?.decisionTime).toBe(iso(60));
    // Still not placed: the condition's status did not move, so neither does its transition time.
    expect(findCondition(changed.conditions, 'Placed')?.lastTransitionTime).toBe(iso(0));
  });

  it('a waiting job whose explanation only changes its numbers is rewritten at most every refresh period', () => {
    const tj = step(job(), { kind: 'Unschedulable', record: noFit }, 0);
    const fewer: PlacementRecord = {
      message: '0/1 sites fit: guizhou: needs 16 huawei.com/Ascend910, 4 free',
      candidates: [{ site: 'guizhou', verdict: 'Rejected', reasons: ['needs 16 huawei.com/Ascend910, 4 free'] }],
    };
    const soon = nextStatus(tj, { kind: 'Unschedulable', record: fewer }, at(WAIT_EXPLANATION_REFRESH_MS / 1000 - 1));
    expect(statusChanged(tj.status, soon)).toBe(false);
    const later = nextStatus(tj, { kind: 'Unschedulable', record: fewer }, at(WAIT_EXPLANATION_REFRESH_MS / 1000));
    expect(statusChanged(tj.status, later)).toBe(true);
    expect(later.placement).toMatchObject({ message: fewer.message, decisionTime: iso(WAIT_EXPLANATION_REFRESH_MS / 1000) });
    expect(findCondition(later.conditions, 'Placed')?.message).toBe(fewer.message);
    // A new reason, or another verdict for a site, is written at once.
    expect(statusChanged(tj.status, nextStatus(tj, { kind: 'Unschedulable', record: fewer, reason: 'NoSiteReady' }, at(1)))).toBe(true);
    // Another kind of reason, numbers aside, is news too: the devices are free, but split over nodes.
    const split: PlacementRecord = {
      message: "0/1 sites fit: guizhou: pool ascend910b's free capacity holds 0 workers node by node, needs 1",
      candidates: [{ site: 'guizhou', verdict: 'Rejected', reasons: ["pool ascend910b's free capacity holds 0 workers node by node, needs 1"] }],
    };
    expect(statusChanged(tj.status, nextStatus(tj, { kind: 'Unschedulable', record: split }, at(1)))).toBe(true);
    const feasible: PlacementRecord = { ...fewer, candidates: [{ site: 'guizhou', verdict: 'Feasible', variant: 'ascend910b', score: 50 }] };
    expect(statusChanged(tj.status, nextStatus(tj, { kind: 'Unschedulable', record: feasible }, at(1)))).toBe(true);
  });

  it('a queued job keeps its Admitted message with its kept explanation, and takes an actionable reason at once', () => {
    const tj = step(job(), { kind: 'Waiting', reason: 'QuotaExceeded', message: 'needs 16 huawei.com/Ascend910, queue q has 8 of 32 left', record: noFit }, 0);
    const fewer: PlacementRecord = { ...noFit, message: '0/1 sites fit: guizhou: needs 16 huawei.com/Ascend910, 2 free' };
    const soon = nextStatus(tj, { kind: 'Waiting', reason: 'QuotaExceeded', message: 'needs 16 huawei.com/Ascend910, queue q has 4 of 32 left', record: fewer }, at(5));
    expect(statusChanged(tj.status, soon)).toBe(false);
    // Quota and capacity both short: which one is named flips as the queue's own jobs come and go; held alike.
    const flipped = nextStatus(tj, { kind: 'Waiting', reason: 'Unschedulable', message: fewer.message ?? '', record: fewer }, at(5));
    expect(statusChanged(tj.status, flipped)).toBe(false);
    const later = nextStatus(tj, { kind: 'Waiting', reason: 'Unschedulable', message: fewer.message ?? '', record: fewer }, at(WAIT_EXPLANATION_REFRESH_MS / 1000));
    expect(findCondition(later.conditions, 'Admitted')).toMatchObject({ reason: 'Unschedulable', message: fewer.message });
    expect(findCondition(later.conditions, 'Placed')).toMatchObject({ reason: 'Unschedulable', message: fewer.message });
    // A reason the user can act on is written at once.
    const gone = nextStatus(tj, { kind: 'Waiting', reason: 'QueueNotFound', message: 'queue q does not exist' }, at(5));
    expect(findCondition(gone.conditions, 'Admitted')).toMatchObject({ reason: 'QueueNotFound', message: 'queue q does not exist' });
  });

  it('a waiting observation right after placement changes nothing', () => {
    const tj = step(job(), placedOn('guizhou', 1), 0);
    expect(statusChanged(tj.status, nextStatus(tj, { kind: 'Observed', job: undefined }, at(5)))).toBe(false);
  });

  it('statusChanged sees any difference, including a removed field', () => {
    const tj = step(job(), placedOn('guizhou', 1), 0);
    const { site: _site, ...withoutSite } = tj.status ?? {};
    expect(statusChanged(tj.status, withoutSite)).toBe(true);
    expect(statusChanged(undefined, {})).toBe(false);
  });

  it('does not modify its input', () => {
    const tj = step(job(), placedOn('guizhou', 1), 0);
    const before = structuredClone(tj);
    nextStatus(tj, observed(memberJob().complete()), at(10));
    expect(tj).toEqual(before);
  });
});
