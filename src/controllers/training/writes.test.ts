import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { TrainingJob } from '../../api/generated/types.ts';
import { FakeClock } from '../../runtime/clock.ts';
import { waitsForSite } from './controller.ts';
import { HubEventRecorder, type EventCreator } from '../framework/events.ts';
import type { HubPatcher as TrainingJobPatcher } from '../framework/hub-writer.ts';
import { HubTrainingJobWriter } from './hub-writer.ts';
import { PromisedCapacityTracker } from '../framework/promised-capacity.ts';
import { makeTrainingJob, variant } from './testing.ts';

type Call = { kind: 'status' | 'object'; param: Record<string, unknown> };

function recordingPatcher(calls: Call[]): TrainingJobPatcher {
  const answer = async (kind: Call['kind'], param: unknown) => {
    calls.push({ kind, param: param as Record<string, unknown> });
    return { answered: kind };
  };
  return {
    patchNamespacedCustomObject: (param) => answer('object', param),
    patchNamespacedCustomObjectStatus: (param) => answer('status', param),
  } as TrainingJobPatcher;
}

function placedJob(): TrainingJob {
  return makeTrainingJob('train')
    .namespace('team-a')
    .variant(variant('h100').nvidia('H100', 8))
    .status({ phase: 'Running', site: 'shanghai', variant: 'h100' })
    .edit((tj) => {
      tj.metadata.resourceVersion = '42';
      tj.metadata.finalizers = ['other.io/keep', 'suanwang.io/cleanup'];
    })
    .obj();
}

describe('HubTrainingJobWriter', () => {
  it('writes nothing when the status is unchanged', async () => {
    const calls: Call[] = [];
    const tj = placedJob();
    const got = await new HubTrainingJobWriter(recordingPatcher(calls)).writeStatus(tj, structuredClone(tj.status ?? {}));
    expect(calls).toEqual([]);
    expect(got).toBe(tj);
  });

  it('sends only the difference, removals as null, under the resourceVersion it was computed from', async () => {
    const calls: Call[] = [];
    await new HubTrainingJobWriter(recordingPatcher(calls)).writeStatus(placedJob(), { phase: 'Restarting' });
    expect(calls).toHaveLength(1);
    expect(calls[0]?.kind).toBe('status');
    expect(calls[0]?.param).toMatchObject({
      group: 'suanwang.io',
      version: 'v1alpha1',
      plural: 'trainingjobs',
      namespace: 'team-a',
      name: 'train',
      fieldManager: 'suanwang-operator',
      body: { metadata: { resourceVersion: '42' }, status: { phase: 'Restarting', site: null, variant: null } },
    });
  });

  it('removes only its own finalizer, guarded by the resourceVersion', async () => {
    const calls: Call[] = [];
    await new HubTrainingJobWriter(recordingPatcher(calls)).removeFinalizer(placedJob());
    expect(calls[0]?.param['body']).toEqual({ metadata: { finalizers: ['other.io/keep'], resourceVersion: '42' } });
  });
});

describe('HubEventRecorder', () => {
  it('writes an event per change and drops an identical repeat for the same object', async () => {
    const bodies: Array<{ reason?: string; metadata: { name?: string } }> = [];
    const core = { createNamespacedEvent: async (p: { body: (typeof bodies)[number] }) => (bodies.push(p.body), p.body) } as unknown as EventCreator;
    const events = new HubEventRecorder({ core, clock: new FakeClock(), logger: pino({ level: 'silent' }) });
    const subject = { apiVersion: 'suanwang.io/v1alpha1', kind: 'TrainingJob', metadata: { name: 'train', namespace: 'team-a', uid: 'u1' } };
    events.record(subject, 'Warning', 'Unschedulable', 'no site fits');
    events.record(subject, 'Warning', 'Unschedulable', 'no site fits');
    events.record(subject, 'Normal', 'Placed', 'placed on guizhou');
    events.record(subject, 'Warning', 'Unschedulable', 'no site fits');
    expect(bodies.map((b) => b.reason)).toEqual(['Unschedulable', 'Placed', 'Unschedulable']);
    expect(new Set(bodies.map((b) => b.metadata.name)).size).toBe(3);
  });
});

