/**
 * What one site may cost the operator's agent endpoint: the size of one message, how long a stream may stay silent
 * before its hello, and how many messages a site may send. README.md ("Limits") derives each default; the per-report
 * bounds on pools, nodes and devices live with the state they bound (src/controllers/site/report-bounds.ts).
 */

const MIB = 2 ** 20;

/** MessageRate is a token bucket: `burst` messages at once, refilled at `perSecond`. */
export interface MessageRate {
  readonly perSecond: number;
  readonly burst: number;
}

/** WireLimits bounds what one site can make the operator's server do. */
export interface WireLimits {
  /**
   * maxMessageBytes bounds one received message. grpc-js reads the gRPC length prefix and refuses a longer message
   * with RESOURCE_EXHAUSTED before buffering or decoding it; the call ends.
   */
  readonly maxMessageBytes: number;
  /** helloTimeoutMs: a Session stream that has not sent its hello this long after it opened is closed. */
  readonly helloTimeoutMs: number;
  /** messageRate is each site's budget for Register calls and session messages after the hello. */
  readonly messageRate: MessageRate;
}

/**
 * DEFAULT_WIRE_LIMITS:
 * - 12 MiB per message: the largest legitimate report, a full snapshot of a 5,000-node site with 8 accelerators per
 *   node in a few hundred pools, encodes to about 8.6 MiB (server-limits.test.ts builds it); 12 MiB leaves 40 % for
 *   longer names and labels, and is 4 MiB below the 16 MiB the server accepted before.
 * - 10 s to say hello: the agent writes its hello together with opening the stream; 10 s is its Register deadline.
 * - 100 messages per second with a burst of 2,000: a healthy agent sends a heartbeat every 10 s and at most two
 *   deltas per second (the agent's debounce), plus health events in bursts; a reconnect resends what was not acked.
 */
export const DEFAULT_WIRE_LIMITS: WireLimits = {
  maxMessageBytes: 12 * MIB,
  helloTimeoutMs: 10_000,
  messageRate: { perSecond: 100, burst: 2000 },
};

/**
 * MEMBER_PART_BYTES bounds the members one MemberSync or MemberReport message carries (pull mode), estimated as their
 * encoded size (member-parts.ts); a sync or report with more is split into parts. 2 MiB: a sixth of the operator's
 * receive limit, so the estimate may be far off and a part still fits; the agent's channel accepts messages of
 * maxMessageBytes too (client.ts), so a single member above the budget, which travels alone, still arrives (Kubernetes
 * stores no object above 1.5 MiB by default). Small parts also keep each decode short on the receiving event loop.
 */
export const MEMBER_PART_BYTES = 2 * MIB;

/** resolveWireLimits fills in the defaults and refuses values that would switch a limit off; errors name the field. */
export function resolveWireLimits(partial: Partial<WireLimits> = {}): WireLimits {
  const limits: WireLimits = { ...DEFAULT_WIRE_LIMITS, ...partial };
  const problems: string[] = [];
  const positive = (name: string, v: number): void => {
    if (!(Number.isFinite(v) && v > 0)) problems.push(`${name} must be a positive number, got ${v}`);
  };
  positive('maxMessageBytes', limits.maxMessageBytes);
  if (!Number.isSafeInteger(limits.maxMessageBytes)) problems.push(`maxMessageBytes must be a whole number, got ${limits.maxMessageBytes}`);
  positive('helloTimeoutMs', limits.helloTimeoutMs);
  positive('messageRate.perSecond', limits.messageRate.perSecond);
  if (!(Number.isFinite(limits.messageRate.burst) && limits.messageRate.burst >= 1)) {
    problems.push(`messageRate.burst must be at least 1, got ${limits.messageRate.burst}`);
  }
  if (problems.length > 0) throw new RangeError(`invalid wire limits: ${problems.join('; ')}`);
  return limits;
}
