/**
 * One admission cycle: every waiting workload of every queue, looked at once, in a fixed order, against the quota its
 * queue has left and the capacity the sites have free. Pure: the same input gives the same verdicts.
 *
 * Order. Between queues, the next look goes to the queue with the lowest weighted dominant share (fair-share.ts), so
 * contended capacity is split by weight. Within a queue: higher priority first, then older, then by name.
 *
 * One decision. A training job is admitted by placing it with its queue's quota as one more filter (quota-filter.ts):
 * the verdict names the site, variant and pool, and the charge is what that option takes. What it takes comes off the
 * cycle's snapshot and the queue's headroom before the next look, so one cycle never gives the same devices or the
 * same quota twice.
 *
 * Head of line. Work that does not fit does not block its queue: the next one may pass it (a small job beside a gang
 * too big for the free capacity now). So that the gang is not starved by a stream of small ones, once the first
 * waiting workload of a queue has been first for longer than `headOfLineMs`, nothing behind it in that queue is
 * admitted into a pool the head could run in (a pool that would hold it on an idle federation) until it is — unless
 * it could not fit even an idle federation under its quota, which waiting would never change. Work that lands
 * elsewhere still passes: holding the A100s, or another site's H100s the gang cannot use, idle would not free the
 * head's pool sooner. An InferenceService's replicas have no pool at admission, so one behind the head waits when it
 * wants the same kind of device (the same accelerator resource, or CPU only).
 *
 * Preemption (policy LowerPriority, FairShare): when a workload does not fit, the cycle looks for admitted training
 * jobs whose removal makes it fit — both the quota and a site — and preempts them only if it does, and only those the
 * fit needs. FairShare takes from other queues that borrow above their quota first, then from queues whose share stays
 * above this queue's after the swap, and only for a workload that fits its own queue's quota without borrowing;
 * LowerPriority from lower-priority jobs of the same queue. The preemptor is admitted in the same cycle, on the room
 * the victims leave: nothing else takes that room, and the site's scheduler binds its pods as the victims' go.
 */
import type { PlacementRecord } from '../api/generated/types.ts';
import { asBuilt, neverPlaced } from '../placement/as-built.ts';
import { PreemptionPolicy, Reason } from '../api/names.ts';
import { demandWith, scaled } from '../placement/demand.ts';
import type { PlacementConfig } from '../placement/config.ts';
import { evaluateSite } from '../placement/evaluate.ts';
import { verdict as filterVerdict, type PoolFilter } from '../placement/filters/filter.ts';
import { place, type Placed } from '../placement/place.ts';
import { promisedFor } from '../placement/promised.ts';
import type { PromisedCapacity, Snapshot } from '../placement/snapshot.ts';
import { VENDOR_INFO } from '../api/vendors.ts';
import type { VariantDemand, Workload, WorkloadResult } from '../placement/workload.ts';
import { addAmounts, exceeds, isEmpty, subtractAmounts, type Amounts } from './amounts.ts';
import { weightedShare } from './fair-share.ts';
import { resolveQueue, type QueueInfo } from './queue-info.ts';
import { quotaFilter, quotaShortfalls } from './quota-filter.ts';
import { giveBack, takeFromSnapshot } from './snapshot-edits.ts';

/** DEFAULT_HEAD_OF_LINE_MS: how long the first waiting workload of a queue may be passed by later ones. */
export const DEFAULT_HEAD_OF_LINE_MS = 5 * 60_000;
/** MAX_VICTIM_CANDIDATES bounds the preemption search per waiting workload (each step is one placement). */
export const MAX_VICTIM_CANDIDATES = 64;

/** Held is what an admitted workload holds. */
export interface Held {
  readonly queue: string;
  readonly charge: Amounts;
  /** Where a training job's workers run (site, pool), so that preempting it would free capacity there. */
  readonly site?: string;
  readonly pool?: string;
  /** InferenceService minimum replicas are never preempted. */
  readonly preemptible: boolean;
  /** When it was admitted (newer victims go first: less work lost). */
  readonly admittedMs: number;
}

