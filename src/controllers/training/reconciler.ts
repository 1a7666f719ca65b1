/**
 * The TrainingJob reconciler: places a job on a site, creates its member objects there, mirrors their state into
 * the job's status, and cleans up on suspend and delete. Level-triggered: each pass reads the hub object and the
 * member objects at its site, decides, then writes (STYLE.md "Read group → decide → act").
 *
 * Crash safety rests on one ordering: the decision (site, variant, epoch) is written to status BEFORE any member
 * object exists, with a resourceVersion precondition. Status is the durable record, so a restarted operator finds
 * the decision and converges on it (deterministic names, server-side apply) instead of deciding again; and a pass
 * that read a stale cache cannot record a second decision, because its write conflicts. The Placed condition turns
 * True only once the member Job was seen; a Job missing after that has vanished, and the job is placed anew.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Site, TrainingJob, TrainingJobStatus } from '../../api/generated/types.ts';
import { API_VERSION, FINALIZER_CLEANUP, Kind, LABEL_EPOCH, LABEL_NAMESPACE, LABEL_WORKLOAD, TrainingJobPhase } from '../../api/names.ts';
import type { SiteClients } from '../../clusters/site-clients.ts';
import { DEFAULT_PLACEMENT_CONFIG, type PlacementConfig } from '../../placement/config.ts';
import type { Clock } from '../runtime/clock.ts';
import { parseKey } from '../runtime/key.ts';
import { TerminalError, type Reconciler, type Result } from '../runtime/reconciler.ts';
import { EventReason, noopEventRecorder, type EventRecorder, type EventType } from './events.ts';
import { HubTrainingJobWriter, type TrainingJobPatcher } from './hub-writer.ts';
import { renderMembers, type MemberDecision, type MemberObjects } from './member-objects.ts';
import { memberName } from './member-names.ts';
import { placeTrainingJob, recordedDecision } from './placing.ts';
import { PromisedCapacityTracker } from './promised-capacity.ts';
import { applyService, createMembers, deleteJob, deleteMembers, readMembers } from './site-members.ts';
import { currentEpoch, isTerminal, membersSeen, nextStatus, type StatusUpdate } from './status.ts';

/** TrainingJobReconcilerOptions configures a TrainingJobReconciler. */
export interface TrainingJobReconcilerOptions {
  /** The hub's kubeconfig, for writes to TrainingJobs (or a patcher standing in for CustomObjectsApi in tests). */
  readonly hub: KubeConfig | TrainingJobPatcher;
  /** trainingJobs reads a TrainingJob from the informer cache. */
  readonly trainingJobs: (namespace: string, name: string) => TrainingJob | undefined;
  /** sites lists the Sites from the informer cache. */
  readonly sites: () => readonly Site[];
  readonly siteClients: Pick<SiteClients, 'forSite'>;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly events?: EventRecorder;
  readonly placementConfig?: PlacementConfig;
  /** Shared with any other controller that places on the same sites (default: a tracker of its own). */
  readonly promised?: PromisedCapacityTracker;
  /** How often a placed, unfinished job is looked at to mirror its member Job (default 10 s). */
  readonly pollIntervalMs?: number;
  /**
   * How often a job no site fits is looked at again even when no Site changed (default 10 s). Capacity also frees
   * when another job's promise is released, which changes no Site; placement is pure and takes well under a
   * millisecond, and an unchanged explanation writes nothing, so a short retry costs little.
   */
  readonly pendingRetryMs?: number;
}

/** Short waits: for deletions at a site to finish, and for the hub cache to catch up with a site. */
const SHORT_WAIT_MS = 1000;
/** Wait before looking again at a name taken by an object that is not ours. */
const FOREIGN_WAIT_MS = 30_000;

interface Pass {
  readonly key: string;
  readonly namespace: string;
  readonly name: string;
  readonly log: Logger;
}

/** TrainingJobReconciler reconciles keys `TrainingJob/<namespace>/<name>`. */
export class TrainingJobReconciler implements Reconciler {
  readonly #o: TrainingJobReconcilerOptions;
  readonly #writer: HubTrainingJobWriter;
  readonly #events: EventRecorder;
  readonly #promised: PromisedCapacityTracker;
  readonly #config: PlacementConfig;
  readonly #log: Logger;
  readonly #pollMs: number;
  readonly #pendingMs: number;

