/**
 * HTTP/2 keepalive settings of both ends, kept in one place because they only work as a pair. An agent that pings
 * more often than the server allows gets `GOAWAY ENHANCE_YOUR_CALM "too_many_pings"`, loses its connection, and
 * (grpc-js) doubles its ping interval for good. gRPC C-core and Go servers — and proxies such as Envoy in front of the
 * operator — enforce a minimum interval (default 5 min, 2 strikes); the rule is that the server's minimum sits
 * strictly below the client's interval, with room for timer jitter (research §5 and pitfall 23).
 *
 * grpc-js servers do not enforce ping strikes, so the server options below matter for whatever terminates the
 * connection in a real deployment; they are still set, so the operator states its policy in one place.
 */
import type { ChannelOptions } from '@grpc/grpc-js';

/** AgentKeepalive is the agent's (client's) ping behaviour. */
export interface AgentKeepalive {
  /** timeMs is how long the connection may be silent before the agent pings. */
  readonly timeMs: number;
  /** timeoutMs is how long the agent waits for the ping's answer before it drops the connection. */
  readonly timeoutMs: number;
  /** permitWithoutCalls lets the agent ping while no stream is open (between reconnects). */
  readonly permitWithoutCalls: boolean;
}

/** OperatorPingPolicy is what the operator (server) accepts and how it pings agents itself. */
export interface OperatorPingPolicy {
  /** minPingIntervalMs is the least interval between agent pings the server tolerates. */
  readonly minPingIntervalMs: number;
  /** permitWithoutCalls accepts pings on connections with no open stream. */
  readonly permitWithoutCalls: boolean;
  /** timeMs is how often the server pings a silent agent, to find half-open connections. */
  readonly timeMs: number;
  /** timeoutMs is how long the server waits for the agent's answer. */
  readonly timeoutMs: number;
}

/** DEFAULT_AGENT_KEEPALIVE: ping after 30 s of silence, give up after 10 s more. */
export const DEFAULT_AGENT_KEEPALIVE: AgentKeepalive = { timeMs: 30_000, timeoutMs: 10_000, permitWithoutCalls: true };

/**
 * DEFAULT_OPERATOR_PING_POLICY tolerates agent pings every 20 s — comfortably below the agent's 30 s — and pings
 * agents itself after a minute of silence (grpc-js's own default is two hours, far too long to notice a dead site).
 */
export const DEFAULT_OPERATOR_PING_POLICY: OperatorPingPolicy = {
  minPingIntervalMs: 20_000,
  permitWithoutCalls: true,
  timeMs: 60_000,
  timeoutMs: 20_000,
};

/** JITTER_MARGIN is the share of the agent's interval the server minimum must stay below by. */
const JITTER_MARGIN = 0.2;

/**
 * keepaliveProblems returns why an agent with `agent` settings would be answered "too many pings" by a server with
 * `server` policy; empty when the pair is safe.
 */
export function keepaliveProblems(agent: AgentKeepalive, server: OperatorPingPolicy): string[] {
  const problems: string[] = [];
  if (!(agent.timeMs > 0)) problems.push('agent keepalive time must be > 0 (grpc-js disables keepalive otherwise)');
  if (server.minPingIntervalMs > agent.timeMs * (1 - JITTER_MARGIN)) {
    problems.push(
      `server minimum ping interval ${server.minPingIntervalMs} ms must stay at least ${JITTER_MARGIN * 100} % below ` +
        `the agent keepalive time ${agent.timeMs} ms`,
    );
  }
  if (agent.permitWithoutCalls && !server.permitWithoutCalls) {
    problems.push('agent pings without calls but the server does not permit it');
  }
  return problems;
}

/** agentChannelOptions renders the agent's settings as grpc-js channel options. */
export function agentChannelOptions(k: AgentKeepalive): ChannelOptions {
  return {
    'grpc.keepalive_time_ms': k.timeMs,
    'grpc.keepalive_timeout_ms': k.timeoutMs,
    'grpc.keepalive_permit_without_calls': k.permitWithoutCalls ? 1 : 0,
  };
}

/**
 * operatorServerOptions renders the policy as server options. `grpc.http2.min_ping_interval_without_data_ms` and
 * `grpc.http2.max_ping_strikes` are the C-core names of the enforcement knobs; grpc-js ignores them (it enforces
 * nothing) but they document the contract next to the keepalive options grpc-js does honour.
 */
export function operatorServerOptions(p: OperatorPingPolicy): ChannelOptions {
  return {
    'grpc.keepalive_time_ms': p.timeMs,
    'grpc.keepalive_timeout_ms': p.timeoutMs,
    'grpc.keepalive_permit_without_calls': p.permitWithoutCalls ? 1 : 0,
    'grpc.http2.min_ping_interval_without_data_ms': p.minPingIntervalMs,
    'grpc.http2.max_ping_strikes': 2,
  };
}
