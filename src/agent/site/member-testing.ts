/**
 * Builders and a fake site apiserver for the pull-mode unit tests; not used by production code. The
 * objects are shaped like the renderers' (src/controllers/training/member-objects.ts), which agent tests may not import.
 */
import type { KubernetesObject, V1Node, V1Pod } from '@kubernetes/client-node';
import type { DesiredMemberOut } from '../../wire/messages.ts';
import type { MemberSiteApi } from './member-applier.ts';
import { ANNOTATION_APPLIED_HASH, isManaged, MEMBER_KINDS, memberKey, type MemberId, type MemberKind } from './member-kinds.ts';
import type { HeldMember } from './member-plan.ts';

// `any`: fixtures are plain objects the tests reach into and change.
export type Obj = Record<string, any>;

/** workloadLabels are a training workload's member labels. */
export function workloadLabels(workload: string, epoch = 1, namespace = 'ml'): Record<string, string> {
  return {
    'app.kubernetes.io/managed-by': 'suanwang',
    'suanwang.io/workload': workload,
    'suanwang.io/namespace': namespace,
    'suanwang.io/epoch': String(epoch),
  };
}

/** jobManifest is a training member Job with `gpus` devices per worker and `workers` workers. */
export function jobManifest(name: string, opts: { namespace?: string; labels?: Record<string, string>; image?: string; gpus?: number; workers?: number } = {}): Obj {
  const resources = opts.gpus === undefined ? {} : { limits: { 'nvidia.com/gpu': String(opts.gpus) } };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: opts.namespace ?? 'ml', labels: { ...(opts.labels ?? workloadLabels(name)) } },
    spec: {
      parallelism: opts.workers ?? 1,
      completions: opts.workers ?? 1,
      template: { spec: { restartPolicy: 'Never', containers: [{ name: 'worker', image: opts.image ?? 'registry.example.com/llm/train:1.0', resources }] } },
    },
  };
}

/** serviceManifest is a headless member Service. */
export function serviceManifest(name: string, opts: { namespace?: string; labels?: Record<string, string>; type?: string } = {}): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: opts.namespace ?? 'ml', labels: { ...(opts.labels ?? workloadLabels(name)) } },
    spec: { clusterIP: 'None', ...(opts.type === undefined ? {} : { type: opts.type }), ports: [{ port: 29500 }] },
  };
}

/** desired is a wire DesiredMember of a manifest, with `hash` as its content hash. */
export function desired(manifest: Obj, hash: string): DesiredMemberOut {
  return {
    ref: { kind: manifest['kind'] as string, namespace: manifest['metadata']?.['namespace'] as string, name: manifest['metadata']?.['name'] as string },
    manifestJson: JSON.stringify(manifest),
    contentHash: hash,
  };
}

/** heldObject is an object as the site holds it: applied with `hash`, with a uid and managedFields. */
export function heldObject(kind: MemberKind, name: string, hash: string | undefined, opts: { namespace?: string; managed?: boolean; deleting?: boolean } = {}): KubernetesObject {
  return {
    apiVersion: MEMBER_KINDS[kind].apiVersion,
    kind,
    metadata: {
      name,
      namespace: opts.namespace ?? 'ml',
      uid: `uid-${name}`,
      labels: opts.managed === false ? { app: name } : { 'app.kubernetes.io/managed-by': 'suanwang' },
      ...(hash === undefined ? {} : { annotations: { [ANNOTATION_APPLIED_HASH]: hash } }),
      managedFields: [{ manager: 'suanwang-agent', operation: 'Apply' }],
      ...(opts.deleting === true ? { deletionTimestamp: new Date('2026-01-01T00:00:00Z') } : {}),
    },
  };
}

/**
 * workerPod is a pod of a training member Job as the site holds it (more than the agent reports of it): bound to `node`
 * and Running, or, without one, Pending and Unschedulable.
 */
