import { describe, expect, it } from 'vitest';
import type { InferenceReplicaInterval, InferenceServiceStatus, InferenceSiteStatus, Site } from '../../api/generated/types.ts';
import { inferenceUsage } from '../../queueing/metered-workload.ts';
import { formatCost, meterRows, type UsageRow } from '../../queueing/metering.ts';
import { MAX_REPLICA_INTERVALS, withReplicaIntervals } from './replica-intervals.ts';
import { cpuPool, gpuPool, makeService, makeSite, variant } from './testing.ts';

const T0 = Date.UTC(2026, 2, 2, 8, 0, 0);
const at = (minutes: number): Date => new Date(T0 + minutes * 60_000);
const stamp = (minutes: number): string => at(minutes).toISOString().replace('.000Z', 'Z');

/** Two sites: shanghai prices an H100 at 28 CNY/h, hk at 4 USD/h; each also has a CPU pool. */
const SITES: Site[] = [
  makeSite('shanghai').price('NVIDIA-H100-80GB-HBM3', 28).pool(gpuPool('h100').nvidia('NVIDIA H100 80GB HBM3', 8)).pool(cpuPool('cpu')).obj(),
  makeSite('hk').currency('USD').price('NVIDIA-H100-80GB-HBM3', 4).pool(gpuPool('h100').nvidia('NVIDIA H100 80GB HBM3', 8)).obj(),
];

const SVC = makeService('chat')
  .resources('4', '16Gi')
  .variant(variant('gpu').nvidia('H100', 1))
  .variant(variant('cpu').cpuOnly())
  .edit((s) => (s.metadata.uid = 'uid-chat'))
  .obj();

const site = (name: string, replicas: number, variantName = 'gpu', pool = 'h100'): InferenceSiteStatus => ({ site: name, variant: variantName, pool, replicas, readyReplicas: 0 });

const gpuInterval = (s: string, replicas: number, from: number, price: number, currency: string, to?: number): InferenceReplicaInterval => ({
  site: s,
  variant: 'gpu',
  pool: 'h100',
  replicas,
  startTime: stamp(from),
  ...(to !== undefined && { endTime: stamp(to) }),
  queue: 'research',
  charge: { cpu: String(4 * replicas), memory: `${16 * replicas}Gi`, 'nvidia.com/gpu': String(replicas) },
  pricePerHour: price * replicas,
  currency,
});

/** step writes the status the reconciler would at minute `m` with `sites` placed. */
function step(status: InferenceServiceStatus, m: number, sites: InferenceSiteStatus[]): InferenceServiceStatus {
  return withReplicaIntervals({ ...SVC, status }, { ...status, sites, admission: { queue: 'research' } }, SITES, at(m));
}

