import { describe, expect, it } from 'vitest';
import { ADMISSION_CHECK, CLUSTER_QUEUE, cpuPoolQuota, FLAVOR, LOCAL_QUEUE, managerObjects, MULTIKUEUE_CONFIG, MULTIKUEUE_CONTROLLER, PLURALS, workerObjects, workerSecretName } from './queue-objects.ts';

const GiB = 2 ** 30;

describe('cpuPoolQuota', () => {
  it('sums the named pools without accelerators, nodes times per-node capacity', () => {
    const pools = [
      { name: 'h100', nodes: 2, cpu: 192, memory: 2048 * GiB, accelerator: '8x NVIDIA H100' },
      { name: 'cpu', nodes: 3, cpu: 64, memory: 256 * GiB },
    ];
    expect(cpuPoolQuota(pools, 'cpu')).toEqual({ cpu: 192, memoryBytes: 768 * GiB });
    expect(cpuPoolQuota(pools, 'none')).toEqual({ cpu: 0, memoryBytes: 0 });
  });
});

describe('workerObjects', () => {
  it('gives the flavor the CPU pools node labels and the ClusterQueue their quota, with no admission check', () => {
    const [flavor, cq, lq] = workerObjects('ns', { cpu: 192, memoryBytes: 768 * GiB }, { 'suanwang.io/pool': 'cpu' });
    expect(flavor).toMatchObject({ kind: 'ResourceFlavor', metadata: { name: FLAVOR }, spec: { nodeLabels: { 'suanwang.io/pool': 'cpu' } } });
    expect(cq).toMatchObject({ kind: 'ClusterQueue', metadata: { name: CLUSTER_QUEUE } });
    expect(JSON.stringify(cq)).toContain('"nominalQuota":"192"');
    expect(JSON.stringify(cq)).toContain(`"nominalQuota":"${768 * GiB}"`);
    expect((cq?.['spec'] as Record<string, unknown>)['admissionChecksStrategy']).toBeUndefined();
    expect(lq).toMatchObject({ kind: 'LocalQueue', metadata: { name: LOCAL_QUEUE, namespace: 'ns' }, spec: { clusterQueue: CLUSTER_QUEUE } });
  });

  it('refuses an empty quota', () => {
    expect(() => workerObjects('ns', { cpu: 0, memoryBytes: GiB }, {})).toThrow(/quota must be above zero/);
  });
});

describe('managerObjects', () => {
  const kubeconfigs = new Map([
    ['shanghai', 'kubeconfig-of-shanghai'],
    ['beijing', 'kubeconfig-of-beijing'],
  ]);
  const objects = managerObjects('ns', { cpu: 320, memoryBytes: 1024 * GiB }, kubeconfigs);
  const byKind = (kind: string): Record<string, unknown>[] => objects.filter((o) => o.kind === kind);

  it('holds each worker kubeconfig in a Secret a MultiKueueCluster names', () => {
    expect(byKind('Secret')).toEqual([
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: workerSecretName('shanghai'), namespace: 'kueue-system' }, stringData: { kubeconfig: 'kubeconfig-of-shanghai' } },
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: workerSecretName('beijing'), namespace: 'kueue-system' }, stringData: { kubeconfig: 'kubeconfig-of-beijing' } },
    ]);
    expect(byKind('MultiKueueCluster').map((c) => c['spec'])).toEqual([
      { clusterSource: { kubeConfig: { locationType: 'Secret', location: 'multikueue-shanghai' } } },
      { clusterSource: { kubeConfig: { locationType: 'Secret', location: 'multikueue-beijing' } } },
    ]);
  });

  it('wires the config, the MultiKueue admission check and the ClusterQueue together', () => {
    expect(byKind('MultiKueueConfig')[0]).toMatchObject({ metadata: { name: MULTIKUEUE_CONFIG }, spec: { clusters: ['shanghai', 'beijing'] } });
    expect(byKind('AdmissionCheck')[0]).toMatchObject({
      metadata: { name: ADMISSION_CHECK },
      spec: { controllerName: MULTIKUEUE_CONTROLLER, parameters: { apiGroup: 'kueue.x-k8s.io', kind: 'MultiKueueConfig', name: MULTIKUEUE_CONFIG } },
    });
    expect(byKind('ClusterQueue')[0]).toMatchObject({ spec: { admissionChecksStrategy: { admissionChecks: [{ name: ADMISSION_CHECK }] } } });
    expect(JSON.stringify(byKind('ClusterQueue')[0])).toContain('"nominalQuota":"320"');
    expect(byKind('LocalQueue')[0]).toMatchObject({ metadata: { name: LOCAL_QUEUE, namespace: 'ns' } });
  });

  it('creates the objects a MultiKueueCluster needs before it, and knows every custom kind', () => {
    const order = objects.map((o) => o.kind);
    expect(order.indexOf('Secret')).toBeLessThan(order.indexOf('MultiKueueCluster'));
    expect(order.indexOf('AdmissionCheck')).toBeLessThan(order.indexOf('ClusterQueue'));
    for (const o of objects) if (o.kind !== 'Secret') expect(PLURALS[o.kind]).toBeDefined();
  });

  it('refuses a setup without workers', () => {
    expect(() => managerObjects('ns', { cpu: 1, memoryBytes: 1 }, new Map())).toThrow(/at least one worker/);
  });
});
