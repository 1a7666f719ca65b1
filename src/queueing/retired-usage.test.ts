import { describe, expect, it } from 'vitest';
import type { QueueRetiredUsage } from '../api/generated/types.ts';
import type { MeteredInterval, MeteredWorkload } from './metered-workload.ts';
import { formatCost, meterUsage, usageRows } from './metering.ts';
import {
  cutBySince,
  foldRetired,
  MAX_RETIRED_WORKLOADS,
  RETIRED_ENTRIES_TARGET,
  retiredCells,
  settleLedger,
  type RetiredLedger,
} from './retired-usage.ts';

const EMPTY: RetiredLedger = { retired: [], retiredWorkloads: [] };

/** t is a UTC time on 2026-03-02 at `hour` (may pass 24: the next days). */
const t = (hour: number): string => new Date(Date.UTC(2026, 2, 2) + hour * 3_600_000).toISOString().replace('.000Z', 'Z');

function interval(i: Partial<MeteredInterval> & { site: string; from: number; to?: number }): MeteredInterval {
  return {
    id: i.id ?? `${i.site} ${i.from}`,
    queue: i.queue ?? 'q',
    site: i.site,
    startTime: t(i.from),
    ...(i.to !== undefined && { endTime: t(i.to) }),
    charge: i.charge ?? { 'nvidia.com/gpu': '8', cpu: '16' },
    ...(i.pricePerHour !== undefined && { pricePerHour: i.pricePerHour }),
    ...(i.currency !== undefined && { currency: i.currency }),
  };
}

function deleted(uid: string, at: number, ...intervals: MeteredInterval[]): MeteredWorkload {
  return { kind: 'TrainingJob', namespace: 'ns', name: `job-${uid}`, uid, deletedAt: t(at), intervals };
}

const day = (d: number, rest: Omit<QueueRetiredUsage, 'startTime' | 'endTime'>): QueueRetiredUsage => ({
  ...rest,
  startTime: t(24 * d),
  endTime: t(24 * (d + 1)),
});

