/**
 * metav1.Condition bookkeeping: one condition per type, and lastTransitionTime moves only when the status
 * (True/False/Unknown) moves, so re-asserting the same state writes nothing.
 */
import type { Condition } from '../api/generated/types.ts';

/** ConditionUpdate is a condition as a controller asserts it, without the bookkeeping fields. */
export interface ConditionUpdate {
  readonly type: string;
  readonly status: Condition['status'];
  readonly reason: string;
  readonly message: string;
}

/**
 * setCondition returns `conditions` with `update` applied: replaced in place when its type exists (keeping
 * lastTransitionTime if the status is unchanged), appended otherwise. The input is not modified.
 */
export function setCondition(
  conditions: readonly Condition[],
  update: ConditionUpdate,
  now: string,
  generation: number | undefined,
): Condition[] {
  const out = [...conditions];
  const i = out.findIndex((c) => c.type === update.type);
  const previous = i >= 0 ? out[i] : undefined;
  const next: Condition = {
    type: update.type,
    status: update.status,
    ...(generation !== undefined && { observedGeneration: generation }),
    lastTransitionTime: previous !== undefined && previous.status === update.status ? previous.lastTransitionTime : now,
    reason: update.reason,
    message: update.message,
  };
  if (i >= 0) out[i] = next;
  else out.push(next);
  return out;
}

/** findCondition returns the condition of `type`, if present. */
export function findCondition(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

/** isTrue says whether the condition of `type` is present and True. */
export function isTrue(conditions: readonly Condition[] | undefined, type: string): boolean {
  return findCondition(conditions, type)?.status === 'True';
}

/**
 * formatTime renders an instant as Kubernetes does (RFC 3339, whole seconds, UTC): the apiserver and kubectl show
 * metav1.Time this way, and a fixed rendering keeps equal states byte-equal.
 */
export function formatTime(now: Date): string {
  return now.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
