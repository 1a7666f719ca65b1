/**
 * Helpers for the wire's loopback tests: in-memory lab certificates, a handler that records what it receives, a
 * logger that keeps its lines, and small waiting utilities. Test-only; nothing in the product imports this file.
 */
import * as grpc from '@grpc/grpc-js';
import { afterEach, beforeAll } from 'vitest';
import { pino, type Logger } from 'pino';
import { createCa, issueServerCertificate, issueSiteCertificate, type CertificateAuthority, type PemPair } from './certs.ts';
import { systemClock } from '../runtime/clock.ts';
import { AgentClient, type AgentClientOptions } from './client.ts';
import { parseSiteName, type SiteName } from './identity.ts';
import type { AgentKeepalive, OperatorPingPolicy } from './keepalive.ts';
import { loadAgentProtocol } from './load.ts';
import type {
  AgentMessage,
  HealthEventOut,
  HeartbeatOut,
  MemberReportOut,
  OperatorMessageOut,
  RegisterRequest,
  RegisterResponseOut,
  SiteAgentClient,
  SiteDeltaOut,
  SiteSnapshotOut,
} from './messages.ts';
import type { WireLimits } from './limits.ts';
import type { AgentCertificateCheck } from './agent-certificate.ts';
import { OperatorServer, type Cadence } from './server.ts';
import type {
  CertificateRefusedInfo,
  DisconnectInfo,
  MessageMeta,
  RateLimitedInfo,
  Registration,
  SessionOpenedInfo,
  SiteAgentHandler,
} from './site-agent-handler.ts';

/** site turns a literal into a SiteName, failing loudly on a typo. */
export function site(name: string): SiteName {
  const s = parseSiteName(name);
  if (!s) throw new Error(`bad site name ${name}`);
  return s;
}

/** LabPki is a CA with the operator's certificate and client certificates for some sites. */
export interface LabPki {
  readonly ca: CertificateAuthority;
  readonly server: PemPair;
  readonly sites: ReadonlyMap<string, PemPair>;
}

/** mintPki mints a fresh lab PKI valid from now. */
export async function mintPki(siteNames: readonly string[]): Promise<LabPki> {
  const now = new Date();
  const ca = await createCa({ now });
  const server = await issueServerCertificate(ca, [], { now });
  const sites = new Map<string, PemPair>();
  for (const n of siteNames) sites.set(n, await issueSiteCertificate(ca, site(n), { now }));
  return { ca, server, sites };
}

/** RecordedEvent is one handler callback as the recorder saw it. */
export type RecordedEvent =
  | { readonly kind: 'register'; readonly site: SiteName; readonly registration: Registration }
  | { readonly kind: 'heartbeat'; readonly site: SiteName; readonly heartbeat: HeartbeatOut; readonly meta: MessageMeta }
  | { readonly kind: 'snapshot'; readonly site: SiteName; readonly snapshot: SiteSnapshotOut; readonly meta: MessageMeta }
  | { readonly kind: 'delta'; readonly site: SiteName; readonly delta: SiteDeltaOut; readonly meta: MessageMeta }
  | { readonly kind: 'healthEvent'; readonly site: SiteName; readonly event: HealthEventOut; readonly meta: MessageMeta }
  | { readonly kind: 'sessionOpened'; readonly site: SiteName; readonly info: SessionOpenedInfo }
  | { readonly kind: 'memberReport'; readonly site: SiteName; readonly report: MemberReportOut; readonly meta: MessageMeta }
  | { readonly kind: 'disconnect'; readonly site: SiteName; readonly info: DisconnectInfo }
  | { readonly kind: 'rateLimited'; readonly site: SiteName; readonly info: RateLimitedInfo }
  | { readonly kind: 'certificateRefused'; readonly site: SiteName; readonly info: CertificateRefusedInfo };

