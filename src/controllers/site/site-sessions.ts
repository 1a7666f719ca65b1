/**
 * The operator's memory of each site's agent: who is connected on which session, when it was last heard from, how
 * many heartbeats arrived in a row, the node pools it reports, and the latest of its client certificates the wire
 * refused (revoked, or not the one its Site pins: src/operator/agent-certificates.ts). The wire server
 * (src/wire/server.ts) hands every accepted message to this handler, keyed by the site in the caller's certificate;
 * the site controller turns the state into `Site` status (site-status.ts) and placement reads that status.
 *
 * Handler callbacks run on the gRPC event loop turn that received the message, so they only update memory and call
 * `onChange`, which enqueues the site's key; all API writes happen in the controller. State is copy-on-write: a view
 * `get` returned is never modified afterwards, so a reconcile reads one consistent moment even if messages arrive
 * while it awaits.
 *
 * What one site can make the operator hold is bounded: pools, nodes and devices per site (report-bounds.ts), and
 * health events by count and by bytes. What is left out is counted in the view's `dropped`, together with the
 * messages the wire dropped over the site's rate limit, so the Site status and the logs can say so.
 */
import type { Logger } from 'pino';
import type { SiteName } from '../../wire/identity.ts';
import type {
  DeviceOut,
  HealthEventOut,
  HeartbeatOut,
  NodePoolOut,
  SiteDeltaOut,
  SiteSnapshotOut,
} from '../../wire/messages.ts';
import type { CertificateRefusedInfo, DisconnectInfo, MessageMeta, RateLimitedInfo, Registration, SiteAgentHandler } from '../../wire/site-agent-handler.ts';
import type { CertificateRefusalReason } from '../../wire/agent-certificate.ts';
import type { DeviceUpdate__Output as DeviceUpdateOut } from '../../wire/generated/suanwang/agent/v1/DeviceUpdate.ts';
import type { DeviceHealthCounts__Output as DeviceHealthCountsOut } from '../../wire/generated/suanwang/agent/v1/DeviceHealthCounts.ts';
import { anyDropped, boundPools, DEFAULT_REPORT_BOUNDS, describeTruncation, type DroppedParts, type ReportBounds } from './report-bounds.ts';

/** HealthEventRecord is a health event with the operator's receive time. */
export interface HealthEventRecord {
  readonly event: HealthEventOut;
  readonly receivedAt: number;
  /** bytes is what the event weighs against the site's health event budget (healthEventBytes). */
  readonly bytes: number;
}

/** DropCounts counts, per site since the operator started, what it did not keep of what the site sent. */
export interface DropCounts extends DroppedParts {
  /** rateLimited: messages the wire dropped because the site was over its rate limit. */
  readonly rateLimited: number;
  /** healthEvents: health events not kept (over the count or byte budget, or too big on their own). */
  readonly healthEvents: number;
}

/** NO_DROPS is a site's DropCounts before anything was dropped. */
export const NO_DROPS: DropCounts = { rateLimited: 0, healthEvents: 0, pools: 0, nodes: 0, devices: 0 };

/** DEFAULT_MAX_HEALTH_EVENTS and DEFAULT_MAX_HEALTH_EVENT_BYTES bound the health events kept per site. */
export const DEFAULT_MAX_HEALTH_EVENTS = 64;
/** 64 KiB holds 64 events of a kilobyte each: a message of a few hundred bytes is what the device tools print. */
export const DEFAULT_MAX_HEALTH_EVENT_BYTES = 64 * 1024;

/**
 * RunStart says what began the current run of consecutive heartbeats: a (re)connect, or a heartbeat that came after
 * the lease had run out. Only the second is an outage; site-status.ts lets a Ready=True survive the first.
 */
export type RunStart = 'connect' | 'leaseExpiry';

/** CertificateRefusalRecord is the latest refusal of a client certificate of the site (src/wire/agent-certificate.ts). */
export interface CertificateRefusalRecord {
  readonly reason: CertificateRefusalReason;
  readonly message: string;
  /** at is the operator's clock at the refusal. */
  readonly at: number;
}

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
  /** healthEvents are the latest health events, oldest first, at most `maxHealthEvents` and `maxHealthEventBytes`. */
  readonly healthEvents: readonly HealthEventRecord[];
  /** dropped counts what was not kept of what the site sent (report-bounds.ts, the health event budget, the wire). */
  readonly dropped: DropCounts;
  /** truncation says why the pools held are not the site's whole report; undefined when they are. */
  readonly truncation: string | undefined;
  /**
   * refusal is the latest client certificate of the site the operator refused since its last accepted Register;
   * site-status.ts shows it while no session is open and it is newer than the last session's end.
   */
  readonly refusal?: CertificateRefusalRecord | undefined;
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
  /** maxHealthEvents bounds the events kept per site (default DEFAULT_MAX_HEALTH_EVENTS). */
  readonly maxHealthEvents?: number;
  /** maxHealthEventBytes bounds the bytes of the events kept per site (default DEFAULT_MAX_HEALTH_EVENT_BYTES). */
  readonly maxHealthEventBytes?: number;
  /** reportBounds bounds the pools, nodes and devices held per site; each field defaults to DEFAULT_REPORT_BOUNDS's. */
  readonly reportBounds?: Partial<ReportBounds>;
  /** logger hears when a site's report is truncated (once per change of what is left out). */
  readonly logger?: Logger;
}

