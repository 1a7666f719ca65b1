import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { parseSitePolicy } from '../agent/site/site-policy-file.ts';
import { ConfigError, YamlSource } from '../api/yaml-source.ts';
import { REPO_ROOT } from './binaries.ts';
import { pathSegments, sitePolicyYaml } from './site-policies.ts';
import { loadTopology, parseTopology } from './topology.ts';

const parse = (text: string) => parseTopology(YamlSource.parse('topo.yaml', text));

const TOPOLOGY = `apiVersion: lab.suanwang.io/v1alpha1
kind: LabTopology
sites:
  - name: east
    region: cn-east
    pools: [{ name: cpu, nodes: 1, cpu: 8, memory: 32Gi }]
  - name: west
    region: cn-west
    connection: pull
    sitePolicy:
      namespaces: [ml, "team-*"]
      images: [registry.example.com/llm]
      maxDevicesPerWorkload: 16
      pods:
        capabilities: [NET_ADMIN]
    pools: [{ name: cpu, nodes: 1, cpu: 8, memory: 32Gi }]
`;

function errorsOf(text: string): string[] {
  try {
    parse(text);
  } catch (err) {
    if (err instanceof ConfigError) return err.message.split('\n');
    throw err;
  }
  return [];
}

describe('site policies in a lab topology', () => {
  it('accepts a pull site whose policy its agent would read', () => {
    const west = parse(TOPOLOGY).sites[1];
    expect(west).toMatchObject({ name: 'west', connection: 'pull' });
    expect(west?.sitePolicy).toEqual({ namespaces: ['ml', 'team-*'], images: ['registry.example.com/llm'], maxDevicesPerWorkload: 16, pods: { capabilities: ['NET_ADMIN'] } });
  });

  it("names the topology file, the line and the field under sites[i].sitePolicy for what the agent's reader refuses, all at once", () => {
    const bad = TOPOLOGY.replace('[ml, "team-*"]', '[ml, Team_A]').replace('maxDevicesPerWorkload: 16', 'maxDevicesPerWorkload: -1').replace('[NET_ADMIN]', '[NET_ADMIN, "not a cap"]');
    expect(errorsOf(bad)).toEqual([
      'topo.yaml:11: sites[1].sitePolicy.namespaces[1]: "Team_A" is not a namespace name, a "<prefix>*" pattern or "*"',
      'topo.yaml:13: sites[1].sitePolicy.maxDevicesPerWorkload: must be at least 0, got -1',
      'topo.yaml:15: sites[1].sitePolicy.pods.capabilities[1]: "not a cap" is not a Linux capability name such as NET_ADMIN (or ALL)',
    ]);
  });

  it('names an unknown policy field at its own line', () => {
    const errors = errorsOf(TOPOLOGY.replace('      maxDevicesPerWorkload: 16', '      maxDevicesPerWorkload: 16\n      maxDevices: 4'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^topo\.yaml:14: sites\[1\]\.sitePolicy\.maxDevices: unknown field/);
  });

  it('turns a field path back into its segments', () => {
    expect(pathSegments('pods.capabilities[0]')).toEqual(['pods', 'capabilities', 0]);
    expect(pathSegments('namespaces[12]')).toEqual(['namespaces', 12]);
    expect(pathSegments('')).toEqual([]);
  });

  it('writes the policy file the agent reads back to the same policy', () => {
    const west = parse(TOPOLOGY).sites[1]!;
    const text = sitePolicyYaml('topo.yaml', west);
    expect(text).toMatch(/^# Site policy of west \(docs\/site-policy\.md\), from topo\.yaml\.\n/);
    expect(parseSitePolicy(text, 'west.yaml')).toEqual(parseSitePolicy(JSON.stringify(west.sitePolicy), 'west.json'));
    expect(parseSitePolicy(text, 'west.yaml').maxDevicesPerWorkload).toBe(16);
    expect(() => sitePolicyYaml('topo.yaml', parse(TOPOLOGY).sites[0]!)).toThrow('site east has no sitePolicy');
  });

  it('loads the pull example: one push site, one pull site with a policy', () => {
    const t = loadTopology(join(REPO_ROOT, 'examples/lab/pull.yaml'));
    expect(t.sites.map((s) => [s.name, s.connection, s.sitePolicy !== undefined])).toEqual([
      ['shanghai', 'push', false],
      ['guizhou', 'pull', true],
    ]);
  });
});
