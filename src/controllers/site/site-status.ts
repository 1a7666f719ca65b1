/**
 * What a `Site`'s status should say, given the Site as last written and what the operator knows of its agent. Pure:
 * the clock reading comes in as `now`, the previous status comes from the Site, and equal inputs give an equal
 * status, so the controller can compare and write only real changes.
 *
 * Conditions:
 * - AgentConnected: True/AgentReporting while the agent holds a session; False/AgentDisconnected after it ended (or
 *   when this operator has had no session with it since it started, once agents had a lease to reconnect);
 *   False/AgentNeverConnected before any.
 * - Ready, first matching rule wins (liveness before cordon, so a cordoned site that dies is still seen as dead):
 *   1. no heartbeat ever: Unknown/AgentNeverConnected (AgentDisconnected if it connected but never beat);
 *   2. silent longer than `lostAfterMs` (when set): False/SiteLost — placement re-places what ran there;
 *   3. silent longer than `leaseMs`: Unknown/LeaseExpired — no new placements;
 *   4. `spec.cordon`: False/Cordoned;
 *   5. at least `successThreshold` consecutive heartbeats: True/AgentReporting;
 *   6. below the threshold (just (re)connected, or beating again after an expired lease) — the choice made here:
 *      a Ready that was True stays True when the run was started by a reconnect (a stream that broke and came back
 *      inside the lease was no outage, and flipping would only churn placement); otherwise Ready is Unknown with
 *      reason AgentReporting and a message counting the heartbeats, so after an expired lease, or for a new site,
 *      Ready turns True only once the threshold is met. The counter restarts after every gap longer than the lease
 *      (site-sessions.ts), so an agent flapping around the lease never bounces Ready back to True. While this
 *      operator has heard no heartbeat of its own (just restarted), the previous Ready stands as written, whatever
 *      it was (except Cordoned, which follows the spec).
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
import type { Condition, Site, SiteStatus } from '../../api/generated/types.ts';
import { ConditionStatus, ConditionType, Reason } from '../../api/names.ts';
import { nodePoolsStatus } from './pool-status.ts';
import type { SessionView } from './site-sessions.ts';
import { formatDuration } from '../../api/duration.ts';
import { findCondition, formatTime, withBookkeeping, type ConditionUpdate } from '../../runtime/conditions.ts';
import { deepEqual } from '../../runtime/merge-patch.ts';

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

/** computeSiteStatus returns the status `site` should have at `now`; see the file comment for the rules. */
export function computeSiteStatus(site: Site, session: SessionView | undefined, now: number, cfg: SiteStatusConfig): SiteStatus {
  const prev = site.status ?? {};
  const generation = site.metadata.generation;
  const heard = lastHeard(site, session, cfg);

  const agent = agentCondition(site, session, now, cfg);
  const ready = readyCondition(site, session, heard, now, cfg);
  const stamp = formatTime(now);
  const ours = [ConditionType.Ready, ConditionType.AgentConnected] as const;
  const conditions: Condition[] = [
    withBookkeeping(findCondition(prev.conditions, ready.type), ready, stamp, generation),
    withBookkeeping(findCondition(prev.conditions, agent.type), agent, stamp, generation),
    // Conditions of other types are not ours to drop; a merge patch replaces the list, so carry them along.
    ...(prev.conditions ?? []).filter((c) => !(ours as readonly string[]).includes(c.type)),
  ];

  const agentVersion = session?.agentVersion || prev.agentVersion;
  // Until the agent sends its first snapshot to this operator, the pools last written are still the best knowledge.
  const nodePools = session?.pools !== undefined ? nodePoolsStatus(session.pools.values()) : prev.nodePools;
  const build = (lastHeartbeatTime: string | undefined): SiteStatus => ({
    ...(generation !== undefined && { observedGeneration: generation }),
    conditions,
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

function agentCondition(site: Site, session: SessionView | undefined, now: number, cfg: SiteStatusConfig): ConditionUpdate {
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
  const version = session.agentVersion ? `agent ${session.agentVersion}` : 'agent';
  return { type, status: ConditionStatus.True, reason: Reason.AgentReporting, message: `${version} connected (session ${session.sessionId})` };
}

function readyCondition(
  site: Site,
  session: SessionView | undefined,
  heard: number | undefined,
  now: number,
  cfg: SiteStatusConfig,
): ConditionUpdate {
  const type = ConditionType.Ready;
  const lease = formatDuration(cfg.leaseMs);
  const connected = session?.connected === true;
  if (heard === undefined && !connected) {
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
  if (site.spec.cordon === true) {
    return { type, status: ConditionStatus.False, reason: Reason.Cordoned, message: 'spec.cordon is true: no new placements; running work stays' };
  }
  const reporting: ConditionUpdate = { type, status: ConditionStatus.True, reason: Reason.AgentReporting, message: `heartbeats arrive within the ${lease} lease` };
  const count = session?.consecutiveHeartbeats ?? 0;
  if (count >= cfg.successThreshold) return reporting;
  const prev = site.status?.conditions?.find((c) => c.type === type);
  if (prev !== undefined && prev.reason !== Reason.Cordoned && heard !== undefined && session?.lastHeartbeatAt === undefined) {
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

/** statusEqual compares two statuses as JSON: key order and keys holding undefined do not matter. */
export function statusEqual(a: SiteStatus | undefined, b: SiteStatus | undefined): boolean {
  return deepEqual(a ?? {}, b ?? {});
}



function parseTime(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const ms = Date.parse(s);
  return Number.isNaN(ms) ? undefined : ms;
}