/** QueuedWorkload is one TrainingJob or InferenceService as admission sees it. */
export interface QueuedWorkload {
  readonly key: string;
  readonly kind: 'TrainingJob' | 'InferenceService';
  readonly namespace: string;
  readonly name: string;
  /** spec.queue as written (the API defaults it to "default"). */
  readonly queueName: string;
  readonly priority: number;
  readonly createdMs: number;
  /** Since when it waits (creation, or when it was last preempted or re-queued). */
  readonly waitingSinceMs: number;
  /** The placement view: the gang for a TrainingJob, the minimum replicas (units) for an InferenceService. */
  readonly workload: WorkloadResult;
  /** Set while the workload holds an admission. */
  readonly held?: Held;
}

/** CycleInput is everything one cycle reads. */
export interface CycleInput {
  readonly queues: ReadonlyMap<string, QueueInfo>;
  readonly workloads: readonly QueuedWorkload[];
  /** The sites, with capacity promised to placements not yet reported taken off. */
  readonly snapshot: Snapshot;
  readonly config: PlacementConfig;
  readonly now: number;
  readonly headOfLineMs?: number;
  /**
   * When each workload became the first waiting one of its queue (kept by the caller across cycles from `heads`);
   * a workload not listed is taken to have become first now.
   */
  readonly headSince?: ReadonlyMap<string, number>;
  /** Keys already being preempted (an earlier cycle's verdict not carried out yet): their charge is being released. */
  readonly preempting?: ReadonlySet<string>;
  /**
   * timeLook starts timing one workload's look (its admission and, for a TrainingJob, its placement) and returns what
   * ends it: the operator's placement-duration metric. It sees nothing and changes no verdict.
   */
  readonly timeLook?: (kind: QueuedWorkload['kind']) => () => void;
}

/** Admit: the workload is admitted, and (TrainingJob) placed there. */
export interface Admit {
  readonly kind: 'Admit';
  readonly queue: string;
  readonly charge: Amounts;
  /** Charge above the queue's quota (held through its borrowing limit). */
  readonly borrowed: Amounts;
  /** The workloads (namespace/name) preempted to make room for this admission; they are stopping. */
  readonly preempting?: readonly string[];
  /** TrainingJob only: the placement made with the admission. */
  readonly placement?: {
    readonly site: string;
    readonly variant: string;
    readonly pool: string;
    readonly acceleratorResource: string | undefined;
    readonly record: PlacementRecord;
    readonly promised: PromisedCapacity;
  };
}

/** Wait: not admitted now; reason and message for the Admitted condition. */
export interface Wait {
  readonly kind: 'Wait';
  readonly reason: string;
  readonly message: string;
  /** The placement record of the look that failed, when placement ran. */
  readonly record?: PlacementRecord;
  /** True when the workload could not fit even an idle federation under its quota (kstatus: never, not not-yet). */
  readonly never?: boolean;
}

/**
 * WAITING_FOR_ROOM are the reasons of a workload that waits for capacity or quota to free up, with nothing to fix but
 * time: which one is named flips as a queue near its quota admits and finishes its own work (both quota and capacity
 * short), and nothing the user can do differs between them.
 */
export const WAITING_FOR_ROOM: ReadonlySet<string> = new Set([Reason.Unschedulable, Reason.QuotaExceeded, Reason.Queued]);

/** sameWait says whether two waiting reasons mean the same to the user: equal, or both WAITING_FOR_ROOM. */
export function sameWait(a: string | undefined, b: string | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && WAITING_FOR_ROOM.has(a) && WAITING_FOR_ROOM.has(b));
}

/** Preempt: an admitted training job is to stop and go back to waiting, to make room for `by`. */
export interface Preempt {
  readonly kind: 'Preempt';
  readonly by: string;
  readonly message: string;
}

export type Verdict = Admit | Wait | Preempt;

