/**
 * What a `Site`'s status should say, given the Site as last written and what the operator knows of its agent. Pure:
 * the clock reading comes in as `now`, the previous status comes from the Site, and equal inputs give an equal
 * status, so the controller can compare and write only real changes.
 *
 * Conditions:
 * - AgentConnected: True/AgentReporting while the agent holds a session; False/AgentDisconnected after it ended (or
 *   when this operator has had no session with it since it started, once agents had a lease to reconnect);
 *   False/AgentNeverConnected before any; False/CertificateRevoked or False/CertificateNotPinned, with the refusal,
 *   while no session is open and the operator refused the agent's client certificate since the last one ended
 *   (src/operator/agent-certificates.ts; an agent that never got in is then Ready=Unknown with the same reason).
 * - Ready, first matching rule wins (liveness before cordon, so a cordoned site that dies is still seen as dead):
 *   1. no heartbeat ever: Unknown/AgentNeverConnected (AgentDisconnected if it connected but never beat);
 *   2. silent longer than `lostAfterMs` (when set): False/SiteLost — placement re-places what ran there;
 *   3. silent longer than `leaseMs`: Unknown/LeaseExpired — no new placements;
 *   4. the Site's connection refused (ConnectionAccepted below): False with its reason — the hub can neither create
 *      nor fence anything there, so it takes no new work, and after the grace its workloads move
 *      (framework/site-liveness.ts), as from any site the hub cannot reach;
 *   5. `spec.cordon`: False/Cordoned;
 *   6. at least `successThreshold` consecutive heartbeats: True/AgentReporting;
 *   7. below the threshold (just (re)connected, or beating again after an expired lease) — the choice made here:
 *      a Ready that was True stays True when the run was started by a reconnect (a stream that broke and came back
 *      inside the lease was no outage, and flipping would only churn placement); otherwise Ready is Unknown with
 *      reason AgentReporting and a message counting the heartbeats, so after an expired lease, or for a new site,
 *      Ready turns True only once the threshold is met. The counter restarts after every gap longer than the lease
 *      (site-sessions.ts), so an agent flapping around the lease never bounces Ready back to True. While this
 *      operator has heard no heartbeat of its own (just restarted), the previous Ready stands as written, whatever
 *      it was (except the reasons of rules 4 and 5, which follow the Site and its Secret).
 * - ReportAccepted, whenever this operator holds a session with the agent: True/ReportValid when the report is
 *   written as sent; otherwise False with the class of the first problem as reason and the first few problems in
 *   the message (report-check.ts: dropped or clamped, never written raw); False/StatusRejected when the apiserver
 *   refused the status anyway (site-controller.ts then writes liveness without the new pool data).
 * - ConnectionAccepted, when the controller checked the Site's kubeconfig Secret (SiteClients.check): True, or
 *   False with why (KubeconfigMissing, KubeconfigInvalid, KubeconfigNotAllowed, SecretNamespaceNotAllowed).
 * A condition this operator did not compute in a pass (no session yet, no check) is carried as last written.
 * - Reconciling / Stalled (kstatus's abnormal-true conditions, for Flux and Argo CD): from the ones above, see
 *   site-health.ts; present only while True.
 * lastTransitionTime moves only when a condition's status moves.
 *
 * Liveness is measured on the operator's clock (MessageMeta.receivedAt), never the agent's. After an operator
 * restart the sessions are empty; the last heartbeat is then taken from status.lastHeartbeatTime, but at the
 * earliest from the operator's start (`startedAt`), so every site gets one full lease to reconnect before it is
 * called Unknown — the grace the node lifecycle controller gives nodes when it starts.
 *
 * lastHeartbeatTime write rule. Heartbeats arrive every 10 s, and writing each one would turn "status writes only
 * when something changed" into a write per site every 10 s. So the written time moves forward only when another
 * field changes anyway, or when the written time lags the latest heartbeat by `heartbeatRefreshMs` or more (default
 * half the lease: a quarter would be simpler to state, but with the default 40 s lease that equals the 10 s heartbeat
 * interval and would still write on every beat). That bounds heartbeat-only writes to one per refresh period per
 * site and keeps the shown time within a refresh period plus one heartbeat of the truth — fresh enough for people;
 * Ready itself never reads the written time while a session's own heartbeat time is known.
 */
