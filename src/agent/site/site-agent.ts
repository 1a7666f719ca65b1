/**
 * SiteAgent: watches the site's Nodes and Pods and keeps the operator told about the site's node pools.
 *
 * 1. Start both caches (InformerSupervisor over list+watch) and wait until each has listed once: before that the
 *    agent does not know the site, and an empty snapshot would tell the operator the site has no capacity.
 * 2. Open the session (AgentClient). Its snapshot callback builds the pools from the caches on every (re)connect,
 *    resync and snapshot interval.
 * 3. On every cache change, wait a short while (DEFAULT_DEBOUNCE_MS) so a burst — a 64-pod job binding, a node
 *    flapping — becomes one rebuild, then rebuild the pools and send (pool-changes.ts):
 *    - a delta of the pools that differ from the last pools sent (in a snapshot or a delta), when any do;
 *    - a health event per device whose usability changed since the last rebuild.
 *    The wait starts at the first change and is not extended by later ones: under constant pod churn a sliding
 *    debounce would never fire.
 * 4. Time alone changes the pools too: a node reporter that stops writing leaves a report that turns stale
 *    (node-devices.ts) with no Node event to say so, and a finished pod's resources are reported free only after a
 *    short grace (release-grace.ts). After every build the agent sets one timer for the first of these moments, and
 *    rebuilds and sends then (step 3 without the debounce).
 * 5. Pull mode (`members` set, `--apply-members`): the watches of the labelled member objects start with the others
 *    and are waited for too; the session then passes the operator's member syncs to the applier and follows every
 *    snapshot with a full member report, and the member watch sends member reports as objects change
 *    (pull-members.ts).
 */
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Cancel, Clock } from '../../runtime/clock.ts';
import type { RunningObjectCache } from '../../runtime/object-cache.ts';
import type { DeltaContent, HeartbeatContent, SnapshotContent } from '../../wire/client-options.ts';
import type { HealthEvent, MemberReport, NodePool } from '../../wire/messages.ts';
import { deviceBaseline, diffPoolDigests, healthChanges, poolDigests, type DeviceBaseline, type PoolDigests } from './pool-changes.ts';
import { DEFAULT_MAX_REPORT_AGE_MS } from './node-devices.ts';
import { buildSite } from './pool-builder.ts';
import { DEFAULT_RELEASE_GRACE_MS, ReleaseGrace } from './release-grace.ts';
import type { MemberSessionSources, PullMembers } from './pull-members.ts';

/** DEFAULT_DEBOUNCE_MS is how long the agent gathers changes before rebuilding. */
export const DEFAULT_DEBOUNCE_MS = 500;

/** AgentSession is the part of AgentClient the agent uses (a seam for tests). */
export interface AgentSession {
  start(): void;
  stop(): Promise<void>;
  sendDelta(content: DeltaContent): number;
  sendHealthEvent(event: HealthEvent): number;
  /** sendMemberReport queues a member report (pull mode); AgentClient splits a big one into parts. */
  sendMemberReport(report: MemberReport): number;
}

/** SessionSources are the callbacks the session reads the site's state through. */
export interface SessionSources {
  snapshot(): SnapshotContent;
  heartbeat(): HeartbeatContent;
  /** members is set in pull mode: the session announces Capability.MemberSync and wires these in. */
  readonly members?: MemberSessionSources;
}

/** SiteAgentOptions configures a SiteAgent. */
export interface SiteAgentOptions {
  readonly site: string;
  /** The agent starts and stops its caches itself (an InformerSupervisor in production). */
  readonly nodes: RunningObjectCache<V1Node>;
  readonly pods: RunningObjectCache<V1Pod>;
  /** openSession builds the (not yet started) session to the operator; the composition root builds an AgentClient. */
  readonly openSession: (sources: SessionSources) => AgentSession;
  readonly clock: Clock;
  readonly logger: Logger;
  /** eventIdPrefix makes health event ids unique across agent processes (pass the agent instance id). */
  readonly eventIdPrefix: string;
  readonly debounceMs?: number;
  /** maxReportAgeMs: a device report whose last sample is older counts as Unknown (default DEFAULT_MAX_REPORT_AGE_MS). */
  readonly maxReportAgeMs?: number;
  /** members turns pull mode on (step 5): the agent starts, waits for and stops them with its own caches. */
  readonly members?: PullMembers;
  /** releaseGraceMs: a finished pod's resources are reported free this much later (release-grace.ts; default 3 s). */
  readonly releaseGraceMs?: number;
  /**
   * onSynced is called once, when the caches have synced and before the first build and the session: the moment the
   * initial lists' garbage is greatest and nothing else is allocated yet (the composition root hands freed heap
   * back then, heap-release.ts).
   */
  readonly onSynced?: () => void;
}

/** SiteAgent runs steps 1–3 of the module comment between start() and stop(). */
export class SiteAgent {
  readonly #opts: SiteAgentOptions;
  readonly #log: Logger;
  readonly #debounceMs: number;
  readonly #maxReportAgeMs: number;
  readonly #abort = new AbortController();
  readonly #unsubscribe: (() => void)[] = [];
  #session: AgentSession | undefined;
  #timer: Cancel | undefined;
  /** staleTimer fires when the first fresh device report turns stale (step 4). */
  #staleTimer: Cancel | undefined;
  readonly #grace: ReleaseGrace;
  /** lastSent digests the pools last sent (in a snapshot or a delta), what the next delta is computed against. */
  #lastSent: PoolDigests = new Map();
  #baseline: DeviceBaseline = new Map();
  #events = 0;
  #ready = false;
  #started = false;
  #stopped = false;