/** QueueUsage is what one queue holds and how many wait, after the cycle. */
export interface QueueUsage {
  readonly usage: Amounts;
  readonly borrowed: Amounts;
  readonly admitted: number;
  readonly pending: number;
}

/** CycleResult is the cycle's verdict per workload key (admitted workloads left alone have none) and per queue. */
export interface CycleResult {
  readonly verdicts: ReadonlyMap<string, Verdict>;
  readonly queues: ReadonlyMap<string, QueueUsage>;
  /** Placements run (the cycle's cost). */
  readonly placements: number;
  /** The first waiting workload of each queue this cycle (its head of line), by queue name. */
  readonly heads: ReadonlyMap<string, string>;
}

interface QueueState {
  readonly info: QueueInfo;
  usage: Amounts;
  readonly waiting: QueuedWorkload[];
  next: number;
  admitted: number;
  /** The first workload of the queue this cycle did not admit: the head of the line. */
  firstWaiting?: string;
  blockedBy?: HeadOfLine;
}

/** HeadOfLine is a queue's first waiting workload past the head-of-line bound, and what it holds for itself. */
interface HeadOfLine {
  readonly key: string;
  readonly waitedMs: number;
  /** The kinds of device it may run on (for workloads admitted without a pool: InferenceServices). */
  readonly devices: ReadonlySet<string>;
  /** The pools (site/pool) it could run in on an idle federation: nothing behind it is placed there. */
  readonly pools: ReadonlySet<string>;
}

/** admissionCycle runs one cycle (module comment). */
export function admissionCycle(input: CycleInput): CycleResult {
  return new Cycle(input).run();
}

class Cycle {
  readonly #in: CycleInput;
  readonly #verdicts = new Map<string, Verdict>();
  readonly #states = new Map<string, QueueState>();
  readonly #capacity: Amounts;
  readonly #holOf: number;
  /** Admitted training jobs that could be preempted, by key. */
  readonly #holders = new Map<string, Victim>();
  readonly #preempting: Set<string>;
  /** Looks that failed this cycle, by queue and workload shape: the same shape fails the same way until usage drops. */
  readonly #failed = new Map<string, Wait>();
  /** Shapes and priorities for which no set of victims makes room, this cycle. */
  readonly #noVictims = new Set<string>();
  #snapshot: Snapshot;
  #placements = 0;

  constructor(input: CycleInput) {
    this.#in = input;
    this.#snapshot = input.snapshot;
    this.#holOf = input.headOfLineMs ?? DEFAULT_HEAD_OF_LINE_MS;
    this.#preempting = new Set(input.preempting ?? []);
    this.#capacity = federationCapacity(input.snapshot);
  }

