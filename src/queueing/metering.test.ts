import { describe, expect, it } from 'vitest';
import type { TrainingAttempt, TrainingJob } from '../api/generated/types.ts';
import { inferenceUsage, trainingUsage, type MeteredWorkload } from './metered-workload.ts';
import { formatCost, meteringTime, meterRows, meterUsage, roundTo, siteMetering, usageRows, type MeteringWindow, type UsageRow } from './metering.ts';

const NOW = new Date('2026-03-02T00:00:00Z');
const GIB = 2 ** 30;

/** at returns the time `hours` before NOW (negative: after), as the apiserver writes timestamps. */
const at = (hoursAgo: number): string => new Date(NOW.getTime() - hoursAgo * 3_600_000).toISOString().replace('.000Z', 'Z');

/** AttemptInit is what a case says of an attempt; hours are relative to NOW. */
interface AttemptInit {
  site: string;
  epoch?: number;
  startedHoursAgo: number;
  endedHoursAgo?: number;
  queue?: string;
  charge?: Record<string, string | number>;
  price?: number;
  currency?: string;
}

function attempt(a: AttemptInit): TrainingAttempt {
  return {
    site: a.site,
    variant: 'v',
    startTime: at(a.startedHoursAgo),
    outcome: a.endedHoursAgo === undefined ? 'Running' : 'Succeeded',
    ...(a.epoch !== undefined && { epoch: a.epoch }),
    ...(a.endedHoursAgo !== undefined && { endTime: at(a.endedHoursAgo) }),
    ...(a.queue !== undefined && { queue: a.queue }),
    ...(a.charge !== undefined && { charge: a.charge }),
    ...(a.price !== undefined && { pricePerHour: a.price }),
    ...(a.currency !== undefined && { currency: a.currency }),
  };
}

function job(uid: string, ...attempts: AttemptInit[]): TrainingJob {
  return {
    apiVersion: 'suanwang.io/v1alpha1',
    kind: 'TrainingJob',
    metadata: { name: `job-${uid}`, namespace: 'default', uid },
    spec: { resources: { cpu: '8', memory: '64Gi' }, variants: [] },
    status: { attempts: attempts.map(attempt) },
  };
}

/** meterAttempts meters TrainingJobs as the CLI does. */
const meterAttempts = (jobs: readonly TrainingJob[], window: MeteringWindow): UsageRow[] => meterRows(jobs.map(trainingUsage), window);

/** brief renders a row as "queue site resource hours cost currency", '-' for empty text, for compact want fields. */
const brief = (r: UsageRow): string => [r.queue || '-', r.site, r.resource, r.hours, r.cost, r.currency || '-'].join(' ');

const GPU8 = { 'nvidia.com/gpu': '8', cpu: '64', memory: '512Gi' };

