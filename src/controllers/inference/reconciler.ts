/**
 * The InferenceService reconciler: spreads a service's replicas over sites, keeps a Deployment and a Service at each
 * chosen site, mirrors their readiness and addresses into status, moves a lost site's share elsewhere (and a
 * refusing site's at once), serves from replacements while a site's lease is expired, and cleans up on delete.
 * Level-triggered, in the numbered steps of STYLE.md "Read group → decide → act":
 * 1. read the hub object (informer cache); 2. read the member objects at every Ready site and every site in
 * status.sites (a failed read is never "none there"); 3. decide (placing.ts, fencing.ts: pure); 4. act: write the
 * decision to status first, then apply and delete at the sites, then write what was observed.
 *
 * Crash safety rests on the same ordering as the TrainingJob's: the assignment and its epoch are in status (written
 * with a resourceVersion precondition) before any site is touched for them, so a restarted operator converges on the
 * recorded decision instead of making a second one, and a pass that read a stale cache cannot record one.
 */
import type { InferenceService, InferenceServiceStatus, Site } from '../../api/generated/types.ts';
import { ConditionStatus, ConditionType, Kind } from '../../api/names.ts';
import { DEFAULT_PLACEMENT_CONFIG, type PlacementConfig } from '../../placement/config.ts';
import { inferenceWorkload } from '../../placement/workload.ts';
import { TerminalError, type Reconciler, type Result } from '../../runtime/reconciler.ts';
import { findCondition, isTrue } from '../../runtime/conditions.ts';
import type { AdmissionLedger } from '../framework/admission-ledger.ts';
import { EventReason, noopEventRecorder, type EventType } from '../framework/events.ts';
import { admittedStatus, waitingStatus, waitsForAdmission } from './admission-status.ts';
import { SilentSites } from '../framework/silent-sites.ts';
import { WorkloadReconciler, type CleanUpOutcome, type WorkloadOptions, type WorkloadPass } from '../framework/workload-reconciler.ts';
import { PromisedCapacityTracker } from '../framework/promised-capacity.ts';
import { InferenceEventReason } from './event-reasons.ts';
import { planSites, type MemberRef, type SitePlan } from './fencing.ts';
import { HubInferenceServiceWriter } from './hub-writer.ts';
import { inferenceMemberName, renderInferenceMembers, type InferenceMembers } from './member-objects.ts';
import { placeInferenceService, type InferencePlacement } from './placing.ts';
import { RefusedSites, refusalText } from './refused-sites.ts';
import { replacementCount, scaledBackNote, type Replacements } from './replacements.ts';
import type { MemberRefusal } from '../../clusters/site-member-port.ts';
import { DEFAULT_SITE_LOST_GRACE_MS, siteLost } from '../framework/site-liveness.ts';
import { actAt, cleanUpAt, errorText, observationsOf, readSites, type SiteFailure } from './site-actions.ts';
import { invalidSpecStatus, nextInferenceStatus, type SiteObservation } from './status.ts';
import { withReplicaIntervals } from './replica-intervals.ts';

/** InferenceServiceReconcilerOptions configures an InferenceServiceReconciler. */
export interface InferenceServiceReconcilerOptions extends WorkloadOptions {
  /** inferenceServices reads an InferenceService from the informer cache. */
  readonly inferenceServices: (namespace: string, name: string) => InferenceService | undefined;
  /** The admission ledger: a service's minimum replicas are admitted by its queue before its first placement. */
  readonly admission?: AdmissionLedger;
  /** placementTimer starts timing one placement and returns what ends it (the operator's metrics); default none. */
  readonly placementTimer?: () => () => void;
}

/** Wait for the hub cache to catch up with a site, or for deletions at a site to finish. */
const SHORT_WAIT_MS = 1000;

type Pass = WorkloadPass;

/** InferenceServiceReconciler reconciles keys `InferenceService/<namespace>/<name>`. */
export class InferenceServiceReconciler implements Reconciler {
  readonly #o: InferenceServiceReconcilerOptions;
  readonly #shell: WorkloadReconciler<InferenceService, InferenceServiceStatus>;
  readonly #writer: HubInferenceServiceWriter;
  readonly #promised: PromisedCapacityTracker;
  readonly #config: PlacementConfig;
  readonly #graceMs: number;
  readonly #pollMs: number;
  /** Per service key: the Ready sites it could not read, and since when. */
  readonly #silent = new SilentSites();
  /** Per service key: the sites that refused its members, and for which spec. */
  readonly #refused = new RefusedSites();
  /** Per service key: the replacement replicas of its recorded decision (replacements.ts: why in memory). */
  readonly #replacements = new Map<string, Replacements>();

