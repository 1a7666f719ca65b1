/**
 * The operator's admission ledger: runs admission cycles (queueing/admission-cycle.ts) over everything the hub
 * informers hold and keeps each workload's latest verdict for its reconciler to carry out. The reconcilers write the
 * verdicts (an admission with its placement in one status write; a preemption by deleting members first), so the
 * ledger writes nothing itself; status stays the one durable record, and a restarted operator rebuilds every queue's
 * usage from status.admission.
 *
 * Between a verdict and its status write the ledger counts the admission as held (in flight), and holds the
 * placement's capacity in the shared PromisedCapacityTracker, so the next cycle and every concurrent reconcile see it.
 * An admission its workload never took up (deleted meanwhile, or its reconciler found the verdict stale) expires.
 *
 * Cycles are level-triggered and coalesced: any change that can matter (a workload, a Queue, a Site) asks for one,
 * and one runs `debounceMs` later for all of them. A cycle is pure and synchronous; keys whose verdict changed are
 * handed to `wake`, which enqueues them in their controller.
 */
import type { Logger } from 'pino';
import type { InferenceService, Queue, Site, TrainingJob } from '../../api/generated/types.ts';
import { Kind } from '../../api/names.ts';
import type { PlacementConfig } from '../../placement/config.ts';
import { buildSnapshot } from '../../placement/snapshot.ts';
import { admissionCycle, sameWait, type Admit, type CycleInput, type QueuedWorkload, type QueueUsage, type Verdict } from '../../queueing/admission-cycle.ts';
import type { Amounts } from '../../queueing/amounts.ts';
import type { QueueInfo } from '../../queueing/queue-info.ts';
import { swapFilter } from '../../queueing/quota-filter.ts';
import type { PoolFilter } from '../../placement/filters/filter.ts';
import { isFinished, isParked, queuedInferenceService, queuedTrainingJob, queueInfos, type InFlightHold } from '../../queueing/queued-workload.ts';
import type { Cancel, Clock } from '../../runtime/clock.ts';
import { makeKey } from '../../runtime/key.ts';
import type { PromisedCapacityTracker } from './promised-capacity.ts';

/** DEFAULT_DEBOUNCE_MS coalesces the changes of one burst (a batch of applies) into one cycle. */
export const DEFAULT_DEBOUNCE_MS = 50;
/** CYCLE_SPACING: a requested cycle waits at least this many times as long as the last cycle took (request). */
export const CYCLE_SPACING = 2;
/** DEFAULT_PERIOD_MS: the longest time between two cycles. */
export const DEFAULT_PERIOD_MS = 10_000;
/** IN_FLIGHT_TTL_MS: how long an admission its reconciler has read may wait to be recorded before it is withdrawn. */
export const IN_FLIGHT_TTL_MS = 30_000;

/** LedgerSources are the informer views a cycle reads. */
export interface LedgerSources {
  readonly queues: () => readonly Queue[];
  readonly trainingJobs: () => readonly TrainingJob[];
  readonly inferenceServices: () => readonly InferenceService[];
  readonly sites: () => readonly Site[];
}

/** AdmissionLedgerOptions configures an AdmissionLedger. */
export interface AdmissionLedgerOptions {
  readonly sources: LedgerSources;
  readonly promised: PromisedCapacityTracker;
  readonly config: PlacementConfig;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Called with each key whose verdict changed (TrainingJob/ns/name, InferenceService/ns/name). */
  readonly wake: (key: string) => void;
  /** Called after every cycle (the Queue status controller refreshes its queues). */
  readonly afterCycle?: () => void;
  readonly headOfLineMs?: number;
  /** Times each workload's look in a cycle (admission-cycle.ts, CycleInput.timeLook). */
  readonly timeLook?: CycleInput['timeLook'];
  readonly debounceMs?: number;
  /**
   * A cycle runs at least this often even when nothing changed (default 10 s): the head-of-line bound is a matter of
   * time, and admissions not taken up expire.
   */
  readonly periodMs?: number;
}

interface InFlight {
  readonly admit: Admit;
  readonly since: number;
  /**
   * seenAt: when its reconciler first read the verdict. The TTL counts from here, not from the admission: a job's
   * reconcile may come minutes later behind a deep work queue, and withdrawing it then only places it again.
   */
  seenAt?: number;
  readonly site?: string;
  readonly pool?: string;
}

/** CycleStats is what the last cycle cost and found. */
export interface CycleStats {
  readonly at: number;
  readonly durationMs: number;
  readonly placements: number;
  readonly waiting: number;
  readonly admitted: number;
  readonly preempted: number;
}