describe('meterAttempts', () => {
  const cases: { name: string; jobs: TrainingJob[]; sinceHoursAgo?: number; want: string[] }[] = [
    {
      name: 'a closed attempt: its charge × its hours, cost on the devices',
      jobs: [job('a', { site: 'shanghai', epoch: 1, startedHoursAgo: 5, endedHoursAgo: 3, queue: 'research', charge: GPU8, price: 80, currency: 'CNY' })],
      want: ['research shanghai cpu 128 0 -', `research shanghai memory ${512 * GIB * 2} 0 -`, 'research shanghai nvidia.com/gpu 16 160 CNY'],
    },
    {
      name: 'a running attempt counts up to now, and so does one that ends after now (metered at an earlier time)',
      jobs: [
        job('a', { site: 'guizhou', epoch: 1, startedHoursAgo: 1.5, queue: 'research', charge: { 'huawei.com/Ascend910': 4 }, price: 40, currency: 'CNY' }),
        job('b', { site: 'guizhou', epoch: 1, startedHoursAgo: 0.5, endedHoursAgo: -2, queue: 'research', charge: { 'huawei.com/Ascend910': 4 }, price: 40, currency: 'CNY' }),
      ],
      want: ['research guizhou huawei.com/Ascend910 8 80 CNY'],
    },
    {
      name: 'an attempt that starts after now, or ends before it starts, or has an unreadable time counts nothing',
      jobs: [
        job('future', { site: 'guizhou', epoch: 1, startedHoursAgo: -1, charge: { cpu: 1 } }),
        job('backwards', { site: 'guizhou', epoch: 1, startedHoursAgo: 1, endedHoursAgo: 2, charge: { cpu: 1 } }),
        { ...job('garbled'), status: { attempts: [{ site: 'guizhou', variant: 'v', outcome: 'Running', startTime: 'yesterday', charge: { cpu: 1 } }] } },
      ],
      want: [],
    },
    {
      name: 'the window clips attempts to [since, now]',
      sinceHoursAgo: 1,
      jobs: [
        job('before', { site: 'shanghai', epoch: 1, startedHoursAgo: 5, endedHoursAgo: 2, queue: 'q', charge: { 'nvidia.com/gpu': 1 }, price: 10, currency: 'CNY' }),
        job('across', { site: 'shanghai', epoch: 1, startedHoursAgo: 3, endedHoursAgo: 0.5, queue: 'q', charge: { 'nvidia.com/gpu': 2 }, price: 20, currency: 'CNY' }),
        job('running', { site: 'shanghai', epoch: 1, startedHoursAgo: 2, queue: 'q', charge: { 'nvidia.com/gpu': 1 }, price: 10, currency: 'CNY' }),
      ],
      // across: 0.5 h × 2 devices, 0.5 h × 20; running: 1 h × 1 device, 1 h × 10.
      want: ['q shanghai nvidia.com/gpu 2 20 CNY'],
    },
    {
      name: 'a site priced in two currencies keeps a device row per currency; unpriced hours are apart too',
      jobs: [
        job('cny', { site: 'hk', epoch: 1, startedHoursAgo: 4, endedHoursAgo: 3, queue: 'q', charge: { 'nvidia.com/gpu': 8, cpu: 16 }, price: 100, currency: 'CNY' }),
        job('usd', { site: 'hk', epoch: 1, startedHoursAgo: 2, endedHoursAgo: 1, queue: 'q', charge: { 'nvidia.com/gpu': 8, cpu: 16 }, price: 14, currency: 'USD' }),
        job('free', { site: 'hk', epoch: 1, startedHoursAgo: 2, endedHoursAgo: 1, queue: 'q', charge: { 'nvidia.com/gpu': 1 } }),
      ],
      want: ['q hk cpu 32 0 -', 'q hk nvidia.com/gpu 1 0 -', 'q hk nvidia.com/gpu 8 100 CNY', 'q hk nvidia.com/gpu 8 14 USD'],
    },
    {
      name: 'quantities that do not parse or are negative count nothing (the CRD refuses them)',
      jobs: [job('a', { site: 's', epoch: 1, startedHoursAgo: 2, endedHoursAgo: 1, queue: 'q', charge: { cpu: '-4', memory: 'lots', 'nvidia.com/gpu': 1 } })],
      want: ['q s nvidia.com/gpu 1 0 -'],
    },
    {
      name: 'an attempt without a charge counts nothing, even when priced; one without a queue counts under ""',
      jobs: [
        job('old', { site: 'shanghai', epoch: 1, startedHoursAgo: 3, endedHoursAgo: 1, queue: 'q', price: 80, currency: 'CNY' }),
        job('noqueue', { site: 'shanghai', epoch: 1, startedHoursAgo: 3, endedHoursAgo: 1, charge: { cpu: '500m' } }),
      ],
      want: ['- shanghai cpu 1 0 -'],
    },
    {
      name: 'restarts at two sites: every attempt once, each at its own site, price and queue',
      jobs: [
        job(
          'a',
          { site: 'shanghai', epoch: 1, startedHoursAgo: 10, endedHoursAgo: 8, queue: 'q', charge: { 'nvidia.com/gpu': 8 }, price: 80, currency: 'CNY' },
          { site: 'guizhou', epoch: 2, startedHoursAgo: 8, endedHoursAgo: 5, queue: 'q', charge: { 'huawei.com/Ascend910': 16 }, price: 96, currency: 'CNY' },
          { site: 'shanghai', epoch: 3, startedHoursAgo: 4, queue: 'other', charge: { 'nvidia.com/gpu': 8 }, price: 88, currency: 'CNY' },
        ),
      ],
      want: ['other shanghai nvidia.com/gpu 32 352 CNY', 'q guizhou huawei.com/Ascend910 48 288 CNY', 'q shanghai nvidia.com/gpu 16 160 CNY'],
    },
    {
      name: 'a job listed twice counts once, and the closed copy of an attempt wins over a stale running one',
      jobs: [
        job('a', { site: 'shanghai', epoch: 1, startedHoursAgo: 10, endedHoursAgo: 8, queue: 'q', charge: { 'nvidia.com/gpu': 1 } }, { site: 'guizhou', epoch: 2, startedHoursAgo: 8, queue: 'q', charge: { 'nvidia.com/gpu': 1 } }),
        job('a', { site: 'shanghai', epoch: 1, startedHoursAgo: 10, endedHoursAgo: 8, queue: 'q', charge: { 'nvidia.com/gpu': 1 } }, { site: 'guizhou', epoch: 2, startedHoursAgo: 8, endedHoursAgo: 7, queue: 'q', charge: { 'nvidia.com/gpu': 1 } }),
        job('a', { site: 'guizhou', epoch: 2, startedHoursAgo: 8, queue: 'q', charge: { 'nvidia.com/gpu': 1 } }),
      ],
      want: ['q guizhou nvidia.com/gpu 1 0 -', 'q shanghai nvidia.com/gpu 2 0 -'],
    },
    {
      name: 'attempts recorded without an epoch are told apart by start and site',
      jobs: [job('a', { site: 'shanghai', startedHoursAgo: 4, endedHoursAgo: 3, charge: { cpu: 1 } }, { site: 'shanghai', startedHoursAgo: 2, endedHoursAgo: 1, charge: { cpu: 1 } })],
      want: ['- shanghai cpu 2 0 -'],
    },
    {
      name: 'rounding: hours to 6 decimals and cost to 4, once, on the totals',
      jobs: [
        job('a', { site: 's', epoch: 1, startedHoursAgo: 1, endedHoursAgo: 2 / 3, queue: 'q', charge: { 'nvidia.com/gpu': 1 }, price: 10, currency: 'CNY' }),
        job('b', { site: 's', epoch: 1, startedHoursAgo: 0.1, endedHoursAgo: 0, queue: 'q', charge: { cpu: 1 } }),
        job('c', { site: 's', epoch: 1, startedHoursAgo: 0.3, endedHoursAgo: 0.1, queue: 'q', charge: { cpu: 1 } }),
      ],
      // 20 minutes: 1/3 device-hour, 10/3 CNY; cpu 0.1 + 0.2 h without the float's 0.30000000000000004.
      want: ['q s cpu 0.3 0 -', 'q s nvidia.com/gpu 0.333333 3.3333 CNY'],
    },
    {
      name: 'a price without a currency is in the default currency; priced without a device, the first resource carries it',
      jobs: [
        job('a', { site: 's', epoch: 1, startedHoursAgo: 2, endedHoursAgo: 1, queue: 'q', charge: { 'nvidia.com/gpu': 2, cpu: 4 }, price: 30 }),
        job('b', { site: 't', epoch: 1, startedHoursAgo: 2, endedHoursAgo: 1, queue: 'q', charge: { memory: '1Gi', cpu: 4 }, price: 5, currency: 'USD' }),
      ],
      want: ['q s cpu 4 0 -', 'q s nvidia.com/gpu 2 30 CNY', 'q t cpu 4 5 USD', `q t memory ${GIB} 0 -`],
    },
  ];
  it.each(cases)('$name', ({ jobs, sinceHoursAgo, want }) => {
    const since = sinceHoursAgo === undefined ? undefined : new Date(NOW.getTime() - sinceHoursAgo * 3_600_000);
    expect(meterAttempts(jobs, { now: NOW, ...(since !== undefined && { since }) }).map(brief)).toEqual(want);
  });
});