export function workerPod(
  name: string,
  opts: { node?: string; phase?: string; workload?: string; epoch?: number; deleting?: boolean; owner?: 'Job' | 'ReplicaSet' | 'none' } = {},
): V1Pod {
  const workload = opts.workload ?? 'train';
  const bound = opts.node !== undefined;
  const owner = opts.owner ?? 'Job';
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'ml',
      uid: `uid-${name}`,
      resourceVersion: '42',
      labels: { ...workloadLabels(workload, opts.epoch ?? 1), 'suanwang.io/role': 'worker', 'batch.kubernetes.io/job-name': workload },
      annotations: { 'batch.kubernetes.io/job-completion-index': '0' },
      ...(owner === 'none' ? {} : { ownerReferences: [{ apiVersion: owner === 'Job' ? 'batch/v1' : 'apps/v1', kind: owner, name: workload, uid: `uid-${workload}`, controller: true }] }),
      managedFields: [{ manager: 'kube-controller-manager', operation: 'Update' }],
      ...(opts.deleting === true ? { deletionTimestamp: new Date('2026-01-01T00:00:00Z') } : {}),
    },
    spec: { containers: [{ name: 'worker', image: 'registry.example.com/llm/train:1.0' }], ...(bound && { nodeName: opts.node }) },
    status: {
      phase: opts.phase ?? (bound ? 'Running' : 'Pending'),
      conditions: bound
        ? [
            { type: 'PodScheduled', status: 'True', lastTransitionTime: new Date('2026-01-01T00:00:01Z') },
            { type: 'Ready', status: 'True', lastTransitionTime: new Date('2026-01-01T00:00:05Z') },
          ]
        : [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/4 nodes are available', lastTransitionTime: new Date('2026-01-01T00:00:01Z') }],
      containerStatuses: [{ name: 'worker', image: 'train:1.0', imageID: '', ready: bound, restartCount: 0 }],
    },
  };
}

/** acceleratorNode is a Node with its Ready and AcceleratorHealthy conditions, and the rest a Node carries. */
export function acceleratorNode(name: string, healthy: 'True' | 'False' | 'Unknown', heartbeat = '2026-01-01T00:00:00Z'): V1Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, uid: `uid-${name}`, labels: { 'kubernetes.io/hostname': name }, annotations: { 'suanwang.io/devices': '{"devices":[]}' } },
    spec: { taints: [{ key: 'nvidia.com/gpu', effect: 'NoSchedule' }] },
    status: {
      capacity: { 'nvidia.com/gpu': '8' },
      conditions: [
        { type: 'Ready', status: 'True', lastHeartbeatTime: new Date(heartbeat) },
        {
          type: 'AcceleratorHealthy',
          status: healthy,
          reason: healthy === 'True' ? 'AllDevicesHealthy' : 'DevicesUnhealthy',
          message: healthy === 'True' ? '8 devices healthy' : 'GPU 3: XID 79',
          lastHeartbeatTime: new Date(heartbeat),
        },
      ],
    },
  };
}

const keyOf = (kind: string, namespace: string, name: string): string => `${kind}/${namespace}/${name}`;

/** FakeMemberSite is a site apiserver in memory that records every call; its objects are what the applier's caches see. */
export class FakeMemberSite implements MemberSiteApi {
  readonly calls: string[] = [];
  readonly objects = new Map<string, KubernetesObject>();
  /** failApply, when set, decides an error for an apply. */
  failApply: ((obj: KubernetesObject) => Error | undefined) | undefined;

  hold(obj: KubernetesObject): void {
    this.objects.set(keyOf(obj.kind ?? '', obj.metadata?.namespace ?? '', obj.metadata?.name ?? ''), obj);
  }
  async read(id: MemberId & { kind: MemberKind }): Promise<KubernetesObject | undefined> {
    this.calls.push(`read ${id.kind} ${id.namespace}/${id.name}`);
    return this.objects.get(memberKey(id));
  }
  async apply(obj: KubernetesObject): Promise<KubernetesObject> {
    const what = `${obj.kind} ${obj.metadata?.namespace}/${obj.metadata?.name}`;
    const err = this.failApply?.(obj);
    this.calls.push(`apply ${what}${err ? ' (fails)' : ''}`);
    if (err) throw err;
    this.hold(obj);
    return obj;
  }
  async remove(id: MemberId & { kind: MemberKind }, foreground: boolean): Promise<void> {
    this.calls.push(`delete ${id.kind} ${id.namespace}/${id.name}${foreground ? ' foreground' : ''}`);
    this.objects.delete(memberKey(id));
  }
  async ensureNamespace(name: string): Promise<void> {
    this.calls.push(`namespace ${name}`);
  }
  /** held is what the label-selected caches list. */
  held(): HeldMember[] {
    return [...this.objects.values()].filter(isManaged).map((o) => ({
      id: { kind: o.kind ?? '', namespace: o.metadata?.namespace ?? '', name: o.metadata?.name ?? '' },
      appliedHash: o.metadata?.annotations?.[ANNOTATION_APPLIED_HASH],
      deleting: o.metadata?.deletionTimestamp !== undefined,
      managed: true,
    }));
  }
}
