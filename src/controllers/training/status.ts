/**
 * The next status of a TrainingJob, as a pure function of its current status, one thing that happened (a placement,
 * an observation of the member Job, a suspension...) and the time. Status is the user interface and the durable
 * record of the placement (DESIGN.md), so it is computed here, deterministically, and written only when
 * `statusChanged` says so.
 */
import type { V1Job } from '@kubernetes/client-node';
import type { Condition, PlacementRecord, TrainingAttempt, TrainingJob, TrainingJobStatus } from '../../api/generated/types.ts';
import {
  AttemptOutcome,
  ConditionStatus,
  ConditionType,
  Reason,
  TrainingJobPhase,
  type TrainingJobPhaseName,
} from '../../api/names.ts';
import { findCondition, formatTime, setCondition, type ConditionUpdate } from '../../runtime/conditions.ts';
import type { MemberDecision } from './member-objects.ts';
import { sameWait } from '../../queueing/admission-cycle.ts';
import { deepEqual } from '../../runtime/merge-patch.ts';
import { stalledOf, withProgress } from '../framework/gitops-health.ts';
import { trainingHealth } from './health.ts';

/** MAX_ATTEMPTS is how many attempts status keeps (the API documents "the most recent 128"). */
export const MAX_ATTEMPTS = 128;

/** StatusUpdate is what happened since the status was last computed. */
export type StatusUpdate =
  /**
   * Placement chose a site: a new epoch and a new attempt. Written before any member object is created. `admission`:
   * what the queue holds for the job from now on (a first admission, or the same one re-placed after a failover);
   * `price`: what the attempt costs per hour at the site, for metering.
   */
  | {
      readonly kind: 'Placed';
      readonly decision: MemberDecision;
      readonly record: PlacementRecord;
      readonly admission?: AdmissionGrant;
      readonly price?: AttemptPrice;
    }
  /**
   * The queue has not admitted the job: the Admitted condition says why (reason, message with the numbers). `never`:
   * it could not be admitted even on an idle federation with its queue's quota unused (the cycle's verdict).
   */
  | { readonly kind: 'Waiting'; readonly reason: string; readonly message: string; readonly record?: PlacementRecord; readonly never?: boolean }
  /** The job's queue preempted it; its members are gone. It waits to be admitted again, and resumes then. */
  | { readonly kind: 'Preempted'; readonly message: string }
  /**
   * An admitted job that lost its placement and fits nowhere within what its queue holds for it: it gives the
   * admission back and waits in its queue again.
   */
  | { readonly kind: 'Requeued'; readonly record: PlacementRecord; readonly message: string }
  /**
   * Placement found no site; `reason` defaults to Unschedulable. `never`: no site of the federation as built could
   * hold it either (placement/as-built.ts), so the job is Stalled rather than waiting.
   */
  | { readonly kind: 'Unschedulable'; readonly record: PlacementRecord; readonly reason?: string; readonly never?: boolean }
  /** The member Job of the current epoch as read at the site; undefined while it does not exist yet. */
  | { readonly kind: 'Observed'; readonly job: V1Job | undefined }
  /** Creating member objects at the chosen site failed; the placement stands and creation is retried. */
  | { readonly kind: 'MemberCreateFailed'; readonly message: string }
  /** The job is suspended and its member objects are gone. */
  | { readonly kind: 'Suspended' }
  /** The current attempt ended without finishing (its members vanished, its site is gone); it will be re-placed. */
  | { readonly kind: 'Unplaced'; readonly outcome: 'SiteLost' | 'Evicted' | 'DeviceFailure' | 'StartTimeout' | 'Refused'; readonly message: string }
  /**
   * The job's site was lost (or its devices failed: `outcome` DeviceFailure) and it may fail over no more
   * (failurePolicy.maxSiteFailovers): it fails, unplaced.
   */
  | { readonly kind: 'FailoverLimitExceeded'; readonly message: string; readonly outcome?: 'SiteLost' | 'DeviceFailure' }
  /**
   * Members newer than the status were found at the sites (the status was lost) and cannot be adopted: their epoch
   * is recorded, so the next placement goes above it, while they are fenced.
   */
  | { readonly kind: 'Rediscovered'; readonly epoch: number; readonly message: string }
  /** The job's site is Ready but the hub cannot reach it: the placement stands, within the grace. */
  | { readonly kind: 'SiteUnreachable'; readonly message: string };

