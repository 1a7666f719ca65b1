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
 *
 * A site that stops being Ready keeps the job for a grace; beyond it the job fails over under a new epoch, and
 * member objects of older epochs are deleted wherever they are found, as soon as their site answers (failover.ts).
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Site, TrainingJob, TrainingJobStatus } from '../../api/generated/types.ts';
import { API_VERSION, FINALIZER_CLEANUP, Kind, LABEL_EPOCH, LABEL_NAMESPACE, LABEL_WORKLOAD, TrainingJobPhase } from '../../api/names.ts';
import type { SiteClients } from '../../clusters/site-clients.ts';
import { DEFAULT_PLACEMENT_CONFIG, type PlacementConfig } from '../../placement/config.ts';
import type { Clock } from '../../runtime/clock.ts';
import { parseKey } from '../../runtime/key.ts';
import { TerminalError, type Reconciler, type Result } from '../../runtime/reconciler.ts';
import { DEFAULT_SITE_LOST_GRACE_MS, siteLost } from '../framework/site-liveness.ts';
import { EventReason, noopEventRecorder, type EventRecorder, type EventType } from '../framework/events.ts';
import { isForeignMember, isStaleMember } from '../framework/fencing.ts';
import { cleanupSites, failoverReason, judgeSite, mayAbandon, sitesToFence, type SiteVerdict } from './failover.ts';
import { HubTrainingJobWriter, type TrainingJobPatcher } from '../framework/hub-writer.ts';
import { renderMembers, type MemberDecision, type MemberObjects } from './member-objects.ts';
import { memberName } from '../framework/member-names.ts';
import { placeTrainingJob, recordedDecision } from './placing.ts';
import { PromisedCapacityTracker } from '../framework/promised-capacity.ts';
import { applyService, createMembers, deleteJob, deleteMembers, fenceMembers, readMembers } from './site-members.ts';
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
  /**
   * How long the job's site may be not Ready (Unknown, or False other than Cordoned) before the job fails over to
   * another site (default 60 s; site/site-liveness.ts).
   */
  readonly siteLostGraceMs?: number;
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
  readonly #graceMs: number;
  /**
   * Per key, per site: the newest lost epoch whose members are known to be gone there, so a job that lost a site
   * asks that site once, not on every pass. In memory only: after a restart each lost site is asked once more.
   */
  readonly #fenced = new Map<string, Map<string, number>>();

  constructor(options: TrainingJobReconcilerOptions) {
    this.#o = options;
    this.#writer = new HubTrainingJobWriter(options.hub);
    this.#events = options.events ?? noopEventRecorder;
    this.#promised = options.promised ?? new PromisedCapacityTracker();
    this.#config = options.placementConfig ?? DEFAULT_PLACEMENT_CONFIG;
    this.#log = options.logger.child({ controller: 'trainingjob' });
    this.#pollMs = options.pollIntervalMs ?? 10_000;
    this.#pendingMs = options.pendingRetryMs ?? 10_000;
    this.#graceMs = options.siteLostGraceMs ?? DEFAULT_SITE_LOST_GRACE_MS;
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
      this.#fenced.delete(key);
      return {};
    }
    if (cached.metadata.deletionTimestamp !== undefined) return this.#finalize(pass, cached);
    let tj = cached;
    if (!(tj.metadata.finalizers ?? []).includes(FINALIZER_CLEANUP)) {
      tj = await this.#writer.addFinalizer(tj);
      pass.log.debug('added finalizer');
    }

    // A finished job keeps its member Job (for its logs) and its status; only observedGeneration follows the spec.
    // Members at sites the job was lost at are fenced off whatever the job does now, finished jobs included.
    const fenceRetry = await this.#fenceLostSites(pass, tj);
    if (isTerminal(tj.status?.phase)) {
      this.#promised.release(key);
      await this.#write(tj, nextStatus(tj, { kind: 'Observed', job: undefined }, this.#now()));
      return fenceRetry ? { requeueAfter: this.#pollMs } : {};
    }
    if (tj.spec.suspend === true) return this.#suspend(pass, tj);

    const siteName = tj.status?.site;
    if (siteName === undefined) return this.#place(pass, tj, tj.status);
    const site = this.#site(siteName);
    const verdict = judgeSite(tj, siteName, site, this.#graceMs, this.#o.clock.now());
    if (verdict.kind === 'FailOver' || verdict.kind === 'GiveUp') return this.#failover(pass, tj, siteName, verdict);
    if (site === undefined) return { requeueAfter: SHORT_WAIT_MS }; // judgeSite fails over from a removed site
    if (verdict.kind === 'Stay') return this.#converge(pass, tj, site, undefined);
    // Not Ready, within the grace: keep the job there, and look again when the grace runs out (no Site change
    // wakes the job then). A site that does not answer meanwhile is not an error: its grace is running.
    try {
      const result = await this.#converge(pass, tj, site, undefined);
      return result.requeueAfter === undefined ? result : { requeueAfter: Math.min(result.requeueAfter, verdict.recheckInMs) };
    } catch (err: unknown) {
      pass.log.info({ site: siteName, err, recheckInMs: verdict.recheckInMs }, 'site not Ready and not answering; within the grace');
      return { requeueAfter: Math.min(this.#pollMs, verdict.recheckInMs) };
    }
  }

  /**
   * #failover ends the attempt at a lost site. Below the failover limit the attempt is closed as SiteLost and the
   * job placed anew (placement gives a not-Ready site nothing, and status.failovers counts the move when the new
   * placement is recorded: status.ts); at the limit the job fails with FailoverLimitExceeded. The status is written
   * first, so the lost attempt is on record before anything is deleted, then the lost site is fenced if it answers
   * (an apiserver may answer while the agent is silent), and only then are members created elsewhere.
   */
  async #failover(pass: Pass, tj: TrainingJob, siteName: string, verdict: SiteVerdict & { readonly message: string }): Promise<Result> {
    this.#promised.release(pass.key);
    const reason = failoverReason(verdict);
    if (verdict.kind === 'GiveUp') {
      const written = await this.#write(tj, this.#next(tj, { kind: 'FailoverLimitExceeded', message: verdict.message }));
      pass.log.info({ site: siteName, failovers: tj.status?.failovers ?? 0 }, 'site lost; failover limit reached, job failed');
      this.#event(written, 'Warning', reason, verdict.message);
      await this.#fenceLostSites(pass, written);
      return {};
    }
    const written = await this.#write(tj, this.#next(tj, { kind: 'Unplaced', outcome: 'SiteLost', message: verdict.message }));
    pass.log.info({ site: siteName, failovers: tj.status?.failovers ?? 0 }, 'site lost; failing over');
    this.#event(written, 'Warning', reason, verdict.message);
    await this.#fenceLostSites(pass, written);
    return this.#place(pass, written, written.status);
  }

  /**
   * #fenceLostSites deletes member objects of older epochs (or of another uid) at the sites an attempt of the job
   * was lost at, where the Site is Ready (or at least answers) now. Failures do not block the job: such a site is
   * tried again on a later pass, and when its Site changes. Says whether a reachable site is still to be cleaned.
   */
  async #fenceLostSites(pass: Pass, tj: TrainingJob): Promise<boolean> {
    const targets = sitesToFence(tj, this.#fenced.get(pass.key));
    if (targets.length === 0) return false;
    const now = this.#o.clock.now();
    const name = memberName(pass.namespace, pass.name);
    let retry = false;
    for (const t of targets) {
      const site = this.#site(t.site);
      if (site === undefined) {
        this.#markFenced(pass.key, t.site, t.lostEpoch); // removed from the federation: nothing to reach there
        continue;
      }
      // Grace 0: any site that is not Ready now is skipped (a cordoned one is Ready enough to answer).
      const reachable = siteLost(site, 0, now).kind === 'Ready';
      const epoch = Math.max(currentEpoch(tj), t.lostEpoch + 1);
      try {
        const r = await fenceMembers(this.#o.siteClients.forSite(site), pass.namespace, name, {
          workload: pass.name,
          epoch,
          uid: tj.metadata.uid,
        });
        if (r.deleted.length > 0) {
          pass.log.info({ site: t.site, deleted: r.deleted, epoch }, 'deleted member objects of an earlier placement');
          this.#event(tj, 'Normal', EventReason.Fenced, `deleted ${r.deleted.join(', ')} from ${t.site} (current epoch ${epoch})`);
        }
        if (r.clean) this.#markFenced(pass.key, t.site, t.lostEpoch);
        else retry ||= reachable;
      } catch (err: unknown) {
        pass.log.debug({ site: t.site, err }, 'could not fence a lost site; trying again later');
        retry ||= reachable;
      }
    }
    return retry;
  }

  #markFenced(key: string, site: string, epoch: number): void {
    let bySite = this.#fenced.get(key);
    if (bySite === undefined) this.#fenced.set(key, (bySite = new Map()));
    bySite.set(site, Math.max(bySite.get(site) ?? 0, epoch));
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
      if (isStaleMember(job, epoch, tj.metadata.uid)) {
        // A copy from an older placement, or from an earlier TrainingJob of this name: never let it run beside the
        // current one, nor adopt it.
        pass.log.info({ site: siteName, jobEpoch, epoch, foreign: isForeignMember(job, tj.metadata.uid) }, 'deleting a stale member Job');
        if (job.metadata?.deletionTimestamp === undefined) await deleteJob(client, pass.namespace, name);
        return { requeueAfter: SHORT_WAIT_MS };
      }
      // A newer epoch than ours means our copy of the TrainingJob is behind the site; wait for the cache.
      if (jobEpoch > epoch || job.metadata?.deletionTimestamp !== undefined) return { requeueAfter: SHORT_WAIT_MS };
      const service = observed.service;
      if (service === undefined || service.metadata?.labels?.[LABEL_EPOCH] !== String(epoch) || isForeignMember(service, tj.metadata.uid)) {
        // Applied over: the stale Service (older epoch, other uid) takes this placement's labels and selector.
        await applyService(client, this.#render(tj, fresh ?? recordedDecision(tj, site)));
      }
    } else if (membersSeen(tj)) {
      // The Job existed and is gone (deleted by someone, or the site lost it): clear what is left, place anew.
      const message = `member Job ${name} vanished from ${siteName}`;
      if (!(await deleteMembers(client, pass.namespace, name, pass.name))) return { requeueAfter: SHORT_WAIT_MS };
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
      const gone = await deleteMembers(this.#o.siteClients.forSite(site), pass.namespace, memberName(pass.namespace, pass.name), pass.name);
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
   * #finalize deletes the member objects at every site that may hold some (failover.ts cleanupSites) and only then
   * removes the finalizer. A site that fails to answer keeps the finalizer, unless the job may give up on it
   * (failover.ts mayAbandon): removed from the federation, or not Ready for longer than the grace. That bound keeps
   * a site that never comes back from blocking deletion forever.
   */
  async #finalize(pass: Pass, tj: TrainingJob): Promise<Result> {
    if (!(tj.metadata.finalizers ?? []).includes(FINALIZER_CLEANUP)) return {};
    const name = memberName(pass.namespace, pass.name);
    const now = this.#o.clock.now();
    const cleaned: string[] = [];
    const abandoned: string[] = [];
    let waiting = false;
    let failure: unknown;
    for (const siteName of cleanupSites(tj)) {
      const site = this.#site(siteName);
      if (site === undefined) {
        abandoned.push(siteName);
        continue;
      }
      try {
        if (await deleteMembers(this.#o.siteClients.forSite(site), pass.namespace, name, pass.name)) cleaned.push(siteName);
        else waiting = true;
      } catch (err: unknown) {
        if (mayAbandon(site, this.#graceMs, now)) abandoned.push(siteName);
        else failure ??= err;
      }
    }
    if (failure !== undefined) throw failure;
    if (waiting) return { requeueAfter: SHORT_WAIT_MS };
    if (abandoned.length > 0) pass.log.warn({ sites: abandoned }, 'sites removed or lost beyond the grace; their member objects, if any, are left');
    this.#promised.release(pass.key);
    this.#fenced.delete(pass.key);
    const parts = [
      ...(cleaned.length > 0 ? [`member objects deleted from ${cleaned.join(', ')}`] : []),
      ...(abandoned.length > 0 ? [`not reachable, left as they are: ${abandoned.join(', ')}`] : []),
    ];
    this.#event(tj, 'Normal', EventReason.CleanedUp, parts.length === 0 ? 'nothing to clean up' : parts.join('; '));
    await this.#writer.removeFinalizer(tj);
    this.#events.forget(pass.namespace, pass.name);
    pass.log.info({ sites: cleaned, abandoned }, 'cleaned up; finalizer removed');
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

