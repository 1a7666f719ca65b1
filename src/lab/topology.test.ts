import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { ConfigError } from '../api/yaml-source.ts';
import { YamlSource } from '../api/yaml-source.ts';
import { REPO_ROOT } from './binaries.ts';
import { labNode } from './nodes.ts';
import { loadTopology, nodeCapacity, parseTopology } from './topology.ts';

const parse = (text: string) => parseTopology(YamlSource.parse('topo.yaml', text));

function errorsOf(text: string): string[] {
  try {
    parse(text);
  } catch (err) {
    if (err instanceof ConfigError) return err.message.split('\n');
    throw err;
  }
  return [];
}

const SITE = `apiVersion: lab.suanwang.io/v1alpha1
kind: LabTopology
sites:
  - name: a
    region: r1
    pools:
      - name: gpu
        nodes: 2
        cpu: 32
        memory: 128Gi
        accelerator: { vendor: nvidia, model: NVIDIA H100 80GB HBM3, count: 8, memoryGiB: 80 }
`;

describe('topology', () => {
  it('loads the default lab: a hub and at least three sites in different regions with GPU, NPU and CPU pools', () => {
    const t = loadTopology(join(REPO_ROOT, 'examples/lab/default.yaml'));
    expect(t.hub.name).toBe('hub');
    expect(t.sites.length).toBeGreaterThanOrEqual(3);
    expect(new Set(t.sites.map((s) => s.region)).size).toBe(t.sites.length);
    const vendors = t.sites.flatMap((s) => s.pools.map((p) => p.accelerator?.vendor ?? 'cpu'));
    expect(new Set(vendors)).toEqual(new Set(['nvidia', 'huawei', 'hygon', 'cpu']));
  });

  it('parses quantities and derives the resource name from the vendor', () => {
    const t = parse(SITE);
    const pool = t.sites[0]?.pools[0];
    expect(pool?.memory).toBe(128 * 2 ** 30);
    expect(pool?.accelerator?.resourceName).toBe('nvidia.com/gpu');
    expect(nodeCapacity(pool!)).toEqual({ cpu: '32', memory: String(128 * 2 ** 30), pods: '110', 'ephemeral-storage': '1Ti', 'nvidia.com/gpu': '8' });
  });

  it('shapes Nodes like real ones: GFD product label, arch, region, pool', () => {
    const t = parse(SITE);
    const n = labNode(t.sites[0]!, t.sites[0]!.pools[0]!, 1);
    expect(n.metadata?.name).toBe('a-gpu-1');
    expect(n.metadata?.labels).toMatchObject({
      'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3',
      'nvidia.com/gpu.count': '8',
      'kubernetes.io/arch': 'amd64',
      'topology.kubernetes.io/region': 'r1',
      'suanwang.io/pool': 'gpu',
      'feature.node.kubernetes.io/pci-10de.present': 'true',
    });
    expect(n.metadata?.annotations?.['kwok.x-k8s.io/node']).toBe('fake');
    expect(n.status?.allocatable?.['nvidia.com/gpu']).toBe('8');
  });

  const bad: Array<{ name: string; text: string; want: RegExp }> = [
    { name: 'unknown field', text: SITE.replace('region: r1', 'region: r1\n    regoin: typo'), want: /^topo\.yaml:6: sites\[0\]\.regoin: unknown field/ },
    { name: 'duplicate site', text: SITE + SITE.slice(SITE.indexOf('  - name: a')), want: /^topo\.yaml:12: sites\[1\]\.name: duplicate site name "a" \(also sites\[0\]\)/ },
    { name: 'negative count', text: SITE.replace('nodes: 2', 'nodes: -2'), want: /^topo\.yaml:8: sites\[0\]\.pools\[0\]\.nodes: must be at least 0, got -2/ },
    { name: 'unknown vendor', text: SITE.replace('vendor: nvidia', 'vendor: nvidea'), want: /^topo\.yaml:11: sites\[0\]\.pools\[0\]\.accelerator\.vendor: must be one of nvidia, huawei, amd, cambricon, hygon, got "nvidea"/ },
    { name: 'bad quantity', text: SITE.replace('memory: 128Gi', 'memory: 128GB'), want: /^topo\.yaml:10: sites\[0\]\.pools\[0\]\.memory: must be a Kubernetes quantity/ },
    { name: 'bad name', text: SITE.replace('name: a', 'name: Site_A'), want: /^topo\.yaml:4: sites\[0\]\.name: "Site_A" is not valid: use lower-case/ },
    { name: 'missing region', text: SITE.replace('    region: r1\n', ''), want: /^topo\.yaml:4: sites\[0\]\.region: is required/ },
    { name: 'no sites', text: 'sites: []\n', want: /^topo\.yaml:1: sites: must not be empty/ },
    { name: 'bad architecture', text: SITE.replace('cpu: 32', 'cpu: 32\n        architecture: riscv'), want: /architecture: must be one of amd64, arm64, got "riscv"/ },
    {
      name: 'unknown precision',
      text: SITE.replace('memoryGiB: 80 }', 'memoryGiB: 80, precisions: [fp8, FP16] }'),
      want: /^topo\.yaml:11: sites\[0\]\.pools\[0\]\.accelerator\.precisions\[1\]: must be one of fp64, .*, got "FP16"/,
    },
    { name: 'YAML syntax', text: 'sites:\n  - name: [unclosed\n', want: /^topo\.yaml:\d+: invalid YAML/ },
    { name: 'duplicate key', text: SITE.replace('region: r1', 'region: r1\n    region: r2'), want: /^topo\.yaml:\d+: invalid YAML: .*unique/i },
  ];
  it.each(bad)('rejects $name naming file, line and field', ({ text, want }) => {
    const errors = errorsOf(text);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.some((e) => want.test(e)), errors.join('\n')).toBe(true);
  });

  it('reports every problem at once', () => {
    const errors = errorsOf(SITE.replace('nodes: 2', 'nodes: -1').replace('vendor: nvidia', 'vendor: x'));
    expect(errors).toHaveLength(2);
  });

  it('names the file when it cannot be read', () => {
    expect(() => loadTopology('/nonexistent/topo.yaml')).toThrow(/^\/nonexistent\/topo\.yaml: cannot read file/);
  });
});