/** AdmissionGrant is what the queue holds for the job (status.admission). */
export interface AdmissionGrant {
  /** Queue name; empty when admitted without one (no Queue named default). */
  readonly queue: string;
  /** The charge as Kubernetes quantities (queueing/amounts.ts toQuantities). */
  readonly charge: Readonly<Record<string, string>>;
}

/** AttemptPrice is what an attempt costs per hour at its site (devices × the site's price for the pool's model). */
export interface AttemptPrice {
  readonly perHour: number;
  readonly currency: string;
}

/** UNPLACED_REASON is the Placed and Running conditions' reason after an attempt ended without finishing. */
const UNPLACED_REASON: Readonly<Record<'SiteLost' | 'Evicted' | 'DeviceFailure' | 'StartTimeout' | 'Refused', string>> = {
  SiteLost: Reason.SiteLost,
  Evicted: Reason.Restarting,
  DeviceFailure: Reason.DeviceFailure,
  StartTimeout: Reason.StartTimeout,
  Refused: Reason.RefusedBySite,
};

/** isTerminal says whether a phase is final: nothing changes a finished job any more. */
export function isTerminal(phase: string | undefined): boolean {
  return phase === TrainingJobPhase.Succeeded || phase === TrainingJobPhase.Failed;
}

/** statusChanged says whether writing `next` over `current` would change anything (deep equality, nothing ignored). */
export function statusChanged(current: TrainingJobStatus | undefined, next: TrainingJobStatus): boolean {
  return !deepEqual(current ?? {}, next);
}

/** placedMessage is the Placed condition's message once the member objects exist. */
export function placedMessage(site: string, variant: string): string {
  return `placed on ${site} (variant ${variant})`;
}

