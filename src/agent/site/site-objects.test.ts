import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { ANNOTATION_DEVICES } from '../../api/names.ts';
import { oldestSampleMs } from './agent-metrics.ts';
import { nodeProjection } from './observed-projection.ts';
import { buildSite } from './pool-builder.ts';
import { podRequests } from './pod-requests.ts';
import { ReleaseGrace } from './release-grace.ts';
import { siteNode, sitePod } from './site-objects.ts';
import { H100, makeNode, makePod, simReport, T0 } from './testing.ts';

/** asServed adds what an apiserver adds to an object that the agent never reads (a kwok pod's or node's bulk). */
function servedNode(node: V1Node, rv: string): V1Node {
  const n = structuredClone(node);
  n.apiVersion = 'v1';
  n.kind = 'Node';
  Object.assign(n.metadata ?? {}, {
    uid: `uid-${n.metadata?.name}`,
    resourceVersion: rv,
    creationTimestamp: '2026-01-01T00:00:00Z',
    managedFields: [{ manager: 'kwok', operation: 'Update', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:status': { 'f:conditions': {} } } }],
    annotations: { ...n.metadata?.annotations, 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
  });
  Object.assign(n.status ?? {}, {
    images: [{ names: ['registry.example.com/big:1'], sizeBytes: 1 }],
    nodeInfo: { architecture: 'amd64', bootID: '', containerRuntimeVersion: 'kwok', kernelVersion: 'kwok', kubeProxyVersion: '', kubeletVersion: 'kwok', machineID: '', operatingSystem: 'linux', osImage: 'kwok', systemUUID: '' },
    addresses: [{ type: 'InternalIP', address: '10.0.0.1' }],
    conditions: (n.status?.conditions ?? []).map((c) => ({ ...c, reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: '2026-01-01T00:00:05Z', lastTransitionTime: '2026-01-01T00:00:00Z' })),
  });
  return JSON.parse(JSON.stringify(n)) as V1Node;
}

function servedPod(pod: V1Pod, rv: string): V1Pod {
  const p = structuredClone(pod);
  Object.assign(p.metadata ?? {}, {
    uid: `uid-${p.metadata?.name}`,
    resourceVersion: rv,
    labels: { app: 'x' },
    annotations: { note: 'y' },
    managedFields: [{ manager: 'kubectl', operation: 'Update', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': {} } }],
  });
  Object.assign(p.spec ?? {}, {
    volumes: [{ name: 'kube-api-access', projected: { sources: [{ serviceAccountToken: { path: 'token' } }] } }],
    tolerations: [{ operator: 'Exists' }],
    serviceAccountName: 'default',
  });
  for (const c of p.spec?.containers ?? []) Object.assign(c, { image: 'registry.example.com/w:1', env: [{ name: 'A', value: 'b' }], volumeMounts: [{ name: 'kube-api-access', mountPath: '/var/run' }] });
  Object.assign(p.status ?? {}, {
    conditions: [{ type: 'Ready', status: 'True' }],
    containerStatuses: [{ name: 'main', ready: true, restartCount: 0, image: 'x', imageID: '', state: { running: {} } }],
    podIP: '10.0.0.2',
  });
  return JSON.parse(JSON.stringify(p)) as V1Pod;
}

const NOW = Date.parse(T0) + 5_000;

function site(): { nodes: V1Node[]; pods: V1Pod[] } {
  const nodes = [
    makeNode('gpu-0').pool('h100').accelerators(H100).devices(simReport('gpu-0', H100, { xids: [{ device: 3, xid: 79 }] })).obj(),
    makeNode('gpu-1').pool('h100').accelerators(H100).devices(simReport('gpu-1', H100)).cordoned().obj(),
    makeNode('cpu-0').obj(),
    makeNode('cpu-1').notReady().obj(),
  ].map((n, i) => servedNode(n, String(10 + i)));
  const pods = [
    makePod('a').on('gpu-0').requests({ cpu: '2', memory: '4Gi', 'nvidia.com/gpu': '2' }).limits({ 'nvidia.com/gpu': '2' }).obj(),
    makePod('b').on('gpu-1').requests({ cpu: '1' }).init({ cpu: '4' }).init({ memory: '1Gi' }, true).obj(),
    makePod('c').on('cpu-0').requests({ cpu: '500m' }).container({ memory: '2Gi' }).obj(),
    makePod('d').on('cpu-0').phase('Pending').requests({ cpu: '1' }).obj(),
  ].map((p, i) => servedPod(p, String(20 + i)));
  pods[0]!.spec!.overhead = { cpu: '100m' };
  return { nodes, pods };
}

describe('what the agent keeps of a Node and a Pod', () => {
  it('builds the same pools, free shapes and stale timer from the kept fields as from the whole objects', () => {
    const { nodes, pods } = site();
    const whole = buildSite(nodes, pods, { now: NOW, maxAgeMs: 90_000 });
    const kept = buildSite(nodes.map(siteNode), pods.map(sitePod), { now: NOW, maxAgeMs: 90_000 });
    expect(kept).toEqual(whole);
    expect(whole.pools.length).toBeGreaterThan(1);
  });

  it('keeps what the heartbeat, the metrics, the release grace and pull mode read', () => {
    const { nodes, pods } = site();
    const kept = nodes.map(siteNode);
    expect(oldestSampleMs(kept)).toBe(oldestSampleMs(nodes));
    expect(kept.map((n) => nodeProjection(n))).toEqual(nodes.map((n) => nodeProjection(n)));
    const ready = (ns: V1Node[]): number => ns.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
    expect(ready(kept)).toBe(ready(nodes));
    expect(pods.map(sitePod).map(podRequests)).toEqual(pods.map(podRequests));
    const grace = new ReleaseGrace(3000);
    expect(grace.counted(pods.map(sitePod), NOW).map((p) => p.metadata?.uid)).toEqual(pods.filter((p) => p.status?.phase !== 'Succeeded').map((p) => p.metadata?.uid));
  });

  it('keeps the cache key and version and nothing the agent does not read', () => {
    const { nodes, pods } = site();
    const node = siteNode(nodes[0]);
    expect(node.metadata).toEqual({
      name: 'gpu-0',
      uid: 'uid-gpu-0',
      resourceVersion: '10',
      labels: nodes[0]?.metadata?.labels,
      annotations: { [ANNOTATION_DEVICES]: nodes[0]?.metadata?.annotations?.[ANNOTATION_DEVICES] },
    });
    expect(Object.keys(node.status ?? {}).sort()).toEqual(['allocatable', 'capacity', 'conditions']);
    expect(node.status?.conditions).toEqual([{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' }]);
    const pressure = { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available' };
    const accelerators = { type: 'AcceleratorHealthy', status: 'True', reason: 'AllDevicesHealthy', message: 'all 8 devices healthy' };
    const withMore = { ...nodes[0], status: { ...nodes[0]?.status, conditions: [pressure, ...(nodes[0]?.status?.conditions ?? []), { ...accelerators, lastTransitionTime: 'x' }] } };
    expect(siteNode(withMore).status?.conditions?.map((c) => c.type)).toEqual(['Ready', 'AcceleratorHealthy']);
    expect(siteNode(withMore).status?.conditions?.[1]).toEqual(accelerators);
    expect(siteNode(nodes[1]).spec).toEqual({ unschedulable: true });
    expect(siteNode(nodes[2]).metadata?.annotations).toBeUndefined();

    const pod = sitePod(pods[1]);
    expect(pod).toEqual({
      metadata: { name: 'b', namespace: 'default', uid: 'uid-b', resourceVersion: '21' },
      spec: {
        nodeName: 'gpu-1',
        containers: [{ name: 'main', resources: { requests: { cpu: '1' } } }],
        initContainers: [
          { name: 'i0', resources: { requests: { cpu: '4' } } },
          { name: 'i1', resources: { requests: { memory: '1Gi' } }, restartPolicy: 'Always' },
        ],
      },
      status: { phase: 'Running' },
    });
    expect(JSON.stringify(sitePod(pods[0])).length).toBeLessThan(JSON.stringify(pods[0]).length / 3);
  });

  it('keeps one copy of what pods of one template and their nodes repeat, and the same values as before', () => {
    const template = (name: string, node: string): unknown => ({
      metadata: { name, namespace: 'team-a', uid: `uid-${name}`, resourceVersion: '5' },
      spec: { nodeName: node, containers: [{ name: 'main', image: 'x', resources: { requests: { cpu: '1', 'nvidia.com/gpu': '1' }, limits: { 'nvidia.com/gpu': '1' } } }] },
      status: { phase: 'Running' },
    });
    // Parsed from text, as the watch delivers them: equal values, no shared objects or strings to begin with.
    const [a, b] = [sitePod(JSON.parse(JSON.stringify(template('a', 'gpu-0')))), sitePod(JSON.parse(JSON.stringify(template('b', 'gpu-0'))))];
    expect(b.spec?.containers).toBe(a.spec?.containers);
    expect(a.spec?.containers).toEqual([{ name: 'main', resources: { requests: { cpu: '1', 'nvidia.com/gpu': '1' }, limits: { 'nvidia.com/gpu': '1' } } }]);
    const other = sitePod(JSON.parse(JSON.stringify({ ...(template('c', 'gpu-1') as object), spec: { nodeName: 'gpu-1', containers: [{ name: 'main', resources: { requests: { cpu: '2' } } }] } })));
    expect(other.spec?.containers).not.toBe(a.spec?.containers);
    expect(other.spec?.containers).toEqual([{ name: 'main', resources: { requests: { cpu: '2' } } }]);
    expect([a.metadata?.name, b.metadata?.name, a.metadata?.uid, b.metadata?.uid]).toEqual(['a', 'b', 'uid-a', 'uid-b']);
    expect(podRequests(b)).toEqual(new Map([['cpu', 1000], ['nvidia.com/gpu', 1]]));
  });

  it('reads anything, malformed included, without throwing', () => {
    for (const raw of [undefined, null, 7, 'x', [], {}, { metadata: 3, spec: [], status: 'x' }, { spec: { containers: [null, 4] } }]) {
      expect(() => siteNode(raw)).not.toThrow();
      expect(() => sitePod(raw)).not.toThrow();
    }
    expect(sitePod({ spec: { containers: [null] } }).spec?.containers).toEqual([{ name: '' }]);
  });
});
