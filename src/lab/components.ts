/**
 * Command lines of the real components a lab runs. Flags follow
 * ../shared/research/control-plane-from-go-modules.md §5, checked against the 1.35 binaries:
 * one etcd shared by every cluster (each apiserver has its own --etcd-prefix), and per cluster an apiserver with
 * its own certificates, service-account key and admin token; per site a controller manager, a scheduler and kwok.
 */
import { join } from 'node:path';
import { auditArgs, type AuditParams } from './audit.ts';

/** EtcdParams place the lab's one etcd. */
export interface EtcdParams {
  readonly dataDir: string;
  readonly clientPort: number;
  readonly peerPort: number;
}

/** etcdArgs is etcd's command line: a single member on loopback, without fsync. */
export function etcdArgs(p: EtcdParams): string[] {
  const client = `http://127.0.0.1:${p.clientPort}`;
  const peer = `http://127.0.0.1:${p.peerPort}`;
  return [
    '--name=lab',
    `--data-dir=${p.dataDir}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=lab=${peer}`,
    '--listen-metrics-urls=',
    // A lab's data is disposable; fsync would only slow every write on a shared disk.
    '--unsafe-no-fsync=true',
    '--quota-backend-bytes=4294967296',
    '--log-level=warn',
  ];
}

/** ApiserverParams place one cluster's kube-apiserver. */
export interface ApiserverParams {
  readonly cluster: string;
  readonly etcdUrl: string;
  readonly port: number;
  readonly dir: string;
  readonly saKey: string;
  readonly tokenFile: string;
  /** audit: where the apiserver writes its audit log (sites; audit.ts); none when unset. */
  readonly audit?: AuditParams;
}

/** apiserverArgs is one cluster's kube-apiserver command line, under its own etcd prefix. */
export function apiserverArgs(p: ApiserverParams): string[] {
  return [
    `--etcd-servers=${p.etcdUrl}`,
    `--etcd-prefix=/suanwang-lab/${p.cluster}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${p.port}`,
    // A loopback advertise address is only accepted without an endpoint reconciler (research §5.2).
    '--advertise-address=127.0.0.1',
    '--endpoint-reconciler-type=none',
    `--cert-dir=${join(p.dir, 'pki')}`,
    '--service-cluster-ip-range=10.96.0.0/16',
    '--service-account-issuer=https://kubernetes.default.svc',
    `--service-account-key-file=${p.saKey}`,
    `--service-account-signing-key-file=${p.saKey}`,
    `--token-auth-file=${p.tokenFile}`,
    '--authorization-mode=RBAC',
    '--allow-privileged=true',
    '--enable-priority-and-fairness=false',
    '--profiling=false',
    ...(p.audit ? auditArgs(p.audit) : []),
    '-v=1',
  ];
}

/** HUB_CONTROLLERS: the hub runs no workloads, only what keeps namespaces, garbage collection and accounts working. */
const HUB_CONTROLLERS = [
  'namespace-controller',
  'garbage-collector-controller',
  'serviceaccount-controller',
  'root-ca-certificate-publisher-controller',
  'deployment-controller',
  'replicaset-controller',
];

/** ControllerManagerParams configure one cluster's kube-controller-manager. */
export interface ControllerManagerParams {
  readonly role: 'hub' | 'site';
  readonly kubeconfig: string;
  readonly saKey: string;
  readonly rootCa: string;
}

/**
 * controlPlaneClientArgs are the flags kube-controller-manager and kube-scheduler share: one kubeconfig for the
 * apiserver and for delegated authentication and authorisation of their own endpoints, no leader election (one
 * replica), and a loopback-only endpoint.
 */
function controlPlaneClientArgs(kubeconfig: string): string[] {
  return [
    `--kubeconfig=${kubeconfig}`,
    `--authentication-kubeconfig=${kubeconfig}`,
    `--authorization-kubeconfig=${kubeconfig}`,
    '--leader-elect=false',
    '--bind-address=127.0.0.1',
  ];
}

/** controllerManagerArgs is kube-controller-manager's command line: every controller on sites, HUB_CONTROLLERS on the hub. */
export function controllerManagerArgs(p: ControllerManagerParams): string[] {
  return [
    ...controlPlaneClientArgs(p.kubeconfig),
    '--secure-port=0',
    `--service-account-private-key-file=${p.saKey}`,
    `--root-ca-file=${p.rootCa}`,
    '--use-service-account-credentials=false',
    `--controllers=${p.role === 'hub' ? HUB_CONTROLLERS.join(',') : '*,-node-ipam-controller'}`,
    // kwok nodes renew their leases; a short grace makes a lost node visible quickly in the lab.
    '--node-monitor-grace-period=40s',
    '--concurrent-gc-syncs=5',
    '-v=1',
  ];
}

/** SchedulerParams configure one site's kube-scheduler. */
export interface SchedulerParams {
  readonly kubeconfig: string;
  readonly port: number;
}

/** schedulerArgs is kube-scheduler's command line. */
export function schedulerArgs(p: SchedulerParams): string[] {
  return [
    ...controlPlaneClientArgs(p.kubeconfig),
    `--secure-port=${p.port}`,
    '-v=1',
  ];
}

/** KwokParams configure one site's kwok. */
export interface KwokParams {
  readonly kubeconfig: string;
  readonly stages: string;
  readonly serverPort: number;
}

/** KWOK_NODE_ANNOTATION marks the Nodes a site's kwok manages. */
export const KWOK_NODE_ANNOTATION = 'kwok.x-k8s.io/node';

/** kwokArgs is kwok's command line: it manages only the Nodes the lab annotated, with the lab's stages. */
export function kwokArgs(p: KwokParams): string[] {
  return [
    `--kubeconfig=${p.kubeconfig}`,
    `--config=${p.stages}`,
    '--manage-all-nodes=false',
    `--manage-nodes-with-annotation-selector=${KWOK_NODE_ANNOTATION}=fake`,
    // Node and pod IPs stay on loopback / in a range nothing routes to, so nothing leaves the machine.
    '--node-ip=127.0.0.1',
    '--cidr=10.244.0.0/16',
    '--node-lease-duration-seconds=40',
    `--server-address=127.0.0.1:${p.serverPort}`,
  ];
}
