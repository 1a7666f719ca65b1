import { describe, expect, it } from 'vitest';
import { currentShape, takeFromShape, type ShapeBucket } from './free-shape.ts';
import { PROMISED_UNITS } from './promised.ts';
import type { PoolInfo } from './snapshot.ts';
import { gpuPool, makeSite, snapshotOf } from './testing.ts';

const GI = 2 ** 30;

/** b is a bucket of `nodes` nodes with `devices` devices, `cpu` cores and `memoryGi` GiB free. */
function b(nodes: number, devices: number, cpu = 64, memoryGi = 512): ShapeBucket {
  return { nodes, devices, cpu, memory: memoryGi * GI };
}
/** show writes buckets as `nodes×devices/cpu/GiB` for readable tables. */
function show(buckets: readonly ShapeBucket[] | undefined): string[] | undefined {
  return buckets?.map((x) => `${x.nodes}×${x.devices}/${x.cpu}/${x.memory / GI}`);
}

describe('takeFromShape', () => {
  interface Case {
    name: string;
    shape: ShapeBucket[];
    take: { devices?: number; cpu?: number; memoryGi?: number };
    want: string[];
  }
  const cases: Case[] = [
    { name: 'nothing taken: unchanged', shape: [b(2, 8)], take: {}, want: ['2×8/64/512'] },
    {
      name: 'devices come off the most free nodes first, levelling them',
      shape: [b(1, 8), b(1, 4)],
      take: { devices: 4 },
      want: ['1×4/64/512', '1×4/64/512'],
    },
    {
      name: 'one device at a time: 8 from three whole nodes leaves 6 + 5 + 5, no whole node',
      shape: [b(3, 8)],
      take: { devices: 8 },
      want: ['2×5/64/512', '1×6/64/512'],
    },
    {
      name: 'cpu and memory go with the devices in the promise ratio (16 cpu and 128Gi per 8 devices)',
      shape: [b(2, 8)],
      take: { devices: 8, cpu: 16, memoryGi: 128 },
      want: ['2×4/56/448'],
    },
    {
      name: 'a node cannot give below zero',
      shape: [b(2, 8, 4)],
      take: { devices: 8, cpu: 64 },
      want: ['2×4/0/512'],
    },
    {
      name: 'more than the shape holds empties it',
      shape: [b(1, 8), b(2, 2)],
      take: { devices: 100 },
      want: ['1×0/64/512', '2×0/64/512'],
    },
    {
      name: 'a part device rounds up',
      shape: [b(2, 8)],
      take: { devices: 0.5 },
      want: ['1×7/64/512', '1×8/64/512'],
    },
    {
      name: 'a CPU pool levels cpu, memory in its ratio',
      shape: [b(1, 0, 64, 256), b(1, 0, 16, 256)],
      take: { cpu: 56, memoryGi: 112 },
      // 64 and 16 levelled to 12: 52 and 4 taken, and 2 GiB with each core.
      want: ['1×0/12/152', '1×0/12/248'],
    },
  ];
  it.each(cases)('$name', (c) => {
    const take = { devices: c.take.devices ?? 0, cpu: c.take.cpu ?? 0, memory: (c.take.memoryGi ?? 0) * GI };
    expect(show(takeFromShape(c.shape, take))).toEqual(c.want);
  });
});

describe('currentShape', () => {
  const site = () => makeSite('a').pool(gpuPool('h100').nvidia('H100', 8).nodes(2).shape({ nodes: 2, devices: 8 }));
  const pool = (promised = {}): PoolInfo => snapshotOf([site()], { a: { h100: promised } }).sites[0]!.pools[0]!;

  it('is the reported shape when nothing is promised, and undefined for a pool that reports none', () => {
    expect(show(currentShape(pool()))).toEqual(['2×8/64/512']);
    const plain = snapshotOf([makeSite('a').pool(gpuPool('h100').nvidia('H100', 8).nodes(2))]).sites[0]!.pools[0]!;
    expect(currentShape(plain)).toBeUndefined();
  });

  it('takes off what is promised', () => {
    expect(show(currentShape(pool({ 'nvidia.com/gpu': 8 })))).toEqual(['2×4/64/512']);
  });

  it('takes a promise that counts its units off unit by unit, each on the most free node, as the site binds it', () => {
    // Three 4-GPU workers on 2 × 8 free: bound 4, 4, 4 they leave one node with 4 free (a fourth worker fits);
    // levelled one device at a time they would leave 2 + 2 (it would not). The lab's queues test lost a slot so.
    expect(show(currentShape(pool({ 'nvidia.com/gpu': 12, cpu: 24, [PROMISED_UNITS]: 3 })))).toEqual(['1×4/56/512', '1×0/48/512']);
    expect(show(currentShape(pool({ 'nvidia.com/gpu': 12, cpu: 24 })))).toEqual(['2×2/52/512']);
  });

  it('takes off what a snapshot edit took from the totals (an admission cycle lowers `free` only)', () => {
    const p = pool();
    const lowered: PoolInfo = { ...p, free: { ...p.free, 'nvidia.com/gpu': 12 } };
    expect(show(currentShape(lowered))).toEqual(['2×6/64/512']);
  });

  it('is undefined once a total grew past the report: where the capacity appeared is unknown', () => {
    const p = pool({ 'nvidia.com/gpu': 8 });
    // Preemption gives back 12 devices on top of a promise of 8: 20 free, more than the 16 reported.
    const grown: PoolInfo = { ...p, free: { ...p.free, 'nvidia.com/gpu': 20 } };
    expect(currentShape(grown)).toBeUndefined();
  });

  it('leaves a bucket out whose quantity does not parse: it under-states, never over-states', () => {
    const s = makeSite('a').pool(gpuPool('h100').nvidia('H100', 8).nodes(2).shape({ nodes: 1, devices: 8, cpu: 'lots' }, { nodes: 1, devices: 2 }));
    expect(show(currentShape(snapshotOf([s]).sites[0]!.pools[0]!))).toEqual(['1×2/64/512']);
  });
});
