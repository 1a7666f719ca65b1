/**
 * The `suanwang` policy: the operator's own decision, not a model of it. At each instant the waiting tasks go through
 * admissionCycle (src/queueing/admission-cycle.ts) — with no Queue objects, so every job is in the default queue and
 * admitted on capacity alone, head-of-line rule included (the heads and since when they lead are kept across cycles
 * as the operator's ledger keeps them) — over the snapshot that buildSnapshot makes from the Site
 * objects (site-objects.ts). Each admission names a site, variant and pool; the site's binder (fleet.ts, kube-
 * scheduler's LeastAllocated) then binds the workers to nodes of that pool, as the pool's nodeSelector would. When
 * the binder cannot (the cycle's own estimate of where an earlier admission of the same cycle landed was off), the
 * task stays waiting and is looked at again, as a gang that does not bind is re-placed.
 *
 * Cost. A task that did not fit is not handed to the next cycle unless something was released since (fits are
 * monotone in free capacity: it would fail the same way) — except the first such task in queue order, which is
 * always handed over (one per queue), so that the cycle finds the same head of the line and blocks behind it exactly as it would
 * with every task in hand. decide() is exposed so tests can check the verdicts against admissionCycle's own.
 */
import { DEFAULT_PLACEMENT_CONFIG, type PlacementConfig } from '../placement/config.ts';
import type { Snapshot } from '../placement/snapshot.ts';
import { admissionCycle, byPriorityThenAge, DEFAULT_HEAD_OF_LINE_MS, type CycleResult, type QueuedWorkload } from '../queueing/admission-cycle.ts';
import { Fleet, poolServes, workerDemand } from './fleet.ts';
import type { Placement, Scheduler } from './replay.ts';
import { SiteObjects } from './site-objects.ts';
import { queuedTrainingJob } from '../queueing/queued-workload.ts';
import type { SimTask } from './task.ts';

/** SuanwangOptions tune the engine as the operator's configuration would. */
export interface SuanwangOptions {
  readonly config?: PlacementConfig;
  readonly headOfLineMs?: number;
  /**
   * handAll hands every waiting task to every cycle, as the operator's ledger does, instead of skipping those that
   * cannot have changed (module comment): slower, the same verdicts; the tests compare the two.
   */
  readonly handAll?: boolean;
}

/** CycleRun is one decision: the snapshot and workloads the cycle was handed, and its result. */
export interface CycleRun {
  readonly snapshot: Snapshot;
  readonly workloads: readonly QueuedWorkload[];
  readonly result: CycleResult;
  readonly nowMs: number;
  /** headSince as handed to the cycle. */
  readonly headSince: ReadonlyMap<string, number>;
}

/** SuanwangScheduler runs the operator's admission and placement over a fleet. */
export class SuanwangScheduler implements Scheduler {
  readonly #fleet: Fleet;
  readonly #objects: SiteObjects;
  readonly #config: PlacementConfig;
  readonly #headOfLineMs: number;
  readonly #handAll: boolean;
  readonly #queued = new Map<SimTask, QueuedWorkload | undefined>();
  readonly #byKey = new Map<string, SimTask>();
  /** The release count when a task last failed to be admitted (Fleet.releases). */
  readonly #failedAt = new Map<SimTask, number>();
  readonly #everFits = new Map<SimTask, boolean>();
  /** The first waiting workload of each queue and since when it has been first, kept across cycles as the ledger does. */
  #heads = new Map<string, { key: string; since: number }>();
  /** bindMisses counts admissions the binder could not carry out (module comment). */
  bindMisses = 0;

  constructor(fleet: Fleet, options: SuanwangOptions = {}) {
    this.#fleet = fleet;
    this.#objects = new SiteObjects(fleet.sites);
    this.#config = options.config ?? DEFAULT_PLACEMENT_CONFIG;
    this.#headOfLineMs = options.headOfLineMs ?? DEFAULT_HEAD_OF_LINE_MS;
    this.#handAll = options.handAll === true;
  }