import type { Condition, NodePool, Site, SiteStatus } from '../../api/generated/types.ts';
import { ConditionStatus, ConditionType, Reason } from '../../api/names.ts';
import type { ConnectionVerdict } from '../../clusters/site-clients.ts';
import { checkAgentVersion, checkPools, ReportProblems } from './report-check.ts';
import { shownRefusal, type SessionView } from './site-sessions.ts';
import { formatDuration } from '../../api/duration.ts';
import { findCondition, formatTime, withBookkeeping, type ConditionUpdate } from '../../runtime/conditions.ts';
import { deepEqual } from '../../runtime/merge-patch.ts';
import { withProgress } from '../framework/gitops-health.ts';
import { siteProgress } from './site-health.ts';

/** DEFAULT_LEASE_MS: a site is Unknown after 40 s without a heartbeat (kubelet and Karmada use the same lease). */
export const DEFAULT_LEASE_MS = 40_000;
/** DEFAULT_SUCCESS_THRESHOLD: consecutive heartbeats before Ready returns to True. */
export const DEFAULT_SUCCESS_THRESHOLD = 2;
/** DEFAULT_LOST_AFTER_MS: silence after which a site is Lost and its workloads move (kube's pod eviction default). */
export const DEFAULT_LOST_AFTER_MS = 5 * 60_000;

/** SiteStatusConfig holds the liveness thresholds. */
export interface SiteStatusConfig {
  readonly leaseMs: number;
  readonly successThreshold: number;
  /** lostAfterMs: silence after which Ready is False/SiteLost; undefined never declares a site lost. */
  readonly lostAfterMs?: number | undefined;
  /** heartbeatRefreshMs: see the write rule above; default leaseMs / 2. */
  readonly heartbeatRefreshMs?: number | undefined;
  /** startedAt: when this operator's sessions started empty (the restart grace above); undefined gives none. */
  readonly startedAt?: number | undefined;
}

/**
 * StatusRejection says the apiserver refused a status built from the agent's report (site-controller.ts): the
 * report's part is then left as last written (or, with `dropPools`, the pools removed too, when even those are
 * refused), and ReportAccepted says why.
 */
export interface StatusRejection {
  readonly message: string;
  readonly dropPools: boolean;
}

/** SiteStatusInputs are what the controller knows beside the session: its connection check and a rejection. */
export interface SiteStatusInputs {
  /** connection is the Site's kubeconfig check; undefined leaves ConnectionAccepted as written. */
  readonly connection?: ConnectionVerdict | undefined;
  readonly rejected?: StatusRejection | undefined;
}

/** The Site condition types this file computes, in the order they are written. */
const OURS = [ConditionType.Ready, ConditionType.AgentConnected, ConditionType.ReportAccepted, ConditionType.ConnectionAccepted] as const;
/** MESSAGE_MAX bounds our messages (the CRD allows 32768); an apiserver error or an agent's string can be long. */
const MESSAGE_MAX = 1024;

