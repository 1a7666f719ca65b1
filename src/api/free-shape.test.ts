import { describe, expect, it } from 'vitest';
import { poolShape, type FreeNode } from './free-shape.ts';

const GI = 2 ** 30;

/** node is one node's free devices, cores and GiB. */
function node(devices: number, cores: number, memoryGi: number): FreeNode {
  return { devices, cpuMilli: cores * 1000, memoryBytes: memoryGi * GI };
}

/** times repeats a node n times. */
function times(n: number, x: FreeNode): FreeNode[] {
  return Array.from({ length: n }, () => x);
}

describe('poolShape', () => {
  interface Case {
    name: string;
    nodes: FreeNode[];
    accelerated?: boolean;
    maxBuckets?: number;
    /** wantBuckets as `nodes×devices/cores/GiB`, most free first. */
    wantBuckets: string[];
  }

  const cases: Case[] = [
    { name: 'no schedulable node: an empty shape (reported, and nothing free)', nodes: [], wantBuckets: [] },
    {
      name: 'the 4 + 4 split and a whole node stay apart, most free devices first',
      nodes: [node(4, 48, 512), node(8, 96, 1024), node(4, 48, 512)],
      wantBuckets: ['1×8/96/1024', '2×4/48/512'],
    },
    {
      name: 'a bucket holds the least cpu and memory of its nodes (within a quarter octave)',
      nodes: [node(8, 96, 1100), node(8, 94, 1030), node(8, 93, 1050)],
      // Classes are quarter octaves of millicores and bytes: 93 to 96 cores (from 2^16.5 m = 92.7 cores) and 1030Gi
      // to 1100Gi (from 2^40 bytes = 1Ti) are one class each.
      wantBuckets: ['3×8/93/1030'],
    },
    {
      name: 'a node whose cpu CPU-only pods took stays apart from the whole nodes, so it does not drag them down',
      nodes: [node(8, 96, 1024), node(8, 96, 1024), node(8, 2, 1024)],
      wantBuckets: ['2×8/96/1024', '1×8/2/1024'],
    },
    {
      name: 'nothing free is a class of its own',
      nodes: [node(0, 0, 0), node(0, 1, 1)],
      accelerated: false,
      wantBuckets: ['1×0/1/1', '1×0/0/0'],
    },
    {
      name: 'in an accelerator pool, nodes with no free device are one bucket',
      nodes: [node(0, 0, 0), node(0, 90, 900), node(1, 10, 100)],
      wantBuckets: ['1×1/10/100', '2×0/0/0'],
    },
    {
      name: 'a CPU pool is grouped by cpu and memory classes',
      nodes: [node(0, 64, 256), node(0, 64, 256), node(0, 8, 32)],
      accelerated: false,
      wantBuckets: ['2×0/64/256', '1×0/8/32'],
    },
    {
      name: 'over the bound: coarser cpu classes first (an octave: 65.6 to 131 cores together)',
      nodes: [node(8, 66, 512), node(8, 80, 512), node(8, 100, 512), node(8, 130, 512), node(8, 10, 512)],
      // Half octaves would give 3 buckets (66-80, 100-130, 10); devices alone 1.
      maxBuckets: 2,
      wantBuckets: ['4×8/66/512', '1×8/10/512'],
    },
    {
      name: 'still over: free devices alone, the least cpu and memory of each',
      nodes: [node(8, 96, 1024), node(8, 4, 16), node(4, 50, 512), node(4, 12, 64)],
      maxBuckets: 2,
      wantBuckets: ['2×8/4/16', '2×4/12/64'],
    },
    {
      name: 'more distinct free counts than buckets: ranges of counts, each bucket the least of its range',
      nodes: [node(64, 10, 10), node(63, 10, 10), node(40, 10, 10), node(2, 10, 10), node(1, 10, 10)],
      maxBuckets: 2,
      // 5 distinct counts, 3 to a bucket: {64, 63, 40} and {2, 1}.
      wantBuckets: ['3×40/10/10', '2×1/10/10'],
    },
  ];

  it.each(cases)('$name', (c) => {
    const got = poolShape(c.nodes, c.accelerated ?? true, c.maxBuckets);
    expect(got.map((g) => `${g.nodes}×${g.devices}/${g.cpuMilli / 1000}/${g.memoryBytes / GI}`)).toEqual(c.wantBuckets);
  });

  it('stays within 32 buckets for a pool of every free count, cpu and memory, and loses no node', () => {
    const nodes: FreeNode[] = [];
    for (let d = 0; d <= 8; d++) for (let c = 1; c <= 192; c += 7) for (let m = 16; m <= 2048; m *= 2) nodes.push(node(d, c, m));
    const got = poolShape(nodes, true);
    expect(got.length).toBeLessThanOrEqual(32);
    expect(got.reduce((n, g) => n + g.nodes, 0)).toBe(nodes.length);
    // Every free count survives (level 2 at worst), and it is never stated above what a node has.
    expect(got.map((g) => g.devices)).toEqual([8, 7, 6, 5, 4, 3, 2, 1, 0]);
  });

  it('is deterministic: node order does not change the output', () => {
    const nodes = [node(8, 96, 1024), node(4, 48, 512), node(8, 2, 1024), ...times(3, node(1, 10, 100))];
    expect(JSON.stringify(poolShape([...nodes].reverse(), true))).toBe(JSON.stringify(poolShape(nodes, true)));
  });

  it('refuses a bound below one bucket', () => {
    expect(() => poolShape([node(8, 96, 1024)], true, 0)).toThrow('poolShape: maxBuckets must be at least 1, got 0');
  });
});
