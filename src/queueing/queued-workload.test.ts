import { describe, expect, it } from 'vitest';
import type { TrainingJob } from '../api/generated/types.ts';
import { makeInferenceService, makeTrainingJob, variant } from '../placement/testing.ts';
import { queuedInferenceService, queuedTrainingJob, workloadKey } from './queued-workload.ts';

const NOW = Date.parse('2026-03-01T12:00:00Z');

function job(status?: TrainingJob['status'], spec: Partial<TrainingJob['spec']> = {}): TrainingJob {
  const tj = makeTrainingJob('llama').workers(2).variant(variant('h100').nvidia('H100', 8)).obj();
  tj.metadata = { name: 'llama', namespace: 'team-a', creationTimestamp: '2026-03-01T11:00:00Z' };
  tj.spec = { ...tj.spec, ...spec };
  if (status !== undefined) tj.status = status;
  return tj;
}

describe('queuedTrainingJob', () => {
  it('keys workloads kind/namespace/name, as the work queues do (runtime/key.ts; checked in cli/commands/what-if.test.ts)', () => {
    expect(queuedTrainingJob(job(), NOW)?.key).toBe(workloadKey('TrainingJob', 'team-a', 'llama'));
    expect(workloadKey('TrainingJob', 'team-a', 'llama')).toBe('TrainingJob/team-a/llama');
  });

  it.each([
    { name: 'waiting', tj: job(), wantHeld: undefined },
    { name: 'suspended', tj: job(undefined, { suspend: true }), want: 'ignored' },
    { name: 'finished', tj: job({ phase: 'Succeeded' }), want: 'ignored' },
    {
      name: 'admitted',
      tj: job({ admission: { queue: 'research', admittedTime: '2026-03-01T11:00:05Z', charge: { 'nvidia.com/gpu': '16' } }, site: 'shanghai', pool: 'h100' }),
      wantHeld: { queue: 'research', charge: { 'nvidia.com/gpu': 16 }, site: 'shanghai', pool: 'h100', preemptible: true, admittedMs: Date.parse('2026-03-01T11:00:05Z') },
    },
    {
      name: 'placed without an admission',
      tj: job({ site: 'shanghai', variant: 'h100', pool: 'h100', acceleratorResource: 'nvidia.com/gpu' }, { queue: 'research' }),
      wantHeld: { queue: 'research', charge: { 'nvidia.com/gpu': 16, cpu: 16, memory: 128 * 2 ** 30 }, site: 'shanghai', pool: 'h100', preemptible: false, admittedMs: 0 },
    },
  ])('$name', ({ tj, want, wantHeld }) => {
    const w = queuedTrainingJob(tj, NOW);
    if (want === 'ignored') return expect(w).toBeUndefined();
    expect(w?.held).toEqual(wantHeld);
    expect(w?.createdMs).toBe(Date.parse('2026-03-01T11:00:00Z'));
  });

  it('an admission in flight counts as held until status records it', () => {
    const w = queuedTrainingJob(job(), NOW, { queue: 'research', charge: { 'nvidia.com/gpu': 16 }, site: 'guizhou', pool: 'ascend', sinceMs: NOW - 1000 });
    expect(w?.held).toEqual({ queue: 'research', charge: { 'nvidia.com/gpu': 16 }, site: 'guizhou', pool: 'ascend', preemptible: true, admittedMs: NOW - 1000 });
  });
});

describe('queuedTrainingJob after an attempt ended badly', () => {
  const waiting = (outcome: 'StartTimeout' | 'SiteLost' | 'Preempted'): TrainingJob => {
    const tj = makeTrainingJob('job').variant(variant('h100').nvidia('H100', 8)).obj();
    tj.status = { phase: 'Pending', attempts: [{ site: 'shanghai', variant: 'h100', epoch: 1, startTime: '2026-01-01T00:00:00Z', endTime: '2026-01-01T00:05:00Z', outcome }] };
    return tj;
  };
  const excluded = (tj: TrainingJob): readonly string[] => {
    const w = queuedTrainingJob(tj, 0)?.workload;
    return w?.ok === true ? w.value.rules.excludedSites : ['(invalid)'];
  };

  it.each([
    { outcome: 'StartTimeout' as const, wantExcluded: ['shanghai'] },
    { outcome: 'SiteLost' as const, wantExcluded: ['shanghai'] },
    { outcome: 'Preempted' as const, wantExcluded: [] },
  ])('$outcome: the next placement leaves out $wantExcluded', ({ outcome, wantExcluded }) => {
    expect(excluded(waiting(outcome))).toEqual(wantExcluded);
  });
});

describe('queuedInferenceService', () => {
  it('is its minimum replicas; one serving without an admission holds them', () => {
    const isvc = makeInferenceService('chat').variant(variant('h100').nvidia('H100', 1)).obj();
    isvc.spec.replicas = { min: 2, max: 5 };
    expect(queuedInferenceService(isvc, NOW)?.workload).toMatchObject({ ok: true, value: { units: 2 } });
    expect(queuedInferenceService(isvc, NOW)?.held).toBeUndefined();
    isvc.status = { replicas: 3 };
    expect(queuedInferenceService(isvc, NOW)?.held?.charge['nvidia.com/gpu']).toBe(2);
  });
});
