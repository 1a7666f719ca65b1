/**
 * A Site's health as GitOps tools read it (docs/gitops-health.md), from the conditions site-status.ts computed: Ready
 * stays what the liveness rules made it, and Reconciling or Stalled (../framework/gitops-health.ts) say what kstatus
 * cannot tell from Ready alone — whether a site that is not Ready is on its way or needs a person.
 *
 * - Ready=True: neither. kstatus: Current.
 * - Stalled (kstatus: Failed), when waiting will not help: the operator refused the Site's kubeconfig
 *   (ConnectionAccepted=False: missing, invalid, not allowed, or in another namespace), refused the agent's client
 *   certificate (revoked, or not the one the Site pins), or declared the site lost (Ready=False/SiteLost: silent past
 *   the lost grace, its workloads moved elsewhere). Each clears by itself once the cause does.
 * - Cordoned (spec.cordon, Ready=False/Cordoned): neither — the site is as its spec asks. kstatus reads the Ready=False
 *   as InProgress, and Argo CD's check says Suspended.
 * - Otherwise Reconciling (kstatus: InProgress), with Ready's reason: the agent has not connected yet, has
 *   disconnected, its lease expired, or it is counting heartbeats back to Ready.
 * Pure.
 */
import type { Condition } from '../../api/generated/types.ts';
import { ConditionStatus, ConditionType, Reason } from '../../api/names.ts';
import { findCondition } from '../../runtime/conditions.ts';
import type { Progress } from '../framework/gitops-health.ts';

/** REFUSED_CERTIFICATE are the AgentConnected reasons of an agent the operator will not let in as it is. */
const REFUSED_CERTIFICATE: ReadonlySet<string> = new Set([Reason.CertificateRevoked, Reason.CertificateNotPinned]);

/** siteProgress says whether the site is Reconciling, Stalled or neither, from its conditions (see the file comment). */
export function siteProgress(conditions: readonly Condition[]): Progress {
  const ready = findCondition(conditions, ConditionType.Ready);
  if (ready?.status === ConditionStatus.True) return { kind: 'Settled' };
  const connection = findCondition(conditions, ConditionType.ConnectionAccepted);
  if (connection?.status === ConditionStatus.False) {
    return { kind: 'Stalled', why: { reason: connection.reason, message: connection.message } };
  }
  const agent = findCondition(conditions, ConditionType.AgentConnected);
  if (agent?.status === ConditionStatus.False && REFUSED_CERTIFICATE.has(agent.reason)) {
    return { kind: 'Stalled', why: { reason: agent.reason, message: agent.message } };
  }
  if (ready?.reason === Reason.SiteLost) return { kind: 'Stalled', why: { reason: ready.reason, message: ready.message } };
  if (ready?.reason === Reason.Cordoned) return { kind: 'Settled' };
  return {
    kind: 'Reconciling',
    why: ready === undefined ? { reason: Reason.AgentNeverConnected, message: "no heartbeat from the site's agent yet" } : { reason: ready.reason, message: ready.message },
  };
}
