/**
 * The operator's memory of each site's agent: who is connected on which session, when it was last heard from, how
 * many heartbeats arrived in a row, and the node pools it reports. The wire server (src/wire/server.ts) hands
 * every accepted message to this handler, keyed by the site in the caller's certificate; the site controller turns
 * the state into `Site` status (site-status.ts) and placement reads that status.
 *
 * Handler callbacks run on the gRPC event loop turn that received the message, so they only update memory and call
 * `onChange`, which enqueues the site's key; all API writes happen in the controller. State is copy-on-write: a view
 * `get` returned is never modified afterwards, so a reconcile reads one consistent moment even if messages arrive
 * while it awaits.
 */
import type { SiteName } from '../../wire/identity.ts';
import type {
  DeviceOut,
  HealthEventOut,
  HeartbeatOut,
  NodePoolOut,
  SiteDeltaOut,
  SiteSnapshotOut,
} from '../../wire/messages.ts';
import type { DisconnectInfo, MessageMeta, Registration, SiteAgentHandler } from '../../wire/site-agent-handler.ts';
import type { DeviceUpdate__Output as DeviceUpdateOut } from '../../wire/generated/suanwang/agent/v1/DeviceUpdate.ts';
import type { DeviceHealthCounts__Output as DeviceHealthCountsOut } from '../../wire/generated/suanwang/agent/v1/DeviceHealthCounts.ts';

/** HealthEventRecord is a health event with the operator's receive time. */
export interface HealthEventRecord {
  readonly event: HealthEventOut;
  readonly receivedAt: number;
}

/**
 * RunStart says what began the current run of consecutive heartbeats: a (re)connect, or a heartbeat that came after
 * the lease had run out. Only the second is an outage; site-status.ts lets a Ready=True survive the first.
 */
export type RunStart = 'connect' | 'leaseExpiry';

/** SessionView is what the operator knows about one site's agent at one moment (immutable). */
export interface SessionView {
  /** connected is true from Register until the session's stream ends. */
  readonly connected: boolean;
  readonly sessionId: string;
  readonly agentInstanceId: string;
  readonly agentVersion: string;
  /** registeredAt is the operator's clock at the Register of the current session. */
  readonly registeredAt: number;
  /** lastMessageAt is when a message of the current session last arrived; undefined before its first. */
  readonly lastMessageAt: number | undefined;
  readonly disconnectedAt: number | undefined;
  readonly disconnectReason: string | undefined;
  /** lastHeartbeatAt is meta.receivedAt (the operator's clock) of the latest heartbeat, across sessions. */
  readonly lastHeartbeatAt: number | undefined;
  readonly lastHeartbeat: HeartbeatOut | undefined;
  /** consecutiveHeartbeats counts heartbeats since the last (re)connect or lease expiry. */
  readonly consecutiveHeartbeats: number;
  readonly runStartedBy: RunStart;
  /** generation is the snapshot or delta generation the pools are at; undefined until the first snapshot. */
  readonly generation: number | undefined;
  /** pools by name; undefined until the first snapshot (then a map, possibly empty). */
  readonly pools: ReadonlyMap<string, NodePoolOut> | undefined;
  /** healthEvents are the latest health events, oldest first, at most `maxHealthEvents`. */
  readonly healthEvents: readonly HealthEventRecord[];
}

/** SiteSessionsOptions configures SiteSessions. */
export interface SiteSessionsOptions {
  /** clock stamps Register and disconnect times; the same clock the wire server stamps meta.receivedAt with. */
  readonly clock: { now(): number };
  /** leaseMs: a heartbeat later than this after the previous one starts the success count over. */
  readonly leaseMs: number;
  /** onChange is called after every change of a site's state (the controller enqueues `Site//<site>`). */
  readonly onChange: (site: string) => void;
  /**
   * requestResync is called when a delta does not apply to what is known (no snapshot yet, or another base
   * generation); the operator asks the agent for a full snapshot. Optional: without it the next periodic snapshot
   * repairs the state.
   */
  readonly requestResync?: (site: SiteName, reason: string) => void;
  /** maxHealthEvents bounds the events kept per site (default 64). */
  readonly maxHealthEvents?: number;
}

