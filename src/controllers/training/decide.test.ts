// The TrainingJob decision, walked path by path with no I/O: what is written, what is done at the site, in one plan.
import { describe, expect, it } from 'vitest';
import type { TrainingJob, TrainingJobStatus } from '../../api/generated/types.ts';
import { LABEL_EPOCH, LABEL_NAMESPACE, LABEL_WORKLOAD } from '../../api/names.ts';
import { DEFAULT_PLACEMENT_CONFIG } from '../../placement/config.ts';
import { labSites } from '../../placement/testing.ts';
import { decideTraining, SHORT_WAIT_MS, type MemberRead, type TrainingInput } from './decide.ts';
import { makeTrainingJob, memberJob, variant } from './testing.ts';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
const sites = Object.values(labSites()).map((b) => b.obj());
const ours = (epoch: number): Record<string, string> => ({ [LABEL_WORKLOAD]: 'train', [LABEL_NAMESPACE]: 'default', [LABEL_EPOCH]: String(epoch) });

function job(status?: TrainingJobStatus, edit?: (tj: TrainingJob) => void): TrainingJob {
  return makeTrainingJob('train')
    .variant(variant('h100').nvidia('H100', 8))
    .edit((tj) => {
      tj.metadata.uid = 'uid-1';
      if (status !== undefined) tj.status = status;
      edit?.(tj);
    })
    .obj();
}

const placed: TrainingJobStatus = { phase: 'Placed', site: 'shanghai', variant: 'h100', pool: 'h100', placement: { epoch: 2 } };

function input(tj: TrainingJob, members: MemberRead = { kind: 'None' }): TrainingInput {
  return { tj, sites, members, discover: () => [], promised: {}, config: DEFAULT_PLACEMENT_CONFIG, graceMs: 60_000, pollMs: 10_000, pendingMs: 10_000, now: NOW };
}

