/**
 * What the agent keeps of each Node and Pod it watches: the fields it reads, nothing else. A kwok or kubelet Pod is
 * 4–6 KB of JSON (managedFields, volumes, tolerations, container statuses, conditions), a Node more with its images;
 * the agent reads a few hundred bytes of either. At 10,000 pods and 1,000 nodes the whole objects take about 80 MiB
 * of heap, these about 7 (bench/agent-footprint.bench.ts). Applied to every object before the cache sees it
 * (kube/list-watch.ts), listed or watched. Pure, though objects share the parts they repeat (below), read-only.
 *
 * Who reads what:
 * - the caches: metadata name, namespace and resourceVersion (the key, and "same version, no change");
 * - pool-builder.ts, node-devices.ts, agent-metrics.ts: a node's labels, its device annotation (ANNOTATION_DEVICES),
 *   capacity, allocatable, conditions (Ready) and spec.unschedulable;
 * - the heartbeat: a node's Ready condition; pull mode's observed nodes (observed-projection.ts): its name and the
 *   AcceleratorHealthy condition, without times;
 * - pod-requests.ts, release-grace.ts: a pod's uid, node, phase, and its containers', init containers' (with their
 *   restartPolicy) requests and limits, and its overhead.
 * Of a node's conditions only Ready and AcceleratorHealthy are kept (READ_NODE_CONDITIONS), with type, status, reason
 * and message; kubelet's pressure conditions (five more per node, each with its own message) and every condition's
 * heartbeat and transition times are read by nobody.
 */
import type { V1Container, V1Node, V1NodeCondition, V1NodeSpec, V1NodeStatus, V1ObjectMeta, V1Pod, V1PodSpec, V1PodStatus, V1ResourceRequirements } from '@kubernetes/client-node';
import { ANNOTATION_DEVICES, NODE_CONDITION_ACCELERATORS } from '../../api/names.ts';
import { Interner } from './interner.ts';

/** READ_NODE_CONDITIONS are the node conditions the agent reads (module comment). */
export const READ_NODE_CONDITIONS: ReadonlySet<string> = new Set(['Ready', NODE_CONDITION_ACCELERATORS]);

type Json = Record<string, unknown>;

const obj = (v: unknown): Json | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const quantities = (v: unknown): Record<string, string> | undefined => obj(v) as Record<string, string> | undefined;

/**
 * Values that many objects repeat are kept once (interner.ts): names a node and its pods share, namespaces, phases,
 * label values; and a pod's containers, init containers and overhead as projected, which pods of one template share
 * whole. Bounds: far above the distinct values of a large site, and small beside its objects.
 */
const STRINGS = new Interner<string>(65_536);
const CONTAINERS = new Interner<V1Container[]>(4_096);
const QUANTITIES = new Interner<Record<string, string>>(4_096);

function shared(v: string | undefined): string | undefined {
  return v === undefined ? undefined : STRINGS.of(v, v);
}

function sharedQuantities(q: Record<string, string> | undefined): Record<string, string> | undefined {
  return q === undefined ? undefined : QUANTITIES.of(JSON.stringify(q), q);
}

function sharedContainers(list: V1Container[] | undefined): V1Container[] | undefined {
  return list === undefined ? undefined : CONTAINERS.of(JSON.stringify(list), list);
}

function sharedLabels(labels: Record<string, string> | undefined): Record<string, string> | undefined {
  if (labels === undefined) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) if (typeof v === 'string') out[k] = STRINGS.of(v, v);
  return out;
}

/** Loose<T> is T whose optional fields may also be given as undefined. */
type Loose<T> = { [K in keyof T]: T[K] | undefined };

/** only copies the fields of `from` that are defined, so the result has no `key: undefined` members. */
function only<T extends object>(from: Loose<T>): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(from)) if (v !== undefined) out[k] = v;
  return out as T;
}

function identity(m: Json | undefined): V1ObjectMeta {
  return only<V1ObjectMeta>({ name: shared(text(m?.['name'])), namespace: shared(text(m?.['namespace'])), uid: text(m?.['uid']), resourceVersion: text(m?.['resourceVersion']) });
}

function condition(c: unknown): V1NodeCondition {
  const x = obj(c) ?? {};
  return only<V1NodeCondition>({ type: text(x['type']) ?? '', status: text(x['status']) ?? '', reason: text(x['reason']), message: text(x['message']) });
}

/** siteNode is what the agent keeps of a Node (module comment). */
export function siteNode(raw: unknown): V1Node {
  const n = obj(raw) ?? {};
  const m = obj(n['metadata']);
  const status = obj(n['status']);
  const devices = text(obj(m?.['annotations'])?.[ANNOTATION_DEVICES]);
  const labels = sharedLabels(obj(m?.['labels']) as Record<string, string> | undefined);
  const unschedulable = obj(n['spec'])?.['unschedulable'];
  const conditions = status?.['conditions'];
  return {
    metadata: only<V1ObjectMeta>({ ...identity(m), labels, annotations: devices === undefined ? undefined : { [ANNOTATION_DEVICES]: devices } }),
    spec: only<V1NodeSpec>({ unschedulable: typeof unschedulable === 'boolean' ? unschedulable : undefined }),
    status: only<V1NodeStatus>({
      capacity: sharedQuantities(quantities(status?.['capacity'])),
      allocatable: sharedQuantities(quantities(status?.['allocatable'])),
      conditions: Array.isArray(conditions) ? conditions.map(condition).filter((c) => READ_NODE_CONDITIONS.has(c.type)) : undefined,
    }),
  };
}

function resources(r: unknown): V1ResourceRequirements | undefined {
  const x = obj(r);
  if (x === undefined) return undefined;
  return only<V1ResourceRequirements>({ requests: quantities(x['requests']), limits: quantities(x['limits']) });
}

function container(c: unknown, init: boolean): V1Container {
  const x = obj(c) ?? {};
  return only<V1Container>({ name: text(x['name']) ?? '', resources: resources(x['resources']), restartPolicy: init ? text(x['restartPolicy']) : undefined });
}

/** podIdentity is identity without sharing the pod's own name: pod names rarely repeat. */
function podIdentity(m: Json | undefined): V1ObjectMeta {
  return only<V1ObjectMeta>({ name: text(m?.['name']), namespace: shared(text(m?.['namespace'])), uid: text(m?.['uid']), resourceVersion: text(m?.['resourceVersion']) });
}

/** sitePod is what the agent keeps of a Pod (module comment). */
export function sitePod(raw: unknown): V1Pod {
  const p = obj(raw) ?? {};
  const spec = obj(p['spec']);
  const initContainers = spec?.['initContainers'];
  return {
    metadata: podIdentity(obj(p['metadata'])),
    spec: only<V1PodSpec>({
      nodeName: shared(text(spec?.['nodeName'])),
      containers: sharedContainers(list(spec?.['containers']).map((c) => container(c, false))) ?? [],
      initContainers: Array.isArray(initContainers) ? sharedContainers(initContainers.map((c) => container(c, true))) : undefined,
      overhead: sharedQuantities(quantities(spec?.['overhead'])),
    }),
    status: only<V1PodStatus>({ phase: shared(text(obj(p['status'])?.['phase'])) }),
  };
}