  constructor(opts: SiteAgentOptions) {
    this.#opts = opts;
    this.#log = opts.logger;
    this.#debounceMs = opts.debounceMs ?? DEFAULT_DEBOUNCE_MS;
    this.#maxReportAgeMs = opts.maxReportAgeMs ?? DEFAULT_MAX_REPORT_AGE_MS;
    if (!(this.#maxReportAgeMs > 0)) throw new RangeError(`maxReportAgeMs must be positive, got ${this.#maxReportAgeMs}`);
    this.#grace = new ReleaseGrace(opts.releaseGraceMs ?? DEFAULT_RELEASE_GRACE_MS);
  }

  /** ready is true once the caches synced and the session was opened. */
  get ready(): boolean {
    return this.#ready;
  }

  /** start runs steps 1 and 2; it resolves once the session is open, or when stop() is called before that. */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    const { nodes, pods, members } = this.#opts;
    this.#unsubscribe.push(nodes.onChange(() => this.#changed()), pods.onChange(() => this.#changed()));
    nodes.start();
    pods.start();
    members?.start();
    this.#log.info({ pullMembers: members !== undefined }, 'waiting for the caches to sync');
    try {
      await Promise.all([nodes.waitForSync(this.#abort.signal), pods.waitForSync(this.#abort.signal), members?.waitForSync(this.#abort.signal)]);
    } catch (err: unknown) {
      if (this.#stopped) return;
      throw err;
    }
    if (this.#stopped) return;
    this.#opts.onSynced?.();
    this.#ready = true;
    const pools = this.#build();
    this.#lastSent = poolDigests(pools);
    this.#baseline = deviceBaseline(pools);
    const session = this.#opts.openSession({
      snapshot: () => this.#snapshot(),
      heartbeat: () => this.#heartbeat(),
      ...(members === undefined ? {} : { members: members.sessionSources() }),
    });
    this.#session = session;
    members?.attach((report) => void session.sendMemberReport(report));
    session.start();
    this.#log.info({ pools: pools.length, nodes: nodes.list().length }, 'caches synced; connecting to the operator');
  }

  /** stop ends the session and the watches; a pending rebuild is dropped (the next agent sends a snapshot). */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#abort.abort(new Error('site agent stopped'));
    this.#timer?.();
    this.#timer = undefined;
    this.#staleTimer?.();
    this.#staleTimer = undefined;
    for (const u of this.#unsubscribe.splice(0)) u();
    await this.#session?.stop();
    await Promise.all([this.#opts.nodes.stop(), this.#opts.pods.stop(), this.#opts.members?.stop()]);
  }

  #changed(): void {
    if (!this.#ready || this.#stopped || this.#timer !== undefined) return;
    this.#timer = this.#opts.clock.after(this.#debounceMs, () => {
      this.#timer = undefined;
      if (!this.#stopped) this.#publish();
    });
  }

  #build(): NodePool[] {
    const now = this.#opts.clock.now();
    // Pods that just finished still count for the release grace (release-grace.ts).
    const pods = this.#grace.counted(this.#opts.pods.list(), now);
    const { pools, freshUntil } = buildSite(this.#opts.nodes.list(), pods, { now, maxAgeMs: this.#maxReportAgeMs });
    // Step 4: one timer, for the first report to turn stale (stale means older than the max age: 1 ms past it), or
    // for the first finished pod whose grace runs out, whichever comes first.
    const released = this.#grace.nextExpiry();
    const staleAt = freshUntil === undefined ? undefined : freshUntil + 1;
    const wakeAt = released === undefined ? staleAt : staleAt === undefined ? released : Math.min(staleAt, released);
    this.#staleTimer?.();
    this.#staleTimer =
      wakeAt === undefined || this.#stopped
        ? undefined
        : this.#opts.clock.after(Math.max(0, wakeAt - now), () => {
            this.#staleTimer = undefined;
            if (!this.#stopped) this.#publish();
          });
    return pools;
  }

  #snapshot(): SnapshotContent {
    const pools = this.#build();
    // The snapshot replaces what the operator knew, so later deltas are computed against it.
    this.#lastSent = poolDigests(pools);
    return { nodePools: pools };
  }

  #heartbeat(): HeartbeatContent {
    const nodes = this.#opts.nodes.list();
    const ready = nodes.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
    return { nodesTotal: nodes.length, nodesReady: ready };
  }

  /** publish is step 3. */
  #publish(): void {
    const session = this.#session;
    if (session === undefined) return;
    const pools = this.#build();
    const { delta, digests } = diffPoolDigests(this.#lastSent, pools);
    if (delta !== undefined) {
      session.sendDelta(delta);
      this.#lastSent = digests;
      this.#log.info(
        { upserted: delta.upsertedPools.map((p) => p.name), removed: delta.removedPoolNames },
        'node pools changed; delta sent',
      );
    }
    const { events, baseline } = healthChanges(this.#baseline, pools);
    this.#baseline = baseline;
    for (const e of events) {
      this.#events += 1;
      session.sendHealthEvent({ eventId: `${this.#opts.eventIdPrefix}-${this.#events}`, ...e });
      this.#log.info({ code: e.code, pool: e.pool, node: e.nodeName, device: e.deviceId, message: e.message }, 'device health changed');
    }
  }
}
