/**
 * The operator's end of the site agent protocol: a gRPC server that requires client certificates, names each caller
 * by the site in its certificate (identity.ts), refuses messages that claim another site, keeps per-agent sequence
 * numbers (sequence.ts), acks and asks for resyncs, and hands typed payloads to a SiteAgentHandler keyed by the
 * certificate's site. What the operator does with them (site status, placement) is the site controller's business.
 * What one site may cost it — message size, hello deadline, streams per site, message rate — is limits.ts. Which of
 * the certificates the CA signed it accepts (revoked ones, Site pins) is an injected check (agent-certificate.ts).
 */
import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { Clock } from '../runtime/clock.ts';
import { certificateOfCaller, type AgentCertificateCheck, type CertificateFacts } from './agent-certificate.ts';
import { CallEndings } from './call-endings.ts';
import { siteOfCaller, type SiteName } from './identity.ts';
import { DEFAULT_OPERATOR_PING_POLICY, operatorServerOptions, type OperatorPingPolicy } from './keepalive.ts';
import { resolveWireLimits, type WireLimits } from './limits.ts';
import { loadAgentProtocol } from './load.ts';
import { Capability } from './capabilities.ts';
import { memberReportAssembler, type PartAssembler } from './member-parts.ts';
import type { ConfigUpdate, FencedWorkload, MemberReportOut, MemberSync, RegisterRequestOut, RegisterResponse, SiteAgentHandlers } from './messages.ts';
import { SequenceTracker } from './sequence.ts';
import { SessionStream, type CallRefusal, type SessionHost, type SessionRecord } from './server-session.ts';
import type { Registration, SiteAgentHandler } from './site-agent-handler.ts';
import { SiteRateLimit } from './site-rate-limit.ts';
import type { TlsFiles } from './tls.ts';

export type {
  CertificateRefusedInfo,
  DisconnectInfo,
  MessageMeta,
  RateLimitedInfo,
  Registration,
  SessionOpenedInfo,
  SiteAgentHandler,
} from './site-agent-handler.ts';
export { Capability } from './capabilities.ts';
export { DEFAULT_WIRE_LIMITS, type MessageRate, type WireLimits } from './limits.ts';

/** PROTOCOL_VERSION is the version of suanwang.agent.v1 this server speaks. */
export const PROTOCOL_VERSION = 1;

/** Cadence is what Register tells agents. */
export interface Cadence {
  readonly heartbeatIntervalMs: number;
  readonly snapshotIntervalMs: number;
  readonly leaseDurationMs: number;
}

/** DEFAULT_CADENCE: heartbeat 10 s, lease 40 s (kubelet and Karmada use the same pair), full snapshot every 5 min. */
export const DEFAULT_CADENCE: Cadence = { heartbeatIntervalMs: 10_000, snapshotIntervalMs: 300_000, leaseDurationMs: 40_000 };

/** SUPPORTED_CAPABILITIES are the agent capabilities this server accepts. */
export const SUPPORTED_CAPABILITIES: readonly string[] = [Capability.Deltas, Capability.HealthEvents, Capability.MemberSync];

/** OperatorServerOptions configures an OperatorServer. */
export interface OperatorServerOptions {
  /** address is host:port to bind; port 0 picks a free one. */
  readonly address: string;
  /** tls holds the CA that signs agent certificates and the server's own certificate and key (PEM). */
  readonly tls: TlsFiles;
  readonly handler: SiteAgentHandler;
  readonly logger: Logger;
  /** clock stamps received messages and runs the shutdown grace timer. */
  readonly clock: Clock;
  readonly cadence?: Cadence;
  readonly pingPolicy?: OperatorPingPolicy;
  /** newSessionId makes session ids; random UUIDs unless a test wants predictable ones. */
  readonly newSessionId?: () => string;
  /** limits bounds what one site may cost the server; each field defaults to DEFAULT_WIRE_LIMITS's. */
  readonly limits?: Partial<WireLimits>;
  /**
   * checkCertificate may refuse a client certificate the CA signed (revoked, or not the one its site pinned); it runs
   * for every Register and Session stream, and for open sessions on recheckCertificates(). Unset accepts them all.
   */
  readonly checkCertificate?: AgentCertificateCheck;
}

