import { describe, expect, it } from 'vitest';
import { Fleet } from './fleet.ts';
import { percentile, Recorder, WAIT_BUCKET_EDGES_S } from './metrics.ts';
import { MAX_SERIES_POINTS } from './result.ts';
import type { SimTopology } from './topology.ts';

const GI = 2 ** 30;
const topology: SimTopology = {
  file: 't.yaml',
  sites: [{ name: 'a', region: 'r', currency: 'CNY', labels: {}, pools: [{ name: 'g', nodes: 2, cpu: 96, memory: 384 * GI, architecture: 'amd64', accelerator: { vendor: 'nvidia', model: 'G2', count: 8, memoryGiB: 32, precisions: [], resourceName: 'nvidia.com/gpu', pricePerHour: undefined } }] }],
};

describe('Recorder', () => {
  it('averages allocation over time from the first arrival to the end', () => {
    const fleet = new Fleet(topology, { devices: 1, cpuMilli: 0, memory: 0 });
    const r = new Recorder(fleet, 100);
    r.advance(100);
    fleet.bindGang(fleet.sites[0]?.pools ?? [], { devices: 8, cpuMilli: 1000, memory: GI }, 1); // half the GPUs from t=100
    r.placed(100, 100);
    r.note(100, 0);
    r.advance(200);
    r.unplaceable();
    const res = r.finish('first-fit', 300, 0, 12.4); // held to the end: 8 of 16 GPUs throughout
    expect(res.summary.gpuAllocationAvg).toBe(0.5);
    expect(res.summary.gpuAllocationAtFirstUnplaceable).toBe(0.5);
    expect(res.summary.wallMs).toBe(12);
    expect(res.series).toEqual([{ t: 0, allocatedGpus: { a: 8 }, totalAllocatedGpus: 8, waiting: 0 }]);
  });

  it('keeps at most MAX_SERIES_POINTS points, first and last included', () => {
    const fleet = new Fleet(topology, { devices: 1, cpuMilli: 0, memory: 0 });
    const r = new Recorder(fleet, 0);
    for (let t = 0; t <= 2000; t++) r.note(t, t);
    const series = r.finish('pooled', 2000, 0, 0).series;
    expect(series).toHaveLength(MAX_SERIES_POINTS);
    expect(series[0]?.waiting).toBe(0);
    expect(series.at(-1)).toMatchObject({ t: 2000, waiting: 2000 });
  });

  it('buckets waits, with a last bar up to the longest when one is beyond 30 days', () => {
    const fleet = new Fleet(topology, { devices: 1, cpuMilli: 0, memory: 0 });
    const r = new Recorder(fleet, 0);
    for (const w of [0, 0, 30, 61, 40 * 86400]) r.placed(0, w);
    const res = r.finish('static', 40 * 86400, 0, 0);
    expect(res.waitHistogram.map((b) => b.count)).toEqual([2, 1, 1, ...WAIT_BUCKET_EDGES_S.slice(3).map(() => 0), 1]);
    expect(res.waitHistogram.at(-1)?.leS).toBe(40 * 86400);
    expect(res.summary.waitP50S).toBe(30);
    expect(res.summary.waitP99S).toBe(40 * 86400);
  });
});

describe('percentile', () => {
  it('is nearest-rank', () => {
    expect(percentile([1, 2, 3, 4], 0.5)).toBe(2);
    expect(percentile([1, 2, 3, 4], 0.99)).toBe(4);
    expect(percentile([], 0.5)).toBe(0);
  });
});
