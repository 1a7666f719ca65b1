/**
 * When each Job of the Kueue run was first seen Admitted, Running and Succeeded (or Failed) on the hub, by the hub
 * watches' arrival times (performance.now(), ms). Admitted is the manager's Workload condition (MultiKueue admits it
 * once a worker has reserved quota and the admission check is Ready); Running and Succeeded are the hub Job's status,
 * which MultiKueue copies back from the worker's Job: Running is a Ready pod (kwok makes a running pod Ready), Succeeded
 * the Complete condition. A later phase seen without an earlier one counts the earlier one then too, as for
 * Suanwang's jobs (bench/throughput/job-phases.ts): a status copy can skip a phase.
 */
import { latestMoment } from '../../support/latest-moment.ts';

/** Condition is a status condition as Jobs and Workloads write them. */
export interface Condition {
  readonly type?: string;
  readonly status?: string;
  readonly reason?: string;
  readonly message?: string;
}

/** HubJob is the part of a batch/v1 Job the phases read. */
export interface HubJob {
  readonly metadata?: { readonly name?: string };
  readonly status?: {
    readonly ready?: number;
    readonly active?: number;
    readonly succeeded?: number;
    readonly conditions?: readonly Condition[];
  };
}

/** HubWorkload is the part of a kueue.x-k8s.io Workload the phases read. */
export interface HubWorkload {
  readonly metadata?: { readonly ownerReferences?: readonly { readonly kind?: string; readonly name?: string }[] };
  readonly status?: { readonly conditions?: readonly Condition[] };
}

interface Phases {
  admittedAt?: number;
  runningAt?: number;
  succeededAt?: number;
  failedAt?: number;
  lastMessage?: string;
}

/** KueuePhase is a phase the run times. */
export type KueuePhase = 'admittedAt' | 'runningAt' | 'succeededAt';

const isTrue = (conditions: readonly Condition[] | undefined, type: string): boolean => (conditions ?? []).some((c) => c.type === type && c.status === 'True');

/** KueueJobPhases follows every Job of the run by name. */
export class KueueJobPhases {
  readonly #byJob = new Map<string, Phases>();

  #phases(name: string): Phases {
    let p = this.#byJob.get(name);
    if (p === undefined) {
      p = {};
      this.#byJob.set(name, p);
    }
    return p;
  }

  /** observeJob records a watch event of a hub Job. */
  observeJob(job: HubJob, at: number): void {
    const name = job.metadata?.name;
    if (name === undefined) return;
    const p = this.#phases(name);
    const s = job.status;
    if (isTrue(s?.conditions, 'Complete')) p.succeededAt ??= at;
    if (isTrue(s?.conditions, 'Failed')) p.failedAt ??= at;
    if ((s?.ready ?? 0) > 0 || p.succeededAt !== undefined) p.runningAt ??= at;
    if (p.runningAt !== undefined || p.failedAt !== undefined) p.admittedAt ??= at;
  }

  /** observeWorkload records a watch event of the manager's Workload, by the Job that owns it. */
  observeWorkload(wl: HubWorkload, at: number): void {
    const owner = wl.metadata?.ownerReferences?.find((o) => o.kind === 'Job')?.name;
    if (owner === undefined) return;
    const p = this.#phases(owner);
    const conditions = wl.status?.conditions;
    if (isTrue(conditions, 'Admitted')) p.admittedAt ??= at;
    const pending = (conditions ?? []).find((c) => (c.type === 'QuotaReserved' || c.type === 'Admitted') && c.status !== 'True');
    if (pending !== undefined) p.lastMessage = `${pending.type}=${pending.status} ${pending.reason ?? ''}: ${pending.message ?? ''}`;
  }

  /** counts says how many Jobs reached each phase (seen: Jobs or Workloads seen at all). */
  counts(): { seen: number; admitted: number; running: number; succeeded: number; failed: number } {
    const c = { seen: this.#byJob.size, admitted: 0, running: 0, succeeded: 0, failed: 0 };
    for (const p of this.#byJob.values()) {
      if (p.admittedAt !== undefined) c.admitted += 1;
      if (p.runningAt !== undefined) c.running += 1;
      if (p.succeededAt !== undefined) c.succeeded += 1;
      if (p.failedAt !== undefined) c.failed += 1;
    }
    return c;
  }

  /** last is the latest moment of `phase` over all Jobs, or undefined unless `expected` Jobs reached it. */
  last(phase: KueuePhase, expected: number): number | undefined {
    return latestMoment(this.#byJob.values(), (p) => p[phase], expected);
  }

  /** unfinished lists up to `limit` Jobs not Succeeded or Failed, with what their Workload last said. */
  unfinished(limit: number): string[] {
    return [...this.#byJob]
      .filter(([, p]) => p.succeededAt === undefined && p.failedAt === undefined)
      .slice(0, limit)
      .map(([name, p]) => `${name}: ${p.lastMessage ?? (p.admittedAt === undefined ? 'not admitted' : 'admitted, not finished')}`);
  }
}