describe('meterRows of other workloads', () => {
  const cases: { name: string; workloads: MeteredWorkload[]; want: string[] }[] = [
    {
      name: "an InferenceService's replica intervals count as attempts do, each site at its own price",
      workloads: [
        inferenceUsage({
          apiVersion: 'suanwang.io/v1alpha1',
          kind: 'InferenceService',
          metadata: { name: 'chat', namespace: 'default', uid: 'svc' },
          spec: { resources: { cpu: '4', memory: '16Gi' }, variants: [] },
          status: {
            replicaIntervals: [
              { site: 'shanghai', replicas: 2, startTime: at(5), endTime: at(3), queue: 'q', charge: { 'nvidia.com/gpu': '2', cpu: '8' }, pricePerHour: 56, currency: 'CNY' },
              { site: 'shanghai', replicas: 3, startTime: at(3), queue: 'q', charge: { 'nvidia.com/gpu': '3', cpu: '12' }, pricePerHour: 84, currency: 'CNY' },
              { site: 'hk', replicas: 1, startTime: at(2), endTime: at(1), queue: 'q', charge: { 'nvidia.com/gpu': '1', cpu: '4' }, pricePerHour: 2, currency: 'USD' },
            ],
          },
        }),
      ],
      // shanghai: 2 × 2 h + 3 × 3 h = 13 device-hours, 56 × 2 + 84 × 3 = 364 CNY; cpu 8 × 2 + 12 × 3 = 52 core-hours.
      want: ['q hk cpu 4 0 -', 'q hk nvidia.com/gpu 1 2 USD', 'q shanghai cpu 52 0 -', 'q shanghai nvidia.com/gpu 13 364 CNY'],
    },
    {
      name: 'nothing of a workload being deleted counts after its deletionTimestamp',
      workloads: [
        {
          ...trainingUsage(job('a', { site: 's', epoch: 1, startedHoursAgo: 3, queue: 'q', charge: { 'nvidia.com/gpu': 1 }, price: 10, currency: 'CNY' })),
          deletedAt: at(1),
        },
      ],
      want: ['q s nvidia.com/gpu 2 20 CNY'],
    },
    {
      name: 'a TrainingJob and an InferenceService of the same name are two workloads',
      workloads: [
        { kind: 'TrainingJob', namespace: 'n', name: 'x', uid: '', intervals: [{ id: 'epoch 1', queue: 'q', site: 's', startTime: at(2), endTime: at(1), charge: { cpu: '1' } }] },
        { kind: 'InferenceService', namespace: 'n', name: 'x', uid: '', intervals: [{ id: 'epoch 1', queue: 'q', site: 's', startTime: at(2), endTime: at(1), charge: { cpu: '1' } }] },
      ],
      want: ['q s cpu 2 0 -'],
    },
  ];
  it.each(cases)('$name', ({ workloads, want }) => {
    expect(meterRows(workloads, { now: NOW }).map(brief)).toEqual(want);
  });
});