  /** decide runs one admission cycle over the waiting tasks that could change their verdict; undefined if none. */
  decide(nowS: number, waiting: readonly SimTask[]): CycleRun | undefined {
    const released = this.#fleet.releases;
    const workloads: QueuedWorkload[] = [];
    let fresh = false;
    const headHandedOver = new Set<string>();
    const queued = waiting.flatMap((t) => {
      const q = this.#queuedWorkload(t);
      return q === undefined ? [] : [{ task: t, q }];
    });
    for (const { task, q } of queued.sort((a, b) => byPriorityThenAge(a.q, b.q))) {
      const stale = !this.#handAll && this.#failedAt.get(task) === released;
      if (stale && headHandedOver.has(q.queueName)) continue;
      if (stale) headHandedOver.add(q.queueName);
      else fresh = true;
      workloads.push(q);
    }
    if (!fresh) return undefined;
    const snapshot = this.#objects.snapshot();
    const nowMs = nowS * 1000;
    const headSince = new Map([...this.#heads.values()].map((h) => [h.key, h.since]));
    const result = admissionCycle({ queues: new Map(), workloads, snapshot, config: this.#config, now: nowMs, headOfLineMs: this.#headOfLineMs, headSince });
    // A head that stays keeps its time, a new one starts now (controllers/framework/admission-ledger.ts).
    const heads = new Map<string, { key: string; since: number }>();
    for (const [queue, key] of result.heads) {
      const before = this.#heads.get(queue);
      heads.set(queue, { key, since: before?.key === key ? before.since : nowMs });
    }
    this.#heads = heads;
    return { snapshot, workloads, result, nowMs, headSince };
  }

  schedule(nowS: number, waiting: readonly SimTask[]): Placement[] {
    const run = this.decide(nowS, waiting);
    if (run === undefined) return [];
    const released = this.#fleet.releases;
    const out: Placement[] = [];
    for (const [key, verdict] of run.result.verdicts) {
      const task = this.#byKey.get(key);
      if (task === undefined) continue;
      if (verdict.kind !== 'Admit' || verdict.placement === undefined) {
        this.#failedAt.set(task, released);
        continue;
      }
      const { site, pool, variant } = verdict.placement;
      const v = task.workload.variants.find((x) => x.name === variant);
      const p = this.#fleet.site(site)?.pools.find((x) => x.name === pool);
      const bindings = v === undefined || p === undefined ? undefined : this.#fleet.bindGang([p], workerDemand(v), task.workload.units);
      if (bindings === undefined) {
        this.bindMisses += 1;
        continue;
      }
      out.push({ task, bindings });
    }
    return out;
  }

  /** couldEverFit: some pool of some site holds every worker of some variant when idle (placement needs one pool). */
  couldEverFit(task: SimTask): boolean {
    let fits = this.#everFits.get(task);
    if (fits === undefined) {
      fits = this.#fleet.sites.some((s) =>
        s.pools.some((p) => task.workload.variants.some((v) => poolServes(v, p.spec) && Fleet.fitsIdle([p], workerDemand(v), task.workload.units))),
      );
      this.#everFits.set(task, fits);
    }
    return fits;
  }

  /**
   * #queuedWorkload is the task as the operator's admission ledger sees a TrainingJob (queuedTrainingJob), created at
   * its arrival; undefined for a job admission ignores (suspended), which then never runs.
   */
  #queuedWorkload(task: SimTask): QueuedWorkload | undefined {
    if (this.#queued.has(task)) return this.#queued.get(task);
    const ms = task.arrivalS * 1000;
    const job = { ...task.job, metadata: { ...task.job.metadata, creationTimestamp: new Date(ms).toISOString() } };
    const q = queuedTrainingJob(job, ms);
    this.#queued.set(task, q);
    if (q !== undefined) this.#byKey.set(q.key, task);
    return q;
  }
}
