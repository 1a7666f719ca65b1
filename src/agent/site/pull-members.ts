/**
 * PullMembers is pull mode at the agent: the operator's member syncs applied at the site (member-applier.ts) and the
 * site's member objects reported back (member-watch.ts), over the watches of the labelled Jobs, Services and
 * Deployments, with the member Jobs' pods and the Nodes under them beside them, read-only (observed-objects.ts).
 * SiteAgent runs it when `--apply-members` is on: it starts the watches with its own, waits for them before it opens
 * the session, and hands the session `sessionSources()`, so the session sends a full member report after every
 * snapshot and passes every member sync here.
 */
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Clock, Random } from '../../runtime/clock.ts';
import type { ObjectCache, RunningObjectCache } from '../../runtime/object-cache.ts';
import type { MemberReport, MemberSyncOut } from '../../wire/messages.ts';
import { MemberApplier, type MemberSiteApi } from './member-applier.ts';
import { MEMBER_KIND_NAMES } from './member-kinds.ts';
import { heldMembers } from './member-report.ts';
import { MemberWatch } from './member-watch.ts';
import { ObservedObjects } from './observed-objects.ts';
import type { MemberCaches } from './kubernetes-members.ts';
import type { CheckContext, SitePolicy } from './site-policy.ts';

/** MemberSessionSources are what the session reads and calls for pull mode. */
export interface MemberSessionSources {
  /** fullReport is the full member report, without `full` (the session sets it). */
  fullReport(): Omit<MemberReport, 'full'>;
  /** onSync takes a (whole) member sync from the operator. */
  onSync(sync: MemberSyncOut): void;
}

/** PullMembersOptions configures PullMembers. */
export interface PullMembersOptions {
  readonly caches: MemberCaches;
  /** workerPods: the watch of the member Jobs' pods (kubernetes-members.ts workerPodCache); PullMembers runs it. */
  readonly workerPods: RunningObjectCache<V1Pod>;
  /** nodes: the agent's watch of every Node, which SiteAgent runs; the nodes under the worker pods are reported. */
  readonly nodes: ObjectCache<V1Node>;
  readonly api: MemberSiteApi;
  readonly policy: SitePolicy;
  /** context: the agent's own namespace, which the policy never allows. */
  readonly context?: CheckContext;
  /** paused: while true nothing is applied (the partition fence holds). */
  readonly paused?: () => boolean;
  readonly clock: Clock;
  readonly random: Random;
  readonly logger: Logger;
  readonly debounceMs?: number;
}

/** PullMembers wires the applier, the watch and the caches together (module comment). */
export class PullMembers {
  readonly #o: PullMembersOptions;
  readonly applier: MemberApplier;
  readonly watch: MemberWatch;

  constructor(options: PullMembersOptions) {
    this.#o = options;
    const logger = options.logger.child({ component: 'pull-members' });
    this.watch = new MemberWatch({
      caches: options.caches,
      refusals: () => this.applier.refusals,
      appliedGeneration: () => this.applier.appliedGeneration,
      gone: (id) => this.applier.heldGone(id),
      observed: new ObservedObjects({ pods: options.workerPods, nodes: options.nodes }),
      clock: options.clock,
      logger,
      ...(options.debounceMs === undefined ? {} : { debounceMs: options.debounceMs }),
    });
    this.applier = new MemberApplier({
      api: options.api,
      held: () => heldMembers(options.caches),
      policy: options.policy,
      ...(options.context === undefined ? {} : { context: options.context }),
      ...(options.paused === undefined ? {} : { paused: options.paused }),
      clock: options.clock,
      random: options.random,
      logger,
      changed: (ids) => this.watch.changed(ids),
    });
  }

  /** start starts the watches of the member objects and of the worker pods. */
  start(): void {
    this.watch.start();
    for (const kind of MEMBER_KIND_NAMES) this.#o.caches[kind].start();
    this.#o.workerPods.start();
  }

  /** waitForSync resolves once every watch has listed once: before that, a full report would say members are gone. */
  async waitForSync(signal?: AbortSignal): Promise<void> {
    await Promise.all([...MEMBER_KIND_NAMES.map((kind) => this.#o.caches[kind].waitForSync(signal)), this.#o.workerPods.waitForSync(signal)]);
  }

  /** attach gives the member reports their way out: the session's sendMemberReport. */
  attach(send: (report: MemberReport) => void): void {
    this.watch.attach(send);
  }

  /** sessionSources are what the session needs of pull mode. */
  sessionSources(): MemberSessionSources {
    return { fullReport: () => this.watch.fullReport(), onSync: (sync) => void this.applier.accept(sync) };
  }

  async stop(): Promise<void> {
    this.applier.stop();
    this.watch.stop();
    await Promise.all([...MEMBER_KIND_NAMES.map((kind) => this.#o.caches[kind].stop()), this.#o.workerPods.stop()]);
  }
}
