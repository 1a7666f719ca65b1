import { describe, expect, it } from 'vitest';
import type { Queue, QueueStatus, TrainingJob } from '../../api/generated/types.ts';
import { API_VERSION } from '../../api/names.ts';
import { trainingUsage, type MeteredWorkload } from '../../queueing/metered-workload.ts';
import { nextQueueStatus, worthWriting } from './queue-status.ts';

const NOW = new Date('2026-03-02T12:00:00Z');
const hoursAgo = (h: number): string => new Date(NOW.getTime() - h * 3_600_000).toISOString().replace('.000Z', 'Z');

function queue(status?: QueueStatus): Queue {
  return { apiVersion: API_VERSION, kind: 'Queue', metadata: { name: 'q', generation: 1 }, spec: {}, ...(status !== undefined && { status }) };
}

/** job `uid` ran 2 hours at site `site`, 4 GPUs priced `price` per hour in `currency`, in queue q. */
function job(uid: string, site: string, price: number | undefined, currency?: string, deletedHoursAgo?: number): MeteredWorkload {
  const tj: TrainingJob = {
    apiVersion: API_VERSION,
    kind: 'TrainingJob',
    metadata: { name: uid, namespace: 'ns', uid, ...(deletedHoursAgo !== undefined && { deletionTimestamp: hoursAgo(deletedHoursAgo) }) },
    spec: { resources: { cpu: '8', memory: '64Gi' }, variants: [] },
    status: {
      attempts: [
        {
          site, variant: 'v', epoch: 1, outcome: 'Succeeded', queue: 'q', startTime: hoursAgo(6), endTime: hoursAgo(4),
          charge: { 'nvidia.com/gpu': '4', cpu: '32' }, ...(price !== undefined && { pricePerHour: price }), ...(currency !== undefined && { currency }),
        },
      ],
    },
  };
  return trainingUsage(tj);
}

describe('nextQueueStatus metering', () => {
  const cases: { name: string; workloads: MeteredWorkload[]; wantSites: unknown; wantCost: string | undefined }[] = [
    {
      name: 'a site priced in two currencies shows an entry per currency, and COST lists both',
      workloads: [job('a', 'hk', 40, 'CNY'), job('b', 'hk', 6, 'USD'), job('c', 'hk', undefined)],
      wantSites: [
        { site: 'hk', resourceHours: { cpu: 64, 'nvidia.com/gpu': 8 } },
        { site: 'hk', currency: 'CNY', cost: 80, resourceHours: { cpu: 64, 'nvidia.com/gpu': 8 } },
        { site: 'hk', currency: 'USD', cost: 12, resourceHours: { cpu: 64, 'nvidia.com/gpu': 8 } },
      ],
      wantCost: '80.00 CNY, 12.00 USD',
    },
    {
      name: 'a deleted job counts the same, through the retired ledger',
      workloads: [job('a', 'hk', 40, 'CNY', 1), job('b', 'sh', 10, 'CNY')],
      wantSites: [
        { site: 'hk', currency: 'CNY', cost: 80, resourceHours: { cpu: 64, 'nvidia.com/gpu': 8 } },
        { site: 'sh', currency: 'CNY', cost: 20, resourceHours: { cpu: 64, 'nvidia.com/gpu': 8 } },
      ],
      wantCost: '100.00 CNY',
    },
  ];
  it.each(cases)('$name', ({ workloads, wantSites, wantCost }) => {
    const s = nextQueueStatus(queue(), undefined, workloads, NOW);
    expect(s.metering?.sites).toEqual(wantSites);
    expect(s.cost).toBe(wantCost);
  });

  it('folds a deleted job once: the next status from the written one folds nothing more, and totals stay when it is gone', () => {
    const deleted = job('a', 'hk', 40, 'CNY', 1);
    const first = nextQueueStatus(queue(), undefined, [deleted], NOW);
    expect(first.metering?.retiredWorkloads).toEqual(['a']);
    expect(worthWriting(queue().status, first, NOW.getTime(), 60_000)).toBe(true);
    const again = nextQueueStatus(queue(first), undefined, [deleted], NOW);
    expect(again).toEqual(first);
    const gone = nextQueueStatus(queue(first), undefined, [], NOW);
    expect(gone.metering?.retiredWorkloads).toBeUndefined();
    expect(gone.metering?.sites).toEqual(first.metering?.sites);
    // Pruning the ledger is written at once, whatever the metering interval.
    expect(worthWriting(first, gone, NOW.getTime(), 60_000)).toBe(true);
  });
});
