/**
 * kstatus's abnormal-true conditions (sigs.k8s.io/cli-utils/pkg/kstatus, which Flux reads; Argo CD's checks in
 * docs/argocd/ read the same): Reconciling while the operator is still working towards the spec, Stalled while the
 * object cannot get there without a person. kstatus looks at them before anything else on a custom resource — the
 * first one True decides (InProgress, Failed) — then at Ready (True: Current; False or Unknown: InProgress), and
 * calls an object with none of them Current. Like Flux's own controllers, a condition that does not hold is removed
 * rather than kept as False: it then has no stale reason to explain, and at most one of the two is ever present.
 * Each kind's status code says which holds (docs/gitops-health.md has the table). Pure.
 */
import type { Condition } from '../../api/generated/types.ts';
import { ConditionStatus, ConditionType } from '../../api/names.ts';
import { setCondition } from '../../runtime/conditions.ts';

/** Why one of the two conditions holds. */
export interface HealthReason {
  readonly reason: string;
  readonly message: string;
}

/** Progress is where an object stands: still working (Reconciling), stuck (Stalled), or neither. */
export type Progress =
  | { readonly kind: 'Reconciling'; readonly why: HealthReason }
  | { readonly kind: 'Stalled'; readonly why: HealthReason }
  /** Done, or at rest by choice (a suspended job, a cordoned site): Ready alone tells kstatus which. */
  | { readonly kind: 'Settled' };

/**
 * withProgress returns `conditions` with Reconciling and Stalled set for `progress`: the one that holds True (its
 * lastTransitionTime kept while it stays True), the other removed. The input is not modified.
 */
export function withProgress(conditions: readonly Condition[], progress: Progress, now: string, generation: number | undefined): Condition[] {
  const holds = progress.kind === 'Settled' ? undefined : progress.kind;
  let out = conditions.filter((c) => !isProgressType(c.type) || c.type === holds);
  if (progress.kind !== 'Settled') {
    out = setCondition(out, { type: progress.kind, status: ConditionStatus.True, ...progress.why }, now, generation);
  }
  return out;
}

function isProgressType(type: string): boolean {
  return type === ConditionType.Reconciling || type === ConditionType.Stalled;
}

/** stalledOf is the Stalled condition's reason when the object carries one (True), else undefined. */
export function stalledOf(conditions: readonly Condition[] | undefined): HealthReason | undefined {
  const c = conditions?.find((x) => x.type === ConditionType.Stalled && x.status === ConditionStatus.True);
  return c === undefined ? undefined : { reason: c.reason, message: c.message };
}
