/**
 * The TrainingJob controller's decision, as a pure function of what one pass read: the hub object, the Sites, the
 * member objects at the job's site, the capacity others hold, and the time. It returns a plan — at most one status
 * to write, at most one action at a site, events and when to look again — that the
 * reconciler carries out in a fixed order (reconciler.ts). Keeping every branch here, with no I/O, is what lets the
 * tests walk each path by hand.
 *
 * Several things that happen in one pass fold into one status: a failover closes the lost attempt AND records the
 * new placement in the same write, so the record never shows a job between two sites.
 */
import type { V1Job } from '@kubernetes/client-node';
import type { Site, TrainingJob, TrainingJobStatus } from '../../api/generated/types.ts';
import type { MemberRefusal } from '../../clusters/site-member-port.ts';
import { AttemptOutcome, ConditionType, LABEL_EPOCH, LABEL_NAMESPACE, LABEL_POOL, LABEL_SITE, LABEL_WORKLOAD, Reason, TrainingJobPhase } from '../../api/names.ts';
import { errorClass } from '../../runtime/errors.ts';
import type { SiteMembers } from '../../cache/member-informers.ts';
import type { PlacementConfig } from '../../placement/config.ts';
import type { PromisedCapacity } from '../../placement/snapshot.ts';
import type { Result } from '../../runtime/reconciler.ts';
import { EventReason, type EventType } from '../framework/events.ts';
import { isForeignMember, isStaleMember } from '../framework/fencing.ts';
import { memberEpoch } from '../framework/fencing.ts';
import { LABEL_VARIANT } from '../framework/member-labels.ts';
import { memberName } from '../framework/member-names.ts';
import { siteLost } from '../framework/site-liveness.ts';
import { failoverReason, judgeSite, judgeUnreachable, moveOrGiveUp } from './failover.ts';
import { DEFAULT_GANG_START_TIMEOUT_MS, startOverdue, type WorkerHealth } from './worker-health.ts';
import type { MemberDecision } from './member-objects.ts';
import { neverFits, placeTrainingJob, recordedDecision } from './placing.ts';
import type { ObservedMembers } from './site-members.ts';
import { spreadMs } from '../../api/hash.ts';
import { currentEpoch, isTerminal, membersSeen, nextStatus, type StatusUpdate } from './status.ts';
import type { Verdict } from '../../queueing/admission-cycle.ts';
import { parseAmounts, toQuantities, type Amounts } from '../../queueing/amounts.ts';
import type { PoolFilter } from '../../placement/filters/filter.ts';
import { attemptPrice } from '../../queueing/attempt-price.ts';
import { chargeWithin } from '../../queueing/quota-filter.ts';
import { findCondition } from '../../runtime/conditions.ts';

/** Short waits: for deletions at a site to finish, and for the hub cache to catch up with a site. */
export const SHORT_WAIT_MS = 1000;
/** Wait before looking again at a name taken by an object that is not ours. */
export const FOREIGN_WAIT_MS = 30_000;

/** MemberRead is what reading the member objects at the job's current site came to. */
export type MemberRead =
  /** Not placed, or placed at a site that is no longer listed: nothing was read. */
  | { readonly kind: 'None' }
  | { readonly kind: 'Read'; readonly site: string; readonly observed: ObservedMembers }
  /** The site did not answer; never taken as "no members there". */
  | { readonly kind: 'Unreadable'; readonly site: string; readonly error: unknown };

/** TrainingInput is everything one pass read. */
export interface TrainingInput {
  /** The job, live and carrying the finalizer. */
  readonly tj: TrainingJob;
  readonly sites: readonly Site[];
  readonly members: MemberRead;
  /**
   * The job's member Jobs at every watched site, read from the informer caches only when a new placement is about to
   * be made: members the status does not know of (a lost status, a restored backup) are adopted or fenced first.
   */
  readonly discover: () => readonly SiteMembers[];
  /** Capacity promised to other workloads, not yet in the sites' reports. */
  readonly promised: PromisedCapacity;
  readonly config: PlacementConfig;
  readonly graceMs: number;
  /** When the job's site was first seen not answering (in this process), while it still does not; else undefined. */
  readonly unreachableSince?: number | undefined;
  readonly pollMs: number;
  readonly pendingMs: number;
  readonly now: number;
  /**
   * The job's latest verdict from the admission ledger (controllers/framework/admission-ledger.ts): Admit with its
   * placement, Wait with the reason, or Preempt. Absent: the operator runs without admission and places directly.
   */
  readonly admission?: {
    readonly verdict: Verdict | undefined;
    /** The quota check for an admitted job placed again (framework/admission-ledger.ts requota). */
    readonly requota?: (queue: string, held: Amounts) => PoolFilter | undefined;
  };
  /** How long a placed gang may wait for all its workers to run (default DEFAULT_GANG_START_TIMEOUT_MS). */
  readonly startTimeoutMs?: number;
}

/** SiteAction is the one thing a pass does at the job's site. */
export type SiteAction =
  /**
   * Create the Namespace, Service and Job for `decision`. `mirror`: no status was written before it in this pass,
   * so the created Job is mirrored into status afterwards (or the failure recorded); otherwise the next pass does.
   */
  | { readonly kind: 'Create'; readonly site: string; readonly decision: MemberDecision; readonly mirror: boolean }
  /** Apply the rendezvous Service over a missing or stale one. */
  | { readonly kind: 'ApplyService'; readonly site: string; readonly decision: MemberDecision }
  /** Delete a member Job of an older epoch or another uid before anything else happens there. */
  | { readonly kind: 'DeleteStaleJob'; readonly site: string }
  /** Delete the member Job and Service (suspension, or what is left of a vanished Job). */
  | { readonly kind: 'DeleteMembers'; readonly site: string };

