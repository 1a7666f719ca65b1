/**
 * The TrainingJob reconciler: places a job on a site, creates its member objects there, mirrors their state into
 * the job's status, and cleans up on suspend and delete. Each pass is read → decide → act (STYLE.md):
 * 1. read the hub object (informer cache), the Sites, and the member objects at the job's site (a failed read is
 *    never "none there");
 * 2. decide: decide.ts, pure, returns a plan;
 * 3. act, in this order: promise bookkeeping, the one status write, fencing of lost sites, the one site action.
 *
 * Crash safety rests on one ordering: a decision (site, variant, pool, epoch) is written to status BEFORE any member
 * object exists, with a resourceVersion precondition. Status is the durable record, so a restarted operator finds
 * the whole decision and converges on it (deterministic names, server-side apply) instead of deciding again; and a
 * pass that read a stale cache cannot record a second decision, because its write conflicts. The Placed condition
 * turns True only once the member Job was seen; a Job missing after that has vanished, and the job is placed anew.
 *
 * A site that stops being Ready keeps the job for a grace; beyond it the job fails over under a new epoch, and
 * member objects of older epochs are deleted wherever they are found, as soon as their site answers (failover.ts).
 */
import type { Site, TrainingJob, TrainingJobStatus } from '../../api/generated/types.ts';
import type { SiteMembers } from '../../cache/member-informers.ts';
import { Kind } from '../../api/names.ts';
import { DEFAULT_PLACEMENT_CONFIG, type PlacementConfig } from '../../placement/config.ts';
import { errorClass } from '../../runtime/errors.ts';
import { TerminalError, type Reconciler, type Result } from '../../runtime/reconciler.ts';
import type { AdmissionLedger } from '../framework/admission-ledger.ts';
import { EventReason, noopEventRecorder } from '../framework/events.ts';
import type { HubWriter } from '../framework/hub-writer.ts';
import { HubTrainingJobWriter } from './hub-writer.ts';
import { memberName } from '../framework/member-names.ts';
import { PromisedCapacityTracker } from '../framework/promised-capacity.ts';
import { DEFAULT_SITE_LOST_GRACE_MS, siteLost } from '../framework/site-liveness.ts';
import { SilentSites } from '../framework/silent-sites.ts';
import { WorkloadReconciler, type CleanUpOutcome, type WorkloadOptions, type WorkloadPass } from '../framework/workload-reconciler.ts';
import { decideTraining, mirror, SHORT_WAIT_MS, type MemberRead, type SiteAction, type TrainingPlan } from './decide.ts';
import { cleanupSites, mayAbandon, sitesToFence } from './failover.ts';
import { renderMembers, type MemberDecision, type MemberObjects } from './member-objects.ts';
import { applyService, createMembers, deleteJob, deleteMembers, fenceMembers, readMembers } from './site-members.ts';
import { currentEpoch, nextStatus } from './status.ts';
import { DEFAULT_GANG_START_TIMEOUT_MS, readWorkers, shouldReadWorkers } from './worker-health.ts';
import { waitingRetryMs } from './waiting-retry.ts';

/** TrainingJobReconcilerOptions configures a TrainingJobReconciler. */
export interface TrainingJobReconcilerOptions extends WorkloadOptions {
  /** trainingJobs reads a TrainingJob from the informer cache. */
  readonly trainingJobs: (namespace: string, name: string) => TrainingJob | undefined;
  /**
   * findMemberJobs returns a job's member Jobs held by each site's informer (cache/member-informers.ts find), read
   * before every new placement so that members the status does not know of are adopted or fenced, never joined.
   */
  readonly findMemberJobs: (namespace: string, name: string) => readonly SiteMembers[];
  /**
   * fenceThroughAgent asks a site's agent to delete the job's members older than `epoch` (or of another uid), for when
   * the operator cannot reach the site's apiserver itself but the agent is connected (the wire's FenceRequest).
   * Unset: only the operator fences.
   */
  readonly fenceThroughAgent?: (site: string, workload: { namespace: string; name: string; uid: string; epoch: number }) => void;
  /**
   * How often a job no site fits is looked at again even when no Site changed (default 10 s). Capacity also frees
   * when another job's promise is released, which changes no Site; placement is pure and takes well under a
   * millisecond, and an unchanged explanation writes nothing, so a short retry costs little.
   */
  readonly pendingRetryMs?: number;
  /**
   * The admission ledger (framework/admission-ledger.ts): a job is placed only once its queue admits it, where the
   * admission cycle chose. Unset: no queues; jobs are placed as soon as a site fits.
   */
  readonly admission?: AdmissionLedger;
  /** How long a placed gang may wait for all its workers to run before it is withdrawn (worker-health.ts). */
  readonly gangStartTimeoutMs?: number;
}

