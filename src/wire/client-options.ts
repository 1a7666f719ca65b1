/**
 * What the agent's end of the wire (client.ts) is configured with: where the operator is, who the agent is, where
 * its state comes from, and the injected logger, clock (time and timers) and randomness.
 */
import type { Interceptor } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { BackoffPolicy } from '../runtime/backoff.ts';
import type { Clock, Random } from '../runtime/clock.ts';
import type { AgentKeepalive } from './keepalive.ts';
import type { FencedWorkloadOut, Heartbeat, MemberReport, MemberSyncOut, SiteDelta, SiteSnapshot } from './messages.ts';
import type { TlsFiles } from './tls.ts';

/** SnapshotContent is a full snapshot without the fields the client fills in (site, generation). */
export type SnapshotContent = Omit<SiteSnapshot, 'site' | 'generation'>;

/** DeltaContent is a delta without the generations the client fills in. */
export type DeltaContent = Omit<SiteDelta, 'baseGeneration' | 'generation'>;

/** HeartbeatContent is a heartbeat without the snapshot generation the client fills in. */
export type HeartbeatContent = Omit<Heartbeat, 'snapshotGeneration'>;

/** AgentClientObserver hears about the connection's life; for metrics, logs beyond the client's own, and tests. */
export interface AgentClientObserver {
  /** onConnected: Register succeeded and the session's hello went out. */
  onConnected?(sessionId: string): void;
  /** onAck: the operator acknowledged everything up to seq. */
  onAck?(seq: number): void;
  /** onResyncRequest: the operator asked for a full snapshot. */
  onResyncRequest?(reason: string, fromSeq: number): void;
  /** onFenceRequest: the operator says these training workloads were placed anew; delete their older members here. */
  onFenceRequest?(workloads: readonly FencedWorkloadOut[]): void;
  /**
   * onMemberSync: pull mode; the operator sent desired member objects. Whole syncs only: the parts of a split one
   * are assembled first (member-parts.ts), and an assembly a broken stream left unfinished is dropped (the operator
   * sends a full sync on the next session). Called in the order the operator sent them.
   */
  onMemberSync?(sync: MemberSyncOut): void;
  /** onDisconnected: the attempt or session ended; code is the gRPC status code when there is one. */
  onDisconnected?(code: number | undefined, details: string): void;
  /** onRetryScheduled: the next attempt starts after delayMs; attempt counts failures since the last ack. */
  onRetryScheduled?(delayMs: number, attempt: number): void;
}

/** AgentClientOptions configures an AgentClient. */
export interface AgentClientOptions {
  /** target is the operator's host:port. */
  readonly target: string;
  /** site is the site this agent speaks for; it must match its certificate or the operator refuses it. */
  readonly site: string;
  /**
   * tls holds the CA that signs the operator's certificate and this site's certificate and key. A function is called
   * again for every connection attempt, so rotated files are picked up on the next reconnect; when it throws (a file
   * half written by the rotation), the attempt fails and is retried with backoff.
   */
  readonly tls: TlsFiles | (() => TlsFiles);
  /** serverNameOverride checks the operator's certificate against this name instead of the target's host. */
  readonly serverNameOverride?: string;
  readonly agentVersion: string;
  /** agentInstanceId is random per process start; a new one starts a new sequence space on the operator. */
  readonly agentInstanceId: string;
  /** capabilities announced at Register (default DEFAULT_AGENT_CAPABILITIES); add Capability.MemberSync for pull mode. */
  readonly capabilities?: readonly string[];
  /** snapshot produces the site's full state; called on connect, on resync and every snapshot interval. */
  readonly snapshot: () => SnapshotContent | Promise<SnapshotContent>;
  /**
   * memberReport (pull mode) produces the full member report the client queues right after every snapshot it sends,
   * with the next seqs: a snapshot may close a sequence gap in which member reports were lost, and the full report
   * that follows it restores them. Without it no member report follows.
   */
  readonly memberReport?: () => Omit<MemberReport, 'full'>;
  /** heartbeat adds cheap counters to each heartbeat; it must not wait on telemetry collection. */
  readonly heartbeat?: () => HeartbeatContent;
  readonly logger: Logger;
  /** clock stamps unacked writes, sets the Register deadline and runs every timer (heartbeat, snapshot, retry). */
  readonly clock: Clock;
  /** random jitters the reconnect backoff. */
  readonly random: Random;
  /** backoff shapes the reconnect delays (default DEFAULT_RECONNECT_BACKOFF in client.ts). */
  readonly backoff?: BackoffPolicy;
  readonly keepalive?: AgentKeepalive;
  /** outboxLimit is the most unacked messages kept (default 10 000); older ones are dropped, then resynced. */
  readonly outboxLimit?: number;
  /** registerTimeoutMs is the Register call's deadline (default 10 s). */
  readonly registerTimeoutMs?: number;
  /** ackTimeoutHeartbeats: with messages unacked this many heartbeat intervals, the stream is presumed dead. */
  readonly ackTimeoutHeartbeats?: number;
  readonly observer?: AgentClientObserver;
  /** interceptors are passed to the gRPC client (tracing, metrics). */
  readonly interceptors?: Interceptor[];
}