describe('siteMetering', () => {
  const jobs = [
    job(
      'a',
      { site: 'shanghai', epoch: 1, startedHoursAgo: 10, endedHoursAgo: 8, queue: 'q', charge: { 'nvidia.com/gpu': 8, memory: '64Gi' }, price: 80, currency: 'CNY' },
      { site: 'hk', epoch: 2, startedHoursAgo: 8, endedHoursAgo: 7, queue: 'q', charge: { 'nvidia.com/gpu': 8, cpu: 16 }, price: 100, currency: 'CNY' },
      { site: 'hk', epoch: 3, startedHoursAgo: 7, endedHoursAgo: 5, queue: 'q', charge: { 'nvidia.com/gpu': 8, cpu: 16 }, price: 70, currency: 'USD' },
      { site: 'hk', epoch: 4, startedHoursAgo: 5, endedHoursAgo: 4, queue: 'q', charge: { 'nvidia.com/gpu': 1 } },
      { site: 'guizhou', epoch: 5, startedHoursAgo: 4, queue: 'q', charge: { cpu: 16 } },
    ),
  ];
  const cases: { name: string; at: Date; wantSites: ReturnType<typeof siteMetering> }[] = [
    {
      name: 'one entry per site × currency the hours were priced in, each with all of their resources; unpriced hours apart',
      at: NOW,
      wantSites: [
        { site: 'guizhou', resourceHours: { cpu: 64 } },
        { site: 'hk', resourceHours: { 'nvidia.com/gpu': 1 } },
        { site: 'hk', currency: 'CNY', cost: 100, resourceHours: { cpu: 16, 'nvidia.com/gpu': 8 } },
        { site: 'hk', currency: 'USD', cost: 140, resourceHours: { cpu: 32, 'nvidia.com/gpu': 16 } },
        { site: 'shanghai', currency: 'CNY', cost: 160, resourceHours: { memory: 128 * GIB, 'nvidia.com/gpu': 16 } },
      ],
    },
  ];
  it.each(cases)('$name', ({ at: now, wantSites }) => {
    const cells = meterUsage(jobs.map(trainingUsage), { now });
    expect(siteMetering(cells)).toEqual(wantSites);
    // The CLI's rows of the same cells cost the same per currency: the COST column and `suanwang usage` agree.
    expect(formatCost(usageRows(cells))).toBe('260.00 CNY, 140.00 USD');
  });

  it('is restart-safe: a later pass over the same closed attempts gives the same totals', () => {
    const closed = [job('a', { site: 'hk', epoch: 1, startedHoursAgo: 3, endedHoursAgo: 1, queue: 'q', charge: { 'nvidia.com/gpu': 2 }, price: 7, currency: 'CNY' })];
    const later = new Date(NOW.getTime() + 5 * 3_600_000);
    expect(siteMetering(meterUsage(closed.map(trainingUsage), { now: later }))).toEqual(siteMetering(meterUsage(closed.map(trainingUsage), { now: NOW })));
  });

  it('meteringTime takes now to the whole second', () => {
    expect(meteringTime(new Date(NOW.getTime() + 999))).toEqual(NOW);
  });
});

