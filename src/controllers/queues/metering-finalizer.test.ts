import { describe, expect, it } from 'vitest';
import type { Queue, TrainingJob } from '../../api/generated/types.ts';
import { API_VERSION, FINALIZER_CLEANUP } from '../../api/names.ts';
import { trainingUsage } from '../../queueing/metered-workload.ts';
import { METERING_FINALIZER } from '../../queueing/retired-usage.ts';
import { meteringFinalizerStep, type FinalizerStep } from './metering-finalizer.ts';

const queues: Record<string, Queue> = {
  research: { apiVersion: API_VERSION, kind: 'Queue', metadata: { name: 'research' }, spec: {}, status: { metering: { retiredWorkloads: ['uid-folded'] } } },
  vision: { apiVersion: API_VERSION, kind: 'Queue', metadata: { name: 'vision' }, spec: {} },
  leaving: { apiVersion: API_VERSION, kind: 'Queue', metadata: { name: 'leaving', deletionTimestamp: '2026-03-02T00:00:00Z' }, spec: {} },
};

interface JobInit {
  uid?: string;
  specQueue?: string;
  ranIn?: string[];
  deleting?: boolean;
  metered?: boolean;
}

function job(j: JobInit): TrainingJob {
  return {
    apiVersion: API_VERSION,
    kind: 'TrainingJob',
    metadata: {
      name: 'j',
      namespace: 'ns',
      uid: j.uid ?? 'uid-j',
      finalizers: [FINALIZER_CLEANUP, ...(j.metered === true ? [METERING_FINALIZER] : [])],
      ...(j.deleting === true && { deletionTimestamp: '2026-03-02T00:00:00Z' }),
    },
    spec: { queue: j.specQueue ?? 'default', resources: { cpu: '1', memory: '1Gi' }, variants: [] },
    status: { attempts: (j.ranIn ?? []).map((queue, i) => ({ site: 's', variant: 'v', epoch: i + 1, outcome: 'Succeeded', startTime: '2026-03-01T00:00:00Z', queue })) },
  };
}

describe('meteringFinalizerStep', () => {
  const cases: { name: string; job: JobInit; want: FinalizerStep }[] = [
    { name: 'a live job naming an existing Queue gets the finalizer', job: { specQueue: 'research' }, want: { kind: 'Add' } },
    { name: 'a live job that ran under an existing Queue gets it too', job: { specQueue: 'gone', ranIn: ['vision'] }, want: { kind: 'Add' } },
    { name: 'a live job naming no existing Queue does not', job: { specQueue: 'default' }, want: { kind: 'None' } },
    { name: 'nor does one naming a Queue being deleted', job: { specQueue: 'leaving' }, want: { kind: 'None' } },
    { name: 'a live job that has it is left alone', job: { specQueue: 'research', metered: true }, want: { kind: 'None' } },
    { name: 'a deleted job without it is left alone', job: { ranIn: ['research'], deleting: true }, want: { kind: 'None' } },
    { name: 'a deleted job waits for every existing Queue it ran under', job: { ranIn: ['research', 'vision'], deleting: true, metered: true }, want: { kind: 'Wait', queues: ['research', 'vision'] } },
    { name: 'and goes once they list it', job: { uid: 'uid-folded', ranIn: ['research'], deleting: true, metered: true }, want: { kind: 'Remove' } },
    { name: 'a Queue that is gone or being deleted holds nothing up', job: { ranIn: ['gone', 'leaving'], deleting: true, metered: true }, want: { kind: 'Remove' } },
    { name: 'a deleted job that never ran goes at once, whatever its spec names', job: { specQueue: 'research', deleting: true, metered: true }, want: { kind: 'Remove' } },
  ];
  it.each(cases)('$name', ({ job: init, want }) => {
    const tj = job(init);
    expect(meteringFinalizerStep(tj, trainingUsage(tj), (name) => queues[name])).toEqual(want);
  });
});
