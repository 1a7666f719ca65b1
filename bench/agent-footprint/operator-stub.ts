/**
 * The operator end the measured agents talk to: the product's own agent server (src/wire/server.ts) in this process,
 * over real mTLS, with a handler that only remembers when each site's snapshots and deltas arrived. Running it here
 * instead of the operator keeps the hub out of the measurement and lets two agents (before and after) speak for two
 * site names while both watch the same cluster.
 */
import { pino } from 'pino';
import { systemClock } from '../../src/runtime/clock.ts';
import { writeLabCertificates } from '../../src/wire/certs.ts';
import type { SiteName } from '../../src/wire/identity.ts';
import { OperatorServer, type SiteAgentHandler } from '../../src/wire/server.ts';
import { readTlsFiles } from '../../src/wire/tls.ts';

/** SiteTraffic is what one site's agent sent. */
export interface SiteTraffic {
  snapshots: number;
  deltas: number;
  heartbeats: number;
  /** healthEvents counts device health events (one per device whose health changed). */
  healthEvents: number;
  /** lastSnapshotAt is performance.now() at the last snapshot; undefined before the first. */
  lastSnapshotAt: number | undefined;
}

/** OperatorStub serves the agents and counts what they send. */
export class OperatorStub {
  readonly tlsDir: string;
  readonly #traffic = new Map<string, SiteTraffic>();
  #server: OperatorServer | undefined;

  constructor(tlsDir: string) {
    this.tlsDir = tlsDir;
  }

  /** start mints the certificates for `sites` into tlsDir and serves on a free loopback port; resolves to the port. */
  async start(sites: readonly string[]): Promise<number> {
    await writeLabCertificates(this.tlsDir, { sites: sites as SiteName[], serverNames: ['localhost', '127.0.0.1'], now: new Date() });
    const traffic = (site: string): SiteTraffic => {
      let t = this.#traffic.get(site);
      if (t === undefined) {
        t = { snapshots: 0, deltas: 0, heartbeats: 0, healthEvents: 0, lastSnapshotAt: undefined };
        this.#traffic.set(site, t);
      }
      return t;
    };
    const handler: SiteAgentHandler = {
      onRegister: () => {},
      onHeartbeat: (site) => void (traffic(site).heartbeats += 1),
      onSnapshot: (site) => {
        const t = traffic(site);
        t.snapshots += 1;
        t.lastSnapshotAt = performance.now();
      },
      onDelta: (site) => void (traffic(site).deltas += 1),
      onHealthEvent: (site) => void (traffic(site).healthEvents += 1),
      onDisconnect: () => {},
      onRateLimited: () => {},
      onCertificateRefused: () => {},
    };
    this.#server = new OperatorServer({
      address: '127.0.0.1:0',
      tls: readTlsFiles(this.tlsDir, { ca: 'ca.crt', cert: 'server.crt', key: 'server.key' }),
      handler,
      logger: pino({ level: 'warn' }),
      clock: systemClock,
    });
    return this.#server.start();
  }

  /** traffic is what `site` sent so far. */
  traffic(site: string): SiteTraffic {
    return this.#traffic.get(site) ?? { snapshots: 0, deltas: 0, heartbeats: 0, healthEvents: 0, lastSnapshotAt: undefined };
  }

  async stop(): Promise<void> {
    await this.#server?.stop();
  }
}
