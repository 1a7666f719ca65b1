/**
 * What the workload controllers do to their member objects at one site, whatever the transport. In push mode the
 * operator calls the site's apiserver with the kubeconfig from the Site's Secret (push-member-port.ts); in pull mode
 * it never dials the site: it keeps the site's desired member objects, sends them over the agent's stream, and reads
 * what the agent reports back (pull-member-port.ts). The controllers see one interface, so fencing, failover and
 * finalizer clean-up are the same code in both modes.
 *
 * Semantics every implementation keeps:
 * - read/list map "not there" to undefined/[] and throw (ApiError) when the site cannot say; a site that does not
 *   answer is never a site without members.
 * - apply is idempotent (server-side apply with the operator's field manager, or its pull-mode equivalent) and
 *   returns the object as far as the site has it (in pull mode: the last reported copy when it is of this content,
 *   else the desired object without status).
 * - delete of a Job or Deployment is in the foreground: the object stays visible, marked deleted, until its pods are
 *   gone, so nobody starts a new copy beside one still running.
 */
import type { KubernetesObject, V1Namespace, V1Node, V1Pod } from '@kubernetes/client-node';

/** MemberKind is a kind of member object the controllers create at sites. */
export type MemberKind = 'Job' | 'Service' | 'Deployment';

/** MemberKey names one member object at a site. */
export interface MemberKey {
  readonly kind: MemberKind;
  readonly namespace: string;
  readonly name: string;
}

/** MemberRefusal is why a site refused a member object (pull mode: the site's policy), as the agent said it. */
export interface MemberRefusal {
  /** reason is a CamelCase class (for example NamespaceNotAllowed, ImageNotAllowed), shown as a condition reason. */
  readonly reason: string;
  readonly message: string;
}

/** SiteMemberPort is one site's member objects, as the controllers use them. */
export interface SiteMemberPort {
  readonly site: string;
  readonly mode: 'Push' | 'Pull';
  /** read returns the member object named by `key`, or undefined when there is none. */
  read<T extends KubernetesObject>(key: MemberKey): Promise<T | undefined>;
  /** list returns the member objects of `kind` in `namespace` whose labels match `labelSelector` (k=v,k=v). */
  list<T extends KubernetesObject>(kind: MemberKind, namespace: string, labelSelector: string): Promise<T[]>;
  /** apply makes the site hold `obj` (module comment). */
  apply<T extends KubernetesObject>(obj: T): Promise<T>;
  /** delete removes the object (Jobs and Deployments in the foreground); absent is not an error. */
  delete(key: MemberKey): Promise<void>;
  /** ensureNamespace makes sure the members' namespace exists at the site. */
  ensureNamespace(namespace: V1Namespace): Promise<void>;
  /**
   * pods and node sharpen decisions (a failed device, a stuck gang); a port that cannot show them leaves them
   * undefined, and the controllers decide without them. pods lists the pods in `namespace` matching `labelSelector`;
   * node reads a Node, undefined when there is none; both throw when the site cannot say. In pull mode they show what
   * the agent reports: only the unfinished pods of member Jobs, and only the Nodes under them, each trimmed to the
   * fields the controllers decide on (pod labels, node, phase and PodScheduled; the node's AcceleratorHealthy).
   */
  readonly pods?: (namespace: string, labelSelector: string) => Promise<V1Pod[]>;
  readonly node?: (name: string) => Promise<V1Node | undefined>;
  /** refusal says why the site refused the object named by `key`, or undefined (never, in push mode). */
  refusal(key: MemberKey): MemberRefusal | undefined;
}

/** memberKeyOf names a member object from its own kind and metadata. */
export function memberKeyOf(obj: KubernetesObject): MemberKey {
  return { kind: obj.kind as MemberKind, namespace: obj.metadata?.namespace ?? '', name: obj.metadata?.name ?? '' };
}

/** formatMemberKey is `Kind namespace/name`, for logs and messages. */
export function formatMemberKey(key: MemberKey): string {
  return `${key.kind} ${key.namespace}/${key.name}`;
}