/** computeSiteStatus returns the status `site` should have at `now`; see the file comment for the rules. */
export function computeSiteStatus(site: Site, session: SessionView | undefined, now: number, cfg: SiteStatusConfig, inputs: SiteStatusInputs = {}): SiteStatus {
  const prev = site.status ?? {};
  const generation = site.metadata.generation;
  const heard = lastHeard(site, session, cfg);

  // The agent's report, checked against the CRD before anything of it is used (report-check.ts).
  const problems = new ReportProblems();
  const version = session?.agentVersion ? checkAgentVersion(session.agentVersion, problems) : undefined;
  const pools = session?.pools !== undefined ? checkPools(session.pools.values(), problems) : undefined;
  // What the session itself did not keep of the report (site-sessions.ts bounds it on arrival) is a problem too.
  if (session?.truncation !== undefined) problems.add(Reason.TooManyPools, 'nodePools', session.truncation);

  const computed: ConditionUpdate[] = [
    readyCondition(site, session, heard, now, cfg, inputs.connection),
    agentCondition(site, session, version, now, cfg),
  ];
  if (inputs.rejected !== undefined) computed.push(rejectedCondition(inputs.rejected));
  else if (session !== undefined) computed.push(reportCondition(problems));
  if (inputs.connection !== undefined) computed.push(connectionCondition(inputs.connection));
  const stamp = formatTime(now);
  const conditions: Condition[] = [];
  for (const type of OURS) {
    const update = computed.find((c) => c.type === type);
    const last = findCondition(prev.conditions, type);
    if (update !== undefined) conditions.push(withBookkeeping(last, { ...update, message: clip(update.message) }, stamp, generation));
    else if (last !== undefined) conditions.push(last);
  }
  // Conditions of other types are not ours to drop; a merge patch replaces the list, so carry them along.
  conditions.push(...(prev.conditions ?? []).filter((c) => !(OURS as readonly string[]).includes(c.type)));
  // GitOps health from the conditions above: Reconciling or Stalled, or neither (site-health.ts).
  const withHealth = withProgress(conditions, siteProgress(conditions), stamp, generation);

  // After a rejection the report's part stays as last accepted; until the agent sends its first snapshot to this
  // operator, the pools last written are still the best knowledge.
  const agentVersion = inputs.rejected !== undefined ? prev.agentVersion : version || prev.agentVersion;
  let nodePools: NodePool[] | undefined;
  if (inputs.rejected !== undefined) nodePools = inputs.rejected.dropPools ? undefined : prev.nodePools;
  else nodePools = pools ?? prev.nodePools;
  const build = (lastHeartbeatTime: string | undefined): SiteStatus => ({
    ...(generation !== undefined && { observedGeneration: generation }),
    conditions: withHealth,
    ...(lastHeartbeatTime !== undefined && { lastHeartbeatTime }),
    ...(agentVersion !== undefined && agentVersion !== '' && { agentVersion }),
    ...(nodePools !== undefined && { nodePools }),
  });

  const written = prev.lastHeartbeatTime;
  const beat = session?.lastHeartbeatAt;
  if (beat === undefined) return build(written);
  const kept = build(written);
  const writtenAt = parseTime(written);
  const refreshMs = cfg.heartbeatRefreshMs ?? cfg.leaseMs / 2;
  const changed = !statusEqual(kept, prev);
  const stale = writtenAt === undefined || beat - writtenAt >= refreshMs;
  return changed || stale ? build(formatTime(beat)) : kept;
}

/**
 * nextCheckIn is how many milliseconds from `now` the status computed now may next change without any message
 * arriving — the lease (or the lost grace) running out, or a registered session that never opened a stream timing
 * out — so the controller can requeue the site for then. Undefined when nothing is pending.
 */
export function nextCheckIn(site: Site, session: SessionView | undefined, now: number, cfg: SiteStatusConfig): number | undefined {
  const deadlines: number[] = [];
  const heard = lastHeard(site, session, cfg);
  if (heard !== undefined) {
    // The rules compare with ">", so the state flips one millisecond after the deadline itself.
    deadlines.push(heard + cfg.leaseMs + 1);
    if (cfg.lostAfterMs !== undefined) deadlines.push(heard + cfg.lostAfterMs + 1);
  }
  if (session?.connected === true && session.lastMessageAt === undefined) deadlines.push(session.registeredAt + cfg.leaseMs + 1);
  const future = deadlines.filter((d) => d > now);
  return future.length === 0 ? undefined : Math.min(...future) - now;
}

/** lastHeard is the operator-clock time of the last heartbeat, with the restart grace applied to a written one. */
function lastHeard(site: Site, session: SessionView | undefined, cfg: SiteStatusConfig): number | undefined {
  if (session?.lastHeartbeatAt !== undefined) return session.lastHeartbeatAt;
  const written = parseTime(site.status?.lastHeartbeatTime);
  if (written === undefined) return undefined;
  return cfg.startedAt === undefined ? written : Math.max(written, cfg.startedAt);
}