/** AdmissionLedger: see the module comment. */
export class AdmissionLedger {
  readonly #o: AdmissionLedgerOptions;
  #verdicts: ReadonlyMap<string, Verdict> = new Map();
  #queues: ReadonlyMap<string, QueueUsage> = new Map();
  #queueInfos: ReadonlyMap<string, QueueInfo> = new Map();
  /** The first waiting workload of each queue, and since when it has been first (for the head-of-line bound). */
  #heads = new Map<string, { key: string; since: number }>();
  readonly #inFlight = new Map<string, InFlight>();
  /** Keys told to stop (Preempt) whose status still holds the admission. */
  readonly #preempting = new Map<string, Verdict & { kind: 'Preempt' }>();
  #scheduled: Cancel | undefined;
  #periodic: Cancel | undefined;
  #cycled = false;
  #last: CycleStats | undefined;
  #stopped = false;

  constructor(options: AdmissionLedgerOptions) {
    this.#o = options;
  }

  /** request asks for a cycle soon (coalesced). */
  request(): void {
    if (this.#stopped || this.#scheduled !== undefined) return;
    // A cycle reads every workload: with thousands waiting it takes a while, and cycles back to back would leave the
    // single event loop little time for the reconciles that carry their verdicts out. So a cycle waits at least
    // CYCLE_SPACING times as long as the last one took.
    const spacing = (this.#last?.durationMs ?? 0) * CYCLE_SPACING;
    this.#scheduled = this.#o.clock.after(Math.max(this.#o.debounceMs ?? DEFAULT_DEBOUNCE_MS, spacing), () => {
      this.#scheduled = undefined;
      this.runCycle();
    });
  }

