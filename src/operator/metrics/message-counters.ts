/**
 * Agent messages counted on their way from the wire server to the session state: a SiteAgentHandler that counts each
 * callback and passes it on. The server has already dropped retransmits and calls the handler once per accepted
 * message, and once per message it refused (over the site's rate limit, or a refused client certificate), so these
 * counters are what the operator took in and turned away — per site (the name in the client certificate) and per
 * message type or reason.
 */
import { Counter, type Registry } from 'prom-client';
import type { CertificateRefusedInfo, DisconnectInfo, MessageMeta, RateLimitedInfo, Registration, SiteAgentHandler } from '../../wire/site-agent-handler.ts';
import type { SiteName } from '../../wire/identity.ts';
import type { HealthEventOut, HeartbeatOut, MemberReportOut, SiteDeltaOut, SiteSnapshotOut } from '../../wire/messages.ts';

/** MessageType labels the messages an agent sends. */
export const MessageType = {
  Register: 'register',
  Heartbeat: 'heartbeat',
  Snapshot: 'snapshot',
  Delta: 'delta',
  HealthEvent: 'health_event',
  MemberReport: 'member_report',
} as const;

/** DropReason labels the messages the operator turned away: over the rate limit, or a refused certificate's reason. */
export const DROP_RATE_LIMITED = 'RateLimited';

/** AgentMessageCounters defines the counters on a registry and wraps handlers to feed them. */
export class AgentMessageCounters {
  readonly #messages: Counter<'site' | 'type'>;
  readonly #dropped: Counter<'site' | 'reason'>;

  constructor(registry: Registry) {
    this.#messages = new Counter({
      name: 'suanwang_agent_messages_total',
      help: 'Messages accepted from site agents, by site and type (register, heartbeat, snapshot, delta, health_event, member_report); retransmits are not counted.',
      labelNames: ['site', 'type'],
      registers: [registry],
    });
    this.#dropped = new Counter({
      name: 'suanwang_agent_messages_dropped_total',
      help: "Agent messages and calls the operator turned away, by site and reason: RateLimited (over the site's rate limit) or a refused client certificate's reason (CertificateRevoked, CertificateNotPinned).",
      labelNames: ['site', 'reason'],
      registers: [registry],
    });
  }

  /** counting returns a handler that counts every callback and then calls `inner`'s. */
  counting(inner: SiteAgentHandler): SiteAgentHandler {
    const seen = (site: SiteName, type: string): void => this.#messages.inc({ site, type });
    return {
      onRegister: (site: SiteName, r: Registration) => {
        seen(site, MessageType.Register);
        inner.onRegister(site, r);
      },
      onHeartbeat: (site: SiteName, h: HeartbeatOut, meta: MessageMeta) => {
        seen(site, MessageType.Heartbeat);
        inner.onHeartbeat(site, h, meta);
      },
      onSnapshot: (site: SiteName, s: SiteSnapshotOut, meta: MessageMeta) => {
        seen(site, MessageType.Snapshot);
        inner.onSnapshot(site, s, meta);
      },
      onDelta: (site: SiteName, d: SiteDeltaOut, meta: MessageMeta) => {
        seen(site, MessageType.Delta);
        inner.onDelta(site, d, meta);
      },
      onHealthEvent: (site: SiteName, e: HealthEventOut, meta: MessageMeta) => {
        seen(site, MessageType.HealthEvent);
        inner.onHealthEvent(site, e, meta);
      },
      // Pull mode (optional on the inner handler, so they are passed on only where it has them).
      ...(inner.onSessionOpened !== undefined && { onSessionOpened: inner.onSessionOpened.bind(inner) }),
      ...(inner.onMemberReport !== undefined && {
        onMemberReport: (site: SiteName, r: MemberReportOut, meta: MessageMeta) => {
          seen(site, MessageType.MemberReport);
          inner.onMemberReport?.(site, r, meta);
        },
      }),
      onDisconnect: (site: SiteName, info: DisconnectInfo) => inner.onDisconnect(site, info),
      onRateLimited: (site: SiteName, info: RateLimitedInfo) => {
        this.#dropped.inc({ site, reason: DROP_RATE_LIMITED });
        inner.onRateLimited(site, info);
      },
      onCertificateRefused: (site: SiteName, info: CertificateRefusedInfo) => {
        this.#dropped.inc({ site, reason: info.reason });
        inner.onCertificateRefused(site, info);
      },
    };
  }
}
