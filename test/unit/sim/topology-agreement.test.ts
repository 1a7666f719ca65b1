import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { YamlSource } from '../../../src/api/yaml-source.ts';
import { loadTopology } from '../../../src/lab/topology.ts';
import { loadSimTopology, parseSimTopology } from '../../../src/sim/topology.ts';

/** FILES are every topology the simulator ships or tests with: the lab's and the split openb fleets. */
const FILES = [
  'examples/lab/default.yaml',
  ...readdirSync('examples/sim').filter((f) => f.endsWith('.yaml')).map((f) => `examples/sim/${f}`),
  'test/fixtures/traces/synthetic-3-sites.yaml',
];

describe("the simulator's topology reader agrees with the lab's", () => {
  it('finds the example files', () => {
    expect(FILES.filter((f) => f.startsWith('examples/sim/')).length).toBeGreaterThanOrEqual(1);
  });

  for (const file of FILES) {
    it(`reads ${file} as the lab does`, () => {
      const lab = loadTopology(file);
      const sim = loadSimTopology(file);
      const fromLab = lab.sites.map((s) => ({
        name: s.name,
        region: s.region,
        currency: s.currency,
        labels: s.labels,
        pools: s.pools.map((p) => ({ name: p.name, nodes: p.nodes, cpu: p.cpu, memory: p.memory, architecture: p.architecture, accelerator: p.accelerator })),
      }));
      expect(sim.sites).toEqual(fromLab);
    });
  }

  it('names the file, line and field of a problem, as the lab does', () => {
    const text = ['apiVersion: lab.suanwang.io/v1alpha1', 'kind: LabTopology', 'sites:', '  - name: a', '    region: r', '    pools:', '      - name: p', '        nodes: -1', '        cpu: 4', '        memory: 8Gi'].join('\n');
    expect(() => parseSimTopology(YamlSource.parse('bad.yaml', text))).toThrow('bad.yaml:8: sites[0].pools[0].nodes: must be at least 0, got -1');
  });
});
