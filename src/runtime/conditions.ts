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
  const next = withBookkeeping(i >= 0 ? out[i] : undefined, update, now, generation);
  if (i >= 0) out[i] = next;
  else out.push(next);
  return out;
}

/** withBookkeeping is `update` as a full condition: lastTransitionTime kept while the status is unchanged. */
export function withBookkeeping(previous: Condition | undefined, update: ConditionUpdate, now: string, generation: number | undefined): Condition {
  return {
    type: update.type,
    status: update.status,
    ...(generation !== undefined && { observedGeneration: generation }),
    lastTransitionTime: previous !== undefined && previous.status === update.status ? previous.lastTransitionTime : now,
    reason: update.reason,
    message: update.message,
  };
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
 * formatTime renders an instant (a Date or epoch milliseconds) as Kubernetes renders metav1.Time: RFC 3339, whole
 * seconds, UTC, so that what we compute compares equal to what the apiserver hands back.
 */
export function formatTime(at: Date | number): string {
  const ms = typeof at === 'number' ? at : at.getTime();
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
