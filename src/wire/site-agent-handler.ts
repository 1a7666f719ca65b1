/**
 * SiteAgentHandler is what the operator server hands received payloads to. Every callback is keyed by the site named
 * in the caller's client certificate — never by a name from the payload — and receives each accepted message once:
 * duplicates from retransmits are already dropped. Callbacks run on the gRPC event loop turn that received the
 * message, in order; they must return quickly (queue work, do not await network calls). A throwing callback is logged
 * and the message still counts as accepted, so one operator bug cannot make an agent resend forever.
 */
import type { CertificateRefusalReason } from './agent-certificate.ts';
import type { SiteName } from './identity.ts';
import type { HealthEventOut, HeartbeatOut, MemberReportOut, SiteDeltaOut, SiteSnapshotOut } from './messages.ts';

/** Registration describes an accepted Register call. */
export interface Registration {
  readonly sessionId: string;
  readonly agentInstanceId: string;
  readonly agentVersion: string;
  readonly protocolVersion: number;
  /** capabilities are the agent's capabilities the server accepted. */
  readonly capabilities: readonly string[];
  /** peer is the remote address, for logs. */
  readonly peer: string;
}

/** MessageMeta accompanies every delivered payload. */
export interface MessageMeta {
  readonly sessionId: string;
  readonly agentInstanceId: string;
  readonly seq: number;
  /** receivedAt is the operator's clock when the message arrived: liveness uses this, not agent timestamps. */
  readonly receivedAt: number;
}

/** SessionOpenedInfo describes a session stream that passed its hello: the operator may send to the site from now on. */
export interface SessionOpenedInfo {
  readonly sessionId: string;
  readonly agentInstanceId: string;
  /** capabilities are the agent's capabilities the server accepted at Register (capabilities.ts). */
  readonly capabilities: readonly string[];
}

/** DisconnectInfo describes a session stream that ended. */
export interface DisconnectInfo {
  readonly sessionId: string;
  readonly agentInstanceId: string;
  readonly reason: string;
}

/** RateLimitedInfo says a site's message went over its rate limit and was dropped (src/wire/site-rate-limit.ts). */
export interface RateLimitedInfo {
  /** dropped is the site's running total of dropped messages since the server started. */
  readonly dropped: number;
  /** kind is what was dropped: 'register' or a payload kind. */
  readonly kind: string;
}

/** CertificateRefusedInfo says the server refused a client certificate of the site (src/wire/agent-certificate.ts). */
export interface CertificateRefusedInfo {
  readonly reason: CertificateRefusalReason;
  /** message names the certificate and what refused it (it is also the gRPC status details the agent sees). */
  readonly message: string;
  /** sha256 is the refused certificate's fingerprint. */
  readonly sha256: string;
}

/** SiteAgentHandler receives the protocol's events, keyed by the certificate's site name. */
export interface SiteAgentHandler {
  onRegister(site: SiteName, registration: Registration): void;
  onHeartbeat(site: SiteName, heartbeat: HeartbeatOut, meta: MessageMeta): void;
  onSnapshot(site: SiteName, snapshot: SiteSnapshotOut, meta: MessageMeta): void;
  onDelta(site: SiteName, delta: SiteDeltaOut, meta: MessageMeta): void;
  onHealthEvent(site: SiteName, event: HealthEventOut, meta: MessageMeta): void;
  /**
   * onSessionOpened is called once per session stream, right after its hello was accepted and the stream became the
   * site's: OperatorServer.sendMemberSync works from inside it (pull mode sends its full sync here, when
   * `info.capabilities` has Capability.MemberSync). Optional, for handlers that predate it.
   */
  onSessionOpened?(site: SiteName, info: SessionOpenedInfo): void;
  /**
   * onMemberReport receives pull mode's member reports, whole: the parts of a split report are assembled first
   * (member-parts.ts), and `meta` is that of its last part. Parts that cannot be assembled (their first part was
   * acked by an operator that restarted since) are dropped with a log line; the agent's next full report replaces
   * them. Optional, for handlers that predate it: without it reports are acked and dropped.
   */
  onMemberReport?(site: SiteName, report: MemberReportOut, meta: MessageMeta): void;
  /** onDisconnect is called once per session stream that had passed its hello. */
  onDisconnect(site: SiteName, info: DisconnectInfo): void;
  /**
   * onRateLimited is called for every message the server dropped because the site was over its rate limit; it is
   * called at the flooding site's pace, so it must be cheap (count, do not enqueue work for every call).
   */
  onRateLimited(site: SiteName, info: RateLimitedInfo): void;
  /**
   * onCertificateRefused is called for every Register or Session stream turned away by the certificate check, and
   * for every open session a recheck closes (after its onDisconnect). A refused agent keeps retrying, so it must be
   * cheap too.
   */
  onCertificateRefused(site: SiteName, info: CertificateRefusedInfo): void;
}