/** reportCondition is ReportAccepted from the problems found in the agent's report. */
function reportCondition(problems: ReportProblems): ConditionUpdate {
  const type = ConditionType.ReportAccepted;
  const first = problems.first[0];
  if (first === undefined) return { type, status: ConditionStatus.True, reason: Reason.ReportValid, message: "the agent's report is written as sent" };
  const shown = problems.first.map((p) => `${p.path}: ${p.detail}`);
  const more = problems.count - shown.length;
  const n = problems.count === 1 ? '1 problem' : `${problems.count} problems`;
  return {
    type,
    status: ConditionStatus.False,
    reason: first.reason,
    message: `${n} in the agent's report, dropped or clamped before writing: ${shown.join('; ')}${more > 0 ? `; and ${more} more` : ''}`,
  };
}

function rejectedCondition(r: StatusRejection): ConditionUpdate {
  const kept = r.dropPools ? 'no node pools are shown (even the last accepted ones were refused)' : 'the node pools last accepted are kept';
  return {
    type: ConditionType.ReportAccepted,
    status: ConditionStatus.False,
    reason: Reason.StatusRejected,
    message: `the apiserver refused the status built from the agent's report; ${kept} and liveness is written without them: ${r.message}`,
  };
}

function connectionCondition(v: ConnectionVerdict): ConditionUpdate {
  const type = ConditionType.ConnectionAccepted;
  if (v.ok && 'pull' in v) {
    return { type, status: ConditionStatus.True, reason: Reason.PullMode, message: 'pull mode: the agent applies the site\'s member objects over its session; the hub holds no credentials for the site' };
  }
  if (v.ok) return { type, status: ConditionStatus.True, reason: Reason.KubeconfigAccepted, message: `the kubeconfig in Secret ${v.secret} holds inline credentials for an https server` };
  return { type, status: ConditionStatus.False, reason: v.reason, message: v.message };
}

/** clip cuts a message to MESSAGE_MAX characters. */
function clip(message: string): string {
  const chars = [...message];
  return chars.length <= MESSAGE_MAX ? message : `${chars.slice(0, MESSAGE_MAX - 1).join('')}…`;
}

function agentCondition(site: Site, session: SessionView | undefined, version: string | undefined, now: number, cfg: SiteStatusConfig): ConditionUpdate {
  const type = ConditionType.AgentConnected;
  if (session === undefined) {
    const prev = site.status?.conditions?.find((c) => c.type === type);
    // Right after an operator (re)start agents are still reconnecting: within the first lease, what the previous
    // operator wrote stands, so a rollout does not flap every site's AgentConnected.
    if (prev !== undefined && cfg.startedAt !== undefined && now - cfg.startedAt <= cfg.leaseMs) {
      return { type, status: prev.status, reason: prev.reason, message: prev.message };
    }
    const everConnected =
      site.status?.lastHeartbeatTime !== undefined || (prev !== undefined && prev.reason !== Reason.AgentNeverConnected);
    return everConnected
      ? { type, status: ConditionStatus.False, reason: Reason.AgentDisconnected, message: 'the agent has not connected to this operator since it started' }
      : { type, status: ConditionStatus.False, reason: Reason.AgentNeverConnected, message: "the site's agent has never connected" };
  }
  const refused = shownRefusal(session);
  if (refused !== undefined) {
    return { type, status: ConditionStatus.False, reason: refused.reason, message: `the agent's client certificate was refused: ${refused.message}` };
  }
  if (!session.connected) {
    const why = session.disconnectReason ? `: ${session.disconnectReason}` : '';
    return { type, status: ConditionStatus.False, reason: Reason.AgentDisconnected, message: `session ${session.sessionId} ended${why}` };
  }
  if (session.lastMessageAt === undefined && now - session.registeredAt > cfg.leaseMs) {
    // Register succeeded but no stream followed (the wire reports no end for a stream that never began).
    return {
      type,
      status: ConditionStatus.False,
      reason: Reason.AgentDisconnected,
      message: `session ${session.sessionId} registered at ${formatTime(session.registeredAt)} but no session stream followed`,
    };
  }
  const agent = version ? `agent ${version}` : 'agent';
  return { type, status: ConditionStatus.True, reason: Reason.AgentReporting, message: `${agent} connected (session ${session.sessionId})` };
}