describe('foldRetired', () => {
  const cases: { name: string; ledger?: RetiredLedger; workloads: MeteredWorkload[]; wantRetired: QueueRetiredUsage[]; wantWorkloads: string[] }[] = [
    {
      name: 'a deleted workload: its intervals of the queue per site × currency × day, its uid listed',
      workloads: [
        deleted(
          'a',
          20,
          interval({ site: 'shanghai', from: 1, to: 3, pricePerHour: 80, currency: 'CNY' }),
          interval({ site: 'hk', from: 4, to: 5, pricePerHour: 10, currency: 'USD' }),
          interval({ site: 'hk', from: 5, to: 6, queue: 'other', pricePerHour: 10, currency: 'USD' }),
        ),
      ],
      wantRetired: [
        day(0, { site: 'hk', currency: 'USD', resourceHours: { cpu: 16, 'nvidia.com/gpu': 8 }, resourceCost: { 'nvidia.com/gpu': 10 } }),
        day(0, { site: 'shanghai', currency: 'CNY', resourceHours: { cpu: 32, 'nvidia.com/gpu': 16 }, resourceCost: { 'nvidia.com/gpu': 160 } }),
      ],
      wantWorkloads: ['a'],
    },
    {
      name: 'an interval still open counts up to the deletionTimestamp, split at midnight; unpriced hours have no currency',
      workloads: [deleted('a', 26, interval({ site: 's', from: 22, charge: { cpu: '2' } }))],
      wantRetired: [day(0, { site: 's', resourceHours: { cpu: 4 } }), day(1, { site: 's', resourceHours: { cpu: 4 } })],
      wantWorkloads: ['a'],
    },
    {
      name: 'added to what the ledger holds for the same site, currency and day',
      ledger: {
        retired: [day(0, { site: 's', currency: 'CNY', resourceHours: { 'nvidia.com/gpu': 1 }, resourceCost: { 'nvidia.com/gpu': 1.5 } })],
        retiredWorkloads: ['old'],
      },
      workloads: [deleted('b', 12, interval({ site: 's', from: 1, to: 2, charge: { 'nvidia.com/gpu': '2' }, pricePerHour: 3, currency: 'CNY' }))],
      wantRetired: [day(0, { site: 's', currency: 'CNY', resourceHours: { 'nvidia.com/gpu': 3 }, resourceCost: { 'nvidia.com/gpu': 4.5 } })],
      wantWorkloads: ['old', 'b'],
    },
    {
      name: 'exactly once: a workload the ledger lists is not folded again',
      ledger: { retired: [day(0, { site: 's', resourceHours: { cpu: 1 } })], retiredWorkloads: ['a'] },
      workloads: [deleted('a', 12, interval({ site: 's', from: 1, to: 2, charge: { cpu: '1' } }))],
      wantRetired: [day(0, { site: 's', resourceHours: { cpu: 1 } })],
      wantWorkloads: ['a'],
    },
    {
      name: 'live workloads, workloads without a uid and workloads that never ran under the queue are left alone',
      workloads: [
        { ...deleted('live', 0, interval({ site: 's', from: 1, to: 2 })), deletedAt: undefined },
        deleted('', 12, interval({ site: 's', from: 1, to: 2 })),
        deleted('elsewhere', 12, interval({ site: 's', from: 1, to: 2, queue: 'other' })),
      ],
      wantRetired: [],
      wantWorkloads: [],
    },
    {
      name: 'a workload listed twice (two copies in a cache) is folded once, its closed copy of an interval winning',
      workloads: [
        deleted('a', 12, interval({ id: 'epoch 1', site: 's', from: 1, charge: { cpu: '1' } })),
        deleted('a', 12, interval({ id: 'epoch 1', site: 's', from: 1, to: 3, charge: { cpu: '1' } })),
      ],
      wantRetired: [day(0, { site: 's', resourceHours: { cpu: 2 } })],
      wantWorkloads: ['a'],
    },
  ];
  it.each(cases)('$name', ({ ledger, workloads, wantRetired, wantWorkloads }) => {
    const got = foldRetired('q', ledger ?? EMPTY, workloads);
    expect(got.retired).toEqual(wantRetired);
    expect(got.retiredWorkloads).toEqual(wantWorkloads);
  });

  it('folding the same ledger again (a retry, a restarted operator) changes nothing', () => {
    const workloads = [deleted('a', 30, interval({ site: 's', from: 1, to: 28, pricePerHour: 8, currency: 'CNY' }))];
    const once = foldRetired('q', EMPTY, workloads);
    expect(foldRetired('q', once, workloads)).toBe(once);
    expect(settleLedger('q', once, workloads)).toEqual(once);
  });

  it('keeps usage whole: what live metering counted before the deletion is what retired counts after', () => {
    const live = { ...deleted('a', 0, interval({ site: 's', from: 1, to: 50, pricePerHour: 8, currency: 'CNY' }), interval({ site: 't', from: 10, pricePerHour: 2, currency: 'USD' })), deletedAt: undefined };
    const before = usageRows(meterUsage([live], { now: new Date(t(60)) }));
    const after = usageRows(retiredCells('q', foldRetired('q', EMPTY, [{ ...live, deletedAt: t(60) }]).retired));
    expect(after).toEqual(before);
    expect(formatCost(after)).toBe('392.00 CNY, 100.00 USD');
  });

  it('waits with workloads beyond MAX_RETIRED_WORKLOADS until earlier ones are gone', () => {
    const full: RetiredLedger = { retired: [], retiredWorkloads: Array.from({ length: MAX_RETIRED_WORKLOADS - 1 }, (_, i) => `u${i}`) };
    const got = foldRetired('q', full, [deleted('x', 12, interval({ site: 's', from: 1, to: 2 })), deleted('y', 12, interval({ site: 's', from: 1, to: 2 }))]);
    expect(got.retiredWorkloads.slice(-1)).toEqual(['x']);
    expect(got.retiredWorkloads).toHaveLength(MAX_RETIRED_WORKLOADS);
  });

  it('merges the oldest days into months, then years, when the list would pass its target, keeping every hour', () => {
    // One workload per site, each running 20 days at 30 sites: 600 day entries before merging.
    const days = 20;
    const sites = Array.from({ length: 30 }, (_, i) => `s${String(i).padStart(2, '0')}`);
    const workloads = sites.map((s, i) => deleted(`w${i}`, 24 * 40 + 24, interval({ site: s, from: 24 * 40 - 24 * days, to: 24 * 40, charge: { cpu: '1' } })));
    const got = foldRetired('q', EMPTY, workloads);
    expect(got.retired).toHaveLength(30 + 300);
    expect(got.retired.length).toBeLessThanOrEqual(RETIRED_ENTRIES_TARGET);
    // The days are March 22 to April 10, 2026: March's are merged into the month (30 + 300 entries), April's stay.
    const periods = new Set(got.retired.map((e) => `${e.startTime}..${e.endTime}`));
    expect(periods.has('2026-03-01T00:00:00Z..2026-04-01T00:00:00Z')).toBe(true);
    expect(periods.has('2026-04-10T00:00:00Z..2026-04-11T00:00:00Z')).toBe(true);
    const hours = got.retired.reduce((sum, e) => sum + (e.resourceHours?.['cpu'] ?? 0), 0);
    expect(hours).toBeCloseTo(sites.length * days * 24, 6);
  });
});