  constructor(options: TrainingJobReconcilerOptions) {
    this.#o = options;
    this.#writer = new HubTrainingJobWriter(options.hub);
    this.#events = options.events ?? noopEventRecorder;
    this.#promised = options.promised ?? new PromisedCapacityTracker();
    this.#config = options.placementConfig ?? DEFAULT_PLACEMENT_CONFIG;
    this.#log = options.logger.child({ controller: 'trainingjob' });
    this.#pollMs = options.pollIntervalMs ?? 10_000;
    this.#pendingMs = options.pendingRetryMs ?? 10_000;
  }

  async reconcile(key: string): Promise<Result> {
    const ref = parseKey(key);
    if (ref === undefined || ref.kind !== Kind.TrainingJob) throw new TerminalError(`not a TrainingJob key: ${key}`);
    const pass: Pass = { key, namespace: ref.namespace, name: ref.name, log: this.#log.child({ namespace: ref.namespace, name: ref.name }) };

    // 1. Read the hub object.
    const cached = this.#o.trainingJobs(ref.namespace, ref.name);
    if (cached === undefined) {
      this.#promised.release(key);
      this.#events.forget(ref.namespace, ref.name);
      return {};
    }
    if (cached.metadata.deletionTimestamp !== undefined) return this.#finalize(pass, cached);
    let tj = cached;
    if (!(tj.metadata.finalizers ?? []).includes(FINALIZER_CLEANUP)) {
      tj = await this.#writer.addFinalizer(tj);
      pass.log.debug('added finalizer');
    }

    // A finished job keeps its member Job (for its logs) and its status; only observedGeneration follows the spec.
    if (isTerminal(tj.status?.phase)) {
      this.#promised.release(key);
      await this.#write(tj, nextStatus(tj, { kind: 'Observed', job: undefined }, this.#now()));
      return {};
    }
    if (tj.spec.suspend === true) return this.#suspend(pass, tj);

    const siteName = tj.status?.site;
    if (siteName === undefined) return this.#place(pass, tj, tj.status);
    const site = this.#site(siteName);
    if (site === undefined) {
      // The Site was removed from the federation: nothing there can run for us any more, or be reached.
      this.#promised.release(key);
      const message = `site ${siteName} was removed from the federation`;
      this.#event(tj, 'Warning', EventReason.Replacing, message);
      return this.#place(pass, tj, this.#next(tj, { kind: 'Unplaced', outcome: 'SiteLost', message }));
    }
    return this.#converge(pass, tj, site, undefined);
  }

  /**
   * #place runs placement on top of `base` (the status so far in this pass) and records the outcome. A decision is
   * written before anything is created, then converged on in the same pass.
   */
  async #place(pass: Pass, tj: TrainingJob, base: TrainingJobStatus | undefined): Promise<Result> {
    const working: TrainingJob = { ...tj, ...(base !== undefined && { status: base }) };
    const outcome = placeTrainingJob(working, this.#o.sites(), this.#promised.total(pass.key), this.#config);
    if (outcome.kind === 'Unschedulable') {
      await this.#write(tj, this.#next(working, { kind: 'Unschedulable', record: outcome.record, reason: outcome.reason }));
      this.#event(tj, 'Warning', EventReason.Unschedulable, outcome.record.message ?? 'no site fits');
      return { requeueAfter: this.#pendingMs };
    }
    const decision: MemberDecision = {
      site: outcome.site,
      variant: outcome.variant,
      epoch: currentEpoch(working) + 1,
      pool: outcome.pool,
      ...(outcome.acceleratorResource !== undefined && { acceleratorResource: outcome.acceleratorResource }),
    };
    // Hold before the first await, so a decision made concurrently for another job already counts this one.
    const undoHold = this.#promised.hold(pass.key, outcome.promised);
    let written: TrainingJob;
    try {
      written = await this.#write(tj, this.#next(working, { kind: 'Placed', decision, record: outcome.record }));
    } catch (err: unknown) {
      undoHold(); // not release: see PromisedCapacityTracker.hold
      throw err;
    }
    pass.log.info({ site: decision.site, variant: decision.variant, pool: decision.pool, epoch: decision.epoch }, 'placed');
    this.#event(written, 'Normal', EventReason.Placed, outcome.record.message ?? `placed on ${decision.site}`);
    const site = this.#site(decision.site);
    if (site === undefined) return { requeueAfter: SHORT_WAIT_MS }; // placement only picks listed sites; defensive
    return this.#converge(pass, written, site, decision);
  }

  /**
   * #converge brings the site in line with the recorded placement: fences off older epochs, creates what is
   * missing, notices members that vanished, and mirrors the member Job into status.
   */
  async #converge(pass: Pass, tj: TrainingJob, site: Site, fresh: MemberDecision | undefined): Promise<Result> {
    const siteName = site.metadata.name ?? '';
    const epoch = currentEpoch(tj);
    const name = memberName(pass.namespace, pass.name);
    const client = this.#o.siteClients.forSite(site);

    // 2. Read the member objects (a failed read throws: it is not "not found").
    const observed = await readMembers(client, pass.namespace, name);
    let job = observed.job;

    // 3. Decide and act.
    if (job !== undefined) {
      const labels = job.metadata?.labels ?? {};
      if (labels[LABEL_WORKLOAD] !== pass.name || labels[LABEL_NAMESPACE] !== pass.namespace) {
        const message = `a Job ${pass.namespace}/${name} not created for this TrainingJob exists on ${siteName}`;
        await this.#write(tj, this.#next(tj, { kind: 'MemberCreateFailed', message }));
        this.#event(tj, 'Warning', EventReason.MemberCreateFailed, message);
        return { requeueAfter: FOREIGN_WAIT_MS };
      }
      const jobEpoch = Number(labels[LABEL_EPOCH] ?? 0);
      if (!(jobEpoch >= epoch)) {
        // A copy from an older placement: never let it run beside the current one.
        pass.log.info({ site: siteName, jobEpoch, epoch }, 'deleting member Job of an older epoch');
        await deleteJob(client, pass.namespace, name);
        return { requeueAfter: SHORT_WAIT_MS };
      }
      // A newer epoch than ours means our copy of the TrainingJob is behind the site; wait for the cache.
      if (jobEpoch > epoch || job.metadata?.deletionTimestamp !== undefined) return { requeueAfter: SHORT_WAIT_MS };
      if (observed.service === undefined || observed.service.metadata?.labels?.[LABEL_EPOCH] !== String(epoch)) {
        await applyService(client, this.#render(tj, fresh ?? recordedDecision(tj, site)));
      }
    } else if (membersSeen(tj)) {
      // The Job existed and is gone (deleted by someone, or the site lost it): clear what is left, place anew.
      const message = `member Job ${name} vanished from ${siteName}`;
      if (!(await deleteMembers(client, pass.namespace, name))) return { requeueAfter: SHORT_WAIT_MS };
      this.#promised.release(pass.key);
      this.#event(tj, 'Warning', EventReason.Replacing, message);
      return this.#place(pass, tj, this.#next(tj, { kind: 'Unplaced', outcome: 'Evicted', message }));
    } else {
      // Decided but not created yet: just now, or by an operator that stopped in between.
      const members = this.#render(tj, fresh ?? recordedDecision(tj, site));
      try {
        job = await createMembers(client, members);
      } catch (err: unknown) {
        const message = `creating member objects on ${siteName} failed: ${err instanceof Error ? err.message : String(err)}`;
        await this.#write(tj, this.#next(tj, { kind: 'MemberCreateFailed', message }));
        this.#event(tj, 'Warning', EventReason.MemberCreateFailed, message);
        throw err;
      }
      pass.log.info({ site: siteName, job: name, epoch }, 'created member objects');
    }

    // 4. Mirror.
    const next = this.#next(tj, { kind: 'Observed', job });
    if (isTerminal(next.phase)) this.#promised.release(pass.key);
    // Running: every worker is bound (ready or done), so the site's report will soon count the whole gang. One
    // visible pod is not enough: the rest of the gang's devices would be promised to nobody.
    else if (next.phase === TrainingJobPhase.Running) this.#promised.releaseWhenSettled(pass.key, this.#o.clock.now());
    const written = await this.#write(tj, next);
    this.#announce(written, tj.status?.phase, next.phase, siteName);
    return isTerminal(next.phase) ? {} : { requeueAfter: this.#pollMs };
  }

  /** #suspend deletes the member objects, then records the job as Suspended and frees what it held. */
  async #suspend(pass: Pass, tj: TrainingJob): Promise<Result> {
    const siteName = tj.status?.site;
    const site = siteName === undefined ? undefined : this.#site(siteName);
    if (site !== undefined) {
      const gone = await deleteMembers(this.#o.siteClients.forSite(site), pass.namespace, memberName(pass.namespace, pass.name));
      if (!gone) return { requeueAfter: SHORT_WAIT_MS };
    }
    this.#promised.release(pass.key);
    const next = this.#next(tj, { kind: 'Suspended' });
    await this.#write(tj, next);
    if (tj.status?.phase !== TrainingJobPhase.Suspended) {
      pass.log.info({ site: siteName }, 'suspended');
      this.#event(tj, 'Normal', EventReason.Suspended, siteName === undefined ? 'suspended' : `suspended; member objects deleted from ${siteName}`);
    }
    return {};
  }

  /**
   * #finalize deletes the member objects and only then removes the finalizer. A Site that no longer exists has
   * nothing left to clean (and no way to reach it); a Site that exists but does not answer keeps the finalizer.
   */
  async #finalize(pass: Pass, tj: TrainingJob): Promise<Result> {
    if (!(tj.metadata.finalizers ?? []).includes(FINALIZER_CLEANUP)) return {};
    const siteName = tj.status?.site;
    const site = siteName === undefined ? undefined : this.#site(siteName);
    if (site !== undefined) {
      const gone = await deleteMembers(this.#o.siteClients.forSite(site), pass.namespace, memberName(pass.namespace, pass.name));
      if (!gone) return { requeueAfter: SHORT_WAIT_MS };
    } else if (siteName !== undefined) {
      pass.log.warn({ site: siteName }, 'site no longer exists; nothing to clean up there');
    }
    this.#promised.release(pass.key);
    this.#event(tj, 'Normal', EventReason.CleanedUp, siteName === undefined ? 'nothing to clean up' : `member objects deleted from ${siteName}`);
    await this.#writer.removeFinalizer(tj);
    this.#events.forget(pass.namespace, pass.name);
    pass.log.info({ site: siteName }, 'cleaned up; finalizer removed');
    return {};
  }

  /** #announce turns phase transitions into events. */
  #announce(tj: TrainingJob, before: string | undefined, after: string | undefined, site: string): void {
    if (before === after) return;
    if (after === TrainingJobPhase.Running) this.#event(tj, 'Normal', EventReason.Started, `all ${tj.spec.workers ?? 1} workers running on ${site}`);
    else if (after === TrainingJobPhase.Succeeded) this.#event(tj, 'Normal', EventReason.Succeeded, `completed on ${site}`);
    else if (after === TrainingJobPhase.Failed) this.#event(tj, 'Warning', EventReason.Failed, `failed on ${site}`);
  }

  #render(tj: TrainingJob, decision: MemberDecision | undefined): MemberObjects {
    if (decision === undefined) throw new TerminalError('status records no complete placement (site, variant, epoch)');
    try {
      return renderMembers(tj, decision);
    } catch (err: unknown) {
      // Deterministic: retrying the same spec renders the same failure. A spec change enqueues the key again.
      throw new TerminalError(`cannot render member objects: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }

  #write(tj: TrainingJob, next: TrainingJobStatus): Promise<TrainingJob> {
    return this.#writer.writeStatus(tj, next);
  }

  #next(tj: TrainingJob, update: StatusUpdate): TrainingJobStatus {
    return nextStatus(tj, update, this.#now());
  }

  #now(): Date {
    return new Date(this.#o.clock.now());
  }

  #site(name: string): Site | undefined {
    return this.#o.sites().find((s) => s.metadata.name === name);
  }

  #event(tj: TrainingJob, type: EventType, reason: string, message: string): void {
    this.#events.record({ apiVersion: API_VERSION, kind: Kind.TrainingJob, metadata: tj.metadata }, type, reason, message);
  }
}

