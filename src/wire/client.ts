/**
 * The agent's end of the site agent protocol. It dials the operator (outbound only) with the site's client
 * certificate, registers, and keeps one Session stream: a hello, then everything unacked from earlier connections,
 * then a full snapshot, heartbeats on the operator's cadence, periodic snapshots, and deltas and health events as the
 * caller sends them. Every message stays in the outbox until acked. A resync request is answered with a snapshot.
 * A broken attempt is retried with capped exponential backoff and jitter on a fresh channel, which also picks up
 * rotated certificate files and leaves grpc-js's own (slower, 120 s cap) channel backoff out of the picture.
 */
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { backoffDelay, validateBackoffPolicy, type BackoffPolicy } from '../runtime/backoff.ts';
import type { Cancel } from '../runtime/clock.ts';
import { Capability, DEFAULT_AGENT_CAPABILITIES } from './capabilities.ts';
import type { AgentClientOptions, DeltaContent } from './client-options.ts';
import { DEFAULT_AGENT_KEEPALIVE, agentChannelOptions } from './keepalive.ts';
import { DEFAULT_WIRE_LIMITS } from './limits.ts';
import { loadAgentProtocol } from './load.ts';
import { memberSyncAssembler, splitMemberReport, type PartAssembler } from './member-parts.ts';
import type { AgentMessage, HealthEvent, MemberReport, MemberSyncOut, OperatorMessageOut, RegisterResponseOut, SiteAgentClient } from './messages.ts';
import { Outbox, type SequencedPayload } from './outbox.ts';

export type * from './client-options.ts';

/** AGENT_PROTOCOL_VERSION is the highest protocol version this client speaks. */
export const AGENT_PROTOCOL_VERSION = 1;

/**
 * DEFAULT_RECONNECT_BACKOFF: 1 s doubling to a 60 s cap with ±20 % jitter. grpc-js re-establishes a *channel* on its
 * own, but a broken stream has to be reopened by the application; without jitter every agent of a federation would
 * hammer a restarted operator in lock-step. The cap is half of grpc-js's channel cap (120 s) because a site that is
 * back should report within a minute; the operator's lease (40 s) already tolerates the gap.
 */
export const DEFAULT_RECONNECT_BACKOFF: BackoffPolicy = { initialMs: 1000, maxMs: 60_000, multiplier: 2, jitter: 0.2 };

/** MIN_INTERVAL_MS keeps a misconfigured operator from making the agent spin. */
const MIN_INTERVAL_MS = 10;

type SessionStreamCall = grpc.ClientDuplexStream<AgentMessage, OperatorMessageOut>;

/** Attempt is the state of one connection attempt, from Register to the stream's end. */
interface Attempt {
  readonly client: SiteAgentClient;
  stream?: SessionStreamCall;
  sessionId: string;
  /** written is the highest seq written on this stream. */
  written: number;
  /** paused is true while the stream's buffer is full; 'drain' resumes writing. */
  paused: boolean;
  heartbeatMs: number;
  snapshotMs: number;
  /** waitingSince is when the oldest unanswered write went out; undefined while nothing is unacked. */
  waitingSince: number | undefined;
  heartbeatTimer?: Cancel;
  snapshotTimer?: Cancel;
  /** memberSyncs assembles split member syncs; an assembly dies with its stream. */
  readonly memberSyncs: PartAssembler<MemberSyncOut>;
  closed: boolean;
}

/** AgentClient keeps a site's session with the operator alive. */
export class AgentClient {
  readonly #opts: AgentClientOptions;
  readonly #log: Logger;
  readonly #outbox: Outbox;
  #attempt: Attempt | undefined;
  #retryTimer: Cancel | undefined;
  #failures = 0;
  #generation = 0;
  #sessions = 0;
  /**
   * memberSyncAccepted: the last Register's answer accepted Capability.MemberSync. Member reports go out only then:
   * an operator that predates pull mode reads one as a message without payload and ends the session.
   */
  #memberSyncAccepted = false;
  #started = false;
  #stopped = false;
  #snapshotInFlight: Promise<number | undefined> | undefined;

  constructor(opts: AgentClientOptions) {
    const problems = validateBackoffPolicy(opts.backoff ?? DEFAULT_RECONNECT_BACKOFF);
    if (problems.length > 0) throw new RangeError(`invalid backoff policy: ${problems.join('; ')}`);
    this.#opts = opts;
    this.#log = opts.logger.child({ component: 'agent-client', site: opts.site });
    this.#outbox = new Outbox(opts.outboxLimit ?? 10_000);
  }

  /** lastAckedSeq is the highest seq the operator acknowledged. */
  get lastAckedSeq(): number {
    return this.#outbox.lastAcked;
  }

