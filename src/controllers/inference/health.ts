/**
 * An InferenceService's health as GitOps tools read it (docs/gitops-health.md): Ready (at least replicas.min replicas
 * serve, status.ts) and Reconciling or Stalled (../framework/gitops-health.ts). kstatus then says Current once the
 * minimum serves, whatever is still short of the desired count (the Degraded condition says that); InProgress while
 * fewer serve; Failed when even the federation as built could not hold the minimum (placement/as-built.ts), its queue
 * could never admit it, or its spec cannot be read. Pure.
 */
import type { Condition } from '../../api/generated/types.ts';
import { ConditionStatus, ConditionType, Reason } from '../../api/names.ts';
import { findCondition } from '../../runtime/conditions.ts';
import type { Progress } from '../framework/gitops-health.ts';

/** NEVER_FITS_PREFIX opens the Stalled message of a service that could never fit. */
const NEVER_FITS_PREFIX = 'can never fit the federation as built (every site Ready and idle)';

/**
 * inferenceProgress says where the service stands from its Ready condition (already computed) and, when fewer than
 * the minimum serve, why the minimum could never be placed (`never`), if that is so.
 */
export function inferenceProgress(conditions: readonly Condition[], never: string | undefined): Progress {
  const ready = findCondition(conditions, ConditionType.Ready);
  if (ready?.status === ConditionStatus.True) return { kind: 'Settled' };
  if (never !== undefined) return { kind: 'Stalled', why: { reason: Reason.NeverFits, message: `${NEVER_FITS_PREFIX}: ${never}` } };
  return {
    kind: 'Reconciling',
    why: ready === undefined ? { reason: Reason.ReplicasNotReady, message: 'no replica placed yet' } : { reason: ready.reason, message: ready.message },
  };
}
