/**
 * The member objects of pull mode as the agent names them: the three kinds it applies (and the two it only reports),
 * how a member is identified, the label that marks an object as the federation's, and the annotation that remembers
 * which desired content an object was applied with. Pure.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { LABEL_MANAGED_BY, MANAGED_BY } from '../../api/names.ts';
import type { MemberRefOut } from '../../wire/messages.ts';

/** MEMBER_KINDS are the kinds the agent applies, each with its one API version and its collection's path. */
export const MEMBER_KINDS = {
  Job: { apiVersion: 'batch/v1', path: '/apis/batch/v1/jobs', foregroundDelete: true },
  Service: { apiVersion: 'v1', path: '/api/v1/services', foregroundDelete: false },
  Deployment: { apiVersion: 'apps/v1', path: '/apis/apps/v1/deployments', foregroundDelete: true },
} as const;
export type MemberKind = keyof typeof MEMBER_KINDS;
export const MEMBER_KIND_NAMES = Object.keys(MEMBER_KINDS) as MemberKind[];

/** isMemberKind says whether `kind` is one the agent applies. */
export function isMemberKind(kind: string): kind is MemberKind {
  return Object.hasOwn(MEMBER_KINDS, kind);
}

/**
 * OBSERVED_KINDS are what the agent reports beside the members, read-only (observed-objects.ts): the unfinished pods of
 * the member Jobs and the Nodes under them. Never applied nor deleted; a desired member of these kinds is refused.
 */
export const OBSERVED_KINDS = ['Pod', 'Node'] as const;
export type ObservedKind = (typeof OBSERVED_KINDS)[number];

/** isObservedKind says whether `kind` is one the agent reports read-only. */
export function isObservedKind(kind: string): kind is ObservedKind {
  return (OBSERVED_KINDS as readonly string[]).includes(kind);
}

/** AGENT_FIELD_MANAGER owns, in managedFields, every field the agent applies. */
export const AGENT_FIELD_MANAGER = 'suanwang-agent';

/**
 * ANNOTATION_APPLIED_HASH holds, on each object the agent applied, the operator's content hash of what it applied:
 * the agent skips a desired member the site already holds with this hash, and reports it back, across restarts.
 */
export const ANNOTATION_APPLIED_HASH = 'suanwang.io/applied-hash';

/** MANAGED_SELECTOR selects the objects the agent may change or delete: those labelled as Suanwang's. */
export const MANAGED_SELECTOR = `${LABEL_MANAGED_BY}=${MANAGED_BY}`;

/** MemberId names one member object; `kind` is any string when it came from the wire unchecked. */
export interface MemberId {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

/** memberIdOf reads a wire MemberRef (absent fields are empty). */
export function memberIdOf(ref: MemberRefOut | undefined): MemberId {
  return { kind: ref?.kind ?? '', namespace: ref?.namespace ?? '', name: ref?.name ?? '' };
}

/** memberIdOfObject names an object the site holds, under the member kind it was listed as. */
export function memberIdOfObject(kind: MemberKind, obj: KubernetesObject): MemberId {
  return { kind, namespace: obj.metadata?.namespace ?? '', name: obj.metadata?.name ?? '' };
}

/** memberKey is a member's map key. */
export function memberKey(id: MemberId): string {
  return `${id.kind}/${id.namespace}/${id.name}`;
}

/** formatMember is `Kind namespace/name`, as the site policy names objects in its refusals. */
export function formatMember(id: MemberId): string {
  return `${id.kind} ${id.namespace}/${id.name}`;
}

/** isManaged says whether an object carries the label that makes it the federation's. */
export function isManaged(obj: KubernetesObject): boolean {
  return obj.metadata?.labels?.[LABEL_MANAGED_BY] === MANAGED_BY;
}