/** RecordingHandler keeps every callback in order. */
export class RecordingHandler implements SiteAgentHandler {
  readonly events: RecordedEvent[] = [];
  onRegister(site: SiteName, registration: Registration): void {
    this.events.push({ kind: 'register', site, registration });
  }
  onHeartbeat(site: SiteName, heartbeat: HeartbeatOut, meta: MessageMeta): void {
    this.events.push({ kind: 'heartbeat', site, heartbeat, meta });
  }
  onSnapshot(site: SiteName, snapshot: SiteSnapshotOut, meta: MessageMeta): void {
    this.events.push({ kind: 'snapshot', site, snapshot, meta });
  }
  onDelta(site: SiteName, delta: SiteDeltaOut, meta: MessageMeta): void {
    this.events.push({ kind: 'delta', site, delta, meta });
  }
  onHealthEvent(site: SiteName, event: HealthEventOut, meta: MessageMeta): void {
    this.events.push({ kind: 'healthEvent', site, event, meta });
  }
  onSessionOpened(site: SiteName, info: SessionOpenedInfo): void {
    this.events.push({ kind: 'sessionOpened', site, info });
  }
  onMemberReport(site: SiteName, report: MemberReportOut, meta: MessageMeta): void {
    this.events.push({ kind: 'memberReport', site, report, meta });
  }
  onDisconnect(site: SiteName, info: DisconnectInfo): void {
    this.events.push({ kind: 'disconnect', site, info });
  }
  onRateLimited(site: SiteName, info: RateLimitedInfo): void {
    this.events.push({ kind: 'rateLimited', site, info });
  }
  onCertificateRefused(site: SiteName, info: CertificateRefusedInfo): void {
    this.events.push({ kind: 'certificateRefused', site, info });
  }
  /** of returns the events of one kind. */
  of<K extends RecordedEvent['kind']>(kind: K): Extract<RecordedEvent, { kind: K }>[] {
    return this.events.filter((e): e is Extract<RecordedEvent, { kind: K }> => e.kind === kind);
  }
}

/** captureLogger returns a debug-level pino logger and the parsed lines it wrote. */
export function captureLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
  return { logger, lines };
}

/** eventually is the runtime's polling helper (src/runtime/eventually.ts), re-exported for the wire's tests. */
export { eventually } from '../runtime/eventually.ts';

/** sleep waits in real time. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** FAST_CADENCE makes a session chatty enough for a test to see several heartbeats in a second. */
export const FAST_CADENCE: Cadence = { heartbeatIntervalMs: 50, snapshotIntervalMs: 60_000, leaseDurationMs: 200 };

/** startServer starts an operator server on 127.0.0.1 with the lab PKI and a recording handler. */
export async function startServer(
  pki: LabPki,
  opts: {
    port?: number;
    cadence?: Cadence;
    pingPolicy?: OperatorPingPolicy;
    handler?: RecordingHandler;
    logger?: Logger;
    limits?: Partial<WireLimits>;
    checkCertificate?: AgentCertificateCheck;
  } = {},
): Promise<{ server: OperatorServer; handler: RecordingHandler; port: number }> {
  const handler = opts.handler ?? new RecordingHandler();
  const server = new OperatorServer({
    address: `127.0.0.1:${opts.port ?? 0}`,
    tls: { caPem: pki.ca.certPem, certPem: pki.server.certPem, keyPem: pki.server.keyPem },
    handler,
    logger: opts.logger ?? pino({ level: 'silent' }),
    clock: systemClock,
    cadence: opts.cadence ?? FAST_CADENCE,
    ...(opts.pingPolicy ? { pingPolicy: opts.pingPolicy } : {}),
    ...(opts.limits ? { limits: opts.limits } : {}),
    ...(opts.checkCertificate ? { checkCertificate: opts.checkCertificate } : {}),
  });
  const port = await server.start();
  return { server, handler, port };
}

/** TEST_KEEPALIVE pings every 200 ms, far more often than production, to exercise the server's tolerance quickly. */
export const TEST_KEEPALIVE: AgentKeepalive = { timeMs: 200, timeoutMs: 1000, permitWithoutCalls: true };

/** newAgent builds (but does not start) an agent for `certSite` that claims `claimedSite` (default: the same). */
export function newAgent(
  pki: LabPki,
  port: number,
  certSite: string,
  overrides: Partial<AgentClientOptions> = {},
): AgentClient {
  const pair = pki.sites.get(certSite);
  if (!pair) throw new Error(`no certificate for ${certSite}`);
  return new AgentClient({
    target: `127.0.0.1:${port}`,
    site: certSite,
    tls: { caPem: pki.ca.certPem, certPem: pair.certPem, keyPem: pair.keyPem },
    // Node warns when TLS SNI is an IP address (RFC 6066); the server certificate also names localhost.
    serverNameOverride: 'localhost',
    agentVersion: 'test',
    agentInstanceId: `instance-${certSite}`,
    snapshot: () => ({
      nodePools: [
        {
          name: 'h100',
          vendor: 'nvidia',
          resources: { capacity: { 'nvidia.com/gpu': '8' }, allocatable: { 'nvidia.com/gpu': '7' }, allocated: { 'nvidia.com/gpu': '2' } },
          nodes: [{ name: 'n1', ready: true }],
          devices: [{ id: 'GPU-1', nodeName: 'n1', health: { status: 'HEALTH_STATUS_HEALTHY' }, telemetry: { utilizationPct: 0 } }],
          deviceHealth: { healthy: 7, unhealthy: 1 },
        },
      ],
    }),
    heartbeat: () => ({ nodesTotal: 1, nodesReady: 1 }),
    logger: pino({ level: 'silent' }),
    clock: systemClock,
    random: () => 0.5,
    backoff: { initialMs: 50, maxMs: 400, multiplier: 2, jitter: 0.2 },
    keepalive: TEST_KEEPALIVE,
    ...overrides,
  });
}

