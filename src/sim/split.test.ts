import { describe, expect, it } from 'vitest';
import { YamlSource } from '../api/yaml-source.ts';
import type { OpenbNode } from './openb.ts';
import { LAB_MAX_POOL_NODES } from '../api/topology-file.ts';
import { splitNodes, topologyYaml } from './split.ts';
import { parseSimTopology } from './topology.ts';

const node = (i: number, gpus: number, model: string): OpenbNode => ({ name: `n-${i}`, cpuMilli: 96000, memoryMiB: 393216, gpus, model, line: i + 2 });
const fleet = (): OpenbNode[] => [node(0, 8, 'G2'), node(1, 0, ''), node(2, 2, 'T4'), node(3, 8, 'G2'), node(4, 0, ''), node(5, 8, 'G2')];

describe('simulate split', () => {
  it('by model: a site per GPU model and one for CPU-only nodes, alike nodes pooled', () => {
    const sites = splitNodes(fleet(), { kind: 'model' });
    expect(sites.map((s) => [s.name, s.pools.map((p) => `${p.name}×${p.nodes}`)])).toEqual([
      ['cpu', ['cpu-96c-384gi×2']],
      ['g2', ['g2-8x-96c-384gi×3']],
      ['t4', ['t4-2x-96c-384gi×1']],
    ]);
  });

  it('round-robin deals nodes in turn; N blocks keep runs of consecutive nodes', () => {
    const rr = splitNodes(fleet(), { kind: 'round-robin', sites: 2 });
    expect(rr.map((s) => s.pools.reduce((n, p) => n + p.nodes, 0))).toEqual([3, 3]);
    expect(rr[0]?.pools.map((p) => p.name)).toEqual(['cpu-96c-384gi', 'g2-8x-96c-384gi', 't4-2x-96c-384gi']); // nodes 0, 2, 4
    const blocks = splitNodes(fleet(), { kind: 'blocks', sites: 3 });
    expect(blocks.map((s) => s.name)).toEqual(['site-1', 'site-2', 'site-3']);
    expect(blocks.map((s) => s.pools.map((p) => p.name))).toEqual([['cpu-96c-384gi', 'g2-8x-96c-384gi'], ['g2-8x-96c-384gi', 't4-2x-96c-384gi'], ['cpu-96c-384gi', 'g2-8x-96c-384gi']]);
  });

  it('caps a pool at the lab bound, writing the rest as further pools', () => {
    const many = Array.from({ length: LAB_MAX_POOL_NODES + 20 }, (_, i) => node(i, 8, 'G2'));
    const [site] = splitNodes(many, { kind: 'model' });
    expect(site?.pools.map((p) => [p.name, p.nodes])).toEqual([['g2-8x-96c-384gi', 500], ['g2-8x-96c-384gi-2', 20]]);
  });

  it('writes a topology the simulator reads back', () => {
    const sites = splitNodes(fleet(), { kind: 'model' });
    const text = topologyYaml(sites, ['made by a test']);
    expect(text.startsWith('# made by a test\n')).toBe(true);
    const topo = parseSimTopology(YamlSource.parse('split.yaml', text));
    expect(topo.sites.map((s) => [s.name, s.pools.map((p) => [p.name, p.nodes, p.cpu, p.memory, p.accelerator?.model ?? '', p.accelerator?.count ?? 0])])).toEqual([
      ['cpu', [['cpu-96c-384gi', 2, 96, 384 * 2 ** 30, '', 0]]],
      ['g2', [['g2-8x-96c-384gi', 3, 96, 384 * 2 ** 30, 'G2', 8]]],
      ['t4', [['t4-2x-96c-384gi', 1, 96, 384 * 2 ** 30, 'T4', 2]]],
    ]);
  });
});
