/**
 * What the agent does with one MemberSync (pull mode), decided without I/O: which desired members to apply, which are
 * already at the site with the same content, which wait for their old copy to finish deleting, which the site policy
 * refuses (and why), and which managed objects to delete. member-applier.ts carries the plan out.
 *
 * Rules:
 * - The desired set: a full sync replaces it; a change sync adds `apply` and takes out `remove` (an object named in
 *   both is removed). `remove` counts in a full sync too.
 * - Each desired member is read first: a kind other than Job, Service or Deployment is refused (KindNotAllowed); a
 *   manifest that is not JSON, is of another kind or API version than its ref, names another object, or comes
 *   without a content hash is refused (InvalidObject). The objects are then checked against the site policy one
 *   workload at a time (checkSitePolicy), because the policy's device limit is per workload: a workload is its
 *   members' suanwang.io/namespace, suanwang.io/workload and suanwang.io/epoch labels; a member without them is a
 *   workload of its own. A workload with any refusal is refused whole, so no partial workload ever runs; a member
 *   the policy did not name is refused with the first refusal of its workload. A change to one member of a workload
 *   checks (and may apply) the whole workload again, so fixing one object can free the others.
 * - An allowed member is applied unless the site already holds it (labelled as Suanwang's) with the same content hash
 *   (the suanwang.io/applied-hash annotation); one whose copy is being deleted waits until the copy is gone.
 * - Deleted: objects the site holds labelled as Suanwang's, of the member kinds, that a sync names in `remove`, and
 *   that are not already being deleted. Nothing unlabelled is ever deleted. A full sync that leaves a member out does
 *   not delete it: a new operator's desired set starts empty and fills as its controllers look at each workload, so
 *   "absent" says nothing until then. The operator decides what goes from the hub's state (the workload is gone, or
 *   the member is of an older epoch or another uid) and names it in `remove`; it repeats a remove until the agent
 *   reports the object gone.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { LABEL_EPOCH, LABEL_MANAGED_BY, LABEL_NAMESPACE, LABEL_WORKLOAD, MANAGED_BY } from '../../api/names.ts';
import type { DesiredMemberOut, MemberRefOut } from '../../wire/messages.ts';
import {
  ANNOTATION_APPLIED_HASH,
  formatMember,
  isMemberKind,
  MEMBER_KINDS,
  memberIdOf,
  memberKey,
  type MemberId,
  type MemberKind,
} from './member-kinds.ts';
import { checkSitePolicy, RefusalReason, type CheckContext, type RefusalReasonValue, type SitePolicy } from './site-policy.ts';

/** APPLY_REJECTED: not the policy's word but the site apiserver's (validation, admission, RBAC), or a name taken. */
export const APPLY_REJECTED = 'ApplyRejected';

/** MemberRefusalReason is a site policy reason, or APPLY_REJECTED. */
export type MemberRefusalReason = RefusalReasonValue | typeof APPLY_REJECTED;

/** MemberRefusal is why the agent did not apply a member's desired content (`hash`). */
export interface MemberRefusal {
  readonly id: MemberId;
  readonly hash: string;
  readonly reason: MemberRefusalReason;
  readonly message: string;
}

/** ReadMember is a desired member as read: its object, or why it cannot be read. */
type ReadMember =
  | { readonly ok: true; readonly object: KubernetesObject; readonly workload: string | undefined }
  | { readonly ok: false; readonly reason: RefusalReasonValue; readonly message: string };

/** DesiredEntry is one member of the agent's desired set, read once when it arrived. */
export interface DesiredEntry {
  readonly id: MemberId;
  readonly hash: string;
  /** member is the wire form, kept to ask again (a retry, a deferred apply). */
  readonly member: DesiredMemberOut;
  readonly read: ReadMember;
}

/** HeldMember is an object the site holds that the plan looks at (the agent's caches list only labelled ones). */
export interface HeldMember {
  readonly id: MemberId;
  /** appliedHash is its suanwang.io/applied-hash annotation. */
  readonly appliedHash: string | undefined;
  /** deleting: it carries a deletionTimestamp. */
  readonly deleting: boolean;
  /** managed: it is labelled app.kubernetes.io/managed-by=suanwang; the plan deletes nothing else. */
  readonly managed: boolean;
}

/** ApplyStep is one object to server-side apply: the manifest with the agent's label and hash annotation. */
export interface ApplyStep {
  readonly id: MemberId & { readonly kind: MemberKind };
  readonly hash: string;
  readonly object: KubernetesObject;
  /** held: the site already holds a labelled object of this name (so no take-over check is needed). */
  readonly held: boolean;
}