/** TrainingJobReconciler reconciles keys `TrainingJob/<namespace>/<name>`. */
export class TrainingJobReconciler implements Reconciler {
  readonly #o: TrainingJobReconcilerOptions;
  readonly #shell: WorkloadReconciler<TrainingJob, TrainingJobStatus>;
  readonly #writer: HubWriter<TrainingJob, TrainingJobStatus>;
  readonly #promised: PromisedCapacityTracker;
  readonly #config: PlacementConfig;
  readonly #pollMs: number;
  readonly #pendingMs: number;
  readonly #graceMs: number;
  readonly #startTimeoutMs: number;
  /**
   * Per key, per site: the newest lost epoch whose members are known to be gone there, so a job that lost a site
   * asks that site once, not on every pass. In memory only: after a restart each lost site is asked once more.
   */
  readonly #fenced = new Map<string, Map<string, number>>();
  /** Per key: the job's site when it stopped answering the hub, and since when. */
  readonly #silent = new SilentSites();

  constructor(options: TrainingJobReconcilerOptions) {
    this.#o = options;
    this.#writer = new HubTrainingJobWriter(options.hub);
    this.#promised = options.promised ?? new PromisedCapacityTracker();
    this.#config = options.placementConfig ?? DEFAULT_PLACEMENT_CONFIG;
    this.#pollMs = options.pollIntervalMs ?? 10_000;
    this.#pendingMs = options.pendingRetryMs ?? 10_000;
    this.#graceMs = options.siteLostGraceMs ?? DEFAULT_SITE_LOST_GRACE_MS;
    this.#startTimeoutMs = options.gangStartTimeoutMs ?? DEFAULT_GANG_START_TIMEOUT_MS;
    this.#shell = new WorkloadReconciler({
      adapter: {
        kind: Kind.TrainingJob,
        read: options.trainingJobs,
        converge: (pass, tj) => this.#converge(pass, tj),
        cleanUp: (pass, tj) => this.#cleanUp(pass, tj),
        forget: (key) => {
          this.#fenced.delete(key);
          this.#silent.forget(key);
        },
      },
      writer: this.#writer,
      events: options.events ?? noopEventRecorder,
      promised: this.#promised,
      logger: options.logger.child({ controller: 'trainingjob' }),
    });
  }

  reconcile(key: string): Promise<Result> {
    return this.#shell.reconcile(key);
  }

  /** #converge is one read → decide → act pass over a live job. */
  async #converge(pass: WorkloadPass, tj: TrainingJob): Promise<Result> {
    // 1. Read.
    const sites = this.#o.sites();
    const members = await this.#readMembers(pass, tj, sites);
    const silent = this.#silent.observe(pass.key, members.kind === 'Unreadable' ? [members.site] : [], this.#o.clock.now());
    // 2. Decide.
    const plan = decideTraining({
      tj,
      sites,
      members,
      discover: () => this.#o.findMemberJobs(pass.namespace, pass.name),
      unreachableSince: members.kind === 'Unreadable' ? silent.get(members.site) : undefined,
      promised: this.#promised.total(pass.key),
      config: this.#config,
      graceMs: this.#graceMs,
      pollMs: this.#pollMs,
      pendingMs: waitingRetryMs(this.#pendingMs, this.#o.admission?.lastCycle()?.waiting ?? 0),
      now: this.#o.clock.now(),
      startTimeoutMs: this.#startTimeoutMs,
      ...(this.#o.admission !== undefined && { admission: { verdict: this.#o.admission.verdict(pass.key), requota: (q, held) => this.#o.admission?.requota(q, held) } }),
    });
    // 3. Act.
    return this.#act(pass, tj, plan);
  }

  /** #readMembers reads the member objects at the site the job is placed on, if that site is listed. */
  async #readMembers(pass: WorkloadPass, tj: TrainingJob, sites: readonly Site[]): Promise<MemberRead> {
    const siteName = tj.status?.site;
    const site = siteName === undefined ? undefined : sites.find((s) => s.metadata.name === siteName);
    if (siteName === undefined || site === undefined) return { kind: 'None' };
    try {
      const port = this.#o.sitePorts.forSite(site);
      const observed = await readMembers(port, pass.namespace, memberName(pass.namespace, pass.name));
      if (observed.job === undefined || !shouldReadWorkers(tj, site, this.#o.clock.now(), this.#startTimeoutMs)) return { kind: 'Read', site: siteName, observed };
      // Pods and nodes only sharpen the decision (a device failure, a stuck gang): a site that will not show them (its
      // kubeconfig may not grant pods or nodes; its port may not show them) is not a site that cannot be read, so the
      // pass goes on without them.
      const workers = await readWorkers(port, pass.namespace, pass.name, currentEpoch(tj)).catch((err: unknown) => {
        pass.log.warn({ site: siteName, error: errorClass(err) }, 'reading worker pods and nodes failed; deciding without them');
        return undefined;
      });
      return { kind: 'Read', site: siteName, observed: workers === undefined ? observed : { ...observed, workers } };
    } catch (err: unknown) {
      return { kind: 'Unreadable', site: siteName, error: err };
    }
  }

  async #act(pass: WorkloadPass, tj: TrainingJob, plan: TrainingPlan): Promise<Result> {
    if (plan.releaseFirst) this.#promised.release(pass.key);
    // Hold before the first await, so a decision made concurrently for another job already counts this one.
    const undoHold = plan.hold === undefined ? undefined : this.#promised.hold(pass.key, plan.hold);
    let written = tj;
    if (plan.status !== undefined) {
      try {
        written = await this.#writer.writeStatus(tj, plan.status);
      } catch (err: unknown) {
        undoHold?.(); // not release: see PromisedCapacityTracker.hold
        throw err;
      }
    }
    if (plan.release === 'now') this.#promised.release(pass.key);
    else if (plan.release === 'whenSettled') this.#promised.releaseWhenSettled(pass.key, this.#o.clock.now());
    for (const l of plan.logs) pass.log.info(l.fields, l.msg);
    for (const e of plan.events) this.#shell.event(written, e.type, e.reason, e.message);

    // Lost sites are fenced before anything is created elsewhere: the new epoch is on record by now.
    const fenceRetry = await this.#fenceLostSites(pass, written);
    const unclean = plan.fenceSites === undefined ? [] : await this.#fenceFound(pass, written, plan.fenceSites.sites, plan.fenceSites.epoch);
    if (plan.site?.kind === 'Create' && unclean.includes(plan.site.site)) {
      // An older copy is still going away where the new one goes: the next pass creates it (the recorded decision).
      return { requeueAfter: SHORT_WAIT_MS };
    }
    if (plan.site !== undefined) await this.#siteAction(pass, written, plan.site);
    if (plan.fail !== undefined) throw plan.fail;
    if (plan.expire === true) await this.#writer.delete(written);
    const planned = plan.result.requeueAfter;
    const settle = this.#promised.settleCheckInMs(pass.key, this.#o.clock.now());
    const after = settle === undefined ? planned : Math.min(planned ?? settle, settle);
    if (!fenceRetry) return after === undefined ? plan.result : { requeueAfter: after };
    return { requeueAfter: after === undefined ? this.#pollMs : Math.min(after, this.#pollMs) };
  }

  /** #siteAction carries out the plan's one action at the job's site. */
  async #siteAction(pass: WorkloadPass, tj: TrainingJob, action: SiteAction): Promise<void> {
    const site = this.#site(action.site);
    if (site === undefined) return; // placement only picks listed sites, and the reads were of listed ones
    const port = this.#o.sitePorts.forSite(site);
    const name = memberName(pass.namespace, pass.name);
    switch (action.kind) {
      case 'DeleteStaleJob':
        await deleteJob(port, pass.namespace, name);
        return;
      case 'DeleteMembers':
        await deleteMembers(port, pass.namespace, name, pass.name);
        return;
      case 'ApplyService':
        await applyService(port, this.#render(tj, action.decision));
        return;
      case 'Create':
        return this.#create(pass, tj, action);
    }
  }

  /**
   * #create brings the member objects into being. After a fresh decision the status was written already and the
   * next pass mirrors the Job (its informer wakes it); for a recorded decision this is the pass's one write.
   */
  async #create(pass: WorkloadPass, tj: TrainingJob, action: SiteAction & { readonly kind: 'Create' }): Promise<void> {
    const site = this.#site(action.site);
    if (site === undefined) return;
    const members = this.#render(tj, action.decision);
    let job;
    try {
      job = await createMembers(this.#o.sitePorts.forSite(site), members);
    } catch (err: unknown) {
      const message = `creating member objects on ${action.site} failed: ${err instanceof Error ? err.message : String(err)}`;
      // Only where this is the pass's one write: after a fresh decision the retry records it.
      if (action.mirror) await this.#writer.writeStatus(tj, nextStatus(tj, { kind: 'MemberCreateFailed', message }, this.#now()));
      this.#shell.event(tj, 'Warning', EventReason.MemberCreateFailed, message);
      throw err;
    }
    pass.log.info({ site: action.site, job: members.job.metadata?.name, epoch: action.decision.epoch }, 'created member objects');
    if (!action.mirror) return;
    const plan = mirror({ pollMs: this.#pollMs }, tj, action.site, job, (base, u) => nextStatus(base, u, this.#now()));
    if (plan.status === undefined) return;
    const written = await this.#writer.writeStatus(tj, plan.status);
    if (plan.release === 'now') this.#promised.release(pass.key);
    else if (plan.release === 'whenSettled') this.#promised.releaseWhenSettled(pass.key, this.#o.clock.now());
    for (const e of plan.events) this.#shell.event(written, e.type, e.reason, e.message);
  }

  /**
   * #fenceLostSites deletes member objects of older epochs (or of another uid) at the sites an attempt of the job
   * was lost at, where the Site is Ready (or at least answers) now. Failures do not block the job: such a site is
   * tried again on a later pass, and when its Site changes. Says whether a reachable site is still to be cleaned.
   */
  async #fenceLostSites(pass: WorkloadPass, tj: TrainingJob): Promise<boolean> {
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
        const r = await fenceMembers(this.#o.sitePorts.forSite(site), pass.namespace, name, {
          workload: pass.name,
          epoch,
          uid: tj.metadata.uid,
        });
        if (r.deleted.length > 0) {
          pass.log.info({ site: t.site, deleted: r.deleted, epoch }, 'deleted member objects of an earlier placement');
          this.#shell.event(tj, 'Normal', EventReason.Fenced, `deleted ${r.deleted.join(', ')} from ${t.site} (current epoch ${epoch})`);
        }
        if (r.clean) this.#markFenced(pass.key, t.site, t.lostEpoch);
        else retry ||= reachable;
      } catch (err: unknown) {
        pass.log.debug({ site: t.site, err }, 'could not fence a lost site; asking its agent, and trying again later');
        this.#o.fenceThroughAgent?.(t.site, { namespace: pass.namespace, name: pass.name, uid: tj.metadata.uid ?? '', epoch });
        retry ||= reachable;
      }
    }
    return retry;
  }

  /**
   * #fenceFound deletes, at sites where members were rediscovered, those older than `epoch` or of another uid.
   * Returns the sites where something is still there (not answering, or still being deleted).
   */
  async #fenceFound(pass: WorkloadPass, tj: TrainingJob, sites: readonly string[], epoch: number): Promise<string[]> {
    const name = memberName(pass.namespace, pass.name);
    const unclean: string[] = [];
    for (const siteName of sites) {
      const site = this.#site(siteName);
      if (site === undefined) continue;
      try {
        const r = await fenceMembers(this.#o.sitePorts.forSite(site), pass.namespace, name, { workload: pass.name, epoch, uid: tj.metadata.uid });
        if (r.deleted.length > 0) {
          pass.log.info({ site: siteName, deleted: r.deleted, epoch }, 'deleted rediscovered member objects');
          this.#shell.event(tj, 'Normal', EventReason.Fenced, `deleted ${r.deleted.join(', ')} from ${siteName} (current epoch ${epoch})`);
        }
        if (!r.clean) unclean.push(siteName);
      } catch (err: unknown) {
        pass.log.info({ site: siteName, err }, 'could not fence rediscovered members; asking its agent, and trying again');
        this.#o.fenceThroughAgent?.(siteName, { namespace: pass.namespace, name: pass.name, uid: tj.metadata.uid ?? '', epoch });
        unclean.push(siteName);
      }
    }
    return unclean;
  }

  #markFenced(key: string, site: string, epoch: number): void {
    let bySite = this.#fenced.get(key);
    if (bySite === undefined) this.#fenced.set(key, (bySite = new Map()));
    bySite.set(site, Math.max(bySite.get(site) ?? 0, epoch));
  }

  /**
   * #cleanUp deletes the member objects at every site that may hold some (failover.ts cleanupSites). A site that
   * fails to answer keeps the finalizer, unless the job may give up on it (failover.ts mayAbandon): removed from
   * the federation, or not Ready for longer than the grace. That bound keeps a site that never comes back from
   * blocking deletion forever.
   */
  async #cleanUp(pass: WorkloadPass, tj: TrainingJob): Promise<CleanUpOutcome> {
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
        if (await deleteMembers(this.#o.sitePorts.forSite(site), pass.namespace, name, pass.name)) cleaned.push(siteName);
        else waiting = true;
      } catch (err: unknown) {
        if (mayAbandon(site, this.#graceMs, now)) abandoned.push(siteName);
        else failure ??= err;
      }
    }
    if (failure !== undefined) throw failure;
    if (waiting) return { done: false, result: { requeueAfter: SHORT_WAIT_MS } };
    if (abandoned.length > 0) pass.log.warn({ sites: abandoned }, 'sites removed or lost beyond the grace; their member objects, if any, are left');
    const parts = [
      ...(cleaned.length > 0 ? [`member objects deleted from ${cleaned.join(', ')}`] : []),
      ...(abandoned.length > 0 ? [`not reachable, left as they are: ${abandoned.join(', ')}`] : []),
    ];
    return { done: true, message: parts.length === 0 ? 'nothing to clean up' : parts.join('; ') };
  }

  #render(tj: TrainingJob, decision: MemberDecision): MemberObjects {
    try {
      return renderMembers(tj, decision);
    } catch (err: unknown) {
      // Deterministic: retrying the same spec renders the same failure. A spec change enqueues the key again.
      throw new TerminalError(`cannot render member objects: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }

  #now(): Date {
    return new Date(this.#o.clock.now());
  }

  #site(name: string): Site | undefined {
    return this.#o.sites().find((s) => s.metadata.name === name);
  }
}