/** SiteSessions keeps per-site agent session state; it is the wire server's SiteAgentHandler. */
export class SiteSessions implements SiteAgentHandler {
  readonly #o: SiteSessionsOptions;
  readonly #maxEvents: number;
  readonly #sites = new Map<string, SessionView>();

  constructor(options: SiteSessionsOptions) {
    this.#o = options;
    this.#maxEvents = Math.max(0, options.maxHealthEvents ?? 64);
  }

  /** get returns the current view of a site's agent, or undefined when no agent of it registered since start. */
  get(site: string): SessionView | undefined {
    return this.#sites.get(site);
  }

  /** sites lists the sites with state, in no particular order. */
  sites(): string[] {
    return [...this.#sites.keys()];
  }

  onRegister(site: SiteName, registration: Registration): void {
    const prev = this.#sites.get(site);
    const sameInstance = prev?.agentInstanceId === registration.agentInstanceId;
    // Pools and the last heartbeat outlive a reconnect (they are still the best knowledge); the success count and
    // the connection facts start over. A new agent instance numbers its generations afresh, so deltas wait for its
    // first snapshot.
    this.#set(site, {
      connected: true,
      sessionId: registration.sessionId,
      agentInstanceId: registration.agentInstanceId,
      agentVersion: registration.agentVersion,
      registeredAt: this.#o.clock.now(),
      lastMessageAt: undefined,
      disconnectedAt: undefined,
      disconnectReason: undefined,
      lastHeartbeatAt: prev?.lastHeartbeatAt,
      lastHeartbeat: prev?.lastHeartbeat,
      consecutiveHeartbeats: 0,
      runStartedBy: 'connect',
      generation: sameInstance ? prev.generation : undefined,
      pools: prev?.pools,
      healthEvents: prev?.healthEvents ?? [],
    });
  }

  onHeartbeat(site: SiteName, heartbeat: HeartbeatOut, meta: MessageMeta): void {
    const s = this.#touch(site, meta);
    const gap = s.lastHeartbeatAt === undefined ? 0 : meta.receivedAt - s.lastHeartbeatAt;
    // A gap longer than the lease was an outage even if nobody looked in the meantime: count again from one, so an
    // agent that flaps around the lease never reaches the success threshold.
    const expired = s.lastHeartbeatAt !== undefined && gap > this.#o.leaseMs;
    this.#set(site, {
      ...s,
      lastHeartbeatAt: meta.receivedAt,
      lastHeartbeat: heartbeat,
      consecutiveHeartbeats: expired ? 1 : s.consecutiveHeartbeats + 1,
      runStartedBy: expired ? 'leaseExpiry' : s.runStartedBy,
    });
  }

  onSnapshot(site: SiteName, snapshot: SiteSnapshotOut, meta: MessageMeta): void {
    const s = this.#touch(site, meta);
    const pools = new Map<string, NodePoolOut>();
    for (const p of snapshot.nodePools ?? []) if (p.name) pools.set(p.name, p);
    this.#set(site, { ...s, pools, generation: snapshot.generation ?? 0 });
  }

  onDelta(site: SiteName, delta: SiteDeltaOut, meta: MessageMeta): void {
    const s = this.#touch(site, meta);
    const base = delta.baseGeneration ?? 0;
    if (s.pools === undefined || s.generation !== base) {
      // The delta changes a state we do not hold (an operator restart resumed the sequence before the snapshot, or
      // generations diverged): applying it would invent pools. Keep what we have and ask for the whole truth.
      this.#set(site, s);
      const have = s.generation === undefined ? 'no snapshot' : `generation ${s.generation}`;
      this.#o.requestResync?.(site, `delta for generation ${base}, operator has ${have}`);
      return;
    }
    const pools = new Map(s.pools);
    for (const p of delta.upsertedPools ?? []) if (p.name) pools.set(p.name, p);
    for (const name of delta.removedPoolNames ?? []) pools.delete(name);
    for (const u of delta.deviceUpdates ?? []) applyDeviceUpdate(pools, u);
    this.#set(site, { ...s, pools, generation: delta.generation ?? base });
  }

  onHealthEvent(site: SiteName, event: HealthEventOut, meta: MessageMeta): void {
    const s = this.#touch(site, meta);
    // The wire drops retransmits by seq; the event id also catches an agent that re-sends after a restart.
    const kept = s.healthEvents.filter((r) => !event.eventId || r.event.eventId !== event.eventId);
    const events = [...kept, { event, receivedAt: meta.receivedAt }];
    this.#set(site, { ...s, healthEvents: events.slice(Math.max(0, events.length - this.#maxEvents)) });
  }

  onDisconnect(site: SiteName, info: DisconnectInfo): void {
    const s = this.#sites.get(site);
    // A reconnecting agent registers its new session before the old stream is closed (the new hello closes it):
    // the old session's end says nothing about the new one.
    if (s === undefined || s.sessionId !== info.sessionId || !s.connected) return;
    this.#set(site, {
      ...s,
      connected: false,
      disconnectedAt: this.#o.clock.now(),
      disconnectReason: info.reason,
      consecutiveHeartbeats: 0,
      runStartedBy: 'connect',
    });
  }

  /** #touch returns the site's state with the message's arrival recorded (creating it if Register was missed). */
  #touch(site: SiteName, meta: MessageMeta): SessionView {
    const s = this.#sites.get(site) ?? {
      // The server always reports Register first; this only keeps a lost callback from dropping data.
      connected: true,
      sessionId: meta.sessionId,
      agentInstanceId: meta.agentInstanceId,
      agentVersion: '',
      registeredAt: meta.receivedAt,
      lastMessageAt: undefined,
      disconnectedAt: undefined,
      disconnectReason: undefined,
      lastHeartbeatAt: undefined,
      lastHeartbeat: undefined,
      consecutiveHeartbeats: 0,
      runStartedBy: 'connect' as const,
      generation: undefined,
      pools: undefined,
      healthEvents: [],
    };
    // Messages from a superseded stream still carry real data; only the current session's arrivals count as it
    // being open.
    return meta.sessionId === s.sessionId ? { ...s, lastMessageAt: meta.receivedAt } : s;
  }

  #set(site: string, view: SessionView): void {
    this.#sites.set(site, view);
    this.#o.onChange(site);
  }
}