/** OperatorServer serves suanwang.agent.v1.SiteAgent over mTLS. */
export class OperatorServer {
  readonly #opts: OperatorServerOptions;
  readonly #log: Logger;
  readonly #cadence: Cadence;
  readonly #newSessionId: () => string;
  readonly #limits: WireLimits;
  readonly #rate: SiteRateLimit;
  readonly #endings = new CallEndings();
  readonly #host: SessionHost;
  #server: grpc.Server | undefined;
  #port = 0;
  // #starting closes the window between a first start() and its bind finishing, so a second start() cannot race it.
  #starting = false;
  /** Registered sessions by id; a record lives from Register until its stream ends. */
  readonly #sessions = new Map<string, SessionRecord>();
  /** The open stream of each site; a newer one replaces an older one. */
  readonly #streams = new Map<SiteName, SessionStream>();
  /** The stream of each site that has not said hello yet; a newer one replaces an older one. */
  readonly #waiting = new Map<SiteName, SessionStream>();
  /** The sequence state of each site's current agent instance; it outlives streams so retransmits are recognised. */
  readonly #trackers = new Map<SiteName, { readonly agentInstanceId: string; readonly tracker: SequenceTracker }>();
  /** Each site's assembler of split member reports, for its current agent instance; it outlives streams too. */
  readonly #memberReports = new Map<SiteName, { readonly agentInstanceId: string; readonly assembler: PartAssembler<MemberReportOut> }>();