function readyCondition(
  site: Site,
  session: SessionView | undefined,
  heard: number | undefined,
  now: number,
  cfg: SiteStatusConfig,
  connection: ConnectionVerdict | undefined,
): ConditionUpdate {
  const type = ConditionType.Ready;
  const lease = formatDuration(cfg.leaseMs);
  const connected = session?.connected === true;
  if (heard === undefined && !connected) {
    const refused = session === undefined ? undefined : shownRefusal(session);
    if (refused !== undefined) {
      return { type, status: ConditionStatus.Unknown, reason: refused.reason, message: "no heartbeat yet: the agent's client certificate is refused (see AgentConnected)" };
    }
    return session === undefined
      ? { type, status: ConditionStatus.Unknown, reason: Reason.AgentNeverConnected, message: "no heartbeat from the site's agent yet" }
      : { type, status: ConditionStatus.Unknown, reason: Reason.AgentDisconnected, message: 'the agent disconnected before its first heartbeat' };
  }
  if (heard !== undefined) {
    const silent = now - heard;
    // Show the heartbeat itself, not the restart grace that may have moved `heard` forward.
    const shown = session?.lastHeartbeatAt ?? parseTime(site.status?.lastHeartbeatTime) ?? heard;
    const last = formatTime(shown);
    if (cfg.lostAfterMs !== undefined && silent > cfg.lostAfterMs) {
      const after = formatDuration(cfg.lostAfterMs);
      return { type, status: ConditionStatus.False, reason: Reason.SiteLost, message: `no heartbeat for more than ${after} (last at ${last}); its workloads are placed elsewhere` };
    }
    if (silent > cfg.leaseMs) {
      return { type, status: ConditionStatus.Unknown, reason: Reason.LeaseExpired, message: `no heartbeat within the ${lease} lease (last at ${last}); no new placements` };
    }
  }
  if (connection !== undefined && !connection.ok) {
    return { type, status: ConditionStatus.False, reason: connection.reason, message: `the operator cannot use the site's kubeconfig (see ConnectionAccepted): no new placements` };
  }
  if (site.spec.cordon === true) {
    return { type, status: ConditionStatus.False, reason: Reason.Cordoned, message: 'spec.cordon is true: no new placements; running work stays' };
  }
  const reporting: ConditionUpdate = { type, status: ConditionStatus.True, reason: Reason.AgentReporting, message: `heartbeats arrive within the ${lease} lease` };
  const count = session?.consecutiveHeartbeats ?? 0;
  if (count >= cfg.successThreshold) return reporting;
  const prev = site.status?.conditions?.find((c) => c.type === type);
  if (prev !== undefined && !FOLLOWS_SPEC.has(prev.reason) && heard !== undefined && session?.lastHeartbeatAt === undefined) {
    // Only the written heartbeat time is known (the restart grace): this operator has heard nothing to change the
    // previous verdict, so a site that was Unknown or Lost stays so rather than turning "reporting".
    return { type, status: prev.status, reason: prev.reason, message: prev.message };
  }
  if (prev?.status === ConditionStatus.True && session?.runStartedBy !== 'leaseExpiry') return reporting;
  return {
    type,
    status: ConditionStatus.Unknown,
    reason: Reason.AgentReporting,
    message: `${count} of ${cfg.successThreshold} consecutive heartbeats needed before Ready`,
  };
}

/**
 * FOLLOWS_SPEC are the Ready reasons that come from the Site and its Secret, not from liveness: the restart grace
 * never keeps one of them once the spec or the Secret says otherwise.
 */
const FOLLOWS_SPEC: ReadonlySet<string> = new Set([
  Reason.Cordoned,
  Reason.KubeconfigMissing,
  Reason.KubeconfigInvalid,
  Reason.KubeconfigNotAllowed,
  Reason.SecretNamespaceNotAllowed,
]);

/** statusEqual compares two statuses as JSON: key order and keys holding undefined do not matter. */
export function statusEqual(a: SiteStatus | undefined, b: SiteStatus | undefined): boolean {
  return deepEqual(a ?? {}, b ?? {});
}



function parseTime(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const ms = Date.parse(s);
  return Number.isNaN(ms) ? undefined : ms;
}

