import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { YamlSource } from '../api/yaml-source.ts';
import { REPO_ROOT } from './binaries.ts';
import { labNode } from './nodes.ts';
import { loadTopology, nodeCapacity, parseTopology } from './topology.ts';

const parse = (text: string) => parseTopology(YamlSource.parse('topo.yaml', text));

const SITE = `apiVersion: lab.suanwang.io/v1alpha1
kind: LabTopology
sites:
  - name: east
    region: cn-east
    pools:
      - { name: gpu, nodes: 2, cpu: 32, memory: 128Gi, accelerator: { vendor: nvidia, model: NVIDIA H100 80GB HBM3, count: 8, memoryGiB: 80 } }
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

  it("advertises the pool's capacity and the vendor's device resource on each node", () => {
    const t = parse(SITE);
    const pool = t.sites[0]?.pools[0];
    expect(pool?.memory).toBe(128 * 2 ** 30);
    expect(pool?.accelerator?.resourceName).toBe('nvidia.com/gpu');
    expect(nodeCapacity(pool!)).toEqual({ cpu: '32', memory: String(128 * 2 ** 30), pods: '110', 'ephemeral-storage': '1Ti', 'nvidia.com/gpu': '8' });
  });

  it('shapes Nodes like real ones: GFD product label, arch, region, pool', () => {
    const t = parse(SITE);
    const n = labNode(t.sites[0]!, t.sites[0]!.pools[0]!, 1);
    expect(n.metadata?.name).toBe('east-gpu-1');
    expect(n.metadata?.labels).toMatchObject({
      'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3',
      'nvidia.com/gpu.count': '8',
      'kubernetes.io/arch': 'amd64',
      'topology.kubernetes.io/region': 'cn-east',
      'suanwang.io/pool': 'gpu',
      'feature.node.kubernetes.io/pci-10de.present': 'true',
    });
    expect(n.metadata?.annotations?.['kwok.x-k8s.io/node']).toBe('fake');
    expect(n.status?.allocatable?.['nvidia.com/gpu']).toBe('8');
  });

  it("caps a pool at the lab's bound of kwok nodes, naming file, line and field", () => {
    expect(parse(SITE.replace('nodes: 2', 'nodes: 500')).sites[0]?.pools[0]?.nodes).toBe(500);
    expect(() => parse(SITE.replace('nodes: 2', 'nodes: 501'))).toThrow('topo.yaml:7: sites[0].pools[0].nodes: must be at most 500, got 501');
  });
});