/** nextStatus computes the status after `update`, at `now`. The input object is not modified. */
export function nextStatus(tj: TrainingJob, update: StatusUpdate, now: Date): TrainingJobStatus {
  const current = tj.status ?? {};
  const b = new StatusBuilder(current, tj.metadata.generation, formatTime(now));
  if (isTerminal(current.phase)) return b.done();
  if (update.kind === 'Waiting' || update.kind === 'Unschedulable') b.never = update.never === true;
  switch (update.kind) {
    case 'Placed':
      return placed(b, update.decision, update.record, update.admission, update.price);
    case 'Waiting':
      return waiting(b, update.reason, update.message, update.record);
    case 'Preempted':
      b.closeAttempt(AttemptOutcome.Preempted, update.message);
      b.unplace();
      delete b.s.admission;
      b.s.phase = TrainingJobPhase.Pending;
      b.set({ type: ConditionType.Preempted, status: ConditionStatus.True, reason: Reason.Preempted, message: update.message });
      b.set({ type: ConditionType.Admitted, status: ConditionStatus.False, reason: Reason.Preempted, message: 'preempted; waiting to be admitted again' });
      b.conditions(ConditionStatus.False, Reason.Preempted, update.message, update.message);
      return b.done();
    case 'Requeued':
      unschedulable(b, update.record, Reason.Unschedulable);
      delete b.s.admission;
      b.set({ type: ConditionType.Admitted, status: ConditionStatus.False, reason: Reason.Queued, message: update.message });
      return b.done();
    case 'Unschedulable':
      return unschedulable(b, update.record, update.reason ?? Reason.Unschedulable);
    case 'Observed':
      return observed(b, tj.spec.workers ?? 1, update.job);
    case 'MemberCreateFailed':
      if (b.s.site === undefined) return b.done();
      b.conditions(ConditionStatus.False, Reason.MemberCreateFailed, update.message, waitingForMembers(b.s.site));
      return b.done();
    case 'Suspended':
      b.closeAttempt(AttemptOutcome.Suspended, 'suspended');
      b.unplace();
      // A suspended job holds no quota: it is admitted again when it resumes.
      if (b.s.admission !== undefined) {
        delete b.s.admission;
        b.set({ type: ConditionType.Admitted, status: ConditionStatus.False, reason: Reason.Suspended, message: 'suspended; quota released' });
      }
      b.s.phase = TrainingJobPhase.Suspended;
      b.conditions(ConditionStatus.False, Reason.Suspended, 'suspended: member objects deleted', 'suspended');
      return b.done();
    case 'Unplaced': {
      b.closeAttempt(update.outcome, update.message);
      b.unplace();
      b.s.phase = TrainingJobPhase.Restarting;
      const reason = UNPLACED_REASON[update.outcome];
      b.conditions(ConditionStatus.False, reason, update.message, update.message);
      return b.done();
    }
    case 'SiteUnreachable':
      if (b.s.site === undefined) return b.done();
      b.set({ type: ConditionType.Placed, status: ConditionStatus.False, reason: Reason.SiteUnreachable, message: update.message });
      return b.done();
    case 'Rediscovered':
      b.s.placement = { epoch: Math.max(update.epoch, b.s.placement?.epoch ?? 0), decisionTime: b.now, message: update.message };
      b.unplace();
      b.s.phase = TrainingJobPhase.Pending;
      b.conditions(ConditionStatus.False, Reason.MembersRediscovered, update.message, update.message);
      return b.done();
    case 'FailoverLimitExceeded':
      // Unplaced as well: the lost site's members are stale from now on (failover.ts sitesToFence), not kept.
      b.finish(TrainingJobPhase.Failed, update.outcome ?? AttemptOutcome.SiteLost, Reason.FailoverLimitExceeded, update.message);
      b.unplace();
      b.set({ type: ConditionType.Placed, status: ConditionStatus.False, reason: Reason.SiteLost, message: update.message });
      return b.done();
  }
}

function placed(
  b: StatusBuilder,
  decision: MemberDecision,
  record: PlacementRecord,
  admission: AdmissionGrant | undefined,
  price: AttemptPrice | undefined,
): TrainingJobStatus {
  const last = b.s.attempts?.at(-1);
  b.closeAttempt(AttemptOutcome.Evicted, `replaced by placement epoch ${decision.epoch}`);
  // A move forced by the site (lost, devices failed) counts as a failover; a re-placement after suspension does not.
  // A restart after a device failure counts wherever it goes, the same site included (failurePolicy bounds both).
  const moved = (last?.outcome === AttemptOutcome.SiteLost || last?.outcome === AttemptOutcome.DeviceUnhealthy) && last.site !== decision.site;
  if (moved || last?.outcome === AttemptOutcome.DeviceFailure) b.s.failovers = (b.s.failovers ?? 0) + 1;
  b.s.site = decision.site;
  b.s.variant = decision.variant;
  if (decision.pool !== undefined) b.s.pool = decision.pool;
  else delete b.s.pool;
  if (decision.acceleratorResource !== undefined) b.s.acceleratorResource = decision.acceleratorResource;
  else delete b.s.acceleratorResource;
  b.s.placement = { ...withoutBookkeeping(record), epoch: decision.epoch, decisionTime: b.now };
  const attempt: TrainingAttempt = {
    site: decision.site,
    variant: decision.variant,
    ...(decision.pool !== undefined && { pool: decision.pool }),
    epoch: decision.epoch,
    startTime: b.now,
    outcome: AttemptOutcome.Running,
    ...(admission !== undefined && admission.queue !== '' && { queue: admission.queue }),
    ...(admission !== undefined && { charge: { ...admission.charge } }),
    ...(price !== undefined && { pricePerHour: price.perHour, currency: price.currency }),
  };
  if (admission !== undefined) {
    const first = b.s.admission === undefined || b.s.admission.queue !== (admission.queue || undefined);
    b.s.admission = {
      ...(admission.queue !== '' && { queue: admission.queue }),
      admittedTime: first ? b.now : (b.s.admission?.admittedTime ?? b.now),
      charge: { ...admission.charge },
    };
    const charged = Object.entries(admission.charge).map(([r, q]) => `${q} ${r}`).join(', ');
    b.set(
      admission.queue === ''
        ? { type: ConditionType.Admitted, status: ConditionStatus.True, reason: Reason.NoQueue, message: `admitted without a queue (no Queue named default): ${charged}` }
        : { type: ConditionType.Admitted, status: ConditionStatus.True, reason: Reason.QuotaReserved, message: `admitted by queue ${admission.queue}: ${charged}` },
    );
    if (findCondition(b.s.conditions, ConditionType.Preempted)?.status === ConditionStatus.True) {
      b.set({ type: ConditionType.Preempted, status: ConditionStatus.False, reason: Reason.QuotaReserved, message: 'admitted again after preemption' });
    }
  }
  b.s.attempts = [...(b.s.attempts ?? []), attempt].slice(-MAX_ATTEMPTS);
  b.s.phase = TrainingJobPhase.Placed;
  b.conditions(ConditionStatus.False, Reason.SiteSelected, waitingForMembers(decision.site), waitingForMembers(decision.site));
  return b.done();
}

