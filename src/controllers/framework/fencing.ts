/**
 * The epoch and owner checks that keep two copies of a workload from running: a member object belongs to the current
 * placement only when it was made for this hub object (its uid) at an epoch no older than the recorded one. Both
 * workload kinds fence with these; what each does with a stale object (delete, wait) is theirs to decide.
 */
import { LABEL_EPOCH } from '../../api/names.ts';
import type { LabelledObject } from '../../runtime/object-cache.ts';
import { LABEL_OWNER_UID } from './member-labels.ts';

/** memberEpoch reads a member object's epoch label; undefined when absent or not an integer. */
export function memberEpoch(obj: LabelledObject): number | undefined {
  const raw = obj.metadata?.labels?.[LABEL_EPOCH];
  const n = raw === undefined ? Number.NaN : Number(raw);
  return Number.isInteger(n) ? n : undefined;
}

/**
 * isForeignMember says whether a member object was made for another hub object of the same name (another uid).
 * Objects made before the uid label existed carry none and are judged by their epoch alone.
 */
export function isForeignMember(obj: LabelledObject, uid: string | undefined): boolean {
  const owner = obj.metadata?.labels?.[LABEL_OWNER_UID];
  return uid !== undefined && owner !== undefined && owner !== uid;
}

/**
 * isStaleMember says whether a member object must be deleted so it never runs beside the current placement: it
 * comes from an older epoch than `epoch` (or has no readable epoch), or belongs to another incarnation (uid).
 */
export function isStaleMember(obj: LabelledObject, epoch: number, uid: string | undefined): boolean {
  if (isForeignMember(obj, uid)) return true;
  return !((memberEpoch(obj) ?? -1) >= epoch);
}