/** OpenSession is a hand-driven Session stream: what the operator sent, and the status it ended with. */
export interface OpenSession {
  write(m: AgentMessage): void;
  readonly received: OperatorMessageOut[];
  readonly status: Promise<grpc.StatusObject>;
}

/**
 * RawClients dials the server with plain typed gRPC clients (no AgentClient), for tests that must send what a real
 * agent never would. Everything it opens is closed by `closeAll`.
 */
export class RawClients {
  readonly #pki: LabPki;
  readonly #port: number;
  readonly #cleanups: (() => void)[] = [];

  constructor(pki: LabPki, port: number) {
    this.#pki = pki;
    this.#port = port;
  }

  /** dial makes a raw client; without `certSite` it presents no client certificate. */
  dial(certSite?: string, from: LabPki = this.#pki): SiteAgentClient {
    const pair = certSite === undefined ? undefined : from.sites.get(certSite);
    const ca = Buffer.from(this.#pki.ca.certPem);
    const creds = pair ? grpc.credentials.createSsl(ca, Buffer.from(pair.keyPem), Buffer.from(pair.certPem)) : grpc.credentials.createSsl(ca);
    const client = new (loadAgentProtocol().SiteAgent)(`127.0.0.1:${this.#port}`, creds, { 'grpc.ssl_target_name_override': 'localhost' });
    this.#cleanups.push(() => client.close());
    return client;
  }

  register(client: SiteAgentClient, req: RegisterRequest): Promise<RegisterResponseOut> {
    return new Promise((resolve, reject) =>
      client.Register(req, { deadline: Date.now() + 5000 }, (err, res) => (err || !res ? reject(err ?? new Error('no response')) : resolve(res))),
    );
  }

  /** session opens a Session stream and sends nothing yet. */
  session(client: SiteAgentClient): OpenSession {
    const stream = client.Session();
    const received: OperatorMessageOut[] = [];
    stream.on('data', (m: OperatorMessageOut) => received.push(m));
    stream.on('error', () => {}); // the status event below carries the code
    const status = new Promise<grpc.StatusObject>((resolve) => stream.on('status', resolve));
    this.#cleanups.push(() => stream.cancel());
    return { write: (m) => void stream.write(m), received, status };
  }

  /** registerAndHello registers `name` and opens a session with its hello. */
  async registerAndHello(client: SiteAgentClient, name: string, lastAckedSeq = 0): Promise<OpenSession> {
    const res = await this.register(client, { site: name, agentInstanceId: `i-${name}`, agentVersion: 't', protocolVersion: 1 });
    const s = this.session(client);
    s.write({ seq: 0, hello: { sessionId: res.sessionId ?? '', site: name, lastAckedSeq } });
    return s;
  }

  closeAll(): void {
    for (const c of this.#cleanups.splice(0).reverse()) c();
  }
}

/** within resolves to `p`'s value, or to `undefined` when it has not settled after `ms`. */
export function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  return Promise.race([p, sleep(ms).then(() => undefined)]);
}

/** TEST_PING_POLICY lets loopback tests' agents ping often without the server answering "too many pings". */
export const TEST_PING_POLICY: OperatorPingPolicy = { minPingIntervalMs: 100, permitWithoutCalls: true, timeMs: 60_000, timeoutMs: 20_000 };

/** LoopbackSessions is a test file's certificates and the servers and agents to stop after each test. */
export interface LoopbackSessions {
  /** pki is minted in beforeAll; read it inside a test. */
  readonly pki: LabPki;
  /** track stops `x` after the current test (the last tracked first). */
  track(x: { stop(graceMs: number): Promise<void> }): void;
}

/** useLoopbackSessions registers the hooks: certificates for `siteNames` once, and every tracked x stopped after each test. */
export function useLoopbackSessions(siteNames: readonly string[]): LoopbackSessions {
  let pki: LabPki | undefined;
  const cleanups: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    pki = await mintPki(siteNames);
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  return {
    get pki(): LabPki {
      if (pki === undefined) throw new Error('the loopback certificates are minted in beforeAll; read pki inside a test');
      return pki;
    },
    track(x) {
      cleanups.push(() => x.stop(0));
    },
  };
}
