/**
 * Hub objects as an admission cycle reads them: Queues as QueueInfo, TrainingJobs and InferenceServices as
 * QueuedWorkloads, with what an admitted one holds. Pure, and shared by the operator's ledger
 * (controllers/framework/admission-ledger.ts) and `suanwang what-if`, so that the question "what would the operator
 * decide now" is answered by the same conversion, not by a copy of it.
 */
import type { InferenceService, Queue, TrainingJob } from '../api/generated/types.ts';
import { AttemptOutcome, Kind, TrainingJobPhase } from '../api/names.ts';
import { VENDOR_INFO } from '../api/vendors.ts';
import { demandWith, scaled } from '../placement/demand.ts';
import { inferenceWorkload, trainingWorkload, type WorkloadResult } from '../placement/workload.ts';
import type { Held, QueuedWorkload } from './admission-cycle.ts';
import { parseAmounts, type Amounts } from './amounts.ts';
import { queueInfo, type QueueInfo } from './queue-info.ts';

/**
 * InFlightHold is an admission decided but not yet recorded in the workload's status: the ledger counts it as held
 * meanwhile. Only the operator knows of these (they live in its memory).
 */
export interface InFlightHold {
  readonly queue: string;
  readonly charge: Amounts;
  readonly site?: string;
  readonly pool?: string;
  /** When the admission was decided. */
  readonly sinceMs: number;
}

/**
 * workloadKey is the key of a workload, the same string as runtime/key.ts makeKey (which this layer may not import):
 * `kind/namespace/name`. Verdicts are looked up by it.
 */