/** MemberPlan is what one sync comes to. */
export interface MemberPlan {
  /** desired is the agent's desired set after the sync. */
  readonly desired: ReadonlyMap<string, DesiredEntry>;
  /** namespaces the applies go into, to create first when missing (sorted). */
  readonly namespaces: readonly string[];
  readonly apply: readonly ApplyStep[];
  /** unchanged members are held with their desired content already. */
  readonly unchanged: readonly MemberId[];
  /** deferred members wait for their held copy to finish deleting. */
  readonly deferred: readonly MemberId[];
  readonly refuse: readonly MemberRefusal[];
  readonly delete: readonly (MemberId & { readonly kind: MemberKind })[];
}

/** SyncChange is the part of a MemberSync the plan reads. */
export interface SyncChange {
  readonly full: boolean;
  readonly apply: readonly DesiredMemberOut[];
  readonly remove: readonly MemberRefOut[];
}

/** PlanInput is everything the plan depends on. */
export interface PlanInput {
  readonly sync: SyncChange;
  /** desired is the agent's desired set before the sync. */
  readonly desired: ReadonlyMap<string, DesiredEntry>;
  /** held are the labelled member objects the site holds (the agent's caches). */
  readonly held: readonly HeldMember[];
  readonly policy: SitePolicy;
  readonly context?: CheckContext;
}

/** planMemberSync decides what one sync comes to (module comment). */
export function planMemberSync(input: PlanInput): MemberPlan {
  const { sync } = input;
  const desired = new Map(sync.full ? [] : input.desired);
  const touched = new Set<string>();
  for (const m of sync.apply) {
    const entry = desiredEntry(m);
    const key = memberKey(entry.id);
    desired.set(key, entry);
    touched.add(key);
  }
  const removed = new Set(sync.remove.map((r) => memberKey(memberIdOf(r))));
  for (const key of removed) desired.delete(key);

  // Whole workloads are checked: every workload a touched member belongs to (in a full sync, all of them).
  const groups = new Map<string, DesiredEntry[]>();
  for (const [key, entry] of desired) {
    const group = groupOf(key, entry);
    const list = groups.get(group);
    if (list) list.push(entry);
    else groups.set(group, [entry]);
  }
  const touchedGroups = new Set<string>();
  for (const key of touched) {
    const entry = desired.get(key);
    if (entry !== undefined) touchedGroups.add(groupOf(key, entry));
  }

  const held = new Map(input.held.map((h) => [memberKey(h.id), h]));
  const apply: ApplyStep[] = [];
  const unchanged: MemberId[] = [];
  const deferred: MemberId[] = [];
  const refuse: MemberRefusal[] = [];
  for (const [group, entries] of groups) {
    if (!sync.full && !touchedGroups.has(group)) continue;
    const refusals = checkWorkload(entries, input.policy, input.context);
    if (refusals.length > 0) {
      refuse.push(...refusals);
      continue;
    }
    for (const e of entries) {
      if (!e.read.ok || !isMemberKind(e.id.kind)) continue; // unreachable: checkWorkload refused it
      const h = held.get(memberKey(e.id));
      if (h?.deleting) deferred.push(e.id);
      else if (h !== undefined && h.appliedHash === e.hash) unchanged.push(e.id);
      else apply.push({ id: { ...e.id, kind: e.id.kind }, hash: e.hash, object: applyObject(e.read.object, e.hash), held: h !== undefined });
    }
  }

  const deletes: (MemberId & { kind: MemberKind })[] = [];
  for (const [key, h] of held) {
    if (!h.managed || h.deleting || !isMemberKind(h.id.kind)) continue;
    if (removed.has(key)) deletes.push({ ...h.id, kind: h.id.kind });
  }
  const namespaces = [...new Set(apply.map((a) => a.id.namespace))].sort();
  return { desired, namespaces, apply, unchanged, deferred, refuse, delete: deletes };
}

/** desiredEntry reads one desired member (module comment, second rule). */
export function desiredEntry(member: DesiredMemberOut): DesiredEntry {
  const id = memberIdOf(member.ref);
  const hash = member.contentHash ?? '';
  return { id, hash, member, read: readMember(id, member.manifestJson ?? '', hash) };
}