  constructor(options: InferenceServiceReconcilerOptions) {
    this.#o = options;
    this.#writer = new HubInferenceServiceWriter(options.hub);
    this.#promised = options.promised ?? new PromisedCapacityTracker();
    this.#config = options.placementConfig ?? DEFAULT_PLACEMENT_CONFIG;
    this.#graceMs = options.siteLostGraceMs ?? DEFAULT_SITE_LOST_GRACE_MS;
    this.#pollMs = options.pollIntervalMs ?? 10_000;
    this.#shell = new WorkloadReconciler({
      adapter: {
        kind: Kind.InferenceService,
        read: options.inferenceServices,
        converge: (pass, svc) => this.#converge(pass, svc),
        cleanUp: (pass, svc) => this.#cleanUp(pass, svc),
        forget: (key) => {
          this.#silent.forget(key);
          this.#refused.forget(key);
          this.#replacements.delete(key);
        },
      },
      writer: this.#writer,
      events: options.events ?? noopEventRecorder,
      promised: this.#promised,
      logger: options.logger.child({ controller: 'inferenceservice' }),
    });
  }

  reconcile(key: string): Promise<Result> {
    return this.#shell.reconcile(key);
  }

  /** #converge is one pass over a live service (it carries the finalizer): steps 2 to 4 of the file comment. */
  async #converge(pass: Pass, cached: InferenceService): Promise<Result> {
    const key = pass.key;
    let svc = cached;
    const workload = inferenceWorkload(svc);
    if (!workload.ok) {
      // Deterministic: the same spec fails the same way; a spec change enqueues the key again. What runs stays.
      const message = `invalid spec: ${workload.errors.join('; ')}`;
      await this.#writer.writeStatus(svc, invalidSpecStatus(svc, message, this.#now()));
      this.#event(svc, 'Warning', InferenceEventReason.InvalidSpec, message);
      return {};
    }

    // 1b. Admission: the minimum replicas are charged to the queue before the first placement.
    const gate = this.#o.admission;
    if (gate !== undefined && waitsForAdmission(svc)) {
      const verdict = gate.verdict(key);
      if (verdict === undefined || verdict.kind === 'Preempt') return { requeueAfter: SHORT_WAIT_MS };
      if (verdict.kind === 'Wait') {
        const before = findCondition(svc.status?.conditions, ConditionType.Admitted);
        const written = await this.#writer.writeStatus(svc, waitingStatus(svc, verdict, this.#now()));
        if (before?.reason !== verdict.reason || before.message !== verdict.message) this.#event(written, 'Normal', EventReason.Queued, verdict.message);
        return { requeueAfter: this.#pollMs };
      }
      svc = await this.#writer.writeStatus(svc, admittedStatus(svc, verdict, this.#now()));
      this.#event(svc, 'Normal', EventReason.Admitted, findCondition(svc.status?.conditions, ConditionType.Admitted)?.message ?? 'admitted');
    }

    // 2. Read the member objects at every Ready site and at every site the status names.
    const sites = this.#o.sites();
    const recorded = new Set((svc.status?.sites ?? []).map((s) => s.site));
    const toRead = sites.filter((s) => isReady(s) || recorded.has(s.metadata.name ?? ''));
    const reads = await readSites(this.#o.sitePorts, svc, toRead);
    for (const [site, read] of reads) if (!read.ok) pass.log.warn({ site, err: read.error }, 'reading member objects failed');
    // Sites that are not Ready are the lease's business (site-liveness.ts); this is about Ready ones that do not answer.
    const silent = sites.filter((s) => isReady(s) && reads.get(s.metadata.name ?? '')?.ok === false).map((s) => s.metadata.name ?? '');
    const unreachableSince = this.#silent.observe(key, silent, this.#o.clock.now());
    const reported = new Map<string, MemberRefusal>();
    for (const [site, read] of reads) if (read.ok && read.refused !== undefined) reported.set(site, read.refused);
    const refused = this.#refused.observe(key, svc.metadata.generation ?? 0, reported);
    for (const r of refused) {
      if (!r.fresh) continue;
      pass.log.info({ site: r.site, reason: r.reason }, 'the site refused the members; placing elsewhere');
      this.#event(svc, 'Warning', InferenceEventReason.RefusedBySite, refusalText(r));
    }
    const replaced = this.#replacements.get(key);

    // 3. Decide.
    const placed = this.#o.placementTimer?.();
    const decision = placeInferenceService({
      svc,
      workload: workload.value,
      sites,
      reads,
      promised: this.#promised.total(key),
      config: this.#config,
      graceMs: this.#graceMs,
      now: this.#now(),
      unreachableSince,
      refused,
      replacements: replaced,
    });
    placed?.();
    const fence = planSites(inferenceMemberName(svc), decision.assignments, decision.epoch, reads, svc.metadata.uid);
    if (fence.kind === 'Wait') {
      pass.log.debug({ reason: fence.reason }, 'waiting for the hub cache to catch up');
      return { requeueAfter: SHORT_WAIT_MS };
    }

    // 4. Act: the decision goes to status before any site is touched for it.
    const observed = observationsOf(svc, reads);
    const before = svc.status;
    if (decision.changed) {
      // Hold before the first await, so a decision made concurrently for another workload already counts this one.
      const undoHold = this.#promised.hold(key, decision.promised);
      try {
        svc = await this.#writer.writeStatus(svc, withReplicaIntervals(svc, nextInferenceStatus(svc, decision, observed, this.#now()), sites, this.#now()));
      } catch (err: unknown) {
        undoHold(); // not release: see PromisedCapacityTracker.hold
        throw err;
      }
      this.#announceDecision(pass, svc, decision, replaced);
    }
    // Remembered once recorded: the next pass reads them against the status this decision wrote.
    if (decision.replacements === undefined) this.#replacements.delete(key);
    else this.#replacements.set(key, decision.replacements);
    const failures = await this.#act(pass, svc, fence.sites, decision.epoch, observed);
    const written = await this.#writer.writeStatus(svc, withReplicaIntervals(svc, nextInferenceStatus(svc, decision, observed, this.#now()), sites, this.#now()));
    if (allReady(written.status)) this.#promised.releaseWhenSettled(key, this.#o.clock.now());
    this.#announceReadiness(written, before, written.status);

    const first = failures[0];
    if (first !== undefined) {
      const message = `writing member objects at ${failures.map((f) => f.site).join(', ')} failed: ${errorText(first.error)}`;
      this.#event(written, 'Warning', InferenceEventReason.MemberWriteFailed, message);
      throw first.error instanceof Error ? first.error : new Error(message);
    }
    // A promise still held once the replicas are ready is looked at again when it settles, not at the next poll.
    const settle = this.#promised.settleCheckInMs(key, this.#o.clock.now()) ?? Number.POSITIVE_INFINITY;
    return { requeueAfter: Math.max(1, Math.min(this.#pollMs, decision.recheckInMs ?? Number.POSITIVE_INFINITY, settle)) };
  }

  /** #act carries out the fence plan at every site in parallel and records what the sites hold afterwards. */
  async #act(pass: Pass, svc: InferenceService, plans: readonly SitePlan[], epoch: number, observed: Map<string, SiteObservation>): Promise<SiteFailure[]> {
    const namespace = svc.metadata.namespace ?? 'default';
    const sites = new Map(this.#o.sites().map((s) => [s.metadata.name ?? '', s]));
    const outcomes = await Promise.all(
      plans.map(async (plan) => {
        const site = sites.get(plan.site);
        if (site === undefined) return { site: plan.site, deleted: 0 };
        const members = plan.apply === undefined ? undefined : this.#render(svc, plan, epoch);
        try {
          return await actAt(this.#o.sitePorts.forSite(site), namespace, plan, members, observed.get(plan.site));
        } catch (err: unknown) {
          return { site: plan.site, deleted: 0, failure: { site: plan.site, error: err } };
        }
      }),
    );
    const failures: SiteFailure[] = [];
    for (const [i, out] of outcomes.entries()) {
      const plan = plans[i];
      if (out.observed !== undefined) observed.set(out.site, out.observed);
      if (out.failure !== undefined) failures.push(out.failure);
      if (out.deleted > 0 && plan !== undefined) {
        const said = (refs: readonly MemberRef[]): string => refs.map((d) => `${d.kind} ${d.name} (epoch ${d.epoch ?? '?'})`).join(', ');
        const fenced = plan.deletes.filter((d) => d.withdrawn !== true);
        const withdrawn = plan.deletes.filter((d) => d.withdrawn === true);
        pass.log.info({ site: out.site, deleted: said(fenced), withdrawn: withdrawn.map((d) => `${d.kind} ${d.name}`) }, 'deleted member objects');
        if (plan.apply === undefined && fenced.length > 0) {
          this.#event(svc, 'Normal', InferenceEventReason.Fenced, `deleted member objects at ${out.site}, which is no longer assigned: ${said(fenced)}`);
        }
      }
    }
    return failures;
  }

  /**
   * #cleanUp deletes the member objects everywhere; the shell then removes the finalizer. Sites that must answer first: every
   * Ready site and every site in status.sites that is not lost. Others (lost, removed) are tried but cannot hold the
   * delete forever: what a lost site still holds stays there until the service is recreated (fencing then deletes
   * it) or an orphan sweep, which does not exist yet, finds it.
   */
  async #cleanUp(pass: Pass, svc: InferenceService): Promise<CleanUpOutcome> {
    const recorded = new Set((svc.status?.sites ?? []).map((s) => s.site));
    const nowMs = this.#o.clock.now();
    const sites = this.#o.sites();
    const outcomes = await Promise.all(sites.map((site) => cleanUpAt(this.#o.sitePorts, svc, site)));
    const required = (site: Site): boolean =>
      isReady(site) || (recorded.has(site.metadata.name ?? '') && siteLost(site, this.#graceMs, nowMs).kind !== 'Lost');
    let waiting = false;
    for (const [i, out] of outcomes.entries()) {
      const site = sites[i];
      if (out.gone || site === undefined) continue;
      if (!required(site)) {
        pass.log.warn({ site: out.site, err: out.failure === undefined ? undefined : errorText(out.failure.error) }, 'could not clean up at a lost site; skipping it');
        continue;
      }
      if (out.failure !== undefined) throw out.failure.error instanceof Error ? out.failure.error : new Error(errorText(out.failure.error));
      waiting = true;
    }
    if (waiting) return { done: false, result: { requeueAfter: SHORT_WAIT_MS } };
    return { done: true, message: 'member objects deleted at every site' };
  }

  #announceDecision(pass: Pass, svc: InferenceService, d: InferencePlacement, replacedBefore: Replacements | undefined): void {
    const message = d.placement.message ?? '';
    for (const m of d.moves) {
      pass.log.info({ site: m.site, replicas: m.replicas, reason: m.reason }, 'moving replicas');
      this.#event(svc, 'Warning', InferenceEventReason.ReplicasMoved, `${m.message}: moving ${m.replicas} replica${m.replicas === 1 ? '' : 's'}`);
    }
    if (d.scaledBack.length > 0) {
      pass.log.info({ scaledBack: d.scaledBack }, 'scaling back replacement replicas');
      this.#event(svc, 'Normal', InferenceEventReason.ReplacementsScaledBack, scaledBackNote(d.scaledBack, replacedBefore?.expired ?? []));
    }
    if (d.replacing !== undefined && replacementCount(d.replacements) > replacementCount(replacedBefore)) {
      pass.log.info({ replacements: d.replacements }, 'placing replacement replicas while a lease is expired');
      this.#event(svc, 'Warning', InferenceEventReason.ReplacementsPlaced, d.replacing);
    }
    pass.log.info({ epoch: d.epoch, assignments: d.assignments.map((a) => `${a.site}=${a.replicas}(${a.variant})`) }, 'placed');
    if (d.assignments.length === 0) this.#event(svc, 'Warning', InferenceEventReason.Unschedulable, message);
    else this.#event(svc, 'Normal', d.epoch === 1 ? InferenceEventReason.Placed : InferenceEventReason.Rebalanced, message);
  }

  #announceReadiness(svc: InferenceService, before: InferenceServiceStatus | undefined, after: InferenceServiceStatus | undefined): void {
    const was = findCondition(before?.conditions, ConditionType.Ready);
    const now = findCondition(after?.conditions, ConditionType.Ready);
    if (now === undefined || was?.status === now.status) return;
    if (now.status === ConditionStatus.True) this.#event(svc, 'Normal', InferenceEventReason.Ready, now.message);
    else if (was !== undefined) this.#event(svc, 'Warning', InferenceEventReason.NotReady, now.message);
  }

  #render(svc: InferenceService, plan: SitePlan, epoch: number): InferenceMembers {
    if (plan.apply === undefined) throw new TerminalError(`nothing to render at ${plan.site}`);
    try {
      return renderInferenceMembers(svc, plan.apply, epoch);
    } catch (err: unknown) {
      // placement only assigns variants of the spec; a failure here is deterministic and retrying will not help.
      throw new TerminalError(`cannot render member objects: ${errorText(err)}`, { cause: err });
    }
  }

  #now(): Date {
    return new Date(this.#o.clock.now());
  }

  #event(svc: InferenceService, type: EventType, reason: string, message: string): void {
    this.#shell.event(svc, type, reason, message);
  }
}

function isReady(site: Site): boolean {
  return isTrue(site.status?.conditions, ConditionType.Ready);
}

/** allReady says whether every assigned site serves its full share (the promise for new replicas can go). */
function allReady(status: InferenceServiceStatus | undefined): boolean {
  return (status?.sites ?? []).every((s) => (s.readyReplicas ?? 0) >= (s.replicas ?? 0));
}
