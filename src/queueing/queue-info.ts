/**
 * A Queue as admission reads it: quota and borrowing limit in numbers, weight, preemption policy, who may use it. The
 * workload side: which queue a workload is charged to (the `default` rule, README "Queues").
 */
import type { Queue } from '../api/generated/types.ts';
import { DEFAULT_QUEUE, PreemptionPolicy, type PreemptionPolicyName } from '../api/names.ts';
import { parseAmounts, type Amounts } from './amounts.ts';

/** NO_QUEUE is the queue name of workloads admitted without a Queue (module comment of resolveQueue). */
export const NO_QUEUE = '';

/** QueueInfo is a Queue in numbers. */
export interface QueueInfo {
  readonly name: string;
  /** quota per resource; a resource not listed is not limited. */
  readonly quota: Amounts;
  /** borrowingLimit per resource: how far above quota the queue may go on idle capacity (absent: not at all). */
  readonly borrowingLimit: Amounts;
  readonly weight: number;
  readonly policy: PreemptionPolicyName;
  /** namespaces that may use the queue; empty: every namespace. */
  readonly namespaces: readonly string[];
}

/** queueInfo reads a Queue. A quantity the CRD let through but that does not parse counts as a quota of 0. */
export function queueInfo(q: Queue): QueueInfo {
  const quota = parseAmounts(q.spec.quota);
  const borrowing = parseAmounts(q.spec.borrowingLimit);
  const zero = Object.fromEntries(quota.invalid.map((r) => [r, 0]));
  return {
    name: q.metadata.name ?? '',
    quota: { ...quota.amounts, ...zero },
    borrowingLimit: borrowing.amounts,
    weight: Math.max(1, q.spec.weight ?? 1),
    policy: (q.spec.preemptionPolicy as PreemptionPolicyName | undefined) ?? PreemptionPolicy.Never,
    namespaces: q.spec.namespaces ?? [],
  };
}

/** UNLIMITED is the queue of workloads admitted without a Queue: no quota, never preempts. */
export const UNLIMITED: QueueInfo = {
  name: NO_QUEUE,
  quota: {},
  borrowingLimit: {},
  weight: 1,
  policy: PreemptionPolicy.Never,
  namespaces: [],
};

/** QueueResolution is the queue a workload is charged to, or why it has none to wait in. */
export type QueueResolution =
  | { readonly kind: 'Queue'; readonly queue: QueueInfo }
  | { readonly kind: 'QueueNotFound'; readonly message: string }
  | { readonly kind: 'NamespaceNotAllowed'; readonly message: string };

/**
 * resolveQueue finds the queue a workload in `namespace` naming `name` is charged to. The rule: a named Queue that
 * exists; the `default` name (what the API fills in when a workload names none) when no Queue of that name exists
 * means no queue at all — the workload is admitted on capacity alone, as before queues existed, so a federation that
 * defines no queues behaves as one pool. Any other missing Queue, or a namespace the Queue does not list, waits.
 */
export function resolveQueue(name: string | undefined, namespace: string, queues: ReadonlyMap<string, QueueInfo>): QueueResolution {
  const wanted = name === undefined || name === '' ? DEFAULT_QUEUE : name;
  const queue = queues.get(wanted);
  if (queue === undefined) {
    if (wanted === DEFAULT_QUEUE) return { kind: 'Queue', queue: UNLIMITED };
    return { kind: 'QueueNotFound', message: `queue ${wanted} does not exist` };
  }
  if (queue.namespaces.length > 0 && !queue.namespaces.includes(namespace)) {
    return {
      kind: 'NamespaceNotAllowed',
      message: `namespace ${namespace} may not use queue ${wanted} (allowed: ${queue.namespaces.join(', ')})`,
    };
  }
  return { kind: 'Queue', queue };
}