type HealthBucket = 'healthy' | 'degraded' | 'unhealthy' | 'unknown' | 'lost';

/** bucketOf maps a device health status to its DeviceHealthCounts field; unspecified counts as unknown. */
export function bucketOf(status: string | undefined): HealthBucket {
  switch (status) {
    case 'HEALTH_STATUS_HEALTHY':
      return 'healthy';
    case 'HEALTH_STATUS_DEGRADED':
      return 'degraded';
    case 'HEALTH_STATUS_UNHEALTHY':
      return 'unhealthy';
    case 'HEALTH_STATUS_LOST':
      return 'lost';
    default:
      return 'unknown';
  }
}

/**
 * applyDeviceUpdate replaces one device's health and/or telemetry in `pools` (copying the pool) and moves it between
 * the pool's health counts, so the counts the agent sent stay right without a new snapshot. Updates for unknown
 * pools or devices are dropped: the next snapshot carries them.
 */
function applyDeviceUpdate(pools: Map<string, NodePoolOut>, u: DeviceUpdateOut): void {
  const pool = u.pool === undefined ? undefined : pools.get(u.pool);
  const devices = pool?.devices ?? [];
  const i = devices.findIndex((d) => d.id !== undefined && d.id === u.deviceId);
  const old = devices[i];
  if (pool === undefined || old === undefined) return;
  const next: DeviceOut = {
    ...old,
    ...(u.health !== undefined && { health: u.health }),
    ...(u.telemetry !== undefined && { telemetry: u.telemetry }),
  };
  const nextDevices = [...devices];
  nextDevices[i] = next;
  let counts = pool.deviceHealth;
  const from = bucketOf(old.health?.status);
  const to = bucketOf(next.health?.status);
  if (counts !== undefined && from !== to) {
    const moved: DeviceHealthCountsOut = { ...counts };
    moved[from] = Math.max(0, (counts[from] ?? 0) - 1);
    moved[to] = (counts[to] ?? 0) + 1;
    counts = moved;
  }
  pools.set(pool.name ?? '', { ...pool, devices: nextDevices, ...(counts !== undefined && { deviceHealth: counts }) });
}
