/**
 * An InferenceService's status while its queue decides: its minimum replicas are charged to the queue before any
 * replica is placed (the Admitted condition says by whom, or why not yet, with the numbers). Replicas above the
 * minimum are not charged and never wait. Pure.
 */
import type { InferenceService, InferenceServiceStatus } from '../../api/generated/types.ts';
import { ConditionStatus, ConditionType, Reason } from '../../api/names.ts';
import type { Admit, Wait } from '../../queueing/admission-cycle.ts';
import { toQuantities } from '../../queueing/amounts.ts';
import { formatTime, setCondition } from '../../runtime/conditions.ts';
import { withProgress } from '../framework/gitops-health.ts';

/** waitsForAdmission says whether the service must be admitted before placement: it holds no admission and runs nothing. */
export function waitsForAdmission(svc: InferenceService): boolean {
  return svc.status?.admission === undefined && (svc.status?.replicas ?? 0) === 0 && (svc.status?.sites ?? []).length === 0;
}

/** admittedStatus records the admission (status.admission, Admitted=True) before the first placement. */
export function admittedStatus(svc: InferenceService, admit: Admit, now: Date): InferenceServiceStatus {
  const stamp = formatTime(now);
  const charge = toQuantities(admit.charge);
  const charged = Object.entries(charge).map(([r, q]) => `${q} ${r}`).join(', ');
  const s: InferenceServiceStatus = { ...svc.status };
  if (svc.metadata.generation !== undefined) s.observedGeneration = svc.metadata.generation;
  s.admission = { ...(admit.queue !== '' && { queue: admit.queue }), admittedTime: stamp, charge };
  s.conditions = setCondition(
    s.conditions ?? [],
    admit.queue === ''
      ? { type: ConditionType.Admitted, status: ConditionStatus.True, reason: Reason.NoQueue, message: `minimum replicas admitted without a queue: ${charged}` }
      : { type: ConditionType.Admitted, status: ConditionStatus.True, reason: Reason.QuotaReserved, message: `minimum replicas admitted by queue ${admit.queue}: ${charged}` },
    stamp,
    svc.metadata.generation,
  );
  const admitted = s.conditions.find((c) => c.type === ConditionType.Admitted);
  s.conditions = withProgress(s.conditions, { kind: 'Reconciling', why: { reason: admitted?.reason ?? Reason.QuotaReserved, message: admitted?.message ?? 'admitted' } }, stamp, svc.metadata.generation);
  return s;
}

/** waitingStatus says why the service waits (Admitted=False, Ready=False with the same reason). */
export function waitingStatus(svc: InferenceService, wait: Wait, now: Date): InferenceServiceStatus {
  const stamp = formatTime(now);
  const s: InferenceServiceStatus = { ...svc.status };
  if (svc.metadata.generation !== undefined) s.observedGeneration = svc.metadata.generation;
  s.conditions = setCondition(s.conditions ?? [], { type: ConditionType.Admitted, status: ConditionStatus.False, reason: wait.reason, message: wait.message }, stamp, svc.metadata.generation);
  s.conditions = setCondition(s.conditions, { type: ConditionType.Ready, status: ConditionStatus.False, reason: wait.reason, message: `waiting for queue admission: ${wait.message}` }, stamp, svc.metadata.generation);
  // In progress while it waits its turn; failed when its queue could never admit it (the cycle's `never`).
  const progress =
    wait.never === true
      ? { kind: 'Stalled' as const, why: { reason: Reason.NeverFits, message: `its queue can never admit it, even with nothing of its quota used: ${wait.message}` } }
      : { kind: 'Reconciling' as const, why: { reason: wait.reason, message: `waiting for queue admission: ${wait.message}` } };
  s.conditions = withProgress(s.conditions, progress, stamp, svc.metadata.generation);
  return s;
}