function readMember(id: MemberId, manifestJson: string, hash: string): ReadMember {
  const invalid = (message: string): ReadMember => ({ ok: false, reason: RefusalReason.InvalidObject, message: `${formatMember(id)}: ${message}` });
  if (!isMemberKind(id.kind)) {
    return {
      ok: false,
      reason: RefusalReason.KindNotAllowed,
      message: `${formatMember(id)}: kind ${JSON.stringify(id.kind)} is not a member kind the site applies (${Object.keys(MEMBER_KINDS).join(', ')})`,
    };
  }
  if (id.namespace === '' || id.name === '') return invalid('the member has no namespace or no name');
  if (hash === '') return invalid('the member came without a content hash');
  let object: unknown;
  try {
    object = JSON.parse(manifestJson);
  } catch (err: unknown) {
    return invalid(`the manifest is not JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (typeof object !== 'object' || object === null || Array.isArray(object)) return invalid('the manifest is not a JSON object');
  const o = object as KubernetesObject;
  const want = MEMBER_KINDS[id.kind].apiVersion;
  if (o.kind !== id.kind || o.apiVersion !== want) {
    return {
      ok: false,
      reason: RefusalReason.KindNotAllowed,
      message: `${formatMember(id)}: the manifest is ${String(o.apiVersion)} ${String(o.kind)}, not ${want} ${id.kind}`,
    };
  }
  if (o.metadata?.namespace !== id.namespace || o.metadata.name !== id.name) {
    return invalid(`the manifest names ${String(o.metadata?.namespace)}/${String(o.metadata?.name)}, not ${id.namespace}/${id.name}`);
  }
  const labels = o.metadata.labels ?? {};
  const workload = labels[LABEL_WORKLOAD];
  const group = workload === undefined ? undefined : `${labels[LABEL_NAMESPACE] ?? ''}/${workload}@${labels[LABEL_EPOCH] ?? ''}`;
  return { ok: true, object: o, workload: group };
}

function groupOf(key: string, entry: DesiredEntry): string {
  return entry.read.ok && entry.read.workload !== undefined ? `workload:${entry.read.workload}` : `member:${key}`;
}

/** checkWorkload reads a workload's members and checks them against the policy; every member gets a refusal or none. */
function checkWorkload(entries: readonly DesiredEntry[], policy: SitePolicy, context: CheckContext | undefined): MemberRefusal[] {
  const own = new Map<string, { reason: MemberRefusalReason; messages: string[] }>();
  const note = (object: string, reason: MemberRefusalReason, message: string): void => {
    const known = own.get(object);
    if (known) known.messages.push(message);
    else own.set(object, { reason, messages: [message] });
  };
  let first: { reason: MemberRefusalReason; message: string } | undefined;
  for (const e of entries) {
    if (e.read.ok) continue;
    note(formatMember(e.id), e.read.reason, e.read.message);
    first ??= { reason: e.read.reason, message: e.read.message };
  }
  if (first === undefined) {
    const verdict = checkSitePolicy(policy, entries.map((e) => (e.read.ok ? e.read.object : undefined)), context);
    if (verdict.allowed) return [];
    for (const r of verdict.refusals) note(r.object, r.reason, r.message);
    const r0 = verdict.refusals[0];
    if (r0 !== undefined) first = { reason: r0.reason, message: r0.message };
  }
  if (first === undefined) return [];
  const workloadRefusal = first;
  return entries.map((e) => {
    const mine = own.get(formatMember(e.id));
    return mine !== undefined
      ? { id: e.id, hash: e.hash, reason: mine.reason, message: mine.messages.join('; ') }
      : { id: e.id, hash: e.hash, reason: workloadRefusal.reason, message: `not applied with the rest of its workload: ${workloadRefusal.message}` };
  });
}

/**
 * applyObject is the manifest as the agent applies it: labelled as Suanwang's (so the agent's watch sees it and may
 * delete it later), annotated with the content hash, and without the fields the apiserver owns.
 */
function applyObject(manifest: KubernetesObject, hash: string): KubernetesObject {
  const copy = structuredClone(manifest) as KubernetesObject & { status?: unknown };
  delete copy.status;
  const metadata = copy.metadata ?? {};
  for (const f of ['resourceVersion', 'uid', 'managedFields', 'creationTimestamp', 'deletionTimestamp', 'generation'] as const) delete metadata[f];
  metadata.labels = { ...metadata.labels, [LABEL_MANAGED_BY]: MANAGED_BY };
  metadata.annotations = { ...metadata.annotations, [ANNOTATION_APPLIED_HASH]: hash };
  copy.metadata = metadata;
  return copy;
}
