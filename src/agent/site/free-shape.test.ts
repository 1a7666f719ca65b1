import { describe, expect, it } from 'vitest';
import { freeShape, nodeFree, type NodeFree } from './free-shape.ts';

const GI = 2 ** 30;

/** node is one node's free devices, cores and GiB. */
function node(devices: number, cores: number, memoryGi: number): NodeFree {
  return { devices, cpuMilli: cores * 1000, memoryBytes: memoryGi * GI };
}

// How nodes are grouped is tested with the grouping (src/api/free-shape.test.ts); here, what the agent sends.
describe('freeShape', () => {
  it('sends the grouping as wire buckets, cpu and memory as canonical quantities, most free devices first', () => {
    const nodes = [node(4, 48, 512), { devices: 8, cpuMilli: 95_500, memoryBytes: 1024 * GI }, node(4, 48, 512), node(0, 0, 0)];
    expect(freeShape(nodes, true)).toEqual([
      { nodes: 1, devices: 8, cpu: '95500m', memory: '1Ti' },
      { nodes: 2, devices: 4, cpu: '48', memory: '512Gi' },
      { nodes: 1, devices: 0, cpu: '0', memory: '0' },
    ]);
  });

  it('keeps to the bound it is given', () => {
    const nodes = [node(8, 96, 1024), node(8, 4, 16), node(4, 50, 512), node(4, 12, 64)];
    expect(freeShape(nodes, true, 2)).toEqual([
      { nodes: 2, devices: 8, cpu: '4', memory: '16Gi' },
      { nodes: 2, devices: 4, cpu: '12', memory: '64Gi' },
    ]);
  });
});

describe('nodeFree', () => {
  it('is allocatable less allocated, never negative; a CPU pool has no free devices', () => {
    const allocatable = new Map([['cpu', 96_000], ['memory', 1024 * GI], ['nvidia.com/gpu', 7]]);
    const allocated = new Map([['cpu', 100_000], ['memory', GI], ['nvidia.com/gpu', 3]]);
    expect(nodeFree(allocatable, allocated, 'nvidia.com/gpu')).toEqual({ devices: 4, cpuMilli: 0, memoryBytes: 1023 * GI });
    expect(nodeFree(allocatable, allocated, undefined).devices).toBe(0);
  });
});