function waiting(b: StatusBuilder, reason: string, message: string, record: PlacementRecord | undefined): TrainingJobStatus {
  const admitted = findCondition(b.s.conditions, ConditionType.Admitted);
  let kept = false;
  if (record !== undefined) kept = keepsExplanation(b, record, reason);
  else {
    b.unplace();
    b.s.phase = TrainingJobPhase.Pending;
    b.conditions(ConditionStatus.False, reason, message, message);
  }
  if (!kept || !sameWait(admitted?.reason, reason)) b.set({ type: ConditionType.Admitted, status: ConditionStatus.False, reason, message });
  return b.done();
}

function unschedulable(b: StatusBuilder, record: PlacementRecord, reason: string): TrainingJobStatus {
  keepsExplanation(b, record, reason);
  return b.done();
}

/**
 * WAIT_EXPLANATION_REFRESH_MS: how long a waiting job's explanation may stand while only its numbers move. Placement
 * records name free capacity ("needs 16 nvidia.com/gpu, 8 free"), which changes whenever any job starts or ends; a
 * thousand waiting jobs, each re-placed on every retry, would otherwise rewrite their statuses (and events) whenever
 * the federation breathes. The same holds when the reason moves within WAITING_FOR_ROOM (queueing/admission-cycle.ts)
 * — a queue near its quota flips its jobs between QuotaExceeded and Unschedulable as its own jobs start and end, and
 * nothing the user can do differs. Any other change of reason, or of which sites are feasible, is written at once.
 */
export const WAIT_EXPLANATION_REFRESH_MS = 60_000;

/**
 * keepsExplanation writes a pending job's placement record and conditions from `record`, or keeps the ones written
 * (returning true) when they say the same thing with older numbers and are younger than WAIT_EXPLANATION_REFRESH_MS.
 */
function keepsExplanation(b: StatusBuilder, record: PlacementRecord, reason: string): boolean {
  const previous = b.s.placement;
  const fresh = withoutBookkeeping(record);
  // The same verdict re-evaluated is not a new decision: keeping its time keeps the status, and the write, unchanged.
  const same = previous !== undefined && deepEqual(withoutBookkeeping(previous), fresh);
  const placedWas = findCondition(b.s.conditions, ConditionType.Placed);
  const age = Date.parse(b.now) - Date.parse(previous?.decisionTime ?? '');
  const kept =
    !same &&
    previous !== undefined &&
    b.s.phase === TrainingJobPhase.Pending &&
    b.s.site === undefined &&
    placedWas?.status === ConditionStatus.False &&
    sameWait(placedWas.reason, reason) &&
    sameVerdicts(previous, fresh) &&
    age >= 0 &&
    age < WAIT_EXPLANATION_REFRESH_MS;
  b.unplace();
  b.s.phase = TrainingJobPhase.Pending;
  if (kept) return true;
  b.s.placement = {
    ...fresh,
    ...(previous?.epoch !== undefined && { epoch: previous.epoch }),
    decisionTime: same && previous.decisionTime !== undefined ? previous.decisionTime : b.now,
  };
  const message = record.message ?? 'no site fits';
  b.conditions(ConditionStatus.False, reason, message, message);
  return false;
}