describe('foldRetired when the list is full', () => {
  const cpuHours = (retired: readonly QueueRetiredUsage[]): number => retired.reduce((sum, e) => sum + (e.resourceHours?.['cpu'] ?? 0), 0);

  it('merges months into years when months are not enough', () => {
    // 30 sites, each running two years (2026-03-02 to 2028-03-01): 25 months per site would still be 750 entries;
    // 2026 as a year and the 14 months after it make 450.
    const sites = Array.from({ length: 30 }, (_, i) => `s${String(i).padStart(2, '0')}`);
    const workloads = sites.map((s, i) => deleted(`w${i}`, 24 * 731, interval({ site: s, from: 0, to: 24 * 730, charge: { cpu: '1' } })));
    const got = foldRetired('q', EMPTY, workloads);
    expect(got.retired.length).toBeLessThanOrEqual(RETIRED_ENTRIES_TARGET);
    const s00 = got.retired.filter((e) => e.site === 's00').map((e) => `${e.startTime}..${e.endTime}`);
    expect(got.retired).toHaveLength(450);
    expect(s00).toHaveLength(15);
    expect(s00[0]).toBe('2026-01-01T00:00:00Z..2027-01-01T00:00:00Z');
    expect(s00.slice(1, 3)).toEqual(['2027-01-01T00:00:00Z..2027-02-01T00:00:00Z', '2027-02-01T00:00:00Z..2027-03-01T00:00:00Z']);
    expect(s00.at(-1)).toBe('2028-02-01T00:00:00Z..2028-03-01T00:00:00Z');
    expect(cpuHours(got.retired)).toBeCloseTo(30 * 730 * 24, 5);
  });

  it('merges everything of a site × currency into one entry as the last resort', () => {
    // 200 sites with a day in each of three years: 600 entries as days, months and years alike.
    const workloads = Array.from({ length: 200 }, (_, i) =>
      deleted(`w${i}`, 24 * 800, ...[0, 365, 730].map((d) => interval({ id: `epoch ${d}`, site: `s${i}`, from: 24 * d + 1, to: 24 * d + 2, charge: { cpu: '1' } }))),
    );
    const got = foldRetired('q', EMPTY, workloads);
    expect(got.retired).toHaveLength(200);
    expect(got.retired.find((e) => e.site === 's7')).toEqual({ site: 's7', startTime: '2026-01-01T00:00:00Z', endTime: '2029-01-01T00:00:00Z', resourceHours: { cpu: 3 } });
  });
});

describe('settleLedger', () => {
  it('drops uids whose workload is gone, keeps those still present, and keeps the usage', () => {
    const ledger: RetiredLedger = { retired: [day(0, { site: 's', resourceHours: { cpu: 1 } })], retiredWorkloads: ['gone', 'here'] };
    const got = settleLedger('q', ledger, [deleted('here', 12, interval({ site: 's', from: 1, to: 2 }))]);
    expect(got).toEqual({ retired: ledger.retired, retiredWorkloads: ['here'] });
  });
});

describe('retiredCells', () => {
  const retired = [
    day(0, { site: 's', currency: 'CNY', resourceHours: { cpu: 16, 'nvidia.com/gpu': 8 }, resourceCost: { 'nvidia.com/gpu': 80 } }),
    day(1, { site: 's', resourceHours: { cpu: 2 } }),
  ];
  const cases: { name: string; sinceHour?: number; want: string[]; wantCut: string[] }[] = [
    {
      name: 'every entry as cells: the cost on the resources that carry it, all of them priced in the entry currency',
      want: ['q s cpu 16 0 - CNY', 'q s nvidia.com/gpu 8 80 CNY CNY', 'q s cpu 2 0 - -'],
      wantCut: [],
    },
    { name: 'since leaves out entries that end by then', sinceHour: 24, want: ['q s cpu 2 0 - -'], wantCut: [] },
    { name: 'since counts an entry it cuts whole, and says which', sinceHour: 30, want: ['q s cpu 2 0 - -'], wantCut: ['2026-03-03T00:00:00Z'] },
  ];
  it.each(cases)('$name', ({ sinceHour, want, wantCut }) => {
    const since = sinceHour === undefined ? undefined : new Date(t(sinceHour));
    const cells = retiredCells('q', retired, since);
    expect(cells.map((c) => [c.queue, c.site, c.resource, c.hours, c.cost, c.currency || '-', c.pricedIn || '-'].join(' '))).toEqual(want);
    expect(since === undefined ? [] : cutBySince(retired, since).map((e) => e.startTime)).toEqual(wantCut);
  });
});
