/**
 * One Session stream on the operator side: checks the caller's certificate (its site, and the server's certificate
 * check, again whenever the server rechecks open sessions), expects a hello naming a session that
 * Register gave to the same site, then sequences, acks and delivers each message (see sequence.ts for the rules).
 * Any message that claims another site ends the stream with PERMISSION_DENIED and a warning in the log.
 *
 * What a site can cost (limits.ts): a stream must say hello within the hello timeout; a site has at most one stream
 * waiting for its hello and one open session (a newer one ends the older); opening a stream and every message after
 * the hello spend a token of the site's bucket, and a message that finds none is dropped before anything else looks
 * at it — not sequenced, not acked, so the agent keeps it and the sequence rules repair the gap (a resync snapshot,
 * or the resend after the agent's ack timeout). Acks are cumulative, so while the agent is not reading only the
 * latest is kept.
 */
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { Cancel, Clock } from '../runtime/clock.ts';
import { certificateOfCaller, type CertificateFacts } from './agent-certificate.ts';
import { describeEnding, type EndStatus } from './call-endings.ts';
import { siteOfCaller, type SiteName } from './identity.ts';
import type { WireLimits } from './limits.ts';
import { Capability } from './capabilities.ts';
import { splitMemberSync, type PartAssembler } from './member-parts.ts';
import type { AgentMessageOut, FencedWorkload, MemberReportOut, MemberSync, OperatorMessage } from './messages.ts';
import type { PayloadKind, SequenceTracker } from './sequence.ts';
import type { MessageMeta, SiteAgentHandler } from './site-agent-handler.ts';

/** SessionRecord is a session Register handed out. */
export interface SessionRecord {
  readonly sessionId: string;
  readonly site: SiteName;
  readonly agentInstanceId: string;
  /** capabilities are the agent's capabilities the server accepted at Register. */
  readonly capabilities: readonly string[];
  /** attached is true once a stream said hello with this session. */
  attached: boolean;
}

/** CallRefusal is the status a call is ended with when it is refused, and how to report the refusal. */
export interface CallRefusal {
  readonly code: grpc.status;
  readonly details: string;
  /** report logs the refusal and tells the handler; called once the call has been ended. */
  report(): void;
}

/** SessionHost is what a SessionStream needs from the server that owns it. */
export interface SessionHost {
  readonly handler: SiteAgentHandler;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly limits: WireLimits;
  session(sessionId: string): SessionRecord | undefined;
  tracker(site: SiteName, agentInstanceId: string, lastAckedSeq: number): SequenceTracker;
  /** memberReports is the site's assembler of split member reports; like the tracker it outlives streams. */
  memberReports(site: SiteName, agentInstanceId: string): PartAssembler<MemberReportOut>;
  /** streamOf returns the site's open stream, if any. */
  streamOf(site: SiteName): SessionStream | undefined;
  attach(site: SiteName, stream: SessionStream): void;
  detach(site: SiteName, stream: SessionStream, sessionId: string): void;
  /** waiting returns the site's stream that has not said hello yet, if any. */
  waiting(site: SiteName): SessionStream | undefined;
  /** setWaiting records (or, with undefined, forgets) the site's stream waiting for its hello. */
  setWaiting(site: SiteName, stream: SessionStream | undefined): void;
  /** admit spends one token of the site's message budget; false when it has none (the drop is counted). */
  admit(site: SiteName): boolean;
  /** dropped is the site's running total of messages dropped over its rate limit. */
  dropped(site: SiteName): number;
  /** endedWith is the status the server side (grpc-js or this code) ended a call with, found by its metadata. */
  endedWith(metadata: grpc.Metadata): EndStatus | undefined;
  safely(site: SiteName, what: string, fn: () => void): void;
  /** checkCertificate runs the server's certificate check; undefined accepts. */
  checkCertificate(site: SiteName, cert: CertificateFacts | undefined, what: string, peer: string): CallRefusal | undefined;
}

/** DROP_LOG_INTERVAL_MS: a flooding stream logs its drops at most this often, with the running total. */
const DROP_LOG_INTERVAL_MS = 10_000;

/** SessionCall is the server side of the Session bidi stream. */
export type SessionCall = grpc.ServerDuplexStream<AgentMessageOut, OperatorMessage>;

