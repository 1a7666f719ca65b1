/**
 * What the agent reports of a worker pod and of the Node under it (pull mode), so the hub can tell a gang the site's
 * scheduler left Pending and a failed device under a running worker (controllers/training/worker-health.ts) without
 * reaching the site's apiserver. Pure.
 *
 * Which pods: those of the federation's member Jobs — labelled as Suanwang's and with a workload (the labels the
 * member Job's pod template carries, which an InferenceService's replicas carry too), controlled by a Job, and not
 * finished (the hub reads live workers only; a finished pod reported gone keeps the report small). Which nodes: those
 * the reported pods that are not being deleted are bound to.
 *
 * Trimmed to what the hub decides on, so that the churn of everything else (container statuses, Ready, the
 * kubelet's and the node reporter's heartbeats) never makes a report: a pod's name, namespace, labels and
 * deletionTimestamp, its node, its phase and its PodScheduled condition; a node's name and its AcceleratorHealthy
 * condition. Conditions keep type, status, reason and message, without their times.
 */
import type { KubernetesObject, V1Node, V1Pod } from '@kubernetes/client-node';
import { LABEL_MANAGED_BY, LABEL_WORKLOAD, MANAGED_BY, NODE_CONDITION_ACCELERATORS } from '../../api/names.ts';

/** WORKER_POD_SELECTOR selects, at the apiserver, the pods of Suanwang's workloads (isReportedPod narrows it). */
export const WORKER_POD_SELECTOR = `${LABEL_MANAGED_BY}=${MANAGED_BY},${LABEL_WORKLOAD}`;

/** WORKER_POD_FIELD_SELECTOR keeps finished pods out of the watch: the apiserver reports one that finishes as deleted. */
export const WORKER_POD_FIELD_SELECTOR = 'status.phase!=Succeeded,status.phase!=Failed';

/** REPORTED_POD_CONDITIONS are the pod conditions the hub reads (the scheduler's word on an unbound worker). */
export const REPORTED_POD_CONDITIONS: readonly string[] = ['PodScheduled'];

/** isReportedPod says whether the agent reports `pod` (module comment). */
export function isReportedPod(pod: V1Pod): boolean {
  const labels = pod.metadata?.labels ?? {};
  if (labels[LABEL_MANAGED_BY] !== MANAGED_BY || labels[LABEL_WORKLOAD] === undefined) return false;
  if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return false;
  return (pod.metadata?.ownerReferences ?? []).some((o) => o.kind === 'Job' && o.controller === true);
}

/** nodeUnder is the node a reported pod holds, when it is bound and not being deleted. */
export function nodeUnder(pod: V1Pod): string | undefined {
  const node = pod.spec?.nodeName;
  if (node === undefined || node === '' || isDeleting(pod)) return undefined;
  return node;
}

/** podProjection is what the agent reports of a pod (module comment). */
export function podProjection(pod: V1Pod): KubernetesObject {
  const m = pod.metadata;
  const conditions = (pod.status?.conditions ?? []).filter((c) => REPORTED_POD_CONDITIONS.includes(c.type)).map(trimCondition);
  const nodeName = pod.spec?.nodeName;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: m?.name ?? '',
      namespace: m?.namespace ?? '',
      labels: { ...m?.labels },
      ...(isDeleting(pod) && { deletionTimestamp: m?.deletionTimestamp }),
    },
    spec: { ...(nodeName !== undefined && nodeName !== '' && { nodeName }) },
    status: { ...(pod.status?.phase !== undefined && { phase: pod.status.phase }), ...(conditions.length > 0 && { conditions }) },
  } as KubernetesObject;
}

/** nodeProjection is what the agent reports of a node (module comment). */
export function nodeProjection(node: V1Node): KubernetesObject {
  const conditions = (node.status?.conditions ?? []).filter((c) => c.type === NODE_CONDITION_ACCELERATORS).map(trimCondition);
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: node.metadata?.name ?? '' },
    status: { ...(conditions.length > 0 && { conditions }) },
  } as KubernetesObject;
}

function isDeleting(pod: V1Pod): boolean {
  return pod.metadata?.deletionTimestamp !== undefined && pod.metadata.deletionTimestamp !== null;
}

function trimCondition(c: { type: string; status: string; reason?: string; message?: string }): Record<string, string> {
  return { type: c.type, status: c.status, ...(c.reason !== undefined && { reason: c.reason }), ...(c.message !== undefined && { message: c.message }) };
}