  /** pending is the number of messages not yet acked. */
  get pending(): number {
    return this.#outbox.size;
  }

  /** sessions counts the sessions opened so far (1 + reconnects). */
  get sessions(): number {
    return this.#sessions;
  }

  /** connected is true while a session stream is open. */
  get connected(): boolean {
    return this.#attempt?.stream !== undefined && !this.#attempt.closed;
  }

  /** start begins connecting; the client keeps reconnecting until stop. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#connect();
  }

  /** stop half-closes the session, waits briefly for the operator to finish it, and stops reconnecting. */
  async stop(graceMs = 500): Promise<void> {
    this.#stopped = true;
    this.#retryTimer?.();
    this.#retryTimer = undefined;
    const attempt = this.#attempt;
    if (!attempt) return;
    const stream = attempt.stream;
    if (stream && !attempt.closed) {
      await new Promise<void>((resolve) => {
        const cancel = this.#opts.clock.after(graceMs, resolve);
        stream.once('status', () => {
          cancel();
          resolve();
        });
        stream.end();
      });
    }
    this.#close(attempt, undefined, 'agent stopped');
  }

  /** sendDelta queues a delta against the current snapshot generation and returns its seq. */
  sendDelta(content: DeltaContent): number {
    const baseGeneration = this.#generation;
    this.#generation += 1;
    return this.#send({ delta: { ...content, baseGeneration, generation: this.#generation } });
  }

  /** sendHealthEvent queues a health event and returns its seq. */
  sendHealthEvent(event: HealthEvent): number {
    return this.#send({ healthEvent: event });
  }

