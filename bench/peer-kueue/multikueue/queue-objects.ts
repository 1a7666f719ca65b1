/**
 * The Kueue objects of a MultiKueue setup on the lab, as upstream's MultiKueue guide sets them up. On every worker
 * (site): a ResourceFlavor for the site's CPU pools (nodeLabels, so Kueue pins the pods to the same nodes Suanwang's
 * CPU-only jobs use), a ClusterQueue with the pools' CPU and memory as quota, and the LocalQueue. On the manager (hub):
 * one worker kubeconfig Secret, MultiKueueCluster per site, a MultiKueueConfig naming them, the MultiKueue
 * AdmissionCheck, and a ClusterQueue (quota: all sites' CPU pools together) whose admissionChecksStrategy names the
 * check, with the LocalQueue of the same name as the workers'.
 */
import { KUEUE_NAMESPACE } from './config.ts';

const API = 'kueue.x-k8s.io/v1beta2';
/** MULTIKUEUE_CONTROLLER is the AdmissionCheck controller name MultiKueue answers to. */
export const MULTIKUEUE_CONTROLLER = 'kueue.x-k8s.io/multikueue';
export const FLAVOR = 'cpu-pools';
export const CLUSTER_QUEUE = 'throughput';
/** LOCAL_QUEUE is the queue name Jobs carry in kueue.x-k8s.io/queue-name. */
export const LOCAL_QUEUE = 'throughput';
export const ADMISSION_CHECK = 'multikueue';
export const MULTIKUEUE_CONFIG = 'lab-sites';

/** Pool is one pool of a site, as the lab's state lists it (cpu cores and memory bytes per node). */
export interface Pool {
  readonly name: string;
  readonly nodes: number;
  readonly cpu: number;
  readonly memory: number;
  readonly accelerator?: string;
}

/** Quota is CPU cores and memory bytes. */
export interface Quota {
  readonly cpu: number;
  readonly memoryBytes: number;
}

/** cpuPoolQuota sums a site's pools named `poolName` that carry no accelerator. */
export function cpuPoolQuota(pools: readonly Pool[], poolName: string): Quota {
  const cpuPools = pools.filter((p) => p.name === poolName && p.accelerator === undefined);
  return {
    cpu: cpuPools.reduce((t, p) => t + p.nodes * p.cpu, 0),
    memoryBytes: cpuPools.reduce((t, p) => t + p.nodes * Math.floor(p.memory), 0),
  };
}

/** KubeObject is any object to create. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  [field: string]: unknown;
}

function clusterQueue(quota: Quota, admissionCheck: string | undefined): KubeObject {
  if (!(quota.cpu > 0 && quota.memoryBytes > 0)) throw new Error(`ClusterQueue quota must be above zero, got ${JSON.stringify(quota)}`);
  return {
    apiVersion: API,
    kind: 'ClusterQueue',
    metadata: { name: CLUSTER_QUEUE },
    spec: {
      namespaceSelector: {},
      resourceGroups: [
        {
          coveredResources: ['cpu', 'memory'],
          flavors: [{ name: FLAVOR, resources: [{ name: 'cpu', nominalQuota: String(quota.cpu) }, { name: 'memory', nominalQuota: String(quota.memoryBytes) }] }],
        },
      ],
      ...(admissionCheck === undefined ? {} : { admissionChecksStrategy: { admissionChecks: [{ name: admissionCheck }] } }),
    },
  };
}

function localQueue(namespace: string): KubeObject {
  return { apiVersion: API, kind: 'LocalQueue', metadata: { name: LOCAL_QUEUE, namespace }, spec: { clusterQueue: CLUSTER_QUEUE } };
}

/** workerObjects are one site's objects; nodeLabels pin the flavor to its CPU pools. */
export function workerObjects(namespace: string, quota: Quota, nodeLabels: Readonly<Record<string, string>>): KubeObject[] {
  return [
    { apiVersion: API, kind: 'ResourceFlavor', metadata: { name: FLAVOR }, spec: { nodeLabels: { ...nodeLabels } } },
    clusterQueue(quota, undefined),
    localQueue(namespace),
  ];
}

/** workerSecretName names the Secret holding a site's kubeconfig on the manager. */
export function workerSecretName(site: string): string {
  return `multikueue-${site}`;
}

/** managerObjects are the hub's objects; workerKubeconfigs maps each site to the kubeconfig the manager calls it with. */
export function managerObjects(namespace: string, quota: Quota, workerKubeconfigs: ReadonlyMap<string, string>): KubeObject[] {
  const sites = [...workerKubeconfigs.keys()];
  if (sites.length === 0) throw new Error('MultiKueue needs at least one worker cluster');
  return [
    ...sites.map(
      (site): KubeObject => ({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: workerSecretName(site), namespace: KUEUE_NAMESPACE },
        stringData: { kubeconfig: workerKubeconfigs.get(site) },
      }),
    ),
    ...sites.map(
      (site): KubeObject => ({
        apiVersion: API,
        kind: 'MultiKueueCluster',
        metadata: { name: site },
        spec: { clusterSource: { kubeConfig: { locationType: 'Secret', location: workerSecretName(site) } } },
      }),
    ),
    { apiVersion: API, kind: 'MultiKueueConfig', metadata: { name: MULTIKUEUE_CONFIG }, spec: { clusters: sites } },
    {
      apiVersion: API,
      kind: 'AdmissionCheck',
      metadata: { name: ADMISSION_CHECK },
      spec: { controllerName: MULTIKUEUE_CONTROLLER, parameters: { apiGroup: 'kueue.x-k8s.io', kind: 'MultiKueueConfig', name: MULTIKUEUE_CONFIG } },
    },
    { apiVersion: API, kind: 'ResourceFlavor', metadata: { name: FLAVOR }, spec: {} },
    clusterQueue(quota, ADMISSION_CHECK),
    localQueue(namespace),
  ];
}

/** PLURALS maps the kinds above to their resources, for the generic create calls. */
export const PLURALS: Readonly<Record<string, string>> = {
  ResourceFlavor: 'resourceflavors',
  ClusterQueue: 'clusterqueues',
  LocalQueue: 'localqueues',
  MultiKueueCluster: 'multikueueclusters',
  MultiKueueConfig: 'multikueueconfigs',
  AdmissionCheck: 'admissionchecks',
};
