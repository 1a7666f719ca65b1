/**
 * What the operator and a pull-mode site's agent say to each other about member objects, as plain values. The operator
 * adapts the wire's messages to and from these, so the store (pull-site-members.ts) knows nothing of the transport.
 *
 * Both directions are level-based: a full message replaces what the other side knew, an incremental one changes only
 * the keys it names. After a session opens, each side sends a full message first.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import type { MemberKey, MemberRefusal } from './site-member-port.ts';

/**
 * OBSERVED_KINDS are what the agent reports beside the members for the hub to read and nothing more: the unfinished
 * pods of the federation's member Jobs and the Nodes those pods run on, trimmed to what the controllers decide on
 * (a pod's labels, node, phase and PodScheduled; a node's AcceleratorHealthy). Never sent, applied or deleted, never
 * part of the desired set; a full report replaces them like the members.
 */
export const OBSERVED_KINDS = ['Pod', 'Node'] as const;
export type ObservedKind = (typeof OBSERVED_KINDS)[number];

/** ObservedKey names a pod (namespace and name) or a node (namespace ''). */
export interface ObservedKey {
  readonly kind: ObservedKind;
  readonly namespace: string;
  readonly name: string;
}

/** ReportedKey is anything a report names: a member, or an observed pod or node. */
export type ReportedKey = MemberKey | ObservedKey;

/** isObservedKey tells an observed pod or node from a member. */
export function isObservedKey(key: ReportedKey): key is ObservedKey {
  return (OBSERVED_KINDS as readonly string[]).includes(key.kind);
}

/** DesiredMember is one member object the operator wants at the site, as rendered for push mode. */
export interface DesiredMember {
  readonly key: MemberKey;
  readonly object: KubernetesObject;
  /** hash is desiredMemberHash(object): equal content, equal hash, so the agent can skip a repeat and echo it back. */
  readonly hash: string;
}

/**
 * MemberSync is what the operator sends to the agent.
 *
 * full=true: `apply` is every member the operator wants at the site now, and `remove` every member it has asked to
 * delete that the agent has not yet reported gone; the agent forgets earlier syncs. The agent must NOT delete a member
 * only because a full sync leaves it out: a new operator starts with an empty desired set that fills as its
 * controllers reconcile, and those controllers delete what should go (old epochs, deleted workloads) by name, which
 * lands in `remove`.
 *
 * full=false: apply these, remove those; nothing else changes.
 */
export interface MemberSync {
  readonly full: boolean;
  readonly apply: readonly DesiredMember[];
  readonly remove: readonly MemberKey[];
}

/**
 * SendMemberSync hands a sync to the site's session. It returns false when the site has no session now: the store keeps
 * everything and sends a full sync once `sessionOpened` is called.
 */
export type SendMemberSync = (site: string, sync: MemberSync) => boolean;

/**
 * ReportedMember is the agent's word on one key. `object` is the object as the site holds it (absent: the site does
 * not hold it, e.g. a refused create, or the agent does not say while it refuses); `appliedHash` is the
 * DesiredMember.hash the agent last applied to it, or, with `refusal`, the hash of the content it refused (the site's
 * policy). The agent repeats a refusal in every state it reports for the key while that content stays in its desired
 * set. A state with neither object nor refusal reads as gone. An observed pod or node comes with `object` only.
 */
export interface ReportedMember {
  readonly key: ReportedKey;
  readonly object?: KubernetesObject;
  readonly appliedHash?: string;
  readonly refusal?: MemberRefusal;
}

/**
 * MemberReport is what the agent sends back. full=true: `states` is everything the site holds of the operator's
 * members (and every pod and node it observes for them), and any key absent from it is gone. full=false: `states`
 * changed, `gone` are gone (a key in both is gone).
 */
export interface MemberReport {
  readonly full: boolean;
  readonly states: readonly ReportedMember[];
  readonly gone: readonly ReportedKey[];
}