describe('formatCost', () => {
  const row = (currency: string, cost: number): UsageRow => ({ queue: 'q', site: 's', resource: 'nvidia.com/gpu', hours: 1, currency, cost });
  const cases: { name: string; rows: UsageRow[]; want: string }[] = [
    { name: 'nothing priced', rows: [row('', 0)], want: '' },
    { name: 'priced at nothing', rows: [row('CNY', 0)], want: '0.00 CNY' },
    { name: 'sums a currency over rows', rows: [row('CNY', 1000), row('CNY', 234.5), row('', 0)], want: '1234.50 CNY' },
    { name: 'currencies apart, in code order', rows: [row('USD', 3), row('CNY', 12), row('EUR', 0.5)], want: '12.00 CNY, 0.50 EUR, 3.00 USD' },
    { name: 'half a cent rounds up', rows: [row('CNY', 1.005)], want: '1.01 CNY' },
    { name: 'sub-cent rows add up before rounding', rows: [row('CNY', 0.004), row('CNY', 0.004)], want: '0.01 CNY' },
  ];
  it.each(cases)('$name', ({ rows, want }) => {
    expect(formatCost(rows)).toBe(want);
  });
});

describe('roundTo', () => {
  const cases: { value: number; decimals: number; want: number }[] = [
    { value: 1.005, decimals: 2, want: 1.01 },
    { value: 0.1 + 0.2, decimals: 6, want: 0.3 },
    { value: 1 / 3, decimals: 4, want: 0.3333 },
    { value: 1e-7, decimals: 6, want: 0 },
    { value: 1e21, decimals: 6, want: 1e21 },
    { value: 549755813888, decimals: 6, want: 549755813888 },
    // Byte-hours of memory reach 10^15: scaled by 10^6 they print in exponent form, which must not give NaN.
    { value: 4.4e15, decimals: 6, want: 4.4e15 },
    { value: 1234567890123.4567, decimals: 9, want: 1234567890123.4567 },
  ];
  it.each(cases)('roundTo($value, $decimals) = $want', ({ value, decimals, want }) => {
    expect(roundTo(value, decimals)).toBe(want);
  });
});