/**
 * sameVerdicts says whether two records say the same thing but for their numbers: the same verdict for each site,
 * and the same reasons and message once every number is blanked out ("needs 8 nvidia.com/gpu, 0 healthy free" and
 * "…, 4 healthy free" are the same; "free capacity holds 0 workers node by node" is news).
 */
function sameVerdicts(a: PlacementRecord, b: PlacementRecord): boolean {
  const blank = (text: string | undefined): string => (text ?? '').replace(/\d+(\.\d+)?/g, '#');
  const key = (r: PlacementRecord): string =>
    JSON.stringify([blank(r.message), (r.candidates ?? []).map((c) => [c.site, c.verdict, c.variant ?? '', (c.reasons ?? []).map(blank)])]);
  return key(a) === key(b);
}

function observed(b: StatusBuilder, workers: number, job: V1Job | undefined): TrainingJobStatus {
  const site = b.s.site;
  const variant = b.s.variant ?? '';
  if (site === undefined) return b.done();
  if (job === undefined) {
    b.s.phase = TrainingJobPhase.Placed;
    b.conditions(ConditionStatus.False, Reason.SiteSelected, waitingForMembers(site), waitingForMembers(site));
    return b.done();
  }
  b.s.startTime ??= b.now;
  b.set({ type: ConditionType.Placed, status: ConditionStatus.True, reason: Reason.SiteSelected, message: placedMessage(site, variant) });
  const complete = jobCondition(job, 'Complete');
  const failed = jobCondition(job, 'Failed');
  if (complete !== undefined) {
    b.finish(TrainingJobPhase.Succeeded, AttemptOutcome.Succeeded, Reason.Completed, `all ${workers} workers completed`);
  } else if (failed !== undefined) {
    const detail = [failed.reason, failed.message].filter((s) => s !== undefined && s !== '').join(': ');
    b.finish(TrainingJobPhase.Failed, AttemptOutcome.Failed, Reason.BackoffLimitExceeded, `member Job failed${detail ? `: ${detail}` : ''}`);
  } else {
    // status.ready counts ready pods (GA since Kubernetes 1.29); older sites only report active ones. Workers that
    // already finished count too: a gang whose first workers are done is under way, not back to waiting for pods
    // (the Job's Complete condition follows its last pod by a Job-controller sync).
    const ready = job.status?.ready ?? job.status?.active ?? 0;
    const running = ready + (job.status?.succeeded ?? 0) >= workers;
    b.s.phase = running ? TrainingJobPhase.Running : TrainingJobPhase.Placed;
    b.set(
      running
        ? { type: ConditionType.Running, status: ConditionStatus.True, reason: Reason.WorkersRunning, message: `all ${workers} workers running` }
        : { type: ConditionType.Running, status: ConditionStatus.False, reason: Reason.WorkersStarting, message: `${ready}/${workers} workers ready` },
    );
  }
  return b.done();
}

function waitingForMembers(site: string): string {
  return `creating member objects on ${site}`;
}

function jobCondition(job: V1Job, type: string): { reason?: string; message?: string } | undefined {
  const c = job.status?.conditions?.find((x) => x.type === type && x.status === 'True');
  if (c === undefined) return undefined;
  return { ...(c.reason !== undefined && { reason: c.reason }), ...(c.message !== undefined && { message: c.message }) };
}

/** withoutBookkeeping is a record's decision content: what placement said, without when and in which epoch. */
function withoutBookkeeping(record: PlacementRecord): PlacementRecord {
  const { epoch: _epoch, decisionTime: _time, ...rest } = record;
  return rest;
}