describe('PromisedCapacityTracker', () => {
  it('sums every hold but the one being re-placed, and forgets released ones', () => {
    const t = new PromisedCapacityTracker();
    t.hold('a', { guizhou: { npu: { 'huawei.com/Ascend910': 16, cpu: 128 } } });
    t.hold('b', { guizhou: { npu: { 'huawei.com/Ascend910': 8 } }, shanghai: { h100: { 'nvidia.com/gpu': 8 } } });
    expect(t.total()).toEqual({ guizhou: { npu: { 'huawei.com/Ascend910': 24, cpu: 128 } }, shanghai: { h100: { 'nvidia.com/gpu': 8 } } });
    expect(t.total('a')).toEqual({ guizhou: { npu: { 'huawei.com/Ascend910': 8 } }, shanghai: { h100: { 'nvidia.com/gpu': 8 } } });
    t.release('b');
    expect(t.total()).toEqual({ guizhou: { npu: { 'huawei.com/Ascend910': 16, cpu: 128 } } });
  });

  it('keeps a promise until the pods have been visible for the settle time, so the site report has caught up', () => {
    const t = new PromisedCapacityTracker({ settleMs: 5000 });
    t.hold('a', { guizhou: { npu: { 'huawei.com/Ascend910': 16 } } });
    expect(t.releaseWhenSettled('a', 1000)).toBe(false); // first sight of the pods
    expect(t.releaseWhenSettled('a', 5999)).toBe(false);
    expect(t.holds('a')).toBe(true);
    expect(t.releaseWhenSettled('a', 6000)).toBe(true);
    expect(t.total()).toEqual({});
    // A new placement of the same workload starts the wait over.
    t.hold('a', { guizhou: { npu: { 'huawei.com/Ascend910': 8 } } });
    expect(t.releaseWhenSettled('a', 7000)).toBe(false);
    expect(t.releaseWhenSettled('a', 11_999)).toBe(false);
    expect(t.releaseWhenSettled('a', 12_000)).toBe(true);
  });

  it('undoes a hold to what the key held before, settle clock included, not to nothing', () => {
    const t = new PromisedCapacityTracker({ settleMs: 5000 });
    const recorded = { guizhou: { npu: { 'huawei.com/Ascend910': 16 } } };
    t.hold('a', recorded);
    expect(t.releaseWhenSettled('a', 1000)).toBe(false); // pods first seen at 1000
    const undo = t.hold('a', { shanghai: { h100: { 'nvidia.com/gpu': 8 } } });
    undo();
    expect(t.total()).toEqual(recorded);
    expect(t.releaseWhenSettled('a', 6000)).toBe(true); // still counted from 1000
    t.hold('b', { shanghai: { h100: { 'nvidia.com/gpu': 8 } } })();
    expect(t.holds('b')).toBe(false);
  });
});

describe('waitsForSite', () => {
  const base = () => makeTrainingJob('train').variant(variant('h100').nvidia('H100', 8));
  it.each([
    { what: 'a new job', tj: base().obj(), site: 'guizhou', want: true },
    { what: 'a pending job', tj: base().status({ phase: 'Pending' }).obj(), site: 'guizhou', want: true },
    { what: 'a job placed on that site', tj: base().status({ phase: 'Running', site: 'guizhou' }).obj(), site: 'guizhou', want: true },
    { what: 'a job placed elsewhere', tj: base().status({ phase: 'Running', site: 'shanghai' }).obj(), site: 'guizhou', want: false },
    { what: 'a finished job', tj: base().status({ phase: 'Succeeded' }).obj(), site: 'guizhou', want: false },
    { what: 'a job that finished on that site', tj: base().status({ phase: 'Succeeded', site: 'guizhou' }).obj(), site: 'guizhou', want: false },
    { what: 'a job that failed on that site', tj: base().status({ phase: 'Failed', site: 'guizhou' }).obj(), site: 'guizhou', want: false },
    { what: 'a suspended job', tj: base().suspend().status({ phase: 'Suspended' }).obj(), site: 'guizhou', want: false },
  ])('$what: $want', ({ tj, site, want }) => {
    expect(waitsForSite(tj, site)).toBe(want);
  });

  it('wakes no placed job for a change of free capacity alone, only jobs that wait for a site without a ledger', () => {
    const placed = base().status({ phase: 'Running', site: 'guizhou' }).obj();
    expect(waitsForSite(placed, 'guizhou', false, 'Capacity')).toBe(false);
    expect(waitsForSite(placed, 'guizhou', false, 'State')).toBe(true);
    const deleting = base().status({ phase: 'Running', site: 'guizhou' }).obj();
    deleting.metadata.deletionTimestamp = '2026-01-01T00:00:00Z';
    expect(waitsForSite(deleting, 'guizhou', false, 'Capacity')).toBe(false);
    expect(waitsForSite(base().status({ phase: 'Pending' }).obj(), 'guizhou', false, 'Capacity')).toBe(true);
    const admitted = base().status({ phase: 'Pending', admission: { queue: 'q', admittedTime: '2026-01-01T00:00:00Z', charge: {} } }).obj();
    expect(waitsForSite(admitted, 'guizhou', true, 'Capacity')).toBe(true);
    expect(waitsForSite(base().status({ phase: 'Pending' }).obj(), 'guizhou', true, 'Capacity')).toBe(false);
  });

  it('leaves a job waiting for admission to the ledger, but not one admitted and unplaced, nor a placed one', () => {
    expect(waitsForSite(base().status({ phase: 'Pending' }).obj(), 'guizhou', true)).toBe(false);
    const admitted = base().status({ phase: 'Pending', admission: { queue: 'q', admittedTime: '2026-01-01T00:00:00Z', charge: {} } }).obj();
    expect(waitsForSite(admitted, 'guizhou', true)).toBe(true);
    expect(waitsForSite(base().status({ phase: 'Running', site: 'guizhou' }).obj(), 'guizhou', true)).toBe(true);
  });
});
