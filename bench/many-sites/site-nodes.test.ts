import { describe, expect, it } from 'vitest';
import { buildPools } from '../../src/agent/site/pool-builder.ts';
import { LABEL_POOL } from '../../src/api/names.ts';
import { generateSite } from './sites.ts';
import { siteNodes } from './site-nodes.ts';

describe('siteNodes', () => {
  const site = generateSite(0, { cpuNodes: 2, deviceNodes: 3 });
  const nodes = siteNodes(site);

  it('makes one Ready Node per pool node, labelled with its pool', () => {
    expect(nodes).toHaveLength(5);
    expect(nodes.map((n) => n.metadata?.labels?.[LABEL_POOL])).toEqual(['cpu', 'cpu', 'h100', 'h100', 'h100']);
    expect(nodes.every((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))).toBe(true);
  });

  it('gives the agent pools with the topology capacity and an empty free shape taken by nothing', () => {
    const pools = buildPools(nodes, [], { now: Date.UTC(2026, 0, 1), maxAgeMs: 15_000 });
    const h100 = pools.find((p) => p.name === 'h100');
    expect(h100?.vendor).toBe('nvidia');
    expect(h100?.resources?.allocatable?.['nvidia.com/gpu']).toBe('24');
    expect(h100?.freeShape?.buckets?.[0]).toMatchObject({ nodes: 3, devices: 8 });
  });
});
