/**
 * The Configuration (config.kueue.x-k8s.io/v1beta2) one Kueue instance runs with outside a cluster, against a lab
 * apiserver. The tuning is upstream's shipped config (config/components/manager/controller_manager_config.yaml:
 * clientConnection 50/100, its groupKindConcurrency), so the peer runs as a default install would; only what running
 * several instances on one loopback needs differs:
 * - every listener on 127.0.0.1 at a port of its own (webhook, metrics, health);
 * - no leader election (one replica each) and no internal cert rotation (it injects CA bundles into CRD conversion
 *   stanzas the base CRDs lack and issues certificates for an in-cluster Service name); the webhook serves a
 *   certificate of ours for 127.0.0.1 instead (webhook-certs.ts);
 * - only the batch/job integration (the lab has no other frameworks' CRDs), and no on-demand visibility API server
 *   (a fixed port per process, and not on the workload path).
 */
import { stringify } from 'yaml';

/** KUEUE_NAMESPACE is where Kueue keeps its own objects (the worker kubeconfig Secrets) and its ServiceAccounts. */
export const KUEUE_NAMESPACE = 'kueue-system';

/** UPSTREAM_CLIENT_CONNECTION is the shipped config's client rate limit to its own cluster (v0.17.0). */
export const UPSTREAM_CLIENT_CONNECTION = { qps: 50, burst: 100 } as const;

/** UPSTREAM_GROUP_KIND_CONCURRENCY is the shipped config's reconcilers per kind. */
export const UPSTREAM_GROUP_KIND_CONCURRENCY: Readonly<Record<string, number>> = {
  'Job.batch': 5,
  Pod: 5,
  'Workload.kueue.x-k8s.io': 5,
  'LocalQueue.kueue.x-k8s.io': 1,
  'Cohort.kueue.x-k8s.io': 1,
  'ClusterQueue.kueue.x-k8s.io': 1,
  'ResourceFlavor.kueue.x-k8s.io': 1,
};

/** InstancePorts are one instance's loopback listeners. */
export interface InstancePorts {
  readonly webhook: number;
  readonly metrics: number;
  readonly health: number;
}

/** KueueConfigParams place one instance. */
export interface KueueConfigParams {
  readonly ports: InstancePorts;
  /** certDir holds the webhook's tls.crt and tls.key. */
  readonly certDir: string;
}

/** kueueConfiguration is the instance's Configuration object (module comment). */
export function kueueConfiguration(p: KueueConfigParams): Record<string, unknown> {
  for (const [name, port] of Object.entries(p.ports)) {
    if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`ports.${name}: expected a TCP port, got ${port}`);
  }
  if (new Set(Object.values(p.ports)).size !== 3) throw new Error(`ports: webhook, metrics and health must differ, got ${JSON.stringify(p.ports)}`);
  return {
    apiVersion: 'config.kueue.x-k8s.io/v1beta2',
    kind: 'Configuration',
    namespace: KUEUE_NAMESPACE,
    leaderElection: { leaderElect: false },
    internalCertManagement: { enable: false },
    webhook: { host: '127.0.0.1', port: p.ports.webhook, certDir: p.certDir },
    metrics: { bindAddress: `127.0.0.1:${p.ports.metrics}` },
    health: { healthProbeBindAddress: `127.0.0.1:${p.ports.health}` },
    controller: { groupKindConcurrency: { ...UPSTREAM_GROUP_KIND_CONCURRENCY } },
    clientConnection: { ...UPSTREAM_CLIENT_CONNECTION },
    featureGates: { VisibilityOnDemand: false },
    integrations: { frameworks: ['batch/job'] },
  };
}

/** kueueConfigurationYaml renders kueueConfiguration for --config. */
export function kueueConfigurationYaml(p: KueueConfigParams): string {
  return `# One Kueue instance in the Suanwang lab (bench/peer-kueue/multikueue/config.ts).\n${stringify(kueueConfiguration(p))}`;
}
