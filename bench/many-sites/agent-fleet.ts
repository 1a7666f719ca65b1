/**
 * K simulated agents in this process (simulated-agent.ts), each with its own client certificate issued by the lab's
 * agent CA for its site (src/wire/certs.ts issueSiteCertificate: the site's SPIFFE id as URI SAN), so the operator
 * authenticates every one as the site it claims. Started a few at a time; their counters are summed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { TopologySite } from '../../src/api/topology-file.ts';
import { issueSiteCertificate, loadCa } from '../../src/wire/certs.ts';
import type { SiteName } from '../../src/wire/identity.ts';
import { newSessionCounters, startSimulatedAgent, type SessionCounters, type SimulatedAgent } from './simulated-agent.ts';
import type { SiteCounters, SiteTiming } from './simulated-site.ts';

/** FleetOptions configure the fleet. */
export interface FleetOptions {
  readonly sites: readonly TopologySite[];
  readonly target: string;
  /** tlsDir is the lab's certificate folder: ca.crt and ca.key sign the agents' certificates. */
  readonly tlsDir: string;
  readonly timing: SiteTiming;
  readonly logger: Logger;
  /** concurrency: agents started at once (certificate, caches, Register). */
  readonly concurrency: number;
}

/** Fleet is the running agents. */
export interface Fleet {
  readonly agents: readonly SimulatedAgent[];
  readonly sessions: SessionCounters;
  /** connected counts agents whose session stream is open now. */
  connected(): number;
  /** siteCounters sums what the sites did. */
  siteCounters(): SiteCounters & { readonly pendingAcks: number };
  stop(): Promise<void>;
}

/** startFleet issues every site's certificate and starts its agent; resolves once every agent has started. */
export async function startFleet(o: FleetOptions): Promise<Fleet> {
  const ca = await loadCa({ certPem: readFileSync(join(o.tlsDir, 'ca.crt'), 'utf8'), keyPem: readFileSync(join(o.tlsDir, 'ca.key'), 'utf8') });
  const sessions = newSessionCounters();
  const agents: SimulatedAgent[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < o.sites.length; i = next++) {
      const site = o.sites[i] as TopologySite;
      const cert = await issueSiteCertificate(ca, site.name as SiteName, { now: new Date() });
      agents.push(await startSimulatedAgent({ site, target: o.target, tls: { caPem: ca.certPem, certPem: cert.certPem, keyPem: cert.keyPem }, timing: o.timing, logger: o.logger, counters: sessions }));
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.concurrency, o.sites.length) }, worker));
  return {
    agents,
    sessions,
    connected: () => agents.filter((a) => a.client()?.connected === true).length,
    siteCounters: () => {
      const sum = { applies: 0, removes: 0, podsStarted: 0, podsSucceeded: 0, unschedulable: 0, pendingAcks: 0 };
      for (const a of agents) {
        const c = a.site.counters;
        sum.applies += c.applies;
        sum.removes += c.removes;
        sum.podsStarted += c.podsStarted;
        sum.podsSucceeded += c.podsSucceeded;
        sum.unschedulable += c.unschedulable;
        sum.pendingAcks += a.client()?.pending ?? 0;
      }
      return sum;
    },
    stop: async () => {
      await Promise.all(agents.map((a) => a.stop()));
    },
  };
}
