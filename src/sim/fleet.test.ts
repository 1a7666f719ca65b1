import { describe, expect, it } from 'vitest';
import { Fleet, poolServes, type WorkerDemand } from './fleet.ts';
import type { SimPool, SimTopology } from './topology.ts';

const GI = 2 ** 30;
const gpuPool = (name: string, nodes: number, model = 'G2', count = 8): SimPool => ({
  name,
  nodes,
  cpu: 96,
  memory: 384 * GI,
  architecture: 'amd64',
  accelerator: { vendor: 'nvidia', model, count, memoryGiB: 32, precisions: [], resourceName: 'nvidia.com/gpu', pricePerHour: undefined },
});
const topology = (...pools: SimPool[]): SimTopology => ({ file: 't.yaml', sites: [{ name: 'a', region: 'r', currency: 'CNY', labels: {}, pools }] });
const TYPICAL: WorkerDemand = { devices: 1, cpuMilli: 8000, memory: 32 * GI };
const oneGpu: WorkerDemand = { devices: 1, cpuMilli: 8000, memory: 32 * GI };

describe('the binder (kube-scheduler LeastAllocated)', () => {
  it('spreads workers over the least allocated nodes, ties to the first node', () => {
    const fleet = new Fleet(topology(gpuPool('g2', 3)), TYPICAL);
    const pools = fleet.sites[0]?.pools ?? [];
    const nodes = [1, 2, 3, 4].map(() => fleet.bindGang(pools, oneGpu, 1)?.[0]?.node);
    expect(nodes).toEqual([0, 1, 2, 0]);
    expect(fleet.allocatedGpus).toBe(4);
    expect(fleet.allocatedBySite()).toEqual({ a: 4 });
  });

  it('binds a gang all or none', () => {
    const fleet = new Fleet(topology(gpuPool('g2', 2)), TYPICAL);
    const pools = fleet.sites[0]?.pools ?? [];
    expect(fleet.bindGang(pools, { devices: 8, cpuMilli: 1000, memory: GI }, 3)).toBeUndefined();
    expect(fleet.allocatedGpus).toBe(0);
    expect(fleet.releases).toBe(0); // a rollback is not a release
    const gang = fleet.bindGang(pools, { devices: 8, cpuMilli: 1000, memory: GI }, 2);
    expect(gang?.map((b) => b.node)).toEqual([0, 1]);
    for (const b of gang ?? []) fleet.release(b);
    expect(fleet.allocatedGpus).toBe(0);
    expect(fleet.releases).toBe(2);
  });

  it('refuses a worker no node has room for, in any one resource', () => {
    const fleet = new Fleet(topology(gpuPool('g2', 1)), TYPICAL);
    const pools = fleet.sites[0]?.pools ?? [];
    expect(fleet.bindGang(pools, { devices: 1, cpuMilli: 97_000, memory: GI }, 1)).toBeUndefined();
    expect(fleet.bindGang(pools, { devices: 9, cpuMilli: 1000, memory: GI }, 1)).toBeUndefined();
    expect(Fleet.fitsIdle(pools, { devices: 4, cpuMilli: 1000, memory: GI }, 2)).toBe(true);
    expect(Fleet.fitsIdle(pools, { devices: 4, cpuMilli: 1000, memory: GI }, 3)).toBe(false);
  });

  it('counts free GPUs the typical task cannot use as fragmented', () => {
    const fleet = new Fleet(topology(gpuPool('g2', 1)), TYPICAL);
    const pools = fleet.sites[0]?.pools ?? [];
    expect(fleet.fragmentedGpus).toBe(0);
    // 7 GPUs left but only 1 core: none of them can run the typical task (8 cores).
    fleet.bindGang(pools, { devices: 1, cpuMilli: 95_000, memory: GI }, 1);
    expect(fleet.fragmentedGpus).toBe(7);
  });

  it('merges every pool into one site for the pooled policy, keeping home sites for the report', () => {
    const two: SimTopology = { file: 't.yaml', sites: [
      { name: 'b', region: 'r', currency: 'CNY', labels: {}, pools: [gpuPool('g2', 1)] },
      { name: 'a', region: 'r', currency: 'CNY', labels: {}, pools: [gpuPool('g2', 1)] },
    ] };
    const fleet = new Fleet(two, TYPICAL, 'pooled');
    expect(fleet.sites.map((s) => [s.name, s.pools.map((p) => p.name)])).toEqual([['pooled', ['a-g2', 'b-g2']]]);
    fleet.bindGang(fleet.sites[0]?.pools ?? [], oneGpu, 1);
    expect(fleet.allocatedBySite()).toEqual({ a: 1, b: 0 });
    expect(fleet.totalGpus).toBe(16);
  });
});

describe('poolServes', () => {
  const v = (model?: string) => ({ name: 'v', index: 0, cpu: 1, memory: GI, accelerator: { vendor: 'nvidia' as const, count: 1, ...(model === undefined ? {} : { model }) } });
  it('matches models as placement does, and keeps CPU work on CPU pools', () => {
    expect(poolServes(v('V100M32'), gpuPool('p', 1, 'V100M32'))).toBe(true);
    expect(poolServes(v('V100M32'), gpuPool('p', 1, 'V100M16'))).toBe(false);
    expect(poolServes(v(), gpuPool('p', 1, 'T4'))).toBe(true);
    expect(poolServes({ name: 'c', index: 0, cpu: 1, memory: GI }, gpuPool('p', 1))).toBe(false);
    expect(poolServes({ name: 'c', index: 0, cpu: 1, memory: GI }, { ...gpuPool('p', 1), accelerator: undefined })).toBe(true);
  });
});
