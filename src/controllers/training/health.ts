/**
 * A TrainingJob's health as GitOps tools read it (docs/gitops-health.md): Ready, and Reconciling or Stalled
 * (../framework/gitops-health.ts), from the phase and the conditions status.ts has just computed. kstatus then says
 * InProgress while the job waits for capacity, starts or runs; Current once it succeeded; Failed once it failed, or
 * while it could never fit the federation as built. A suspended job is neither: Ready=False, nothing else, which
 * kstatus reads as InProgress and Argo CD's check as Suspended. Pure.
 */
import type { Condition, TrainingJobStatus } from '../../api/generated/types.ts';
import { ConditionStatus, ConditionType, Reason, TrainingJobPhase } from '../../api/names.ts';
import { findCondition, type ConditionUpdate } from '../../runtime/conditions.ts';
import type { HealthReason, Progress } from '../framework/gitops-health.ts';

/** TrainingHealth is what to write: the Ready condition and the progress condition. */
export interface TrainingHealth {
  readonly ready: ConditionUpdate;
  readonly progress: Progress;
}

/**
 * trainingHealth derives the job's health from `s` (phase and conditions already computed). `never`: the job could
 * not fit even the federation as built (placement/as-built.ts, or the admission cycle's verdict), so waiting would
 * not place it.
 */
export function trainingHealth(s: TrainingJobStatus, never: boolean): TrainingHealth {
  switch (s.phase) {
    case TrainingJobPhase.Succeeded: {
      const done = reasonOf(s.conditions, ConditionType.Succeeded) ?? { reason: Reason.Completed, message: 'succeeded' };
      return { ready: ready(ConditionStatus.True, done), progress: { kind: 'Settled' } };
    }
    case TrainingJobPhase.Failed: {
      const failed = reasonOf(s.conditions, ConditionType.Failed) ?? { reason: TrainingJobPhase.Failed, message: 'failed' };
      return { ready: ready(ConditionStatus.False, failed), progress: { kind: 'Stalled', why: failed } };
    }
    case TrainingJobPhase.Suspended: {
      const why = { reason: Reason.Suspended, message: 'suspended (spec.suspend): nothing runs until it is resumed' };
      return { ready: ready(ConditionStatus.False, why), progress: { kind: 'Settled' } };
    }
    case TrainingJobPhase.Placed:
    case TrainingJobPhase.Running:
    case TrainingJobPhase.Restarting: {
      const why = reasonOf(s.conditions, ConditionType.Running) ?? { reason: s.phase, message: s.phase };
      return { ready: ready(ConditionStatus.False, why), progress: { kind: 'Reconciling', why } };
    }
    default: {
      const why = waitingReason(s.conditions);
      if (never) {
        const stalled = { reason: Reason.NeverFits, message: `can never fit the federation as built (every site Ready and idle, nothing of its queue's quota used): ${why.message}` };
        return { ready: ready(ConditionStatus.False, stalled), progress: { kind: 'Stalled', why: stalled } };
      }
      return { ready: ready(ConditionStatus.False, why), progress: { kind: 'Reconciling', why } };
    }
  }
}

/** waitingReason is why a pending job waits: its queue's answer when it has one (Admitted=False), else placement's. */
function waitingReason(conditions: readonly Condition[] | undefined): HealthReason {
  const admitted = findCondition(conditions, ConditionType.Admitted);
  if (admitted?.status === ConditionStatus.False) return { reason: admitted.reason, message: admitted.message };
  return reasonOf(conditions, ConditionType.Placed) ?? { reason: TrainingJobPhase.Pending, message: 'waiting to be placed' };
}

function reasonOf(conditions: readonly Condition[] | undefined, type: string): HealthReason | undefined {
  const c = findCondition(conditions, type);
  return c === undefined ? undefined : { reason: c.reason, message: c.message };
}

function ready(status: Condition['status'], why: HealthReason): ConditionUpdate {
  return { type: ConditionType.Ready, status, ...why };
}