describe('decideTraining', () => {
  it('places an unplaced job: holds capacity, writes the whole decision, then creates without a second write', () => {
    const plan = decideTraining(input(job()));
    expect(plan.hold).toBeDefined();
    expect(plan.releaseFirst).toBe(false); // a stale cache must not drop the promise of a decision already written
    expect(plan.status).toMatchObject({ site: 'shanghai', variant: 'h100', pool: expect.any(String), placement: { epoch: 1 } });
    expect(plan.site).toMatchObject({ kind: 'Create', site: 'shanghai', mirror: false, decision: { epoch: 1, pool: plan.status?.pool } });
  });

  it('ends the attempt when a pull site refused the members, removes them there, and places the next attempt elsewhere', () => {
    const refusal = { reason: 'ImageNotAllowed', message: 'Job default/train-x: image "evil.io/x:1" is not under an allowed prefix' };
    const attempt = { site: 'shanghai', variant: 'h100', epoch: 2, outcome: 'Running' as const, startTime: '2026-01-01T11:59:00Z' };
    const plan = decideTraining(input(job({ ...placed, attempts: [attempt] }), { kind: 'Read', site: 'shanghai', observed: { job: undefined, service: undefined, refusal } }));
    expect(plan.status?.phase).toBe('Restarting');
    expect(plan.status?.site).toBeUndefined();
    expect(plan.status?.attempts?.at(-1)).toMatchObject({ site: 'shanghai', outcome: 'Refused' });
    expect(plan.status?.attempts?.at(-1)?.message).toBe(`site shanghai refused the members (ImageNotAllowed): ${refusal.message}`);
    expect(plan.status?.conditions?.find((c) => c.type === 'Placed')).toMatchObject({ status: 'False', reason: 'RefusedBySite' });
    expect(plan.site).toEqual({ kind: 'DeleteMembers', site: 'shanghai' });
    expect(plan.releaseFirst).toBe(true);
    expect(plan.events).toEqual([{ type: 'Warning', reason: 'RefusedBySite', message: `site shanghai refused the members (ImageNotAllowed): ${refusal.message}` }]);
    // The next pass places the job anywhere but the site that refused it.
    const next = decideTraining(input({ ...job(placed), status: plan.status ?? {} }));
    expect(next.status?.site).not.toBe('shanghai');
    expect(next.status?.placement?.candidates?.map((c) => c.site)).not.toContain('shanghai');
  });

  it('creates from the recorded decision, pool included, and mirrors the Job as the pass’s one write', () => {
    const plan = decideTraining(input(job(placed), { kind: 'Read', site: 'shanghai', observed: { job: undefined, service: undefined } }));
    expect(plan.status).toBeUndefined();
    expect(plan.site).toEqual({ kind: 'Create', site: 'shanghai', mirror: true, decision: { site: 'shanghai', variant: 'h100', epoch: 2, pool: 'h100' } });
  });

  it('deletes a member Job of an older epoch before anything else, and writes nothing', () => {
    const stale = memberJob().labels(ours(1)).obj();
    const plan = decideTraining(input(job(placed), { kind: 'Read', site: 'shanghai', observed: { job: stale, service: undefined } }));
    expect(plan.status).toBeUndefined();
    expect(plan.site).toEqual({ kind: 'DeleteStaleJob', site: 'shanghai' });
    expect(plan.result).toEqual({ requeueAfter: SHORT_WAIT_MS });
  });

  it('mirrors a completed member Job and gives the promise back at once', () => {
    const done = memberJob().labels(ours(2)).succeeded(1).complete().obj();
    const service = { metadata: { labels: ours(2) } };
    const plan = decideTraining(input(job(placed), { kind: 'Read', site: 'shanghai', observed: { job: done, service } }));
    expect(plan.status?.phase).toBe('Succeeded');
    expect(plan.release).toBe('now');
    expect(plan.site).toBeUndefined();
    expect(plan.events.map((e) => e.reason)).toEqual(['Succeeded']);
  });

  it('on suspend, deletes the members first and records Suspended only once they are gone', () => {
    const suspended = job(placed, (tj) => (tj.spec.suspend = true));
    const running = memberJob().labels(ours(2)).obj();
    const first = decideTraining(input(suspended, { kind: 'Read', site: 'shanghai', observed: { job: running, service: undefined } }));
    expect(first.status).toBeUndefined();
    expect(first.site).toEqual({ kind: 'DeleteMembers', site: 'shanghai' });
    const second = decideTraining(input(suspended, { kind: 'Read', site: 'shanghai', observed: { job: undefined, service: undefined } }));
    expect(second.status?.phase).toBe('Suspended');
    expect(second.releaseFirst).toBe(true);
  });

  it('never reads a Ready site that does not answer as "no members": it says so and keeps the promise', () => {
    const error = Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:6443 token=abc'), { code: 'ECONNREFUSED' });
    const plan = decideTraining({ ...input(job(placed), { kind: 'Unreadable', site: 'shanghai', error }), unreachableSince: NOW - 1000 });
    expect(plan.site).toBeUndefined();
    // The members may be there with their pods not yet bound (the hub cannot see): the site's scheduler can still
    // bind them, so their devices stay promised until the job moves (placeAnew gives them back then).
    expect(plan.releaseFirst).toBe(false);
    expect(plan.hold).toBeUndefined();
    expect(plan.release).toBeUndefined();
    const placedCondition = plan.status?.conditions?.find((c) => c.type === 'Placed');
    expect(placedCondition).toMatchObject({ status: 'False', reason: 'SiteUnreachable', message: 'site shanghai cannot be reached from the hub (ECONNREFUSED)' });
    expect(JSON.stringify(plan)).not.toContain('token=abc'); // the class of the error, never its text
    expect(plan.result.requeueAfter).toBeLessThanOrEqual(10_000);
  });

  it('a finished job with ttlSecondsAfterFinished is looked at again when it expires, then deleted', () => {
    const done = (ago: number): TrainingJob =>
      job({ ...placed, phase: 'Succeeded', completionTime: new Date(NOW - ago * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z') }, (tj) => (tj.spec.ttlSecondsAfterFinished = 30));
    const early = decideTraining(input(done(10)));
    expect(early.expire).toBeUndefined();
    expect(early.result).toEqual({ requeueAfter: 20_000 });
    const due = decideTraining(input(done(30)));
    expect(due.expire).toBe(true);
    expect(due.site).toBeUndefined();
    expect(due.events).toEqual([{ type: 'Normal', reason: 'Expired', message: 'finished 30s ago, past ttlSecondsAfterFinished (30s): deleting the job' }]);
    const kept = decideTraining(input(job({ ...placed, phase: 'Failed', completionTime: '2025-01-01T00:00:00Z' })));
    expect(kept.expire).toBeUndefined();
    expect(kept.result).toEqual({});
  });

  it('writes only observedGeneration for a finished job, and never acts at its site', () => {
    const ready = { type: 'Ready', status: 'True', lastTransitionTime: '2025-01-01T00:00:00Z', reason: 'Completed', message: 'all 2 workers completed' } as const;
    const succeeded: TrainingJobStatus = { ...placed, phase: 'Succeeded', conditions: [ready] };
    const finished = job(succeeded, (tj) => (tj.metadata.generation = 3));
    const plan = decideTraining(input(finished));
    expect(plan.status).toEqual({ ...succeeded, observedGeneration: 3 });
    expect(plan.site).toBeUndefined();
  });
});
