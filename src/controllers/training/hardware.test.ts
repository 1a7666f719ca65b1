// The TrainingJob decision when its hardware lets it down, path by path with no I/O: a device failing under a running
// worker, a gang the site's scheduler leaves Pending, and the one-copy rule while an older copy is going away.
import { describe, expect, it } from 'vitest';
import type { TrainingJob, TrainingJobStatus } from '../../api/generated/types.ts';
import { LABEL_EPOCH, LABEL_NAMESPACE, LABEL_WORKLOAD } from '../../api/names.ts';
import { DEFAULT_PLACEMENT_CONFIG } from '../../placement/config.ts';
import { labSites } from '../../placement/testing.ts';
import type { SiteMembers } from '../../cache/member-informers.ts';
import { decideTraining, SHORT_WAIT_MS, type MemberRead, type TrainingInput } from './decide.ts';
import { makeTrainingJob, memberJob, variant } from './testing.ts';
import type { WorkerHealth } from './worker-health.ts';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
const sites = Object.values(labSites()).map((b) => b.obj());
const ours = (epoch: number): Record<string, string> => ({ [LABEL_WORKLOAD]: 'train', [LABEL_NAMESPACE]: 'default', [LABEL_EPOCH]: String(epoch), 'suanwang.io/owner-uid': 'uid-1' });
const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function job(status: TrainingJobStatus, maxSiteFailovers = 2): TrainingJob {
  return makeTrainingJob('train')
    .variant(variant('h100').nvidia('H100', 8))
    .edit((tj) => {
      tj.metadata.uid = 'uid-1';
      tj.spec.failurePolicy = { maxSiteFailovers };
      tj.status = status;
    })
    .obj();
}

function status(phase: 'Running' | 'Placed', decidedAgoMs: number, failovers = 0): TrainingJobStatus {
  return {
    phase,
    site: 'shanghai',
    variant: 'h100',
    pool: 'h100',
    failovers,
    placement: { epoch: 1, decisionTime: iso(NOW - decidedAgoMs) },
    conditions: [{ type: 'Placed', status: 'True', reason: 'SiteSelected', message: 'placed', lastTransitionTime: iso(NOW - decidedAgoMs) }],
    attempts: [{ site: 'shanghai', variant: 'h100', pool: 'h100', epoch: 1, startTime: iso(NOW - decidedAgoMs), outcome: 'Running' }],
  };
}

function read(workers: WorkerHealth, ready = 1): MemberRead {
  return { kind: 'Read', site: 'shanghai', observed: { job: memberJob().labels(ours(1)).active(1).ready(ready).obj(), service: { metadata: { labels: ours(1) } }, workers } };
}

function input(tj: TrainingJob, members: MemberRead, discover: readonly SiteMembers[] = []): TrainingInput {
  return { tj, sites, members, discover: () => discover, promised: {}, config: DEFAULT_PLACEMENT_CONFIG, graceMs: 60_000, pollMs: 10_000, pendingMs: 10_000, now: NOW, startTimeoutMs: 60_000 };
}

const XID = { node: 'shanghai-h100-0', message: 'device 3 Unhealthy: XID 79 (GPU has fallen off the bus)' };

describe('device failure under a running worker', () => {
  it('ends the attempt as DeviceFailure, deletes the members, and says how many restarts are left', () => {
    const plan = decideTraining(input(job(status('Running', 600_000)), read({ pending: [], unhealthyNodes: [XID] })));
    expect(plan.site).toEqual({ kind: 'DeleteMembers', site: 'shanghai' });
    expect(plan.status?.site).toBeUndefined();
    expect(plan.status?.phase).toBe('Restarting');
    const attempt = plan.status?.attempts?.at(-1);
    expect(attempt).toMatchObject({ outcome: 'DeviceFailure', endTime: iso(NOW) });
    expect(attempt?.message).toBe(
      'device failure under a running worker at shanghai: shanghai-h100-0 (device 3 Unhealthy: XID 79 (GPU has fallen off the bus)); restarting from the checkpoint (1 of at most 2, 1 left after this)',
    );
    expect(plan.events.map((e) => e.reason)).toEqual(['DeviceFailure']);
    expect(plan.result).toEqual({ requeueAfter: SHORT_WAIT_MS });
  });

  it('fails the job, deleting its members, once the restarts are used up', () => {
    const plan = decideTraining(input(job(status('Running', 600_000, 1), 1), read({ pending: [], unhealthyNodes: [XID] })));
    expect(plan.status?.phase).toBe('Failed');
    expect(plan.status?.attempts?.at(-1)?.outcome).toBe('DeviceFailure');
    expect(plan.site).toEqual({ kind: 'DeleteMembers', site: 'shanghai' });
  });

  it('leaves a job whose member Job already completed alone', () => {
    const done: MemberRead = { kind: 'Read', site: 'shanghai', observed: { job: memberJob().labels(ours(1)).succeeded(1).complete().obj(), service: { metadata: { labels: ours(1) } }, workers: { pending: [], unhealthyNodes: [XID] } } };
    const plan = decideTraining(input(job(status('Running', 600_000)), done));
    expect(plan.status?.phase).toBe('Succeeded');
  });

  it('places again only once the older copy is gone, and the restart counts as a failover', () => {
    const restarting = decideTraining(input(job(status('Running', 600_000)), read({ pending: [], unhealthyNodes: [XID] }))).status as TrainingJobStatus;
    const old = memberJob().labels(ours(1)).obj();
    const going = decideTraining(input(job(restarting), { kind: 'None' }, [{ site: 'shanghai', synced: true, members: [old] }]));
    expect(going.site).toBeUndefined();
    expect(going.fenceSites).toEqual({ sites: ['shanghai'], epoch: 2 });
    expect(going.result).toEqual({ requeueAfter: SHORT_WAIT_MS });
    const gone = decideTraining(input(job(restarting), { kind: 'None' }, [{ site: 'shanghai', synced: true, members: [] }]));
    expect(gone.site).toMatchObject({ kind: 'Create', decision: { epoch: 2 } });
    expect(gone.status?.failovers).toBe(1);
  });
});

describe('a gang the site leaves Pending', () => {
  const pending = { pending: [{ pod: 'train-0-x', message: 'Unschedulable: 0/2 nodes are available: 2 node(s) had untolerated taint {maintenance: true}' }], unhealthyNodes: [] };

  it('waits within the start timeout, and looks again when it runs out', () => {
    const plan = decideTraining({ ...input(job(status('Placed', 20_000)), read(pending, 0)), pollMs: 120_000 });
    expect(plan.site).toBeUndefined();
    expect(plan.result).toEqual({ requeueAfter: 40_000 }); // not the 2-minute poll
  });

  it('past the timeout: withdraws the attempt with the scheduler message, and the next placement leaves the site out', () => {
    const plan = decideTraining(input(job(status('Placed', 61_000)), read(pending, 0)));
    expect(plan.site).toEqual({ kind: 'DeleteMembers', site: 'shanghai' });
    const attempt = plan.status?.attempts?.at(-1);
    expect(attempt?.outcome).toBe('StartTimeout');
    expect(attempt?.message).toBe("1/1 workers not running at shanghai 60s after placement; the site's scheduler says: Unschedulable: 0/2 nodes are available: 2 node(s) had untolerated taint {maintenance: true}");
    const next = decideTraining(input(job(plan.status as TrainingJobStatus), { kind: 'None' }));
    expect(next.status?.site).not.toBe('shanghai');
    expect(next.status?.placement?.candidates?.some((c) => c.site === 'shanghai')).toBe(false);
    expect(next.status?.failovers ?? 0).toBe(0);
  });
});