  /** start runs the first cycle now and one every periodMs after it (call once the informers have synced). */
  start(): void {
    const tick = (): void => {
      if (this.#stopped) return;
      this.request();
      this.#periodic = this.#o.clock.after(this.#o.periodMs ?? DEFAULT_PERIOD_MS, tick);
    };
    this.runCycle();
    this.#periodic = this.#o.clock.after(this.#o.periodMs ?? DEFAULT_PERIOD_MS, tick);
  }

  /** stop cancels scheduled cycles; nothing runs after it. */
  stop(): void {
    this.#stopped = true;
    this.#scheduled?.();
    this.#scheduled = undefined;
    this.#periodic?.();
    this.#periodic = undefined;
  }

  /**
   * verdict is the latest verdict for `key`: Admit (carry it out), Wait (say why), Preempt (stop). Undefined: no
   * cycle has looked at it yet (one is requested), or it holds an admission and nothing is asked of it.
   */
  verdict(key: string): Verdict | undefined {
    const v = this.#preempting.get(key) ?? this.#verdicts.get(key);
    if (v === undefined && !this.#cycled) this.request();
    const f = this.#inFlight.get(key);
    if (f !== undefined && f.seenAt === undefined) f.seenAt = this.#o.clock.now();
    return v;
  }

  /** peek is the latest verdict for `key`, read without counting as its reconciler's read (metrics, logs). */
  peek(key: string): Verdict | undefined {
    return this.#preempting.get(key) ?? this.#verdicts.get(key);
  }

  /**
   * requota is the placement filter for an admitted job of `queue` placed again: the queue must hold what the new
   * option charges in place of `held` (quota-filter.ts swapFilter). Undefined for no queue, or one that no longer
   * exists: nothing limits the move then.
   */
  requota(queue: string, held: Amounts): PoolFilter | undefined {
    const info = this.#queueInfos.get(queue);
    if (info === undefined) return undefined;
    return swapFilter(info, this.#queues.get(queue)?.usage ?? held, held);
  }

  /** queueUsage is what the last cycle found for a queue. */
  queueUsage(name: string): QueueUsage | undefined {
    return this.#queues.get(name);
  }

  /** lastCycle is the cost and outcome of the last cycle. */
  lastCycle(): CycleStats | undefined {
    return this.#last;
  }

  /** runCycle runs one cycle now. Synchronous and pure but for the promises it holds and the keys it wakes. */
  runCycle(): void {
    const started = this.#o.clock.now();
    const now = started;
    const s = this.#o.sources;
    const queues = queueInfos(s.queues());
    this.#queueInfos = queues;
    // Admissions not taken up in time are withdrawn first, so the workload is looked at afresh in this very cycle.
    for (const [key, f] of this.#inFlight) {
      if (f.seenAt !== undefined && now - f.seenAt > IN_FLIGHT_TTL_MS) this.#withdraw(key, f);
    }
    const workloads: QueuedWorkload[] = [];
    const live = new Set<string>();
    for (const tj of s.trainingJobs()) {
      const w = this.#fromTrainingJob(tj, now);
      if (w !== undefined) {
        workloads.push(w);
        live.add(w.key);
      }
    }
    for (const isvc of s.inferenceServices()) {
      const w = this.#fromInferenceService(isvc, now);
      if (w !== undefined) {
        workloads.push(w);
        live.add(w.key);
      }
    }
    // Admissions whose workload went away are withdrawn.
    for (const [key, f] of this.#inFlight) if (!live.has(key)) this.#withdraw(key, f);
    for (const key of this.#preempting.keys()) if (!live.has(key)) this.#preempting.delete(key);

    const snapshot = buildSnapshot(s.sites(), this.#o.promised.total());
    const result = admissionCycle({
      queues,
      workloads,
      snapshot,
      config: this.#o.config,
      now,
      ...(this.#o.headOfLineMs !== undefined && { headOfLineMs: this.#o.headOfLineMs }),
      headSince: new Map([...this.#heads.values()].map((h) => [h.key, h.since])),
      preempting: new Set(this.#preempting.keys()),
      ...(this.#o.timeLook !== undefined && { timeLook: this.#o.timeLook }),
    });
    // Who is first in each queue, and since when: a head that stays keeps its time, a new one starts now. In memory:
    // after a restart every head starts again, which only delays the head-of-line bound once.
    const heads = new Map<string, { key: string; since: number }>();
    for (const [queue, key] of result.heads) {
      const before = this.#heads.get(queue);
      heads.set(queue, { key, since: before?.key === key ? before.since : now });
    }
    this.#heads = heads;

    const before = this.#verdicts;
    const verdicts = new Map(result.verdicts);
    // Admissions in flight keep their verdict until the reconciler records them.
    for (const [key, f] of this.#inFlight) verdicts.set(key, f.admit);
    let admitted = 0;
    let preempted = 0;
    for (const [key, v] of result.verdicts) {
      if (v.kind === 'Admit') {
        admitted += 1;
        const placed = v.placement;
        this.#inFlight.set(key, { admit: v, since: now, ...(placed !== undefined && { site: placed.site, pool: placed.pool }) });
        // Held before anything else runs: no other decision may count these devices as free.
        if (placed !== undefined) this.#o.promised.hold(key, placed.promised);
      } else if (v.kind === 'Preempt') {
        preempted += 1;
        this.#preempting.set(key, v);
      }
    }
    this.#verdicts = verdicts;
    this.#queues = result.queues;
    this.#cycled = true;
    this.#last = {
      at: now,
      durationMs: this.#o.clock.now() - started,
      placements: result.placements,
      waiting: [...result.verdicts.values()].filter((v) => v.kind === 'Wait').length,
      admitted,
      preempted,
    };
    if (admitted > 0 || preempted > 0) this.#o.logger.debug({ ...this.#last }, 'admission cycle');
    for (const [key, v] of verdicts) if (!sameVerdict(before.get(key), v)) this.#o.wake(key);
    this.#o.afterCycle?.();
  }

  #withdraw(key: string, f: InFlight): void {
    this.#inFlight.delete(key);
    if (f.admit.placement !== undefined) this.#o.promised.release(key);
  }

  /** #fromTrainingJob converts through queueing/queued-workload.ts, and settles what the job's state ends here. */
  #fromTrainingJob(tj: TrainingJob, now: number): QueuedWorkload | undefined {
    const key = makeKey(Kind.TrainingJob, tj.metadata.namespace, tj.metadata.name ?? '');
    if (isParked(tj)) return undefined;
    // A finished job, or one whose status no longer holds an admission, is no longer being preempted.
    if (isFinished(tj) || tj.status?.admission === undefined) this.#preempting.delete(key);
    const w = queuedTrainingJob(tj, now, this.#inFlightHold(key));
    // Recorded in status: the admission is no longer in flight.
    if (w !== undefined && tj.status?.admission !== undefined) this.#inFlight.delete(key);
    return w;
  }

  #fromInferenceService(isvc: InferenceService, now: number): QueuedWorkload | undefined {
    const key = makeKey(Kind.InferenceService, isvc.metadata.namespace, isvc.metadata.name ?? '');
    const w = queuedInferenceService(isvc, now, this.#inFlightHold(key));
    if (w !== undefined && isvc.status?.admission !== undefined) this.#inFlight.delete(key);
    return w;
  }

  #inFlightHold(key: string): InFlightHold | undefined {
    const f = this.#inFlight.get(key);
    if (f === undefined) return undefined;
    return { queue: f.admit.queue, charge: f.admit.charge, ...(f.site !== undefined && { site: f.site }), ...(f.pool !== undefined && { pool: f.pool }), sinceMs: f.since };
  }
}

/**
 * sameVerdict says whether a workload need not be woken for `b`. A waiting workload is woken when its reason changes
 * to one that means something else (sameWait: not between the WAITING_FOR_ROOM reasons), not for every change of the
 * numbers in its message ("8 of 32 left"): with thousands waiting, each admission would otherwise wake and rewrite
 * every one of them. (Measured at 1,000 queued jobs, waking on every flip kept the TrainingJob work queue about 1,000
 * deep.) Its own retry (pendingRetryMs) brings the message up to date, as the status rule allows (training/status.ts).
 */
function sameVerdict(a: Verdict | undefined, b: Verdict): boolean {
  if (a === undefined || a.kind !== b.kind) return false;
  if (a.kind === 'Wait' && b.kind === 'Wait') return sameWait(a.reason, b.reason);
  if (a.kind === 'Preempt' && b.kind === 'Preempt') return a.by === b.by;
  return a === b;
}