/** SiteSessions keeps per-site agent session state; it is the wire server's SiteAgentHandler. */
export class SiteSessions implements SiteAgentHandler {
  readonly #o: SiteSessionsOptions;
  readonly #maxEvents: number;
  readonly #maxEventBytes: number;
  readonly #bounds: ReportBounds;
  readonly #sites = new Map<string, SessionView>();

  constructor(options: SiteSessionsOptions) {
    this.#o = options;
    this.#maxEvents = Math.max(0, options.maxHealthEvents ?? DEFAULT_MAX_HEALTH_EVENTS);
    this.#maxEventBytes = Math.max(0, options.maxHealthEventBytes ?? DEFAULT_MAX_HEALTH_EVENT_BYTES);
    this.#bounds = { ...DEFAULT_REPORT_BOUNDS, ...options.reportBounds };
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
      dropped: prev?.dropped ?? NO_DROPS,
      truncation: prev?.truncation,
      refusal: undefined,
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
    const { pools, dropped } = boundPools(snapshot.nodePools ?? [], this.#bounds);
    // A snapshot is the whole truth: a truncation of an earlier one no longer applies.
    this.#set(site, { ...this.#truncated(site, s, dropped, undefined), pools, generation: snapshot.generation ?? 0 });
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
    const merged = new Map(s.pools);
    for (const p of delta.upsertedPools ?? []) if (p.name) merged.set(p.name, p);
    for (const name of delta.removedPoolNames ?? []) merged.delete(name);
    applyDeviceUpdates(merged, delta.deviceUpdates ?? []);
    // Upserts append new pools after the ones held, so a delta that would grow past the bounds loses its new pools.
    const { pools, dropped } = boundPools(merged.values(), this.#bounds);
    this.#set(site, { ...this.#truncated(site, s, dropped, s.truncation), pools, generation: delta.generation ?? base });
  }

  onHealthEvent(site: SiteName, event: HealthEventOut, meta: MessageMeta): void {
    const s = this.#touch(site, meta);
    const bytes = healthEventBytes(event);
    if (bytes > this.#maxEventBytes) {
      // Too big to keep even alone: counted, and the events held stay.
      this.#set(site, { ...s, dropped: { ...s.dropped, healthEvents: s.dropped.healthEvents + 1 } });
      return;
    }
    // The wire drops retransmits by seq; the event id also catches an agent that re-sends after a restart.
    const kept = s.healthEvents.filter((r) => !event.eventId || r.event.eventId !== event.eventId);
    const events = [...kept, { event, receivedAt: meta.receivedAt, bytes }];
    // Oldest out first, until both the count and the bytes fit.
    let total = events.reduce((n, r) => n + r.bytes, 0);
    let first = 0;
    while (events.length - first > this.#maxEvents || total > this.#maxEventBytes) total -= (events[first++] as HealthEventRecord).bytes;
    const dropped = first === 0 ? s.dropped : { ...s.dropped, healthEvents: s.dropped.healthEvents + first };
    this.#set(site, { ...s, healthEvents: events.slice(first), dropped });
  }

  onRateLimited(site: SiteName, info: RateLimitedInfo): void {
    // Called at a flooding site's pace: count without waking the controller; the next heartbeat's reconcile shows it.
    // A site with no state yet gets none (it would look connected): the wire's total arrives with its next drop.
    const s = this.#sites.get(site);
    if (s === undefined) return;
    this.#sites.set(site, { ...s, dropped: { ...s.dropped, rateLimited: Math.max(s.dropped.rateLimited, info.dropped) } });
  }

  onCertificateRefused(site: SiteName, info: CertificateRefusedInfo): void {
    // A refused agent retries at its backoff's pace: the controller is woken only when what the status shows changes.
    const s = this.#sites.get(site) ?? { ...this.#blank(), connected: false };
    const next: SessionView = { ...s, refusal: { reason: info.reason, message: info.message, at: this.#o.clock.now() } };
    const before = shownRefusal(s);
    const after = shownRefusal(next);
    if (before?.reason !== after?.reason || before?.message !== after?.message) this.#set(site, next);
    else this.#sites.set(site, next);
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
    // The server always reports Register first; the blank only keeps a lost callback from dropping data.
    const s = this.#sites.get(site) ?? { ...this.#blank(), sessionId: meta.sessionId, agentInstanceId: meta.agentInstanceId, registeredAt: meta.receivedAt };
    // Messages from a superseded stream still carry real data; only the current session's arrivals count as it
    // being open.
    return meta.sessionId === s.sessionId ? { ...s, lastMessageAt: meta.receivedAt } : s;
  }

  /** #blank is a site the operator has heard nothing of yet, other than a message: connected, no data. */
  #blank(): SessionView {
    return {
      connected: true,
      sessionId: '',
      agentInstanceId: '',
      agentVersion: '',
      registeredAt: this.#o.clock.now(),
      lastMessageAt: undefined,
      disconnectedAt: undefined,
      disconnectReason: undefined,
      lastHeartbeatAt: undefined,
      lastHeartbeat: undefined,
      consecutiveHeartbeats: 0,
      runStartedBy: 'connect',
      generation: undefined,
      pools: undefined,
      healthEvents: [],
      dropped: NO_DROPS,
      truncation: undefined,
    };
  }

  /**
   * #truncated adds what a report lost to the site's counts and sets `truncation`: the new reason when something was
   * dropped now, else `unchanged` (undefined after a snapshot that fit; the earlier reason after a delta, whose base
   * was already incomplete). A changed reason is logged.
   */
  #truncated(site: SiteName, s: SessionView, dropped: DroppedParts, unchanged: string | undefined): SessionView {
    const truncation = anyDropped(dropped) ? describeTruncation(dropped, this.#bounds) : unchanged;
    if (truncation !== undefined && truncation !== s.truncation) this.#o.logger?.warn({ site, ...dropped }, truncation);
    if (!anyDropped(dropped)) return { ...s, truncation };
    const d = s.dropped;
    return {
      ...s,
      truncation,
      dropped: { ...d, pools: d.pools + dropped.pools, nodes: d.nodes + dropped.nodes, devices: d.devices + dropped.devices },
    };
  }

  #set(site: string, view: SessionView): void {
    this.#sites.set(site, view);
    this.#o.onChange(site);
  }
}

/**
 * shownRefusal is the certificate refusal the Site status should show: while no session is open, and only when it
 * came after the last session ended (the latest event wins: a refusal of another certificate while the site's own
 * agent was connected says nothing about why that agent later left).
 */
export function shownRefusal(view: SessionView): CertificateRefusalRecord | undefined {
  const r = view.refusal;
  if (r === undefined || view.connected) return undefined;
  return view.disconnectedAt === undefined || r.at >= view.disconnectedAt ? r : undefined;
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
 * healthEventBytes is what an event weighs against the site's budget: the UTF-8 bytes of its strings plus a little
 * for the rest, close to its size on the wire.
 */
export function healthEventBytes(e: HealthEventOut): number {
  let n = 16;
  for (const v of [e.eventId, e.pool, e.nodeName, e.deviceId, e.code, e.message]) if (v) n += Buffer.byteLength(v, 'utf8');
  return n;
}

/** PoolEdit is one pool being changed by a delta's device updates: its devices copied once, indexed by id. */
interface PoolEdit {
  readonly pool: NodePoolOut;
  readonly devices: DeviceOut[];
  readonly index: Map<string, number>;
  counts: DeviceHealthCountsOut | undefined;
}

/**
 * applyDeviceUpdates replaces devices' health and/or telemetry in `pools` (copying each pool touched) and moves them
 * between the pool's health counts, so the counts the agent sent stay right without a new snapshot. Each pool is
 * copied and indexed once per delta, so the work is linear in the updates and the devices. Updates for unknown pools
 * or devices are dropped: the next snapshot carries them.
 */
function applyDeviceUpdates(pools: Map<string, NodePoolOut>, updates: readonly DeviceUpdateOut[]): void {
  const edits = new Map<string, PoolEdit>();
  for (const u of updates) {
    if (u.pool === undefined || u.deviceId === undefined) continue;
    let edit = edits.get(u.pool);
    if (edit === undefined) {
      const pool = pools.get(u.pool);
      if (pool === undefined) continue;
      const devices = [...(pool.devices ?? [])];
      const index = new Map<string, number>();
      devices.forEach((d, i) => d.id !== undefined && !index.has(d.id) && index.set(d.id, i));
      edit = { pool, devices, index, counts: pool.deviceHealth };
      edits.set(u.pool, edit);
    }
    const i = edit.index.get(u.deviceId);
    const old = i === undefined ? undefined : edit.devices[i];
    if (i === undefined || old === undefined) continue;
    const next: DeviceOut = {
      ...old,
      ...(u.health !== undefined && { health: u.health }),
      ...(u.telemetry !== undefined && { telemetry: u.telemetry }),
    };
    edit.devices[i] = next;
    const from = bucketOf(old.health?.status);
    const to = bucketOf(next.health?.status);
    if (edit.counts !== undefined && from !== to) {
      const moved: DeviceHealthCountsOut = { ...edit.counts };
      moved[from] = Math.max(0, (edit.counts[from] ?? 0) - 1);
      moved[to] = (edit.counts[to] ?? 0) + 1;
      edit.counts = moved;
    }
  }
  for (const [name, e] of edits) {
    pools.set(name, { ...e.pool, devices: e.devices, ...(e.counts !== undefined && { deviceHealth: e.counts }) });
  }
}