  run(): CycleResult {
    this.#collect();
    for (;;) {
      const state = this.#nextQueue();
      if (state === undefined) break;
      const w = state.waiting[state.next++] as QueuedWorkload;
      const end = this.#in.timeLook?.(w.kind);
      this.#look(state, w);
      end?.();
    }
    const heads = new Map<string, string>();
    for (const [name, s] of this.#states) if (s.firstWaiting !== undefined) heads.set(name, s.firstWaiting);
    return { verdicts: this.#verdicts, queues: this.#usage(), placements: this.#placements, heads };
  }

  /** #collect sorts workloads into queues: what admitted ones hold, and who waits where. */
  #collect(): void {
    for (const w of this.#in.workloads) {
      if (w.held !== undefined) {
        const state = this.#state(w.held.queue);
        if (this.#preempting.has(w.key)) continue; // its charge is on its way out
        state.usage = addAmounts(state.usage, w.held.charge);
        state.admitted += 1;
        if (w.kind === 'TrainingJob' && w.held.preemptible) this.#holders.set(w.key, { ...w, held: w.held });
        continue;
      }
      const resolved = resolveQueue(w.queueName, w.namespace, this.#in.queues);
      if (resolved.kind !== 'Queue') {
        this.#verdicts.set(w.key, { kind: 'Wait', reason: resolved.kind === 'QueueNotFound' ? Reason.QueueNotFound : Reason.NamespaceNotAllowed, message: resolved.message });
        continue;
      }
      if (!w.workload.ok) {
        this.#verdicts.set(w.key, { kind: 'Wait', reason: Reason.Unschedulable, message: `invalid spec: ${w.workload.errors.join('; ')}`, never: true });
        continue;
      }
      this.#state(resolved.queue.name, resolved.queue).waiting.push(w);
    }
    for (const s of this.#states.values()) s.waiting.sort(byPriorityThenAge);
  }

  #state(name: string, info?: QueueInfo): QueueState {
    let s = this.#states.get(name);
    if (s === undefined) {
      const known = info ?? this.#in.queues.get(name) ?? { ...resolveUnlimited(name) };
      s = { info: known, usage: {}, waiting: [], next: 0, admitted: 0 };
      this.#states.set(name, s);
    }
    return s;
  }

  /** #nextQueue is the queue with the lowest weighted dominant share that still has workloads to look at. */
  #nextQueue(): QueueState | undefined {
    let best: QueueState | undefined;
    let bestShare = Number.POSITIVE_INFINITY;
    for (const s of this.#states.values()) {
      if (s.next >= s.waiting.length) continue;
      const share = weightedShare(s.usage, this.#capacity, s.info.weight);
      if (share < bestShare || (share === bestShare && best !== undefined && s.info.name < best.info.name)) {
        best = s;
        bestShare = share;
      }
    }
    return best;
  }

  /** #look tries to admit one waiting workload; failing that, to preempt for it; failing that, it waits. */
  #look(state: QueueState, w: QueuedWorkload): void {
    const workload = (w.workload as Extract<WorkloadResult, { ok: true }>).value;
    const head = state.blockedBy;
    if (head !== undefined) {
      this.#lookBehind(state, w, workload, head);
      return;
    }
    const shape = `${state.info.name}\u0000${w.kind}\u0000${JSON.stringify(workload)}`;
    const known = this.#failed.get(shape);
    const verdict = known ?? this.#tryAdmit(state, w, workload);
    if (verdict.kind === 'Admit') {
      this.#admit(state, w, verdict);
      return;
    }
    if (verdict.kind !== 'Wait') return;
    if (known === undefined) this.#failed.set(shape, verdict);
    // The same shape at the same priority finds the same victims, or none: look once per cycle.
    const search = `${shape}\u0000${w.priority}`;
    const mayPreempt = verdict.never !== true && state.info.policy !== PreemptionPolicy.Never && !this.#noVictims.has(search);
    const preempting = mayPreempt ? this.#tryPreempt(state, w, workload) : undefined;
    if (mayPreempt && preempting === undefined) this.#noVictims.add(search);
    if (preempting !== undefined) {
      this.#admit(state, w, preempting);
      return;
    }
    this.#verdicts.set(w.key, verdict);
    // The first workload of the queue that waits, past the head-of-line bound and able to fit some day, holds the line.
    state.firstWaiting ??= w.key;
    const waitedMs = this.#in.now - (this.#in.headSince?.get(w.key) ?? this.#in.now);
    if (state.firstWaiting === w.key && verdict.never !== true && waitedMs > this.#holOf) {
      state.blockedBy = { key: w.key, waitedMs, devices: devicesOf(workload), pools: this.#poolsFor(workload) };
    }
  }

  /**
   * #lookBehind looks at a workload behind its queue's head of line: a training job is placed only outside the head's
   * pools; when that is what stops it, it waits behind the head, and otherwise with its own reason. Nothing behind
   * the head preempts: the room it would make may be the head's.
   */
  #lookBehind(state: QueueState, w: QueuedWorkload, workload: Workload, head: HeadOfLine): void {
    if (w.kind !== 'TrainingJob') {
      if ([...devicesOf(workload)].some((d) => head.devices.has(d))) this.#verdicts.set(w.key, behind(head, this.#holOf));
      else this.#lookAdmitOnly(state, w, workload);
      return;
    }
    // The same shape behind the same head gets the same answer until something is admitted: look once per cycle.
    const shape = `behind\u0000${state.info.name}\u0000${JSON.stringify(workload)}`;
    const known = this.#failed.get(shape);
    if (known !== undefined) {
      this.#verdicts.set(w.key, known);
      return;
    }
    const elsewhere = this.#admitTraining(state, workload, this.#snapshot, state.usage, [outsidePools(head)]);
    if (elsewhere.kind === 'Admit') {
      this.#admit(state, w, elsewhere);
      return;
    }
    const anywhere = this.#admitTraining(state, workload);
    const waits = anywhere.kind === 'Admit' ? behind(head, this.#holOf) : anywhere;
    this.#failed.set(shape, waits);
    this.#verdicts.set(w.key, waits);
  }

  #lookAdmitOnly(state: QueueState, w: QueuedWorkload, workload: Workload): void {
    const v = this.#tryAdmit(state, w, workload);
    if (v.kind === 'Admit') this.#admit(state, w, v);
    else this.#verdicts.set(w.key, v);
  }

  /** #poolsFor is every site/pool the workload could run in on the federation as built (placement/as-built.ts). */
  #poolsFor(workload: Workload): ReadonlySet<string> {
    const idle = asBuilt(this.#snapshot);
    const out = new Set<string>();
    for (const site of idle.sites) {
      for (const o of evaluateSite(workload, site, workload.units).options) out.add(poolKey(site.name, o.pool.name));
    }
    return out;
  }

  /** #admit records an admission: the queue holds its charge and the cycle's snapshot loses what it takes. */
  #admit(state: QueueState, w: QueuedWorkload, verdict: Admit): void {
    this.#verdicts.set(w.key, verdict);
    state.usage = addAmounts(state.usage, verdict.charge);
    state.admitted += 1;
    if (verdict.placement !== undefined) this.#snapshot = takeFromSnapshot(this.#snapshot, verdict.placement.promised);
  }

  #tryAdmit(state: QueueState, w: QueuedWorkload, workload: Workload): Verdict {
    return w.kind === 'TrainingJob' ? this.#admitTraining(state, workload) : this.#admitInference(state, workload);
  }

