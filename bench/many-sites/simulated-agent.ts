/**
 * One simulated site's agent: the product's own agent code over a site held in memory (simulated-site.ts). The
 * SiteAgent builds the pools from the site's Nodes and pods and sends snapshots, deltas and heartbeats; PullMembers
 * applies the operator's member syncs to the site and reports the members, their pods and nodes back; AgentClient
 * carries it all over a real mTLS gRPC session with the site's own client certificate. Only the site's apiserver and
 * kubelets are simulated, and nothing of the agent's session logic.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { PullMembers } from '../../src/agent/site/pull-members.ts';
import { DEFAULT_SITE_POLICY } from '../../src/agent/site/site-policy.ts';
import { SiteAgent } from '../../src/agent/site/site-agent.ts';
import type { TopologySite } from '../../src/api/topology-file.ts';
import { SYSTEM_NAMESPACE } from '../../src/api/names.ts';
import { systemClock, systemRandom } from '../../src/runtime/clock.ts';
import { Capability, DEFAULT_AGENT_CAPABILITIES } from '../../src/wire/capabilities.ts';
import { AgentClient } from '../../src/wire/client.ts';
import type { TlsFiles } from '../../src/wire/tls.ts';
import { SimulatedSite, type SiteTiming } from './simulated-site.ts';

/** AGENT_VERSION is what the simulated agents announce at Register. */
const AGENT_VERSION = 'bench-many-sites';

/** SessionCounters count the sessions' life across all simulated agents. */
export interface SessionCounters {
  connects: number;
  disconnects: number;
  memberSyncs: number;
  /** membersReceived: members named in syncs (applied or removed). */
  membersReceived: number;
  acks: number;
  resyncRequests: number;
  /** lastDisconnect: the details of the latest disconnect, for the report. */
  lastDisconnect: string | undefined;
}

/** newSessionCounters is a zeroed SessionCounters. */
export function newSessionCounters(): SessionCounters {
  return { connects: 0, disconnects: 0, memberSyncs: 0, membersReceived: 0, acks: 0, resyncRequests: 0, lastDisconnect: undefined };
}

/** SimulatedAgentOptions configure one agent. */
export interface SimulatedAgentOptions {
  readonly site: TopologySite;
  /** target is the operator's agent endpoint, host:port. */
  readonly target: string;
  readonly tls: TlsFiles;
  readonly timing: SiteTiming;
  readonly logger: Logger;
  readonly counters: SessionCounters;
}

/** SimulatedAgent is a running agent and its site. */
export interface SimulatedAgent {
  readonly site: SimulatedSite;
  readonly agent: SiteAgent;
  /** client is the session, once the agent opened it. */
  client(): AgentClient | undefined;
  stop(): Promise<void>;
}

/** startSimulatedAgent builds the site and its agent and starts them; resolves once the session is opening. */
export async function startSimulatedAgent(o: SimulatedAgentOptions): Promise<SimulatedAgent> {
  const site = new SimulatedSite(o.site, o.timing, systemClock);
  const logger = o.logger.child({ site: o.site.name });
  const instanceId = randomUUID();
  const members = new PullMembers({
    caches: site.members,
    workerPods: site.pods,
    nodes: site.nodes,
    api: site,
    policy: DEFAULT_SITE_POLICY,
    context: { agentNamespace: SYSTEM_NAMESPACE },
    clock: systemClock,
    random: systemRandom,
    logger,
  });
  const c = o.counters;
  let client: AgentClient | undefined;
  const agent = new SiteAgent({
    site: o.site.name,
    nodes: site.nodes,
    pods: site.pods,
    clock: systemClock,
    logger,
    eventIdPrefix: instanceId,
    members,
    openSession: (sources) => {
      client = new AgentClient({
        target: o.target,
        site: o.site.name,
        tls: o.tls,
        agentVersion: AGENT_VERSION,
        agentInstanceId: instanceId,
        snapshot: sources.snapshot,
        heartbeat: sources.heartbeat,
        capabilities: [...DEFAULT_AGENT_CAPABILITIES, Capability.MemberSync],
        ...(sources.members === undefined ? {} : { memberReport: sources.members.fullReport }),
        logger: o.logger,
        clock: systemClock,
        random: systemRandom,
        observer: {
          onConnected: () => void (c.connects += 1),
          onDisconnected: (_code, details) => {
            c.disconnects += 1;
            c.lastDisconnect = `${o.site.name}: ${details}`;
          },
          onAck: () => void (c.acks += 1),
          onResyncRequest: () => void (c.resyncRequests += 1),
          onMemberSync: (sync) => {
            c.memberSyncs += 1;
            c.membersReceived += (sync.apply?.length ?? 0) + (sync.remove?.length ?? 0);
            sources.members?.onSync(sync);
          },
        },
      });
      return client;
    },
  });
  await agent.start();
  return {
    site,
    agent,
    client: () => client,
    stop: async () => {
      site.stop();
      await agent.stop();
    },
  };
}