/** PlannedEvent is an event to record once the status write went through. */
export interface PlannedEvent {
  readonly type: EventType;
  readonly reason: string;
  readonly message: string;
}

/** PlannedLog is a log line naming what was decided. */
export interface PlannedLog {
  readonly msg: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

/** TrainingPlan is what one pass does, in the order the reconciler carries it out. */
export interface TrainingPlan {
  /** 1. Release the job's promise before anything (its placement ended). */
  readonly releaseFirst: boolean;
  /** 2. Hold this capacity for a new placement: synchronously, before the first await. */
  readonly hold?: PromisedCapacity;
  /** 3. The one status write of the pass (undefined: none before the site action). */
  readonly status?: TrainingJobStatus;
  /** 4. After the write: release the promise now, or once the site's report has caught up. */
  readonly release?: 'now' | 'whenSettled';
  /** 5. (always) Fence the sites earlier attempts were lost at: failover.ts sitesToFence of the status as written. */
  /** 5b. Fence these sites too (members rediscovered there), for this epoch: older epochs and other uids go. */
  readonly fenceSites?: { readonly sites: readonly string[]; readonly epoch: number };
  /** 6. The site action. */
  readonly site?: SiteAction;
  readonly events: readonly PlannedEvent[];
  readonly logs: readonly PlannedLog[];
  /** When to look again; a fence that left work behind shortens it to the poll interval. */
  readonly result: Result;
  /** Throw this after acting (a site that must answer did not): the work queue backs off. */
  readonly fail?: unknown;
  /** 7. Delete the TrainingJob itself (ttlSecondsAfterFinished passed); its finalizer cleans the sites. */
  readonly expire?: boolean;
}

/** decideTraining plans one pass for a live TrainingJob. Pure. */
export function decideTraining(input: TrainingInput): TrainingPlan {
  const { tj } = input;
  const at = new Date(input.now);
  const next = (base: TrainingJob, update: StatusUpdate): TrainingJobStatus => nextStatus(base, update, at);

  // A finished job keeps its member Job (for its logs) and its status; only observedGeneration follows the spec.
  // Members at sites it was lost at are fenced whatever it does now.
  if (isTerminal(tj.status?.phase)) return finished(input, next);
  if (tj.spec.suspend === true) return suspend(input, next);
  const queued = input.admission?.verdict;
  if (queued?.kind === 'Preempt' && tj.status?.admission !== undefined) return preempt(input, queued.message, next);

  const siteName = tj.status?.site;
  if (siteName === undefined) return placeAnew(input, tj, [], []);
  const site = input.sites.find((s) => s.metadata.name === siteName);
  const verdict = judgeSite(tj, siteName, site, input.graceMs, input.now);
  const failovers = tj.status?.failovers ?? 0;
  if (verdict.kind === 'GiveUp') {
    return plan({
      releaseFirst: true,
      status: next(tj, { kind: 'FailoverLimitExceeded', message: verdict.message }),
      events: [{ type: 'Warning', reason: failoverReason(verdict), message: verdict.message }],
      logs: [{ msg: 'site lost; failover limit reached, job failed', fields: { site: siteName, failovers } }],
      result: {},
    });
  }
  if (verdict.kind === 'FailOver') {
    const lost = withStatus(tj, next(tj, { kind: 'Unplaced', outcome: 'SiteLost', message: verdict.message }));
    return placeAnew(
      input,
      lost,
      [{ type: 'Warning', reason: failoverReason(verdict), message: verdict.message }],
      [{ msg: 'site lost; failing over', fields: { site: siteName, failovers } }],
    );
  }
  if (site === undefined) return plan({ result: { requeueAfter: SHORT_WAIT_MS } }); // judgeSite fails over from a removed site
  if (verdict.kind === 'Stay' && input.members.kind === 'Unreadable') return unreachable(input, siteName, input.members.error, next);
  const recheck = verdict.kind === 'Wait' ? verdict.recheckInMs : undefined;
  const converged = converge(input, siteName, site, next);
  if (recheck === undefined) return converged;
  // Not Ready, within the grace: keep the job there, and look again when the grace runs out (no Site change wakes
  // the job then). A site that does not answer meanwhile is not an error: its grace is running.
  if (converged.fail !== undefined) {
    const { fail: _fail, ...rest } = converged;
    return {
      ...rest,
      logs: [...rest.logs, { msg: 'site not Ready and not answering; within the grace', fields: { site: siteName, recheckInMs: recheck } }],
      result: { requeueAfter: Math.min(input.pollMs, recheck) },
    };
  }
  const after = converged.result.requeueAfter;
  return after === undefined ? converged : { ...converged, result: { requeueAfter: Math.min(after, recheck) } };
}

/**
 * unreachable plans the pass of a job whose site is Ready but does not answer the hub: say so on the job (the site
 * and the class of error, never the error's text, which may quote credentials), and after the grace move the job as
 * from a lost site, placing it anywhere but there. The promise is kept meanwhile: the hub's failure to read the site
 * says nothing of the site itself, whose scheduler may still bind the members' pods (and a new operator's first pass
 * can find a site client not built yet); placeAnew gives it back when the job moves.
 */
function unreachable(input: TrainingInput, siteName: string, error: unknown, next: (base: TrainingJob, u: StatusUpdate) => TrainingJobStatus): TrainingPlan {
  const { tj } = input;
  const message = `site ${siteName} cannot be reached from the hub (${errorClass(error)})`;
  const forMs = input.now - (input.unreachableSince ?? input.now);
  const verdict = judgeUnreachable(tj, message, forMs, input.graceMs);
  if (verdict.kind === 'Wait' || verdict.kind === 'Stay') {
    return plan({
      status: next(tj, { kind: 'SiteUnreachable', message }),
      events: [{ type: 'Warning', reason: Reason.SiteUnreachable, message }],
      logs: [{ msg: 'site not answering; within the grace', fields: { site: siteName, error: errorClass(error) } }],
      result: { requeueAfter: Math.max(1, Math.min(input.pollMs, verdict.kind === 'Wait' ? verdict.recheckInMs : input.pollMs)) },
    });
  }
  const events: PlannedEvent[] = [{ type: 'Warning', reason: failoverReason(verdict), message: verdict.message }];
  if (verdict.kind === 'GiveUp') {
    return plan({ releaseFirst: true, status: next(tj, { kind: 'FailoverLimitExceeded', message: verdict.message }), events, result: {} });
  }
  const lost = withStatus(tj, next(tj, { kind: 'Unplaced', outcome: 'SiteLost', message: verdict.message }));
  const elsewhere = { ...input, sites: input.sites.filter((s) => s.metadata.name !== siteName) };
  return placeAnew(elsewhere, lost, events, [{ msg: 'site unreachable; failing over', fields: { site: siteName } }]);
}

/** converge plans the pass of a job placed at a listed site from what its members there look like. */
function converge(input: TrainingInput, siteName: string, site: Site, next: (base: TrainingJob, u: StatusUpdate) => TrainingJobStatus): TrainingPlan {
  const { tj, members } = input;
  if (members.kind !== 'Read' || members.site !== siteName) {
    const error = members.kind === 'Unreadable' ? members.error : new Error(`member objects at ${siteName} were not read`);
    return plan({ fail: error, result: {} });
  }
  const { job, service } = members.observed;
  const epoch = currentEpoch(tj);
  const ns = tj.metadata.namespace ?? '';
  const name = tj.metadata.name ?? '';
  const uid = tj.metadata.uid;
  const recorded = recordedDecision(tj, site);

  if (job !== undefined) {
    const labels = job.metadata?.labels ?? {};
    if (labels[LABEL_WORKLOAD] !== name || labels[LABEL_NAMESPACE] !== ns) {
      const message = `a Job ${job.metadata?.namespace ?? ns}/${job.metadata?.name ?? ''} not created for this TrainingJob exists on ${siteName}`;
      return plan({
        status: next(tj, { kind: 'MemberCreateFailed', message }),
          events: [{ type: 'Warning', reason: EventReason.MemberCreateFailed, message }],
        result: { requeueAfter: FOREIGN_WAIT_MS },
      });
    }
    const jobEpoch = Number(labels[LABEL_EPOCH] ?? 0);
    if (isStaleMember(job, epoch, uid)) {
      // A copy from an older placement, or from an earlier TrainingJob of this name: never let it run beside the
      // current one, nor adopt it.
      return plan({
          ...(job.metadata?.deletionTimestamp === undefined && { site: { kind: 'DeleteStaleJob', site: siteName } as const }),
        logs: [{ msg: 'deleting a stale member Job', fields: { site: siteName, jobEpoch, epoch, foreign: isForeignMember(job, uid) } }],
        result: { requeueAfter: SHORT_WAIT_MS },
      });
    }
    // A newer epoch than ours means our copy of the TrainingJob is behind the site; wait for the cache.
    if (jobEpoch > epoch || job.metadata?.deletionTimestamp !== undefined) return plan({ result: { requeueAfter: SHORT_WAIT_MS } });
    const workers = members.observed.workers;
    const finishing = job.status?.conditions?.some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True') === true;
    if (workers !== undefined && !finishing) {
      if (workers.unhealthyNodes.length > 0) return deviceFailure(input, siteName, workers, next);
      const timeout = input.startTimeoutMs ?? DEFAULT_GANG_START_TIMEOUT_MS;
      if (workers.pending.length > 0 && tj.status?.phase === TrainingJobPhase.Placed && startOverdue(tj, input.now, timeout)) {
        return withdraw(input, siteName, workers, timeout, next);
      }
    }
    const serviceStale = service === undefined || service.metadata?.labels?.[LABEL_EPOCH] !== String(epoch) || isForeignMember(service, uid);
    const observed = withStartCheck(input, mirror(input, tj, siteName, job, next));
    // Applied over: the stale Service (older epoch, other uid) takes this placement's labels and selector.
    return serviceStale && recorded !== undefined ? { ...observed, site: { kind: 'ApplyService', site: siteName, decision: recorded } } : observed;
  }

  if (members.observed.refusal !== undefined) return refused(siteName, members.observed.refusal, tj, next);

  if (membersSeen(tj)) {
    // The Job existed and is gone (deleted by someone, or the site lost it): clear what is left, then place anew.
    const leftover = service !== undefined && service.metadata?.labels?.[LABEL_WORKLOAD] === name && service.metadata.labels[LABEL_NAMESPACE] === ns;
    if (leftover) return plan({ site: { kind: 'DeleteMembers', site: siteName }, result: { requeueAfter: SHORT_WAIT_MS } });
    const message = `member Job ${memberName(ns, name)} vanished from ${siteName}`;
    const evicted = withStatus(tj, next(tj, { kind: 'Unplaced', outcome: 'Evicted', message }));
    return placeAnew(input, evicted, [{ type: 'Warning', reason: EventReason.Replacing, message }], []);
  }

  // Decided but not created yet: by an operator that stopped in between, or a create that failed.
  if (recorded === undefined) {
    return plan({ fail: new Error('status records no complete placement (site, variant, epoch)'), result: {} });
  }
  return plan({ site: { kind: 'Create', site: siteName, decision: recorded, mirror: true }, result: { requeueAfter: input.pollMs } });
}

/** mirror plans the write of what the member Job shows, with the promise and the phase events that follow. */
export function mirror(
  input: Pick<TrainingInput, 'pollMs'>,
  tj: TrainingJob,
  siteName: string,
  job: V1Job,
  next: (base: TrainingJob, u: StatusUpdate) => TrainingJobStatus,
): TrainingPlan {
  const status = next(tj, { kind: 'Observed', job });
  // Running: every worker is bound (ready or done), so the site's report will soon count the whole gang. One
  // visible pod is not enough: the rest of the gang's devices would be promised to nobody.
  const release = isTerminal(status.phase) ? ('now' as const) : status.phase === TrainingJobPhase.Running ? ('whenSettled' as const) : undefined;
  return plan({
    status,
    ...(release !== undefined && { release }),
    events: phaseEvents(tj, tj.status?.phase, status.phase, siteName),
    result: isTerminal(status.phase) ? {} : { requeueAfter: input.pollMs },
  });
}

/** phaseEvents turns a phase transition into events. */
export function phaseEvents(tj: TrainingJob, before: string | undefined, after: string | undefined, site: string): PlannedEvent[] {
  if (before === after) return [];
  if (after === TrainingJobPhase.Running) return [{ type: 'Normal', reason: EventReason.Started, message: `all ${tj.spec.workers ?? 1} workers running on ${site}` }];
  if (after === TrainingJobPhase.Succeeded) return [{ type: 'Normal', reason: EventReason.Succeeded, message: `completed on ${site}` }];
  if (after === TrainingJobPhase.Failed) return [{ type: 'Warning', reason: EventReason.Failed, message: `failed on ${site}` }];
  return [];
}

/**
 * placeAnew runs placement over `base` (the job with what this pass already decided folded into its status) and
 * plans one write of the outcome. A new decision is written before anything is created for it, then created.
 */
function placeAnew(input: TrainingInput, base: TrainingJob, events: readonly PlannedEvent[], logs: readonly PlannedLog[]): TrainingPlan {
  const at = new Date(input.now);
  // A job that was placed gives its promise back first (it moves); one that never was holds nothing of its own, and
  // releasing there would drop the promise of a decision a stale cache does not show yet.
  const releaseFirst = input.tj.status?.site !== undefined;
  const found = rediscover(input, base);
  if (found.kind === 'Wait') {
    return plan({ logs: [...logs, { msg: 'waiting for the member informers of Ready sites before placing', fields: { sites: found.sites } }], result: { requeueAfter: SHORT_WAIT_MS } });
  }
  if (found.kind === 'Adopt') {
    const message = `adopted the member Job at ${found.decision.site} (epoch ${found.decision.epoch}, variant ${found.decision.variant}): the status did not record it`;
    return plan({
      releaseFirst,
      status: nextStatus(base, { kind: 'Placed', decision: found.decision, record: { message } }, at),
      fenceSites: { sites: found.fence, epoch: found.decision.epoch },
      events: [...events, { type: 'Normal', reason: EventReason.Adopted, message }],
      logs: [...logs, { msg: 'adopted a rediscovered member', fields: { site: found.decision.site, epoch: found.decision.epoch } }],
      result: { requeueAfter: input.pollMs },
    });
  }
  if (found.kind === 'Fence') {
    const message = `member Jobs of epoch ${found.epoch} found at ${found.fence.join(', ')}, newer than the status knew: deleting them before placing anew`;
    return plan({
      releaseFirst,
      status: nextStatus(base, { kind: 'Rediscovered', epoch: found.epoch, message }, at),
      fenceSites: { sites: found.fence, epoch: found.epoch + 1 },
      events: [...events, { type: 'Warning', reason: EventReason.Fenced, message }],
      logs,
      result: { requeueAfter: SHORT_WAIT_MS },
    });
  }
  if (found.ownOlder) {
    // An older copy of this job is still at a Ready site (a device failure's, a preemption's): it goes first, and
    // nothing new starts anywhere until it has (one running copy at every instant).
    return plan({
      releaseFirst,
      ...(base.status !== input.tj.status && { status: base.status as TrainingJobStatus }),
      fenceSites: { sites: found.fence, epoch: currentEpoch(base) + 1 },
      events,
      logs: [...logs, { msg: 'waiting for an older copy to be gone before placing', fields: { sites: found.fence } }],
      result: { requeueAfter: SHORT_WAIT_MS },
    });
  }
  const held = base.status?.admission;
  if (input.admission !== undefined && held === undefined) return admit(input, base, input.admission.verdict, found.fence, releaseFirst, events, logs);
  // Admitted already (re-placed after a failover or a device failure): the new option's charge must fit the queue in
  // place of what the job holds — with the ledger's view of the queue; without a ledger, within what it holds.
  const heldCharge = held === undefined ? undefined : parseAmounts(held.charge).amounts;
  const requota = heldCharge === undefined ? undefined : input.admission?.requota;
  const swap = heldCharge === undefined || requota === undefined ? undefined : requota(held?.queue ?? '', heldCharge);
  const within = heldCharge === undefined ? [] : requota !== undefined ? (swap === undefined ? [] : [swap]) : [chargeWithin(heldCharge)];
  const outcome = placeTrainingJob(base, sitesFor(base, input.sites), input.promised, input.config, within);
  if (outcome.kind === 'Unschedulable' && held !== undefined && input.admission !== undefined) {
    const message = `re-queued: no site has room within what queue ${held.queue ?? '(none)'} holds for the job (${outcome.record.message ?? 'no site fits'})`;
    return plan({
      releaseFirst,
      status: nextStatus(base, { kind: 'Requeued', record: outcome.record, message }, at),
      events: [...events, { type: 'Warning', reason: EventReason.Unschedulable, message }],
      logs,
      result: { requeueAfter: SHORT_WAIT_MS },
    });
  }
  if (outcome.kind === 'Unschedulable') {
    // Not now, or never? All sites count for "never", the one a start timeout left out for this look as well.
    const never = neverFits(base, input.sites, input.config);
    const status = nextStatus(base, { kind: 'Unschedulable', record: outcome.record, reason: outcome.reason, never }, at);
    return plan({
      releaseFirst,
      status,
      // As written: within the explanation's refresh the numbers of the last write stand (status.ts).
      events: [...events, { type: 'Warning', reason: EventReason.Unschedulable, message: status.placement?.message ?? outcome.record.message ?? 'no site fits' }],
      logs,
      result: { requeueAfter: input.pendingMs },
    });
  }
  const decision: MemberDecision = {
    site: outcome.site,
    variant: outcome.variant,
    epoch: currentEpoch(base) + 1,
    pool: outcome.pool,
    ...(outcome.acceleratorResource !== undefined && { acceleratorResource: outcome.acceleratorResource }),
  };
  const site = input.sites.find((x) => x.metadata.name === decision.site);
  const price = site === undefined ? undefined : attemptPrice(site, decision.pool, outcome.charge);
  const grant = held === undefined ? undefined : { queue: held.queue ?? '', charge: toQuantities(outcome.charge) };
  return plan({
    releaseFirst,
    hold: outcome.promised,
    status: nextStatus(base, { kind: 'Placed', decision, record: outcome.record, ...(grant !== undefined && { admission: grant }), ...(price !== undefined && { price }) }, at),
    ...(found.fence.length > 0 && { fenceSites: { sites: found.fence, epoch: decision.epoch } }),
    site: { kind: 'Create', site: decision.site, decision, mirror: false },
    events: [...events, { type: 'Normal', reason: EventReason.Placed, message: outcome.record.message ?? `placed on ${decision.site}` }],
    logs: [...logs, { msg: 'placed', fields: { site: decision.site, variant: decision.variant, pool: decision.pool, epoch: decision.epoch } }],
    result: { requeueAfter: input.pollMs },
  });
}

/**
 * admit carries out the admission ledger's verdict for a job its queue has not admitted yet: Admit places it where the
 * cycle chose and records the admission in the same write; Wait says why in the Admitted condition; no verdict yet
 * waits for the next cycle.
 */
function admit(
  input: TrainingInput,
  base: TrainingJob,
  verdict: Verdict | undefined,
  fence: readonly string[],
  releaseFirst: boolean,
  events: readonly PlannedEvent[],
  logs: readonly PlannedLog[],
): TrainingPlan {
  const at = new Date(input.now);
  if (verdict === undefined) {
    // The ledger wakes the job when a cycle decides for it; the retry is only a safety net. Thousands of jobs created
    // at once each polling every second kept the work queue as deep as all of them (many-sites benchmark).
    return plan({ logs: [...logs, { msg: 'waiting for an admission cycle', fields: {} }], result: { requeueAfter: input.pendingMs } });
  }
  if (verdict.kind === 'Preempt') {
    return plan({ logs: [...logs, { msg: 'waiting for an admission cycle', fields: {} }], result: { requeueAfter: SHORT_WAIT_MS } });
  }
  if (verdict.kind === 'Wait') {
    const status = nextStatus(
      base,
      { kind: 'Waiting', reason: verdict.reason, message: verdict.message, ...(verdict.record !== undefined && { record: verdict.record }), ...(verdict.never === true && { never: true }) },
      at,
    );
    // The event says what the status says: a refresh the status rule holds back is not news either.
    const before = findCondition(input.tj.status?.conditions, ConditionType.Admitted);
    const after = findCondition(status.conditions, ConditionType.Admitted);
    const changed = before?.reason !== after?.reason || before?.message !== after?.message;
    return plan({
      releaseFirst,
      status,
      events: changed ? [...events, { type: 'Normal', reason: EventReason.Queued, message: after?.message ?? verdict.message }] : [...events],
      logs,
      // The ledger wakes a queued job as soon as its verdict changes; this retry brings a new kind of explanation
      // ("0 free" becoming "free capacity split over nodes") to the status, which the status rule writes at once,
      // and numbers at most once per refresh. Spread by key: jobs queued together do not come back as one wave.
      result: { requeueAfter: spreadMs(`${input.tj.metadata.namespace ?? ''}/${input.tj.metadata.name ?? ''}`, input.pendingMs, 0.25) },
    });
  }
  const placed = verdict.placement;
  if (placed === undefined) return plan({ fail: new Error('an admission for a TrainingJob carries no placement'), result: {} });
  const decision: MemberDecision = {
    site: placed.site,
    variant: placed.variant,
    epoch: currentEpoch(base) + 1,
    pool: placed.pool,
    ...(placed.acceleratorResource !== undefined && { acceleratorResource: placed.acceleratorResource }),
  };
  const site = input.sites.find((x) => x.metadata.name === decision.site);
  const price = site === undefined ? undefined : attemptPrice(site, decision.pool, verdict.charge);
  const grant = { queue: verdict.queue, charge: toQuantities(verdict.charge) };
  const charged = Object.entries(grant.charge).map(([r, q]) => `${q} ${r}`).join(', ');
  const preempting = verdict.preempting === undefined || verdict.preempting.length === 0 ? '' : `; preempting ${verdict.preempting.join(', ')}, whose members are being deleted`;
  const admitted = (verdict.queue === '' ? `admitted without a queue: ${charged}` : `admitted by queue ${verdict.queue}: ${charged}`) + preempting;
  return plan({
    releaseFirst,
    hold: placed.promised,
    status: nextStatus(base, { kind: 'Placed', decision, record: placed.record, admission: grant, ...(price !== undefined && { price }) }, at),
    ...(fence.length > 0 && { fenceSites: { sites: fence, epoch: decision.epoch } }),
    site: { kind: 'Create', site: decision.site, decision, mirror: false },
    // One event for the one decision: every event is a hub request, and admission and placement are one write here.
    events: [...events, { type: 'Normal', reason: EventReason.Admitted, message: `${admitted}; ${placed.record.message ?? `placed on ${decision.site}`}` }],
    logs: [...logs, { msg: 'admitted and placed', fields: { queue: verdict.queue, site: decision.site, variant: decision.variant, pool: decision.pool, epoch: decision.epoch } }],
    result: { requeueAfter: input.pollMs },
  });
}

/**
 * preempt stops a job its queue preempted: its member objects are deleted first (as for suspension), then the attempt
 * is closed as Preempted and the admission given back in one write. It waits in its queue from then on, and its next
 * attempt resumes from the checkpoint.
 */
function preempt(input: TrainingInput, message: string, next: (base: TrainingJob, u: StatusUpdate) => TrainingJobStatus): TrainingPlan {
  const { tj, members } = input;
  if (members.kind === 'Unreadable') return plan({ fail: members.error, result: {} });
  if (members.kind === 'Read' && ours(tj, members.observed)) {
    return plan({ site: { kind: 'DeleteMembers', site: members.site }, logs: [{ msg: 'preempted; deleting members', fields: { site: members.site } }], result: { requeueAfter: SHORT_WAIT_MS } });
  }
  return plan({
    releaseFirst: true,
    status: next(tj, { kind: 'Preempted', message }),
    events: [{ type: 'Warning', reason: EventReason.Preempted, message }],
    logs: [{ msg: 'preempted', fields: { site: tj.status?.site } }],
    result: { requeueAfter: input.pendingMs },
  });
}

/**
 * deviceFailure plans the pass that finds a device failed under a running worker: the attempt ends (DeviceFailure),
 * its members are deleted, and the job is placed again from its checkpoint once they are gone (placeAnew waits for
 * older copies) — at the same site if its healthy capacity still fits, elsewhere otherwise. Each such restart counts
 * against failurePolicy.maxSiteFailovers; past it the job fails.
 */
function deviceFailure(input: TrainingInput, siteName: string, workers: WorkerHealth, next: (base: TrainingJob, u: StatusUpdate) => TrainingJobStatus): TrainingPlan {
  const { tj } = input;
  const nodes = workers.unhealthyNodes.map((n) => `${n.node} (${n.message})`).join(', ');
  const verdict = moveOrGiveUp(tj, `device failure under a running worker at ${siteName}: ${nodes}`, 'restarting from the checkpoint');
  if (verdict.kind === 'GiveUp') {
    return plan({
      releaseFirst: true,
      status: next(tj, { kind: 'FailoverLimitExceeded', message: verdict.message, outcome: AttemptOutcome.DeviceFailure }),
      site: { kind: 'DeleteMembers', site: siteName },
      events: [{ type: 'Warning', reason: Reason.FailoverLimitExceeded, message: verdict.message }],
      logs: [{ msg: 'device failure; restart limit reached, job failed', fields: { site: siteName, nodes: workers.unhealthyNodes.map((n) => n.node) } }],
      result: { requeueAfter: SHORT_WAIT_MS },
    });
  }
  const message = verdict.kind === 'FailOver' ? verdict.message : nodes;
  return plan({
    releaseFirst: true,
    status: next(tj, { kind: 'Unplaced', outcome: 'DeviceFailure', message }),
    site: { kind: 'DeleteMembers', site: siteName },
    events: [{ type: 'Warning', reason: Reason.DeviceFailure, message }],
    logs: [{ msg: 'device failure under a running worker; restarting', fields: { site: siteName, nodes: workers.unhealthyNodes.map((n) => n.node) } }],
    result: { requeueAfter: SHORT_WAIT_MS },
  });
}

/**
 * withdraw plans the pass that finds a gang not running past the gang start timeout, some workers Pending at the
 * site: the attempt ends (StartTimeout) with the site's scheduler message, its members are deleted, and the next
 * placement leaves that site out. It does not count against the failover limit: the hardware did not fail.
 */
function withdraw(input: TrainingInput, siteName: string, workers: WorkerHealth, timeoutMs: number, next: (base: TrainingJob, u: StatusUpdate) => TrainingJobStatus): TrainingPlan {
  const { tj } = input;
  const first = workers.pending[0];
  const message = `${workers.pending.length}/${tj.spec.workers ?? 1} workers not running at ${siteName} ${Math.round(timeoutMs / 1000)}s after placement; the site's scheduler says: ${first?.message ?? 'nothing'}`;
  return plan({
    releaseFirst: true,
    status: next(tj, { kind: 'Unplaced', outcome: 'StartTimeout', message }),
    site: { kind: 'DeleteMembers', site: siteName },
    events: [{ type: 'Warning', reason: Reason.StartTimeout, message }],
    logs: [{ msg: 'gang not running past the start timeout; withdrawn', fields: { site: siteName, pending: workers.pending.length } }],
    result: { requeueAfter: SHORT_WAIT_MS },
  });
}

/**
 * refused plans the pass that finds a pull site's agent refused the members by its site policy: the attempt ends
 * (Refused) with the site's reason, the members are withdrawn there (they were never created; deleting them by name
 * clears the standing refusal, so a later attempt at that site does not read as refused before anything is sent), and
 * the next placement leaves that site out. Not a failover: the site is fine.
 */
function refused(siteName: string, refusal: MemberRefusal, tj: TrainingJob, next: (base: TrainingJob, u: StatusUpdate) => TrainingJobStatus): TrainingPlan {
  const message = `site ${siteName} refused the members (${refusal.reason}): ${refusal.message}`;
  return plan({
    releaseFirst: true,
    status: next(tj, { kind: 'Unplaced', outcome: 'Refused', message }),
    site: { kind: 'DeleteMembers', site: siteName },
    events: [{ type: 'Warning', reason: Reason.RefusedBySite, message }],
    logs: [{ msg: 'the site refused the members; placing elsewhere', fields: { site: siteName, reason: refusal.reason } }],
    result: { requeueAfter: SHORT_WAIT_MS },
  });
}

/** withStartCheck looks again at a gang still starting when its start timeout runs out (no event may wake it then). */
function withStartCheck(input: TrainingInput, p: TrainingPlan): TrainingPlan {
  if (p.status?.phase !== TrainingJobPhase.Placed) return p;
  const decided = Date.parse(p.status.placement?.decisionTime ?? '');
  if (Number.isNaN(decided)) return p;
  const left = Math.max(SHORT_WAIT_MS, decided + (input.startTimeoutMs ?? DEFAULT_GANG_START_TIMEOUT_MS) - input.now);
  const after = p.result.requeueAfter;
  return { ...p, result: { requeueAfter: after === undefined ? left : Math.min(after, left) } };
}

/**
 * sitesFor leaves out the site the job's last attempt was withdrawn from (StartTimeout) or refused at (Refused) for its
 * next placement.
 */
function sitesFor(tj: TrainingJob, sites: readonly Site[]): readonly Site[] {
  const last = tj.status?.attempts?.at(-1);
  if (last?.outcome !== AttemptOutcome.StartTimeout && last?.outcome !== AttemptOutcome.Refused) return sites;
  return sites.filter((s) => s.metadata.name !== last.site);
}

/** Rediscovery is what the member Jobs found at the sites say about a placement about to be made. */
type Rediscovery =
  /** A Ready site's informer has not listed yet: its silence says nothing. */
  | { readonly kind: 'Wait'; readonly sites: readonly string[] }
  /** The newest member is this job's, newer than the status knew, and can be taken as the placement. */
  | { readonly kind: 'Adopt'; readonly decision: MemberDecision; readonly fence: readonly string[] }
  /** Members newer than the status knew that cannot be adopted: record their epoch, fence them, place above. */
  | { readonly kind: 'Fence'; readonly epoch: number; readonly fence: readonly string[] }
  /** Nothing newer: place as usual, fencing whatever older or foreign members were found. */
  | { readonly kind: 'Place'; readonly fence: readonly string[]; readonly ownOlder: boolean };

/**
 * rediscover looks, before a new placement, at the job's member Jobs in every Ready site's informer cache. The epoch
 * never goes back: members newer than the status are adopted (the newest, when it says its variant and its site is
 * Ready) or fenced with their epoch recorded. Sites that are not Ready are not waited for: their members are fenced
 * when they answer again (a lost attempt), and the site agents' own fence covers a partition (README, security).
 */
function rediscover(input: TrainingInput, base: TrainingJob): Rediscovery {
  const ready = new Set(input.sites.filter((s) => siteLost(s, 0, input.now).kind === 'Ready').map((s) => s.metadata.name ?? ''));
  const watched = input.discover().filter((w) => ready.has(w.site));
  const unsynced = watched.filter((w) => !w.synced).map((w) => w.site);
  if (unsynced.length > 0) return { kind: 'Wait', sites: unsynced };
  const found = watched.flatMap((w) => w.members.map((job) => ({ site: w.site, job: job as V1Job })));
  const sitesWith = (list: readonly { site: string }[]): string[] => [...new Set(list.map((f) => f.site))].sort();
  const uid = base.metadata.uid;
  const epoch = currentEpoch(base);
  const newer = found.filter((f) => !isForeignMember(f.job, uid) && (memberEpoch(f.job) ?? 0) > epoch);
  if (newer.length === 0) return { kind: 'Place', fence: sitesWith(found), ownOlder: found.some((f) => !isForeignMember(f.job, uid)) };
  const newest = Math.max(...newer.map((f) => memberEpoch(f.job) ?? 0));
  const candidates = newer.filter((f) => memberEpoch(f.job) === newest && f.job.metadata?.deletionTimestamp === undefined);
  const adopted = candidates.length === 1 ? candidates[0] : undefined;
  const decision = adopted === undefined ? undefined : adoptable(base, adopted.site, adopted.job, newest);
  if (decision === undefined) return { kind: 'Fence', epoch: newest, fence: sitesWith(found) };
  return { kind: 'Adopt', decision, fence: sitesWith(found.filter((f) => f !== adopted)) };
}

/** adoptable rebuilds the decision a member Job was made for, when the Job says enough (variant, site) to trust it. */
function adoptable(tj: TrainingJob, site: string, job: V1Job, epoch: number): MemberDecision | undefined {
  const labels = job.metadata?.labels ?? {};
  const variant = labels[LABEL_VARIANT];
  if (variant === undefined || labels[LABEL_SITE] !== site || !tj.spec.variants.some((v) => v.name === variant)) return undefined;
  const pod = job.spec?.template.spec;
  const pool = pod?.nodeSelector?.[LABEL_POOL];
  const limits = Object.keys(pod?.containers[0]?.resources?.limits ?? {});
  const accelerator = limits.find((r) => r !== 'cpu' && r !== 'memory');
  return { site, variant, epoch, ...(pool !== undefined && { pool }), ...(accelerator !== undefined && { acceleratorResource: accelerator }) };
}

/**
 * finished plans the pass of a finished job: only observedGeneration follows the spec, and once
 * ttlSecondsAfterFinished has passed since completionTime the job is deleted (its finalizer then cleans its sites).
 */
function finished(input: TrainingInput, next: (base: TrainingJob, u: StatusUpdate) => TrainingJobStatus): TrainingPlan {
  const { tj } = input;
  const status = next(tj, { kind: 'Observed', job: undefined });
  const ttl = tj.spec.ttlSecondsAfterFinished;
  const done = Date.parse(tj.status?.completionTime ?? '');
  if (ttl === undefined || Number.isNaN(done)) return plan({ releaseFirst: true, status, result: {} });
  const left = done + ttl * 1000 - input.now;
  if (left > 0) return plan({ releaseFirst: true, status, result: { requeueAfter: left } });
  const message = `finished ${Math.round((input.now - done) / 1000)}s ago, past ttlSecondsAfterFinished (${ttl}s): deleting the job`;
  return plan({
    releaseFirst: true,
    status,
    expire: true,
    events: [{ type: 'Normal', reason: EventReason.Expired, message }],
    logs: [{ msg: 'ttlSecondsAfterFinished passed; deleting', fields: { ttlSeconds: ttl } }],
    result: {},
  });
}

/** suspend deletes the member objects first, then records the job as Suspended and frees what it held. */
function suspend(input: TrainingInput, next: (base: TrainingJob, u: StatusUpdate) => TrainingJobStatus): TrainingPlan {
  const { tj, members } = input;
  const siteName = tj.status?.site;
  if (members.kind === 'Unreadable') return plan({ fail: members.error, result: {} });
  if (members.kind === 'Read' && ours(tj, members.observed)) {
    return plan({ site: { kind: 'DeleteMembers', site: members.site }, result: { requeueAfter: SHORT_WAIT_MS } });
  }
  const announce = tj.status?.phase !== TrainingJobPhase.Suspended;
  return plan({
    releaseFirst: true,
    status: next(tj, { kind: 'Suspended' }),
    events: announce
      ? [{ type: 'Normal', reason: EventReason.Suspended, message: siteName === undefined ? 'suspended' : `suspended; member objects deleted from ${siteName}` }]
      : [],
    logs: announce ? [{ msg: 'suspended', fields: { site: siteName } }] : [],
    result: {},
  });
}

/** ours says whether the member objects read carry this job's workload labels (anything else is not ours to delete). */
function ours(tj: TrainingJob, observed: ObservedMembers): boolean {
  const mine = (o: { metadata?: { labels?: Record<string, string> } } | undefined): boolean =>
    o?.metadata?.labels?.[LABEL_WORKLOAD] === tj.metadata.name && o?.metadata?.labels?.[LABEL_NAMESPACE] === tj.metadata.namespace;
  return mine(observed.job) || mine(observed.service);
}

function withStatus(tj: TrainingJob, status: TrainingJobStatus): TrainingJob {
  return { ...tj, status };
}

function plan(p: Partial<TrainingPlan> & Pick<TrainingPlan, 'result'>): TrainingPlan {
  return { releaseFirst: false, events: [], logs: [], ...p };
}
