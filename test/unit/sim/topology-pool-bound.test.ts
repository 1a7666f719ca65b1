import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { YamlSource } from '../../../src/api/yaml-source.ts';
import { loadTopology, parseTopology } from '../../../src/lab/topology.ts';
import { loadSimTopology, parseSimTopology, SIM_MAX_POOL_NODES } from '../../../src/sim/topology.ts';

/** FILES are every topology the simulator ships or tests with: the lab's and the split openb fleets. */
const FILES = [
  'examples/lab/default.yaml',
  ...readdirSync('examples/sim').filter((f) => f.endsWith('.yaml')).map((f) => `examples/sim/${f}`),
  'test/fixtures/traces/synthetic-3-sites.yaml',
];

/** withNodes is a one-site topology whose pool has `nodes` nodes; the count is on line 8. */
const withNodes = (nodes: number) =>
  YamlSource.parse('big.yaml', ['apiVersion: lab.suanwang.io/v1alpha1', 'kind: LabTopology', 'sites:', '  - name: a', '    region: r', '    pools:', '      - name: p', `        nodes: ${nodes}`, '        cpu: 4', '        memory: 8Gi'].join('\n'));

// The lab and the simulator read topologies with one reader (src/api/topology-file.ts); they differ only in how
// large a pool may be.
describe('the lab and the simulator read one topology file, with their own bound on a pool', () => {
  it('finds the example files', () => {
    expect(FILES.filter((f) => f.startsWith('examples/sim/')).length).toBeGreaterThanOrEqual(1);
  });

  for (const file of FILES) {
    it(`${file} also starts a lab: every pool is within the lab's bound`, () => {
      expect(loadSimTopology(file)).toEqual(loadTopology(file));
    });
  }

  it("simulates a pool larger than the lab's bound, which the lab rejects naming file, line and field", () => {
    expect(parseSimTopology(withNodes(600)).sites[0]?.pools[0]?.nodes).toBe(600);
    expect(() => parseTopology(withNodes(600))).toThrow('big.yaml:8: sites[0].pools[0].nodes: must be at most 500, got 600');
  });

  it("bounds a simulated pool by the simulator's own limit", () => {
    expect(() => parseSimTopology(withNodes(SIM_MAX_POOL_NODES + 1))).toThrow(`big.yaml:8: sites[0].pools[0].nodes: must be at most ${SIM_MAX_POOL_NODES}, got ${SIM_MAX_POOL_NODES + 1}`);
  });
});
