// The TrainingJob decision under admission: the ledger's verdict carried out, path by path, with no I/O.
import { describe, expect, it } from 'vitest';
import type { TrainingJob, TrainingJobStatus } from '../../api/generated/types.ts';
import { LABEL_EPOCH, LABEL_NAMESPACE, LABEL_WORKLOAD } from '../../api/names.ts';
import { DEFAULT_PLACEMENT_CONFIG } from '../../placement/config.ts';
import { labSites } from '../../placement/testing.ts';
import type { Verdict } from '../../queueing/admission-cycle.ts';
import type { Amounts } from '../../queueing/amounts.ts';
import { queueInfo } from '../../queueing/queue-info.ts';
import { swapFilter } from '../../queueing/quota-filter.ts';
import type { PoolFilter } from '../../placement/filters/filter.ts';
import { decideTraining, type MemberRead, type TrainingInput } from './decide.ts';
import { makeTrainingJob, memberJob, variant } from './testing.ts';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
const sites = Object.values(labSites()).map((b) => b.obj());
const ours = (epoch: number): Record<string, string> => ({ [LABEL_WORKLOAD]: 'train', [LABEL_NAMESPACE]: 'default', [LABEL_EPOCH]: String(epoch) });

function job(status?: TrainingJobStatus): TrainingJob {
  return makeTrainingJob('train')
    .variant(variant('h100').nvidia('H100', 8))
    .edit((tj) => {
      tj.metadata.uid = 'uid-1';
      tj.spec.queue = 'research';
      if (status !== undefined) tj.status = status;
    })
    .obj();
}

function input(tj: TrainingJob, verdict: Verdict | undefined, members: MemberRead = { kind: 'None' }): TrainingInput {
  return {
    tj,
    sites,
    members,
    discover: () => [],
    promised: {},
    config: DEFAULT_PLACEMENT_CONFIG,
    graceMs: 60_000,
    pollMs: 10_000,
    pendingMs: 10_000,
    now: NOW,
    admission: { verdict },
  };
}

const admitted: Verdict = {
  kind: 'Admit',
  queue: 'research',
  charge: { 'nvidia.com/gpu': 8, cpu: 8, memory: 64 * 2 ** 30 },
  borrowed: {},
  placement: {
    site: 'shanghai',
    variant: 'h100',
    pool: 'h100',
    acceleratorResource: 'nvidia.com/gpu',
    record: { message: 'placed on shanghai (variant h100, score 90)', candidates: [] },
    promised: { shanghai: { h100: { 'nvidia.com/gpu': 8 } } },
  },
};

const running: TrainingJobStatus = {
  phase: 'Running',
  site: 'shanghai',
  variant: 'h100',
  pool: 'h100',
  placement: { epoch: 1 },
  admission: { queue: 'research', admittedTime: '2026-01-01T11:00:00Z', charge: { cpu: '8', memory: '64Gi', 'nvidia.com/gpu': '8' } },
  attempts: [{ site: 'shanghai', variant: 'h100', epoch: 1, startTime: '2026-01-01T11:00:00Z', outcome: 'Running' }],
};

