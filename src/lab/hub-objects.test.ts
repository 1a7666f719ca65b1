import { describe, expect, it } from 'vitest';
import { YamlSource } from '../api/yaml-source.ts';
import { labSiteObject, siteKubeconfigSecret } from './hub-objects.ts';
import { parseTopology } from './topology.ts';

const TOPOLOGY = `apiVersion: lab.suanwang.io/v1alpha1
kind: LabTopology
sites:
  - name: east
    region: cn-east
    pools: [{ name: gpu, nodes: 1, cpu: 8, memory: 32Gi, accelerator: { vendor: nvidia, model: NVIDIA H100 80GB HBM3, count: 8, memoryGiB: 80, pricePerHour: 28 } }]
  - name: west
    region: cn-west
    connection: pull
    pools: [{ name: cpu, nodes: 1, cpu: 8, memory: 32Gi }]
`;
const [east, west] = parseTopology(YamlSource.parse('topo.yaml', TOPOLOGY)).sites;

describe('lab sites on the hub', () => {
  it('registers a push site with the kubeconfig Secret the operator calls it with', () => {
    expect(labSiteObject(east!).spec.connection).toEqual({
      mode: 'Push',
      kubeconfigSecretRef: { name: 'site-east-kubeconfig', namespace: 'suanwang-system', key: 'kubeconfig' },
    });
    expect(siteKubeconfigSecret(east!, 'apiVersion: v1\n')).toEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'site-east-kubeconfig', namespace: 'suanwang-system', labels: { 'suanwang.io/site': 'east' } },
      type: 'Opaque',
      stringData: { kubeconfig: 'apiVersion: v1\n' },
    });
  });

  it('registers a pull site in Pull mode, naming no Secret', () => {
    const site = labSiteObject(west!);
    expect(site.spec.connection).toEqual({ mode: 'Pull' });
    expect(JSON.stringify(site)).not.toContain('kubeconfig');
    expect(site.spec).toMatchObject({ region: 'cn-west', provider: 'lab', pricing: { currency: 'CNY', accelerators: [] } });
  });
});