/** SessionStream handles one Session call from hello to close. */
export class SessionStream {
  readonly #host: SessionHost;
  readonly #call: SessionCall;
  readonly #peer: string;
  #log: Logger;
  #site: SiteName | undefined;
  /** The client certificate the handshake verified, kept for rechecks. */
  #cert: CertificateFacts | undefined;
  #record: SessionRecord | undefined;
  #tracker: SequenceTracker | undefined;
  #closed = false;
  #helloTimer: Cancel | undefined;
  /** When this stream last logged dropped messages; undefined before its first drop. */
  #dropLoggedAt: number | undefined;
  /** The latest ack held back while the agent is not reading (see #ack). */
  #pendingAck: number | undefined;

  constructor(host: SessionHost, call: SessionCall) {
    this.#host = host;
    this.#call = call;
    this.#peer = call.getPeer();
    this.#log = host.logger.child({ peer: this.#peer });
  }

  /** start checks the caller's identity and begins reading. */
  start(): void {
    const identity = siteOfCaller(this.#call);
    if (!identity.ok) {
      this.#log.warn({ reason: identity.reason }, 'session refused: no site identity in the client certificate');
      this.close(grpc.status.UNAUTHENTICATED, identity.reason);
      return;
    }
    const site = identity.site;
    this.#site = site;
    this.#log = this.#log.child({ site });
    this.#cert = certificateOfCaller(this.#call);
    // Before the rate limit, as in Register: a refused certificate spends nothing of its site's budget.
    const refused = this.#host.checkCertificate(site, this.#cert, 'session', this.#peer);
    if (refused !== undefined) {
      this.close(refused.code, refused.details);
      return refused.report();
    }
    if (!this.#host.admit(site)) {
      this.#reportDrop('session');
      this.close(grpc.status.RESOURCE_EXHAUSTED, `site ${site} is over its rate limit of ${this.#host.limits.messageRate.perSecond} messages per second`);
      return;
    }
    // At most one stream of a site waits for its hello: an agent opens one at a time, so an older one is abandoned.
    this.#host.waiting(site)?.close(grpc.status.ABORTED, 'superseded by a newer stream of the same site');
    this.#host.setWaiting(site, this);
    const ms = this.#host.limits.helloTimeoutMs;
    this.#helloTimer = this.#host.clock.after(ms, () => {
      this.#log.warn({ helloTimeoutMs: ms }, 'session refused: no hello in time');
      this.close(grpc.status.DEADLINE_EXCEEDED, `no hello within ${ms} ms`);
    });
    this.#call.on('data', (m: AgentMessageOut) => this.#onMessage(m));
    this.#call.on('end', () => this.#finish('agent closed the stream', true));
    this.#call.on('cancelled', () => this.#onCancelled());
    this.#call.on('error', (err: Error) => this.#finish(`stream error: ${err.message}`, false));
  }

  /** send writes one operator message; false when the stream is already closed. */
  send(message: OperatorMessage): boolean {
    if (this.#closed || this.#call.cancelled || this.#call.writableEnded) return false;
    this.#call.write(message);
    return true;
  }

  /** requestResync asks the agent for a full snapshot. */
  requestResync(reason: string): boolean {
    if (!this.#tracker) return false;
    this.#log.info({ reason }, 'asking the agent for a full snapshot');
    return this.send({ resyncRequest: { reason, fromSeq: this.#tracker.contiguous + 1 } });
  }

  /** requestFence tells the agent which training workloads at its site were placed anew (FenceRequest in the proto). */
  requestFence(workloads: readonly FencedWorkload[]): boolean {
    if (this.#closed) return false;
    this.#log.info({ workloads: workloads.map((w) => `${w.namespace}/${w.name}@${String(w.epoch)}`) }, 'asking the agent to fence superseded members');
    return this.send({ fenceRequest: { workloads: [...workloads] } });
  }

  /**
   * sendMemberSync sends pull mode's desired member objects, split into parts when they are big (member-parts.ts);
   * false when the stream is closed, has not said hello, or its agent did not announce Capability.MemberSync.
   */
  sendMemberSync(sync: MemberSync): boolean {
    const record = this.#record;
    if (this.#closed || record === undefined) return false;
    if (!record.capabilities.includes(Capability.MemberSync)) {
      this.#log.debug('member sync not sent: the agent did not announce member-sync');
      return false;
    }
    const parts = splitMemberSync(sync);
    for (const part of parts) if (!this.send({ memberSync: part })) return false;
    const fields = { generation: sync.generation, full: sync.full ?? false, apply: sync.apply?.length ?? 0, remove: sync.remove?.length ?? 0, parts: parts.length };
    if (sync.full === true) this.#log.info(fields, 'full member sync sent');
    else this.#log.debug(fields, 'member sync sent');
    return true;
  }

  /** recheckCertificate runs the certificate check again and ends the stream if it refuses now; true when it did. */
  recheckCertificate(): boolean {
    const site = this.#site;
    if (this.#closed || site === undefined) return false;
    const refused = this.#host.checkCertificate(site, this.#cert, 'open session', this.#peer);
    if (refused === undefined) return false;
    // Ended first, reported second: the site's state then holds the refusal as newer than the session's end.
    this.close(refused.code, refused.details);
    refused.report();
    return true;
  }

  /** close ends the stream with a status; the agent sees it as the call's error. */
  close(code: grpc.status, details: string): void {
    if (this.#closed) return;
    this.#finish(details, false);
    const status: Partial<grpc.StatusObject> = { code, details };
    this.#call.emit('error', status);
  }

  #refuseClaim(kind: string, claimed: string): void {
    // An authentic certificate whose payload speaks for another site: misconfiguration or an attempt to spoof.
    this.#log.warn({ claimedSite: claimed, message: kind }, 'refused: claimed site differs from the client certificate');
    this.close(grpc.status.PERMISSION_DENIED, `certificate is for site ${this.#site}, ${kind} claims ${JSON.stringify(claimed)}`);
  }

  #onMessage(m: AgentMessageOut): void {
    if (this.#closed) return;
    if (!this.#record) {
      this.#onHello(m);
      return;
    }
    if (!this.#host.admit(this.#site as SiteName)) return this.#reportDrop(m.payload ?? 'unknown');
    const kind = m.payload;
    if (kind === undefined) return this.close(grpc.status.INVALID_ARGUMENT, 'message without payload');
    if (kind === 'hello') return this.close(grpc.status.FAILED_PRECONDITION, 'hello sent twice');
    const seq = m.seq ?? 0;
    if (!Number.isSafeInteger(seq) || seq < 1) return this.close(grpc.status.INVALID_ARGUMENT, `invalid seq ${seq}`);
    if (kind === 'snapshot' && (m.snapshot?.site ?? '') !== this.#site) return this.#refuseClaim('snapshot', m.snapshot?.site ?? '');
    const tracker = this.#tracker as SequenceTracker;
    const decision = tracker.receive(seq, kind);
    if (decision.duplicate) this.#log.debug({ seq, kind }, 'duplicate message dropped');
    if (decision.deliver) this.#deliver(m, kind, seq);
    if (decision.ack !== undefined) this.#ack(decision.ack);
    if (decision.resyncFrom !== undefined) {
      this.#log.info({ seq, kind, missingFrom: decision.resyncFrom }, 'sequence gap: asking the agent for a full snapshot');
      this.send({ resyncRequest: { reason: 'gap', fromSeq: decision.resyncFrom } });
    }
  }

  /**
   * ack writes an ack, unless the stream is backed up (the agent is not reading): then it keeps only the latest and
   * writes it once the stream drains. Acks are cumulative, so nothing is lost, and a site that never reads costs one
   * number instead of a buffer that grows with every message it sends.
   */
  #ack(seq: number): void {
    if (this.#pendingAck !== undefined || this.#call.writableNeedDrain) {
      if (this.#pendingAck === undefined) this.#call.once('drain', () => this.#flushAck());
      this.#pendingAck = seq;
      return;
    }
    this.send({ ack: { seq } });
  }

  #flushAck(): void {
    const seq = this.#pendingAck;
    this.#pendingAck = undefined;
    if (seq !== undefined) this.#ack(seq);
  }

  /** reportDrop logs (at most every DROP_LOG_INTERVAL_MS) and reports a message dropped over the site's rate. */
  #reportDrop(kind: string): void {
    const site = this.#site as SiteName;
    const dropped = this.#host.dropped(site);
    const now = this.#host.clock.now();
    if (this.#dropLoggedAt === undefined || now - this.#dropLoggedAt >= DROP_LOG_INTERVAL_MS) {
      this.#dropLoggedAt = now;
      const { perSecond, burst } = this.#host.limits.messageRate;
      this.#log.warn({ dropped, kind, perSecond, burst }, 'messages over the site rate limit dropped');
    }
    this.#host.safely(site, 'onRateLimited', () => this.#host.handler.onRateLimited(site, { dropped, kind }));
  }

  #onHello(m: AgentMessageOut): void {
    const site = this.#site as SiteName;
    this.#stopWaiting();
    const hello = m.hello;
    if (m.payload !== 'hello' || !hello) return this.close(grpc.status.FAILED_PRECONDITION, 'the first message must be hello');
    const claimed = hello.site ?? '';
    if (claimed !== site) return this.#refuseClaim('hello', claimed);
    const record = this.#host.session(hello.sessionId ?? '');
    if (!record) return this.close(grpc.status.NOT_FOUND, 'unknown session; register again');
    if (record.site !== site) return this.#refuseClaim('hello session', record.site);
    if (record.attached) return this.close(grpc.status.FAILED_PRECONDITION, 'session already has a stream');
    // One stream per site: a reconnecting agent's new stream wins over a half-open old one.
    this.#host.streamOf(site)?.close(grpc.status.ABORTED, 'superseded by a newer session of the same site');
    record.attached = true;
    this.#record = record;
    this.#tracker = this.#host.tracker(site, record.agentInstanceId, hello.lastAckedSeq ?? 0);
    this.#host.attach(site, this);
    this.#log = this.#log.child({ sessionId: record.sessionId });
    this.#log.info({ lastAckedSeq: hello.lastAckedSeq ?? 0, resumeAt: this.#tracker.contiguous }, 'session opened');
    const info = { sessionId: record.sessionId, agentInstanceId: record.agentInstanceId, capabilities: record.capabilities };
    this.#host.safely(site, 'onSessionOpened', () => this.#host.handler.onSessionOpened?.(site, info));
  }

  #deliver(m: AgentMessageOut, kind: PayloadKind, seq: number): void {
    const site = this.#site as SiteName;
    const record = this.#record as SessionRecord;
    const meta: MessageMeta = { sessionId: record.sessionId, agentInstanceId: record.agentInstanceId, seq, receivedAt: this.#host.clock.now() };
    const h = this.#host.handler;
    this.#host.safely(site, kind, () => {
      switch (kind) {
        case 'heartbeat':
          return h.onHeartbeat(site, m.heartbeat ?? {}, meta);
        case 'snapshot':
          return h.onSnapshot(site, m.snapshot ?? {}, meta);
        case 'delta':
          return h.onDelta(site, m.delta ?? {}, meta);
        case 'healthEvent':
          return h.onHealthEvent(site, m.healthEvent ?? {}, meta);
        case 'memberReport':
          return this.#deliverMemberReport(m.memberReport ?? {}, meta);
      }
    });
  }

  /** deliverMemberReport hands a member report on once all its parts are in (member-parts.ts). */
  #deliverMemberReport(part: MemberReportOut, meta: MessageMeta): void {
    const site = this.#site as SiteName;
    const assembled = this.#host.memberReports(site, meta.agentInstanceId).accept(part);
    if (assembled.kind === 'dropped') {
      this.#log.warn({ seq: meta.seq, reason: assembled.reason }, 'member report part dropped; the next full report replaces it');
      return;
    }
    if (assembled.abandoned > 0) this.#log.warn({ seq: meta.seq, abandoned: assembled.abandoned }, 'unfinished member report dropped');
    if (assembled.kind === 'whole') this.#host.handler.onMemberReport?.(site, assembled.message, meta);
  }

  /** stopWaiting ends the hello wait: the hello came, or the stream ended. */
  #stopWaiting(): void {
    this.#helloTimer?.();
    this.#helloTimer = undefined;
    const site = this.#site;
    if (site !== undefined && this.#host.waiting(site) === this) this.#host.setWaiting(site, undefined);
  }

  #onCancelled(): void {
    if (this.#closed) return;
    // grpc-js ends a call itself for a message over the size limit and reports only 'cancelled' (call-endings.ts).
    const ended = this.#host.endedWith(this.#call.metadata);
    if (ended === undefined || ended.code === grpc.status.OK) return this.#finish('stream cancelled or connection lost', false);
    const reason = describeEnding(ended);
    this.#log.warn({ reason, code: ended.code }, 'stream refused by the server');
    this.#finish(reason, false);
  }

  #finish(reason: string, endOurSide: boolean): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopWaiting();
    if (endOurSide && !this.#call.writableEnded) this.#call.end();
    const record = this.#record;
    const site = this.#site;
    if (!record || !site) return;
    this.#host.detach(site, this, record.sessionId);
    this.#log.info({ reason }, 'session closed');
    this.#host.safely(site, 'onDisconnect', () =>
      this.#host.handler.onDisconnect(site, { sessionId: record.sessionId, agentInstanceId: record.agentInstanceId, reason }),
    );
  }
}