  #admitTraining(state: QueueState, workload: Workload, snapshot: Snapshot = this.#snapshot, usage: Amounts = state.usage, extra: readonly PoolFilter[] = []): Admit | Wait {
    this.#placements += 1;
    const decision = place(workload, snapshot, this.#in.config, [quotaFilter(state.info, usage), ...extra]);
    if (decision.kind === 'Placed') return this.#admitPlaced(state.info, usage, workload, decision, snapshot);
    // Quota or capacity? The same look without the quota says which, and what the queue lacks.
    this.#placements += 1;
    const free = place(workload, snapshot, this.#in.config);
    const record = decision.record;
    if (free.kind === 'Placed') {
      const charge = scaled(free.perUnit, workload.units);
      const lacks = quotaShortfalls(state.info, usage, charge).join('; ');
      return { kind: 'Wait', reason: Reason.QuotaExceeded, message: lacks, record, ...(this.#neverFits(state.info, workload) && { never: true }) };
    }
    // No site has room now either; if the queue could not hold any variant anyway, that is the reason to give.
    const overQuota = genericShortfalls(state.info, usage, workload);
    if (overQuota !== undefined) {
      return { kind: 'Wait', reason: Reason.QuotaExceeded, message: overQuota, record, ...(this.#neverFits(state.info, workload) && { never: true }) };
    }
    const anyReady = snapshot.sites.some((s) => s.ready);
    return {
      kind: 'Wait',
      reason: anyReady ? Reason.Unschedulable : Reason.NoSiteReady,
      message: record.message,
      record,
      ...(this.#neverFits(state.info, workload) && { never: true }),
    };
  }

  #admitPlaced(queue: QueueInfo, usage: Amounts, workload: Workload, decision: Placed, snapshot: Snapshot): Admit {
    const charge = scaled(decision.perUnit, workload.units);
    const pool = snapshot.sites.find((s) => s.name === decision.site)?.pools.find((p) => p.name === decision.pool);
    return {
      kind: 'Admit',
      queue: queue.name,
      charge,
      borrowed: borrowedPart(queue, usage, charge),
      placement: {
        site: decision.site,
        variant: decision.variant,
        pool: decision.pool,
        acceleratorResource: pool?.accelerator?.resourceName,
        record: decision.record,
        promised: promisedFor(decision, workload),
      },
    };
  }

  /**
   * #admitInference charges an InferenceService's minimum replicas as its first variant the queue can hold (devices
   * by the vendor's usual resource name). Capacity is the inference controller's to find: its replicas spread over
   * sites and may fall back to other variants, so admission checks the quota only.
   */
  #admitInference(state: QueueState, workload: Workload): Admit | Wait {
    for (const variant of workload.variants) {
      const charge = genericCharge(variant, workload.units);
      if (quotaShortfalls(state.info, state.usage, charge).length === 0) {
        return { kind: 'Admit', queue: state.info.name, charge, borrowed: borrowedPart(state.info, state.usage, charge) };
      }
    }
    return { kind: 'Wait', reason: Reason.QuotaExceeded, message: genericShortfalls(state.info, state.usage, workload) ?? 'no variant' };
  }

  /**
   * #neverFits says whether the workload could not be placed even on the federation as built (every site Ready and
   * idle: placement/as-built.ts) under an unused quota — never, not merely not now. A site that is down or cordoned
   * still counts: it may come back.
   */
  #neverFits(queue: QueueInfo, workload: Workload): boolean {
    this.#placements += 1;
    return neverPlaced(workload, this.#snapshot, this.#in.config, [quotaFilter(queue, {})]) !== undefined;
  }

  /**
   * #tryPreempt looks for victims whose removal lets `w` fit — the quota and a site — adding candidates one at a time
   * in preference order until it does, then dropping every one the fit does not need. Nothing is preempted unless the
   * whole set makes `w` fit. Taking from other queues (FairShare) needs `w` to fit its own queue's quota without
   * borrowing. The admission comes at once, on the room the victims leave (the site's scheduler binds the new pods as
   * the old ones go), so nothing else in this cycle or the next takes that room.
   */
  #tryPreempt(state: QueueState, w: QueuedWorkload, workload: Workload): Admit | undefined {
    if (w.kind !== 'TrainingJob') return undefined;
    const candidates = this.#victimCandidates(state, w).slice(0, MAX_VICTIM_CANDIDATES);
    const chosen: Victim[] = [];
    let fit: Admit | undefined;
    for (const c of candidates) {
      chosen.push(c);
      fit = this.#fitsWithout(state, workload, chosen);
      if (fit !== undefined) break;
    }
    if (fit === undefined) return undefined;
    // Keep only the victims the fit needs, the last taken (least preferred) dropped first.
    for (let i = chosen.length - 1; i >= 0 && chosen.length > 1; i--) {
      const without = chosen.filter((_, j) => j !== i);
      const still = this.#fitsWithout(state, workload, without);
      if (still !== undefined) {
        chosen.splice(i, 1);
        fit = still;
      }
    }
    const messages = new Map(chosen.map((v) => [v.key, preemptMessage(w, state.info, this.#why(state, v))]));
    for (const v of chosen) {
      const victimQueue = this.#state(v.held.queue);
      victimQueue.usage = subtractAmounts(victimQueue.usage, v.held.charge);
      victimQueue.admitted -= 1;
      this.#holders.delete(v.key);
      this.#preempting.add(v.key);
      this.#verdicts.set(v.key, { kind: 'Preempt', by: w.key, message: messages.get(v.key) ?? '' });
      // The victims' queues hold less now: looks that failed there on quota may pass.
      for (const k of [...this.#failed.keys()]) if (k.startsWith(`${v.held.queue}\u0000`)) this.#failed.delete(k);
    }
    this.#snapshot = giveBack(this.#snapshot, released(chosen));
    return { ...fit, preempting: chosen.map((v) => `${v.namespace}/${v.name}`) };
  }

  /** #fitsWithout is the admission `workload` would get with `victims` gone, or undefined. */
  #fitsWithout(state: QueueState, workload: Workload, victims: readonly Victim[]): Admit | undefined {
    const own = victims.filter((v) => v.held.queue === state.info.name).map((v) => v.held.charge);
    const usage = subtractAmounts(state.usage, addAmounts(...own));
    const trial = this.#admitTraining(state, workload, giveBack(this.#snapshot, released(victims)), usage);
    if (trial.kind !== 'Admit') return undefined;
    const reclaims = victims.some((v) => v.held.queue !== state.info.name);
    if (reclaims && !isEmpty(borrowedPart(state.info, usage, trial.charge))) return undefined;
    return trial;
  }

  /** #victimCandidates lists who `w` may preempt, in the order they are taken (module comment). */
  #victimCandidates(state: QueueState, w: QueuedWorkload): Victim[] {
    const mine = state.info;
    const out: { v: Victim; rank: number }[] = [];
    // FairShare takes from a queue only while, without the victim, it would still hold a larger weighted share than
    // this queue does now: a swap that turned the order around would only invite the reverse preemption next.
    const mineNow = weightedShare(state.usage, this.#capacity, mine.weight);
    for (const v of this.#holders.values()) {
      if (v.held.queue === mine.name) {
        if (v.priority < w.priority) out.push({ v, rank: 2 });
        continue;
      }
      if (mine.policy !== PreemptionPolicy.FairShare) continue;
      const other = this.#states.get(v.held.queue);
      if (other === undefined) continue;
      if (isBorrowing(other.info, other.usage)) {
        out.push({ v, rank: 0 });
        continue;
      }
      const theirsAfter = weightedShare(subtractAmounts(other.usage, v.held.charge), this.#capacity, other.info.weight);
      if (theirsAfter > mineNow) out.push({ v, rank: 1 });
    }
    out.sort((a, b) => a.rank - b.rank || a.v.priority - b.v.priority || b.v.held.admittedMs - a.v.held.admittedMs || (a.v.key < b.v.key ? -1 : a.v.key > b.v.key ? 1 : 0));
    return out.map((o) => o.v);
  }

  #why(state: QueueState, v: Victim): string {
    if (v.held.queue === state.info.name) return `lower priority (${v.priority}) in queue ${state.info.name}`;
    const other = this.#states.get(v.held.queue);
    if (other !== undefined && isBorrowing(other.info, other.usage)) return `queue ${v.held.queue} borrows above its quota`;
    return `queue ${v.held.queue} holds more than its fair share`;
  }

  #usage(): Map<string, QueueUsage> {
    const out = new Map<string, QueueUsage>();
    for (const [name, s] of this.#states) {
      const pending = s.waiting.filter((w) => this.#verdicts.get(w.key)?.kind !== 'Admit').length;
      out.set(name, { usage: s.usage, borrowed: borrowedPart(s.info, {}, s.usage), admitted: s.admitted, pending });
    }
    // A Queue with nothing admitted and nothing waiting shows zeros.
    for (const name of this.#in.queues.keys()) {
      if (!out.has(name)) out.set(name, { usage: {}, borrowed: {}, admitted: 0, pending: 0 });
    }
    return out;
  }
}

/** genericCharge is `units` of a variant, devices named by the vendor's usual resource (no pool chosen yet). */
function genericCharge(variant: VariantDemand, units: number): Amounts {
  const resource = variant.accelerator === undefined ? undefined : VENDOR_INFO[variant.accelerator.vendor].resourceName;
  return scaled(demandWith(variant, resource), units);
}

/** genericShortfalls says, variant by variant, what the queue lacks when it cannot hold any variant; else undefined. */
function genericShortfalls(queue: QueueInfo, usage: Amounts, workload: Workload): string | undefined {
  const all: string[] = [];
  for (const variant of workload.variants) {
    const lacks = quotaShortfalls(queue, usage, genericCharge(variant, workload.units));
    if (lacks.length === 0) return undefined;
    all.push(workload.variants.length === 1 ? lacks.join('; ') : `variant ${variant.name}: ${lacks.join('; ')}`);
  }
  return all.length === 0 ? undefined : all.join('; ');
}

function resolveUnlimited(name: string): QueueInfo {
  return { name, quota: {}, borrowingLimit: {}, weight: 1, policy: PreemptionPolicy.Never, namespaces: [] };
}

/** Victim is an admitted, preemptible training job. */
type Victim = QueuedWorkload & { held: Held };

/** released is what victims would give back, pool by pool. */
function released(victims: readonly Victim[]): { site: string; pool: string; amounts: Amounts }[] {
  return victims.flatMap((v) => (v.held.site !== undefined && v.held.pool !== undefined ? [{ site: v.held.site, pool: v.held.pool, amounts: v.held.charge }] : []));
}

/** byPriorityThenAge orders a queue's waiting workloads: priority (high first), creation (old first), key. */
export function byPriorityThenAge(a: QueuedWorkload, b: QueuedWorkload): number {
  return b.priority - a.priority || a.createdMs - b.createdMs || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

/** federationCapacity sums allocatable over the Ready sites' pools: the denominator of dominant shares. */
export function federationCapacity(snapshot: Snapshot): Amounts {
  return addAmounts(...snapshot.sites.filter((s) => s.ready).flatMap((s) => s.pools.map((p) => p.allocatable)));
}

/** borrowedPart is the part of usage + charge above the queue's quota, per resource. */
function borrowedPart(queue: QueueInfo, usage: Amounts, charge: Amounts): Amounts {
  const out: Record<string, number> = {};
  for (const [resource, n] of Object.entries(charge)) {
    const quota = queue.quota[resource];
    if (quota === undefined) continue;
    const before = Math.max(0, (usage[resource] ?? 0) - quota);
    const after = Math.max(0, (usage[resource] ?? 0) + n - quota);
    if (after - before > 0) out[resource] = after - before;
  }
  return out;
}

function isBorrowing(queue: QueueInfo, usage: Amounts): boolean {
  return Object.entries(queue.quota).some(([resource, quota]) => exceeds(usage[resource] ?? 0, quota));
}

function behind(head: { readonly key: string }, holOf: number): Wait {
  const name = head.key.split('/').slice(1).join('/');
  return {
    kind: 'Wait',
    reason: Reason.Queued,
    // No running count of seconds here: the message must not change from one cycle to the next while nothing does.
    message: `waiting behind ${name}, first in its queue for longer than the ${Math.round(holOf / 1000)}s head-of-line bound: nothing behind it is admitted into the pools it could use until it is`,
  };
}

function poolKey(site: string, pool: string): string {
  return `${site}/${pool}`;
}

/** outsidePools is a pool filter that keeps a head of line's pools for it. */
function outsidePools(head: HeadOfLine): PoolFilter {
  const name = head.key.split('/').slice(1).join('/');
  return (c) => filterVerdict(head.pools.has(poolKey(c.site.name, c.pool.name)) ? [`pool kept for ${name}, first in its queue past the head-of-line bound`] : []);
}

/** devicesOf names the kinds of device a workload may run on: each variant's accelerator resource, or cpu-only. */
function devicesOf(workload: Workload): ReadonlySet<string> {
  return new Set(workload.variants.map((v) => (v.accelerator === undefined ? 'cpu-only' : VENDOR_INFO[v.accelerator.vendor].resourceName)));
}

function preemptMessage(w: QueuedWorkload, queue: QueueInfo, why: string): string {
  return `preempted by ${w.namespace}/${w.name} (priority ${w.priority}, queue ${queue.name || '(none)'}): ${why}; it waits to be admitted again and resumes from its checkpoint`;
}