  constructor(opts: OperatorServerOptions) {
    this.#opts = opts;
    this.#log = opts.logger.child({ component: 'agent-server' });
    this.#cadence = opts.cadence ?? DEFAULT_CADENCE;
    this.#newSessionId = opts.newSessionId ?? randomUUID;
    this.#limits = resolveWireLimits(opts.limits);
    this.#rate = new SiteRateLimit(opts.clock, this.#limits.messageRate);
    this.#host = {
      handler: opts.handler,
      logger: this.#log,
      clock: opts.clock,
      limits: this.#limits,
      session: (id) => this.#sessions.get(id),
      tracker: (site, agentInstanceId, lastAckedSeq) => this.#trackerFor(site, agentInstanceId, lastAckedSeq),
      memberReports: (site, agentInstanceId) => this.#memberReportsOf(site, agentInstanceId),
      streamOf: (site) => this.#streams.get(site),
      attach: (site, stream) => void this.#streams.set(site, stream),
      detach: (site, stream, sessionId) => {
        if (this.#streams.get(site) === stream) this.#streams.delete(site);
        this.#sessions.delete(sessionId);
      },
      waiting: (site) => this.#waiting.get(site),
      setWaiting: (site, stream) => void (stream ? this.#waiting.set(site, stream) : this.#waiting.delete(site)),
      admit: (site) => this.#rate.take(site),
      dropped: (site) => this.#rate.dropped(site),
      endedWith: (metadata) => this.#endings.endedWith(metadata),
      safely: (site, what, fn) => this.#safely(site, what, fn),
      checkCertificate: (site, cert, what, peer) => this.#checkCertificate(site, cert, what, peer),
    };
  }

  /** port is the bound port, once started. */
  get port(): number {
    return this.#port;
  }

  /** start binds the address and serves; resolves to the bound port. */
  async start(): Promise<number> {
    if (this.#server || this.#starting) throw new Error('operator server already started');
    this.#starting = true;
    const server = new grpc.Server({
      ...operatorServerOptions(this.#opts.pingPolicy ?? DEFAULT_OPERATOR_PING_POLICY),
      'grpc.max_receive_message_length': this.#limits.maxMessageBytes,
      interceptors: [this.#endings.interceptor],
    });
    const handlers: SiteAgentHandlers = {
      Register: (call, cb) => this.#register(call, cb),
      Session: (call) => new SessionStream(this.#host, call).start(),
    };
    server.addService(loadAgentProtocol().SiteAgent.service, handlers);
    const { caPem, certPem, keyPem } = this.#opts.tls;
    // checkClientCertificate = true: the TLS handshake itself rejects a caller without a certificate from our CA.
    const credentials = grpc.ServerCredentials.createSsl(
      Buffer.from(caPem),
      [{ cert_chain: Buffer.from(certPem), private_key: Buffer.from(keyPem) }],
      true,
    );
    this.#port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(this.#opts.address, credentials, (err, port) => (err ? reject(err) : resolve(port))),
    );
    this.#server = server;
    this.#log.info({ address: this.#opts.address, port: this.#port }, 'operator agent server listening');
    return this.#port;
  }

  /**
   * stop ends every session with UNAVAILABLE (agents reconnect to the next operator), waits up to graceMs for
   * in-flight calls and then closes connections by force.
   */
  async stop(graceMs = 1000): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = undefined;
    for (const s of [...this.#streams.values(), ...this.#waiting.values()]) s.close(grpc.status.UNAVAILABLE, 'operator shutting down');
    await new Promise<void>((resolve) => {
      const cancel = this.#opts.clock.after(graceMs, () => {
        server.forceShutdown();
        resolve();
      });
      server.tryShutdown(() => {
        cancel();
        resolve();
      });
    });
    this.#log.info({ port: this.#port }, 'operator agent server stopped');
  }

  /** connectedSites lists the sites with an open session stream. */
  connectedSites(): SiteName[] {
    return [...this.#streams.keys()];
  }

  /** pushConfig sends new cadences to a connected site; false when the site has no open stream. */
  pushConfig(site: SiteName, update: ConfigUpdate): boolean {
    return this.#streams.get(site)?.send({ configUpdate: update }) ?? false;
  }

  /**
   * recheckCertificates runs the certificate check again for the open streams (of `site`, or of every site) and ends
   * those it refuses now with PERMISSION_DENIED: a revocation or a new pin takes effect at once, not at the agent's
   * next reconnect. Returns how many streams it ended.
   */
  recheckCertificates(site?: SiteName): number {
    const streams = [...this.#streams.entries(), ...this.#waiting.entries()].filter(([s]) => site === undefined || s === site);
    let ended = 0;
    for (const [, stream] of streams) if (stream.recheckCertificate()) ended++;
    return ended;
  }

  /**
   * requestFence asks a connected site's agent to delete superseded member Jobs of these training workloads (it can
   * when the operator cannot reach the site's apiserver); false when the site has no open stream.
   */
  requestFence(site: SiteName, workloads: readonly FencedWorkload[]): boolean {
    return this.#streams.get(site)?.requestFence(workloads) ?? false;
  }

  /**
   * sendMemberSync sends pull mode's desired member objects to a connected site's agent (MemberSync in the proto; big
   * ones go in parts). False when the site has no open session, or its agent did not announce Capability.MemberSync
   * (SessionOpenedInfo.capabilities says which): nothing was sent, and a full sync is due when onSessionOpened comes.
   */
  sendMemberSync(site: SiteName, sync: MemberSync): boolean {
    return this.#streams.get(site)?.sendMemberSync(sync) ?? false;
  }

  /** requestResync asks a connected site for a full snapshot now; false when the site has no open stream. */
  requestResync(site: SiteName, reason: string): boolean {
    return this.#streams.get(site)?.requestResync(reason) ?? false;
  }

  #trackerFor(site: SiteName, agentInstanceId: string, lastAckedSeq: number): SequenceTracker {
    const known = this.#trackers.get(site);
    if (known && known.agentInstanceId === agentInstanceId) {
      known.tracker.resume(lastAckedSeq);
      return known.tracker;
    }
    // A new agent instance (a restart) starts a new sequence space; the old one's state is of no use any more.
    const tracker = new SequenceTracker(lastAckedSeq);
    this.#trackers.set(site, { agentInstanceId, tracker });
    return tracker;
  }

  #memberReportsOf(site: SiteName, agentInstanceId: string): PartAssembler<MemberReportOut> {
    const known = this.#memberReports.get(site);
    if (known && known.agentInstanceId === agentInstanceId) return known.assembler;
    const assembler = memberReportAssembler();
    this.#memberReports.set(site, { agentInstanceId, assembler });
    return assembler;
  }

  #register(call: grpc.ServerUnaryCall<RegisterRequestOut, RegisterResponse>, cb: grpc.sendUnaryData<RegisterResponse>): void {
    const req = call.request;
    const peer = call.getPeer();
    const identity = siteOfCaller(call);
    if (!identity.ok) {
      this.#log.warn({ peer, reason: identity.reason }, 'register refused: no site identity in the client certificate');
      cb({ code: grpc.status.UNAUTHENTICATED, details: identity.reason });
      return;
    }
    const site = identity.site;
    // Before the rate limit, so that a refused certificate cannot spend the budget of its site's legitimate agent.
    const refused = this.#checkCertificate(site, certificateOfCaller(call), 'register', peer);
    if (refused !== undefined) {
      refused.report();
      cb({ code: refused.code, details: refused.details });
      return;
    }
    const claimed = req.site ?? '';
    if (claimed !== site) {
      // The certificate is authentic but the payload speaks for another site: a misconfigured or hostile agent.
      this.#log.warn({ peer, site, claimedSite: claimed }, 'register refused: claimed site differs from the client certificate');
      cb({ code: grpc.status.PERMISSION_DENIED, details: `certificate is for site ${site}, request claims ${JSON.stringify(claimed)}` });
      return;
    }
    if (!this.#rate.take(site)) {
      const dropped = this.#rate.dropped(site);
      const { perSecond, burst } = this.#limits.messageRate;
      this.#log.warn({ peer, site, dropped, perSecond, burst }, 'register refused: over the site rate limit');
      this.#safely(site, 'onRateLimited', () => this.#opts.handler.onRateLimited(site, { dropped, kind: 'register' }));
      cb({ code: grpc.status.RESOURCE_EXHAUSTED, details: `site ${site} is over its rate limit of ${perSecond} messages per second` });
      return;
    }
    const agentInstanceId = req.agentInstanceId ?? '';
    if (agentInstanceId === '') {
      cb({ code: grpc.status.INVALID_ARGUMENT, details: 'agentInstanceId is required' });
      return;
    }
    // A site registers again on every reconnect; sessions it registered but never opened a stream for are stale.
    for (const [id, s] of this.#sessions) if (s.site === site && !s.attached) this.#sessions.delete(id);
    const sessionId = this.#newSessionId();
    const capabilities = (req.capabilities ?? []).filter((c) => SUPPORTED_CAPABILITIES.includes(c));
    this.#sessions.set(sessionId, { sessionId, site, agentInstanceId, capabilities, attached: false });
    this.#log.info({ site, sessionId, agentInstanceId, agentVersion: req.agentVersion, peer }, 'site agent registered');
    const registration: Registration = {
      sessionId,
      agentInstanceId,
      agentVersion: req.agentVersion ?? '',
      protocolVersion: req.protocolVersion ?? 0,
      capabilities,
      peer,
    };
    this.#safely(site, 'onRegister', () => this.#opts.handler.onRegister(site, registration));
    cb(null, {
      sessionId,
      heartbeatIntervalMs: this.#cadence.heartbeatIntervalMs,
      snapshotIntervalMs: this.#cadence.snapshotIntervalMs,
      leaseDurationMs: this.#cadence.leaseDurationMs,
      protocolVersion: Math.min(PROTOCOL_VERSION, req.protocolVersion || PROTOCOL_VERSION),
      capabilities,
    });
  }

  /**
   * #checkCertificate runs the certificate check for a caller the handshake verified as `site`: undefined accepts;
   * otherwise it returns the status to end the call with, and `report`, which logs the refusal as a warning (`what`
   * says which call) and hands it to the handler. A check that throws refuses (UNAVAILABLE: the agent retries).
   */
  #checkCertificate(site: SiteName, cert: CertificateFacts | undefined, what: string, peer: string): CallRefusal | undefined {
    const check = this.#opts.checkCertificate;
    if (check === undefined) return undefined;
    if (cert === undefined) {
      const report = (): void => this.#log.warn({ site, peer }, `${what} refused: the client certificate could not be read`);
      return { code: grpc.status.UNAUTHENTICATED, details: 'the client certificate could not be read', report };
    }
    let refusal: ReturnType<AgentCertificateCheck>;
    try {
      refusal = check(site, cert);
    } catch (err: unknown) {
      const report = (): void => this.#log.error({ site, peer, err }, `${what} refused: the certificate check threw`);
      return { code: grpc.status.UNAVAILABLE, details: 'the operator could not check the agent certificate', report };
    }
    if (refusal === undefined) return undefined;
    const { reason, message } = refusal;
    const report = (): void => {
      this.#log.warn({ site, peer, reason, sha256: cert.sha256, serialNumber: cert.serialNumber, detail: message }, `${what} refused: agent certificate refused`);
      this.#safely(site, 'onCertificateRefused', () => this.#opts.handler.onCertificateRefused(site, { reason, message, sha256: cert.sha256 }));
    };
    return { code: grpc.status.PERMISSION_DENIED, details: `agent certificate of site ${site} refused (${reason}): ${message}`, report };
  }

  #safely(site: SiteName, what: string, fn: () => void): void {
    try {
      fn();
    } catch (err: unknown) {
      // A throwing handler is an operator bug, not the agent's: log it and keep the session.
      this.#log.error({ site, err, callback: what }, 'site agent handler threw');
    }
  }
}