/** StatusBuilder edits a copy of a status; its helpers keep the invariants (conditions, attempts, generation). */
class StatusBuilder {
  readonly s: TrainingJobStatus;
  readonly now: string;
  readonly #generation: number | undefined;
  /** Whether the job could never fit, as this update found; undefined: the update did not look (see done). */
  never: boolean | undefined;
  /** The job was pending and could never fit before this update. */
  readonly #neverBefore: boolean;
  /** The job had finished, health written: nothing but observedGeneration changes any more. */
  readonly #settled: boolean;

  constructor(current: TrainingJobStatus, generation: number | undefined, now: string) {
    this.s = { ...current };
    this.now = now;
    this.#generation = generation;
    this.#neverBefore = current.phase === TrainingJobPhase.Pending && stalledOf(current.conditions)?.reason === Reason.NeverFits;
    this.#settled = isTerminal(current.phase) && findCondition(current.conditions, ConditionType.Ready) !== undefined;
  }

  set(update: ConditionUpdate): void {
    this.s.conditions = setCondition(this.s.conditions ?? [], update, this.now, this.#generation);
  }

  /** conditions sets Placed and Running to `status` with one reason; Running gets its own message. */
  conditions(status: Condition['status'], reason: string, placedMessage: string, runningMessage: string): void {
    this.set({ type: ConditionType.Placed, status, reason, message: placedMessage });
    this.set({ type: ConditionType.Running, status: ConditionStatus.False, reason, message: runningMessage });
  }

  /** closeAttempt ends the running attempt, if any, with `outcome`. */
  closeAttempt(outcome: TrainingAttempt['outcome'], message: string): void {
    const attempts = this.s.attempts ?? [];
    const i = attempts.findLastIndex((a) => a.outcome === AttemptOutcome.Running);
    if (i < 0) return;
    const closed: TrainingAttempt = { ...(attempts[i] as TrainingAttempt), outcome, endTime: this.now, message };
    this.s.attempts = attempts.map((a, j) => (j === i ? closed : a));
  }

  /** unplace forgets the site and variant: nothing of this job runs anywhere now. */
  unplace(): void {
    delete this.s.site;
    delete this.s.variant;
    delete this.s.pool;
    delete this.s.acceleratorResource;
  }

  finish(phase: TrainingJobPhaseName, outcome: TrainingAttempt['outcome'], reason: string, message: string): void {
    this.s.phase = phase;
    this.s.completionTime ??= this.now;
    this.closeAttempt(outcome, message);
    this.set({ type: ConditionType.Running, status: ConditionStatus.False, reason, message });
    const type = phase === TrainingJobPhase.Succeeded ? ConditionType.Succeeded : ConditionType.Failed;
    this.set({ type, status: ConditionStatus.True, reason, message });
  }

  /**
   * done writes the GitOps health (health.ts) and observedGeneration. An update that did not look at fit keeps a
   * pending job's "never fits" as it was. A job that finished before health was written gets it once.
   */
  done(): TrainingJobStatus {
    if (!this.#settled) {
      const never = this.never ?? (this.#neverBefore && this.s.phase === TrainingJobPhase.Pending);
      const health = trainingHealth(this.s, never);
      this.set(health.ready);
      this.s.conditions = withProgress(this.s.conditions ?? [], health.progress, this.now, this.#generation);
    }
    if (this.#generation !== undefined) this.s.observedGeneration = this.#generation;
    return this.s;
  }
}

/** currentEpoch is the epoch of the last placement decision (0 before the first). */
export function currentEpoch(tj: TrainingJob): number {
  return tj.status?.placement?.epoch ?? 0;
}

/** membersSeen says whether the member objects of the current placement were observed (Placed is True). */
export function membersSeen(tj: TrainingJob): boolean {
  return findCondition(tj.status?.conditions, ConditionType.Placed)?.status === ConditionStatus.True;
}
