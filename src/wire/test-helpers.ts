/**
 * Helpers for the wire's loopback tests: in-memory lab certificates, a handler that records what it receives, a
 * logger that keeps its lines, and small waiting utilities. Test-only; nothing in the product imports this file.
 */
import { pino, type Logger } from 'pino';
import { createCa, issueServerCertificate, issueSiteCertificate, type CertificateAuthority, type PemPair } from './certs.ts';
import { systemClock } from '../runtime/clock.ts';
import { AgentClient, type AgentClientOptions } from './client.ts';
import { parseSiteName, type SiteName } from './identity.ts';
import type { AgentKeepalive, OperatorPingPolicy } from './keepalive.ts';
import type { HealthEventOut, HeartbeatOut, SiteDeltaOut, SiteSnapshotOut } from './messages.ts';
import { OperatorServer, type Cadence } from './server.ts';
import type { DisconnectInfo, MessageMeta, Registration, SiteAgentHandler } from './site-agent-handler.ts';

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
  | { readonly kind: 'disconnect'; readonly site: SiteName; readonly info: DisconnectInfo };

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
  onDisconnect(site: SiteName, info: DisconnectInfo): void {
    this.events.push({ kind: 'disconnect', site, info });
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
  opts: { port?: number; cadence?: Cadence; pingPolicy?: OperatorPingPolicy; handler?: RecordingHandler; logger?: Logger } = {},
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