  /**
   * sendMemberReport queues a member report (pull mode), in parts when it is big (member-parts.ts), and returns the
   * seq of its last part. A full report is normally the one the client sends after each snapshot (memberReport).
   * Until a Register accepted Capability.MemberSync it sends nothing and returns 0: what changed meanwhile reaches
   * the operator in the full report after the session's first snapshot.
   */
  sendMemberReport(report: MemberReport): number {
    if (!this.#memberSyncAccepted) return 0;
    let seq = 0;
    for (const part of splitMemberReport(report)) seq = this.#send({ memberReport: part });
    return seq;
  }

  /**
   * sendSnapshot takes a full snapshot from the snapshot source and queues it; resolves to its seq, or undefined when
   * the source failed (logged). Concurrent calls share one snapshot.
   */
  sendSnapshot(): Promise<number | undefined> {
    this.#snapshotInFlight ??= this.#takeSnapshot().finally(() => {
      this.#snapshotInFlight = undefined;
    });
    return this.#snapshotInFlight;
  }

  async #takeSnapshot(): Promise<number | undefined> {
    try {
      const content = await this.#opts.snapshot();
      this.#generation += 1;
      const seq = this.#send({ snapshot: { ...content, site: this.#opts.site, generation: this.#generation } });
      this.#sendFullMemberReport();
      return seq;
    } catch (err: unknown) {
      this.#log.error({ err }, 'snapshot source failed');
      return undefined;
    }
  }

  /** sendFullMemberReport queues the full member report that follows every snapshot (memberReport in the options). */
  #sendFullMemberReport(): void {
    const source = this.#opts.memberReport;
    if (source === undefined) return;
    let content;
    try {
      content = source();
    } catch (err: unknown) {
      // The snapshot went out; the next one (resync or interval) brings the member report again.
      this.#log.error({ err }, 'member report source failed');
      return;
    }
    this.sendMemberReport({ ...content, full: true });
  }

  #send(payload: SequencedPayload): number {
    const entry = this.#outbox.push(payload);
    if (this.#attempt) this.#flush(this.#attempt);
    return entry.seq;
  }

  /** flush writes the unacked messages this stream has not carried yet, pausing when the stream asks to. */
  #flush(a: Attempt): void {
    if (!a.stream || a.closed || a.paused) return;
    for (const e of this.#outbox.after(a.written)) {
      a.written = e.seq;
      a.waitingSince ??= this.#opts.clock.now();
      // write() returning false means "buffered, but stop": unacked messages wait in the outbox, not in gRPC's buffer.
      if (!a.stream.write(e.message)) {
        a.paused = true;
        return;
      }
    }
  }

  /** dial builds a fresh channel, reading the TLS files again when they come from a function. */
  #dial(): SiteAgentClient {
    const { keepalive, serverNameOverride, interceptors } = this.#opts;
    const tls = typeof this.#opts.tls === 'function' ? this.#opts.tls() : this.#opts.tls;
    const credentials = grpc.credentials.createSsl(Buffer.from(tls.caPem), Buffer.from(tls.keyPem), Buffer.from(tls.certPem));
    // The operator's member syncs come in parts of about MEMBER_PART_BYTES; a single member above that travels alone,
    // so accept what the operator accepts rather than grpc-js's 4 MiB default.
    const channelOptions: grpc.ClientOptions = {
      ...agentChannelOptions(keepalive ?? DEFAULT_AGENT_KEEPALIVE),
      'grpc.max_receive_message_length': DEFAULT_WIRE_LIMITS.maxMessageBytes,
    };
    if (serverNameOverride !== undefined) channelOptions['grpc.ssl_target_name_override'] = serverNameOverride;
    if (interceptors) channelOptions.interceptors = interceptors;
    return new (loadAgentProtocol().SiteAgent)(this.#opts.target, credentials, channelOptions);
  }

  #connect(): void {
    if (this.#stopped) return;
    let client: SiteAgentClient;
    try {
      client = this.#dial();
    } catch (err: unknown) {
      // Unreadable or mismatched TLS files (a rotation caught half way): a failed attempt, not a crash in a timer.
      const details = err instanceof Error ? err.message : String(err);
      this.#opts.observer?.onDisconnected?.(undefined, details);
      this.#retry('cannot set up the connection', undefined, details);
      return;
    }
    const a: Attempt = {
      client,
      sessionId: '',
      written: 0,
      paused: false,
      heartbeatMs: 0,
      snapshotMs: 0,
      waitingSince: undefined,
      memberSyncs: memberSyncAssembler(),
      closed: false,
    };
    this.#attempt = a;
    const deadline = this.#opts.clock.now() + (this.#opts.registerTimeoutMs ?? 10_000);
    a.client.Register(
      {
        site: this.#opts.site,
        agentVersion: this.#opts.agentVersion,
        agentInstanceId: this.#opts.agentInstanceId,
        protocolVersion: AGENT_PROTOCOL_VERSION,
        capabilities: [...(this.#opts.capabilities ?? DEFAULT_AGENT_CAPABILITIES)],
      },
      { deadline },
      (err, res) => {
        if (a.closed) return;
        if (err || !res) this.#close(a, err ?? undefined, 'register failed');
        else this.#openSession(a, res);
      },
    );
  }

  #openSession(a: Attempt, res: RegisterResponseOut): void {
    a.sessionId = res.sessionId ?? '';
    this.#memberSyncAccepted = (res.capabilities ?? []).includes(Capability.MemberSync);
    if (this.#opts.memberReport !== undefined && !this.#memberSyncAccepted) {
      this.#log.warn('the operator does not take member reports (no member-sync capability): pull mode is off on this session');
    }
    a.heartbeatMs = Math.max(MIN_INTERVAL_MS, res.heartbeatIntervalMs ?? 10_000);
    a.snapshotMs = Math.max(MIN_INTERVAL_MS, res.snapshotIntervalMs ?? 300_000);
    const stream = a.client.Session();
    a.stream = stream;
    stream.on('data', (m: OperatorMessageOut) => this.#onOperatorMessage(a, m));
    stream.on('error', (err: grpc.ServiceError) => this.#close(a, err, 'session failed'));
    stream.on('end', () => this.#close(a, undefined, 'operator ended the session'));
    stream.on('drain', () => {
      a.paused = false;
      this.#flush(a);
    });
    a.paused = !stream.write({ seq: 0, hello: { sessionId: a.sessionId, site: this.#opts.site, lastAckedSeq: this.#outbox.lastAcked } });
    this.#sessions += 1;
    this.#log.info({ sessionId: a.sessionId, unacked: this.#outbox.size, lastAckedSeq: this.#outbox.lastAcked }, 'session opened');
    this.#opts.observer?.onConnected?.(a.sessionId);
    this.#flush(a);
    void this.sendSnapshot();
    this.#armHeartbeat(a);
    this.#armSnapshot(a);
  }

  #onOperatorMessage(a: Attempt, m: OperatorMessageOut): void {
    if (a.closed) return;
    switch (m.payload) {
      case 'ack': {
        const seq = m.ack?.seq ?? 0;
        if (this.#outbox.ack(seq) < 0) {
          this.#log.warn({ seq, lastSeq: this.#outbox.lastSeq }, 'operator acked a seq never sent; ignored');
          return;
        }
        // The operator accepted something: the connection works, so the next failure starts from the first delay.
        this.#failures = 0;
        a.waitingSince = this.#outbox.after(this.#outbox.lastAcked).some((e) => e.seq <= a.written) ? this.#opts.clock.now() : undefined;
        this.#opts.observer?.onAck?.(seq);
        return;
      }
      case 'resyncRequest': {
        const reason = m.resyncRequest?.reason ?? '';
        const fromSeq = m.resyncRequest?.fromSeq ?? 0;
        this.#opts.observer?.onResyncRequest?.(reason, fromSeq);
        // A snapshot already queued at or after the gap will close it; a second one would only cost bandwidth.
        if (this.#outbox.hasSnapshotFrom(fromSeq)) {
          this.#log.debug({ reason, fromSeq }, 'resync request already answered by a queued snapshot');
          return;
        }
        this.#log.info({ reason, fromSeq }, 'operator asked for a resync; sending a full snapshot');
        void this.sendSnapshot();
        return;
      }
      case 'fenceRequest': {
        const workloads = m.fenceRequest?.workloads ?? [];
        this.#log.info({ workloads: workloads.length }, 'operator asked to fence superseded members');
        this.#opts.observer?.onFenceRequest?.(workloads);
        return;
      }
      case 'memberSync': {
        const assembled = a.memberSyncs.accept(m.memberSync ?? {});
        if (assembled.kind === 'dropped') {
          this.#log.warn({ reason: assembled.reason }, 'member sync part dropped; the operator sends a full sync on the next session');
          return;
        }
        if (assembled.abandoned > 0) this.#log.warn({ abandoned: assembled.abandoned }, 'unfinished member sync dropped');
        if (assembled.kind === 'partial') return;
        const sync = assembled.message;
        this.#log.debug({ generation: sync.generation, full: sync.full ?? false, apply: sync.apply?.length ?? 0, remove: sync.remove?.length ?? 0 }, 'member sync received');
        this.#opts.observer?.onMemberSync?.(sync);
        return;
      }
      case 'configUpdate': {
        const u = m.configUpdate ?? {};
        if (u.heartbeatIntervalMs !== undefined) a.heartbeatMs = Math.max(MIN_INTERVAL_MS, u.heartbeatIntervalMs);
        if (u.snapshotIntervalMs !== undefined) a.snapshotMs = Math.max(MIN_INTERVAL_MS, u.snapshotIntervalMs);
        this.#log.info({ heartbeatMs: a.heartbeatMs, snapshotMs: a.snapshotMs }, 'operator changed the cadence');
        this.#armHeartbeat(a);
        this.#armSnapshot(a);
        return;
      }
      case undefined:
        return;
    }
  }

  #armHeartbeat(a: Attempt): void {
    a.heartbeatTimer?.();
    a.heartbeatTimer = this.#opts.clock.after(a.heartbeatMs, () => {
      if (a.closed) return;
      // A stream can look open while the path is dead (a half-open TCP connection behind a NAT): no ack for a few
      // heartbeats means start over rather than queue forever.
      const limit = a.heartbeatMs * (this.#opts.ackTimeoutHeartbeats ?? 3);
      if (a.waitingSince !== undefined && this.#opts.clock.now() - a.waitingSince > limit) {
        this.#close(a, undefined, `no ack for ${limit} ms`);
        return;
      }
      this.#send({ heartbeat: { ...this.#opts.heartbeat?.(), snapshotGeneration: this.#generation } });
      this.#armHeartbeat(a);
    });
  }

  #armSnapshot(a: Attempt): void {
    a.snapshotTimer?.();
    a.snapshotTimer = this.#opts.clock.after(a.snapshotMs, () => {
      if (a.closed) return;
      void this.sendSnapshot();
      this.#armSnapshot(a);
    });
  }

  /** close ends an attempt once: timers, stream, channel; then schedules the next attempt unless stopped. */
  #close(a: Attempt, err: Partial<grpc.ServiceError> | undefined, what: string): void {
    if (a.closed) return;
    a.closed = true;
    a.heartbeatTimer?.();
    a.snapshotTimer?.();
    a.stream?.cancel();
    a.client.close();
    if (this.#attempt === a) this.#attempt = undefined;
    const details = err?.details ?? err?.message ?? what;
    this.#opts.observer?.onDisconnected?.(err?.code, details);
    this.#retry(what, err?.code, details);
  }

  /** retry schedules the next attempt after the backoff delay, unless stopped. */
  #retry(what: string, code: number | undefined, details: string): void {
    if (this.#stopped) return;
    const delay = backoffDelay(this.#opts.backoff ?? DEFAULT_RECONNECT_BACKOFF, this.#failures, this.#opts.random());
    this.#failures += 1;
    this.#log.warn({ what, code, details, retryInMs: Math.round(delay), failures: this.#failures }, 'operator connection lost');
    this.#opts.observer?.onRetryScheduled?.(delay, this.#failures);
    this.#retryTimer = this.#opts.clock.after(delay, () => {
      this.#retryTimer = undefined;
      this.#connect();
    });
  }
}