describe('withReplicaIntervals', () => {
  const cases: { name: string; before: InferenceReplicaInterval[]; minute: number; sites: InferenceSiteStatus[]; want: InferenceReplicaInterval[] }[] = [
    {
      name: 'a site that gets replicas opens an interval: their charge, the price per hour of their devices, the queue',
      before: [],
      minute: 0,
      sites: [site('hk', 1), site('shanghai', 2)],
      want: [gpuInterval('hk', 1, 0, 4, 'USD'), gpuInterval('shanghai', 2, 0, 28, 'CNY')],
    },
    {
      name: 'unchanged replicas keep their interval open',
      before: [gpuInterval('shanghai', 2, 0, 28, 'CNY')],
      minute: 30,
      sites: [site('shanghai', 2)],
      want: [gpuInterval('shanghai', 2, 0, 28, 'CNY')],
    },
    {
      name: 'a change of count closes the interval and opens the next at once',
      before: [gpuInterval('shanghai', 2, 0, 28, 'CNY')],
      minute: 30,
      sites: [site('shanghai', 3)],
      want: [gpuInterval('shanghai', 2, 0, 28, 'CNY', 30), gpuInterval('shanghai', 3, 30, 28, 'CNY')],
    },
    {
      name: 'replicas that move away close the interval; a CPU variant is charged cpu and memory, unpriced',
      before: [gpuInterval('hk', 1, 0, 4, 'USD')],
      minute: 45,
      sites: [site('shanghai', 1, 'cpu', 'cpu')],
      want: [
        gpuInterval('hk', 1, 0, 4, 'USD', 45),
        { site: 'shanghai', variant: 'cpu', pool: 'cpu', replicas: 1, startTime: stamp(45), queue: 'research', charge: { cpu: '4', memory: '16Gi' } },
      ],
    },
    {
      name: 'a change within the second an interval began replaces it rather than leave one of no length',
      before: [gpuInterval('shanghai', 2, 10, 28, 'CNY')],
      minute: 10,
      sites: [site('shanghai', 1)],
      want: [gpuInterval('shanghai', 1, 10, 28, 'CNY')],
    },
    {
      name: 'closed intervals stay as they are, and no site placed closes every open one',
      before: [gpuInterval('hk', 1, 0, 4, 'USD', 5), gpuInterval('shanghai', 2, 0, 28, 'CNY')],
      minute: 60,
      sites: [],
      want: [gpuInterval('hk', 1, 0, 4, 'USD', 5), gpuInterval('shanghai', 2, 0, 28, 'CNY', 60)],
    },
  ];
  it.each(cases)('$name', ({ before, minute, sites, want }) => {
    expect(step({ replicaIntervals: before }, minute, sites).replicaIntervals ?? []).toEqual(want);
  });

  it('returns the status itself when nothing changed, so an unchanged service writes nothing', () => {
    const next: InferenceServiceStatus = { sites: [site('shanghai', 2)], replicaIntervals: [gpuInterval('shanghai', 2, 0, 28, 'CNY')], admission: { queue: 'research' } };
    expect(withReplicaIntervals({ ...SVC, status: next }, next, SITES, at(90))).toBe(next);
  });

  it(`keeps the most recent ${MAX_REPLICA_INTERVALS}, dropping the oldest closed ones and never an open one`, () => {
    const closed = Array.from({ length: MAX_REPLICA_INTERVALS }, (_, i) => gpuInterval('hk', 1 + (i % 2), i, 4, 'USD', i + 1));
    const got = step({ replicaIntervals: [gpuInterval('shanghai', 2, 0, 28, 'CNY'), ...closed] }, 500, [site('shanghai', 2), site('hk', 5)]).replicaIntervals ?? [];
    expect(got).toHaveLength(MAX_REPLICA_INTERVALS);
    expect(got[0]).toEqual(gpuInterval('shanghai', 2, 0, 28, 'CNY'));
    expect(got[1]?.startTime).toBe(stamp(2)); // 258 intervals: the two oldest closed ones (minutes 0 and 1) went
    expect(got.at(-1)).toEqual(gpuInterval('hk', 5, 500, 4, 'USD'));
  });
});

describe('InferenceService metering from replica intervals', () => {
  it('gives device-hours and cost per site and queue as attempts do', () => {
    // Minute 0: 2 replicas at shanghai, 1 at hk. Minute 60: shanghai scales to 3. Minute 120: hk's replica moves to
    // shanghai (4 there). Metered at minute 180.
    let status: InferenceServiceStatus = {};
    status = step(status, 0, [site('hk', 1), site('shanghai', 2)]);
    status = step(status, 60, [site('hk', 1), site('shanghai', 3)]);
    status = step(status, 120, [site('shanghai', 4)]);
    const rows = meterRows([inferenceUsage({ ...SVC, status })], { now: at(180) });
    const devices = rows.filter((r: UsageRow) => r.resource === 'nvidia.com/gpu').map((r) => `${r.queue} ${r.site} ${r.hours} ${r.cost} ${r.currency}`);
    // shanghai: 2 + 3 + 4 device-hours at 28 CNY; hk: 2 device-hours at 4 USD.
    expect(devices).toEqual(['research hk 2 8 USD', 'research shanghai 9 252 CNY']);
    expect(formatCost(rows)).toBe('252.00 CNY, 8.00 USD');
  });
});
