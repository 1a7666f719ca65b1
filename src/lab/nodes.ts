/**
 * Registers a site's kwok Nodes, shaped like its topology pools: capacity and allocatable (cpu, memory,
 * accelerators as extended resources), the labels real clusters carry, and the pool's taints.
 */
import { CoreV1Api, type KubeConfig, type V1Node } from '@kubernetes/client-node';
import { KWOK_NODE_ANNOTATION } from './components.ts';
import { nodeCapacity, nodeLabels, nodeName, type LabPool, type LabSite } from './topology.ts';

/** labNode builds the Node object for node `index` of a pool. */
export function labNode(site: LabSite, pool: LabPool, index: number): V1Node {
  const capacity = nodeCapacity(pool);
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: nodeName(site, pool, index),
      labels: nodeLabels(site, pool, index),
      annotations: { [KWOK_NODE_ANNOTATION]: 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
    },
    spec: {
      taints: pool.taints.map((t) => ({ key: t.key, effect: t.effect, ...(t.value === undefined ? {} : { value: t.value }) })),
    },
    // Nodes accept status on create, which is how capacity gets there without a kubelet.
    status: {
      capacity,
      allocatable: capacity,
      nodeInfo: {
        architecture: pool.architecture,
        operatingSystem: 'linux',
        bootID: '',
        containerRuntimeVersion: 'kwok',
        kernelVersion: 'kwok',
        kubeProxyVersion: '',
        kubeletVersion: 'kwok',
        machineID: '',
        osImage: 'kwok',
        systemUUID: '',
      },
    },
  };
}

/** registerNodes creates every Node of a site; returns how many. */
export async function registerNodes(kc: KubeConfig, site: LabSite): Promise<number> {
  const core = kc.makeApiClient(CoreV1Api);
  const bodies = site.pools.flatMap((pool) => Array.from({ length: pool.nodes }, (_, i) => labNode(site, pool, i)));
  await Promise.all(bodies.map((body) => core.createNode({ body })));
  return bodies.length;
}

/** countReadyNodes counts Nodes whose Ready condition is True. */
export async function countReadyNodes(kc: KubeConfig): Promise<number> {
  const list = await kc.makeApiClient(CoreV1Api).listNode();
  return list.items.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
}
