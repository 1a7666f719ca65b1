/**
 * What the agent reports about one member object (pull mode), from what the site holds and what the applier refused.
 * Pure. A member's state is, in this order:
 * - refused: the applier did not apply its desired content; no object_json (the site may still hold an older copy,
 *   which the refusal leaves as it was), applied_hash is the refused content's hash;
 * - held: the object as the site stores it, status included and managedFields dropped, with the content hash it was
 *   applied with (its suanwang.io/applied-hash annotation);
 * - otherwise gone.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import type { ObjectCache } from '../../runtime/object-cache.ts';
import type { MemberRef, MemberState } from '../../wire/messages.ts';
import { ANNOTATION_APPLIED_HASH, isManaged, MEMBER_KIND_NAMES, memberIdOfObject, type MemberId, type MemberKind } from './member-kinds.ts';
import type { HeldMember, MemberRefusal } from './member-plan.ts';

/** memberRef is a member's wire name. */
export function memberRef(id: MemberId): MemberRef {
  return { kind: id.kind, namespace: id.namespace, name: id.name };
}

/** objectJson is the object as reported: everything the site stores but metadata.managedFields. */
export function objectJson(obj: KubernetesObject): string {
  const { managedFields: _dropped, ...metadata } = obj.metadata ?? {};
  return JSON.stringify({ ...obj, metadata });
}

/** memberState is a member's state, or undefined when it is gone (module comment). */
export function memberState(id: MemberId, held: KubernetesObject | undefined, refusal: MemberRefusal | undefined): MemberState | undefined {
  if (refusal !== undefined) return { ref: memberRef(id), appliedHash: refusal.hash, refusalReason: refusal.reason, refusalMessage: refusal.message };
  if (held === undefined) return undefined;
  return { ref: memberRef(id), objectJson: objectJson(held), appliedHash: held.metadata?.annotations?.[ANNOTATION_APPLIED_HASH] ?? '' };
}

/** MemberCacheView is what the report and the plan read of the member caches. */
export type MemberCacheView = Readonly<Record<MemberKind, ObjectCache<KubernetesObject>>>;

/** heldMembers lists what the site holds, as the plan needs it. */
export function heldMembers(caches: MemberCacheView): HeldMember[] {
  return MEMBER_KIND_NAMES.flatMap((kind) =>
    caches[kind].list().map((obj) => ({
      id: memberIdOfObject(kind, obj),
      appliedHash: obj.metadata?.annotations?.[ANNOTATION_APPLIED_HASH],
      deleting: obj.metadata?.deletionTimestamp !== undefined && obj.metadata.deletionTimestamp !== null,
      managed: isManaged(obj),
    })),
  );
}