describe('decideTraining with admission', () => {
  it('waits for a first cycle without writing anything, and without polling: the ledger wakes it when a cycle decides', () => {
    const plan = decideTraining(input(job(), undefined));
    expect(plan.status).toBeUndefined();
    expect(plan.site).toBeUndefined();
    // Only a safety net. A 1 s poll kept 10,000 jobs created at once cycling through the work queue, deep as all of
    // them, so a job whose turn came (admitted, or its members done) waited minutes behind the others.
    expect(plan.result).toEqual({ requeueAfter: 10_000 });
  });

  it('says why it waits in the Admitted condition, with the numbers, and creates nothing', () => {
    const message = 'needs 8 nvidia.com/gpu, queue research has 0 of 8 left';
    const plan = decideTraining(input(job(), { kind: 'Wait', reason: 'QuotaExceeded', message }));
    expect(plan.site).toBeUndefined();
    expect(plan.status?.phase).toBe('Pending');
    expect(plan.status?.admission).toBeUndefined();
    expect(plan.status?.conditions?.find((c) => c.type === 'Admitted')).toMatchObject({ status: 'False', reason: 'QuotaExceeded', message });
    expect(plan.events.map((e) => e.reason)).toEqual(['Queued']);
    // The ledger wakes it when its verdict changes; its own retry (pendingMs, spread by name) refreshes the text.
    const after = plan.result.requeueAfter ?? 0;
    expect(after).toBeGreaterThanOrEqual(10_000 * 0.75);
    expect(after).toBeLessThanOrEqual(10_000 * 1.25);
  });

  it('admits and places in one write where the cycle chose, holding its promise, then creates', () => {
    const plan = decideTraining(input(job(), admitted));
    expect(plan.hold).toEqual({ shanghai: { h100: { 'nvidia.com/gpu': 8 } } });
    expect(plan.status).toMatchObject({
      site: 'shanghai',
      variant: 'h100',
      pool: 'h100',
      placement: { epoch: 1 },
      admission: { queue: 'research', admittedTime: '2026-01-01T12:00:00Z', charge: { cpu: '8', memory: '64Gi', 'nvidia.com/gpu': '8' } },
    });
    expect(plan.status?.attempts?.at(-1)).toMatchObject({ queue: 'research', charge: { 'nvidia.com/gpu': '8' }, outcome: 'Running' });
    expect(plan.status?.conditions?.find((c) => c.type === 'Admitted')).toMatchObject({ status: 'True', reason: 'QuotaReserved' });
    expect(plan.site).toMatchObject({ kind: 'Create', site: 'shanghai', mirror: false, decision: { epoch: 1, pool: 'h100' } });
    // One event for the one decision (fewer hub requests per workload): the admission and where it was placed.
    expect(plan.events.map((e) => e.reason)).toEqual(['Admitted']);
    expect(plan.events[0]?.message).toMatch(/^admitted by queue research: .*; placed on shanghai/);
  });

  it('records what the attempt costs per hour at its site (devices × the price of the pool\'s model)', () => {
    const plan = decideTraining(input(job(), admitted));
    const shanghai = sites.find((s) => s.metadata.name === 'shanghai');
    const price = shanghai?.spec.pricing?.accelerators?.[0]?.pricePerHour ?? 0;
    expect(price).toBeGreaterThan(0);
    expect(plan.status?.attempts?.at(-1)).toMatchObject({ pricePerHour: 8 * price, currency: 'CNY' });
  });

  it('preempted with members at its site: deletes them first and writes nothing', () => {
    const member = memberJob().labels(ours(1)).obj();
    const plan = decideTraining(input(job(running), { kind: 'Preempt', by: 'TrainingJob/default/urgent', message: 'preempted by default/urgent' }, { kind: 'Read', site: 'shanghai', observed: { job: member, service: undefined } }));
    expect(plan.status).toBeUndefined();
    expect(plan.site).toEqual({ kind: 'DeleteMembers', site: 'shanghai' });
  });

  it('preempted with its members gone: closes the attempt, gives the admission back, says who and why', () => {
    const message = 'preempted by default/urgent (priority 10, queue research): lower priority (0) in queue research';
    const plan = decideTraining(input(job(running), { kind: 'Preempt', by: 'TrainingJob/default/urgent', message }, { kind: 'Read', site: 'shanghai', observed: { job: undefined, service: undefined } }));
    expect(plan.releaseFirst).toBe(true);
    expect(plan.status?.phase).toBe('Pending');
    expect(plan.status?.site).toBeUndefined();
    expect(plan.status?.admission).toBeUndefined();
    expect(plan.status?.attempts?.at(-1)).toMatchObject({ outcome: 'Preempted', message, endTime: '2026-01-01T12:00:00Z' });
    expect(plan.status?.conditions?.find((c) => c.type === 'Preempted')).toMatchObject({ status: 'True', reason: 'Preempted', message });
    expect(plan.events.map((e) => e.reason)).toEqual(['Preempted']);
  });

  it('a Preempt verdict for a job that holds no admission changes nothing', () => {
    const plan = decideTraining(input(job(), { kind: 'Preempt', by: 'x', message: 'm' }));
    expect(plan.status).toBeUndefined();
    expect(plan.site).toBeUndefined();
  });

  it('an admitted job that lost its site is placed again within what its queue holds, keeping the admission', () => {
    const lost: TrainingJobStatus = { ...running, phase: 'Restarting' };
    delete lost.site;
    delete lost.variant;
    delete lost.pool;
    const plan = decideTraining(input(job(lost), undefined));
    expect(plan.status?.site).toBe('shanghai');
    expect(plan.status?.admission?.queue).toBe('research');
    expect(plan.status?.placement?.epoch).toBe(2);
  });

  it('an admitted job placed again may change variant when its queue can hold the new devices in place of the old', () => {
    const lost: TrainingJobStatus = { ...running, phase: 'Restarting', admission: { queue: 'research', admittedTime: '2026-01-01T11:00:00Z', charge: { cpu: '8', memory: '64Gi', 'huawei.com/Ascend910': '8' } } };
    delete lost.site;
    delete lost.variant;
    delete lost.pool;
    const queue = queueInfo({ apiVersion: 'suanwang.io/v1alpha1', kind: 'Queue', metadata: { name: 'research' }, spec: { quota: { 'nvidia.com/gpu': '8', 'huawei.com/Ascend910': '8' } } });
    const usage = { 'huawei.com/Ascend910': 8, cpu: 8, memory: 64 * 2 ** 30 };
    const requota = (_q: string, heldCharge: Amounts): PoolFilter => swapFilter(queue, usage, heldCharge);
    const allowed = decideTraining({ ...input(job(lost), undefined), admission: { verdict: undefined, requota } });
    expect(allowed.status?.site).toBe('shanghai');
    expect(allowed.status?.admission?.charge).toMatchObject({ 'nvidia.com/gpu': '8' });
    const noGpus = queueInfo({ apiVersion: 'suanwang.io/v1alpha1', kind: 'Queue', metadata: { name: 'research' }, spec: { quota: { 'nvidia.com/gpu': '0' } } });
    const refused = decideTraining({ ...input(job(lost), undefined), admission: { verdict: undefined, requota: (_q, heldCharge) => swapFilter(noGpus, usage, heldCharge) } });
    expect(refused.status?.admission).toBeUndefined();
    expect(refused.status?.conditions?.find((c) => c.type === 'Admitted')?.message).toContain('queue research has 0 of 0 left');
  });

  it('an admitted job that fits nowhere within its admission gives it back and waits in its queue again', () => {
    const lost: TrainingJobStatus = { ...running, phase: 'Restarting', admission: { queue: 'research', admittedTime: '2026-01-01T11:00:00Z', charge: { cpu: '8', memory: '64Gi', 'nvidia.com/gpu': '4' } } };
    delete lost.site;
    delete lost.variant;
    delete lost.pool;
    const plan = decideTraining(input(job(lost), undefined));
    expect(plan.site).toBeUndefined();
    expect(plan.status?.admission).toBeUndefined();
    expect(plan.status?.conditions?.find((c) => c.type === 'Admitted')).toMatchObject({ status: 'False', reason: 'Queued' });
    expect(plan.status?.conditions?.find((c) => c.type === 'Admitted')?.message).toContain('its admission holds 4');
  });
});