export function workloadKey(kind: 'TrainingJob' | 'InferenceService', namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`;
}

/** queueInfos reads every Queue not being deleted, by name: the queues a cycle admits through. */
export function queueInfos(queues: readonly Queue[]): Map<string, QueueInfo> {
  const out = new Map<string, QueueInfo>();
  for (const q of queues) {
    if (q.metadata.deletionTimestamp === undefined && q.metadata.name !== undefined) out.set(q.metadata.name, queueInfo(q));
  }
  return out;
}

/** isParked says whether admission ignores a TrainingJob for now: being deleted, or suspended by its user. */
export function isParked(tj: TrainingJob): boolean {
  return tj.metadata.deletionTimestamp !== undefined || tj.spec.suspend === true;
}

/** isFinished says whether a TrainingJob has ended (Succeeded or Failed): it holds and waits for nothing. */
export function isFinished(tj: TrainingJob): boolean {
  const phase = tj.status?.phase;
  return phase === TrainingJobPhase.Succeeded || phase === TrainingJobPhase.Failed;
}

/**
 * queuedTrainingJob is a TrainingJob as admission sees it, or undefined when admission ignores it (parked or
 * finished). What it holds comes from status.admission, else from an admission in flight, else — placed without
 * one — from its placement (unrecordedHold). `now` stands in for timestamps the object does not carry yet.
 */
export function queuedTrainingJob(tj: TrainingJob, now: number, inFlight?: InFlightHold): QueuedWorkload | undefined {
  if (isParked(tj) || isFinished(tj)) return undefined;
  const name = tj.metadata.name ?? '';
  const namespace = tj.metadata.namespace ?? '';
  const admission = tj.status?.admission;
  const created = Date.parse(tj.metadata.creationTimestamp ?? '') || now;
  const lastEnd = Date.parse(tj.status?.attempts?.at(-1)?.endTime ?? '') || 0;
  const held: Held | undefined =
    admission !== undefined
      ? {
          queue: admission.queue ?? '',
          charge: parseAmounts(admission.charge).amounts,
          ...(tj.status?.site !== undefined && { site: tj.status.site }),
          ...(tj.status?.pool !== undefined && { pool: tj.status.pool }),
          preemptible: true,
          admittedMs: Date.parse(admission.admittedTime ?? '') || now,
        }
      : inFlight !== undefined
        ? {
            queue: inFlight.queue,
            charge: inFlight.charge,
            ...(inFlight.site !== undefined && { site: inFlight.site }),
            ...(inFlight.pool !== undefined && { pool: inFlight.pool }),
            preemptible: true,
            admittedMs: inFlight.sinceMs,
          }
        : unrecordedHold(tj);
  return {
    key: workloadKey(Kind.TrainingJob, namespace, name),
    kind: 'TrainingJob',
    namespace,
    name,
    queueName: tj.spec.queue ?? '',
    priority: tj.spec.priority ?? 0,
    createdMs: created,
    waitingSinceMs: Math.max(created, lastEnd),
    workload: held === undefined ? awayFromLastSite(tj, trainingWorkload(tj)) : trainingWorkload(tj),
    ...(held !== undefined && { held }),
  };
}

/**
 * awayFromLastSite leaves out, for a waiting job's next placement, the site its last attempt was withdrawn from
 * (StartTimeout: its scheduler would leave the gang Pending again) or lost at (SiteLost: lost, or Ready but not
 * reachable from the hub — a site whose agent still reports is not filtered out by readiness).
 */
function awayFromLastSite(tj: TrainingJob, parsed: WorkloadResult): WorkloadResult {
  const last = tj.status?.attempts?.at(-1);
  if (!parsed.ok || (last?.outcome !== AttemptOutcome.StartTimeout && last?.outcome !== AttemptOutcome.SiteLost)) return parsed;
  const rules = parsed.value.rules;
  if (rules.excludedSites.includes(last.site)) return parsed;
  return { ok: true, value: { ...parsed.value, rules: { ...rules, excludedSites: [...rules.excludedSites, last.site] } } };
}

/**
 * queuedInferenceService is an InferenceService as admission sees it (its minimum replicas), or undefined while it
 * is being deleted. A service serving without an admission (placed before queues were used) holds its minimum of its
 * first variant.
 */
export function queuedInferenceService(isvc: InferenceService, now: number, inFlight?: InFlightHold): QueuedWorkload | undefined {
  if (isvc.metadata.deletionTimestamp !== undefined) return undefined;
  const name = isvc.metadata.name ?? '';
  const namespace = isvc.metadata.namespace ?? '';
  const min = isvc.spec.replicas?.min ?? 1;
  const created = Date.parse(isvc.metadata.creationTimestamp ?? '') || now;
  const admission = isvc.status?.admission;
  const held: Held | undefined =
    admission !== undefined
      ? { queue: admission.queue ?? '', charge: parseAmounts(admission.charge).amounts, preemptible: false, admittedMs: Date.parse(admission.admittedTime ?? '') || now }
      : inFlight !== undefined
        ? { queue: inFlight.queue, charge: inFlight.charge, preemptible: false, admittedMs: inFlight.sinceMs }
        : undefined;
  const parsed = inferenceWorkload(isvc, min);
  const first = parsed.ok ? parsed.value.variants[0] : undefined;
  const serving = held === undefined && (isvc.status?.replicas ?? 0) > 0 && first !== undefined;
  const unrecorded: Held | undefined = serving
    ? { queue: isvc.spec.queue ?? '', charge: scaled(demandWith(first, first.accelerator === undefined ? undefined : VENDOR_INFO[first.accelerator.vendor].resourceName), min), preemptible: false, admittedMs: created }
    : undefined;
  const holds = held ?? unrecorded;
  return {
    key: workloadKey(Kind.InferenceService, namespace, name),
    kind: 'InferenceService',
    namespace,
    name,
    queueName: isvc.spec.queue ?? '',
    priority: 0,
    createdMs: created,
    waitingSinceMs: created,
    workload: parsed.ok ? { ok: true, value: { ...parsed.value, units: min } } : parsed,
    ...(holds !== undefined && { held: holds }),
  };
}

/**
 * unrecordedHold is what a job placed without an admission holds: placed by an operator that ran without queues, or
 * adopted from members found at a site. It runs, so it counts against its queue as it runs (workers × the demand of
 * its variant on its pool), and is never admitted a second time.
 */
function unrecordedHold(tj: TrainingJob): Held | undefined {
  const s = tj.status;
  if (s?.site === undefined || s.variant === undefined) return undefined;
  const parsed = trainingWorkload(tj);
  const variant = parsed.ok ? parsed.value.variants.find((v) => v.name === s.variant) : undefined;
  if (!parsed.ok || variant === undefined) return undefined;
  return {
    queue: tj.spec.queue ?? '',
    charge: scaled(demandWith(variant, s.acceleratorResource), parsed.value.units),
    site: s.site,
    ...(s.pool !== undefined && { pool: s.pool }),
    preemptible: false,
    admittedMs: Date.parse(s.startTime ?? '') || 0,
  };
}
