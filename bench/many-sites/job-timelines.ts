/**
 * Each TrainingJob's timeline on the hub: when the benchmark sent its create (apply), and when the hub's watch first
 * showed it Placed (status.site set), Running and Succeeded (or Failed), all on one monotonic clock (performance.now()
 * in ms). A later phase seen without an earlier one counts the earlier one then too (one status write may skip a
 * phase). Pure: the caller passes the times.
 */
import type { TrainingJob } from '../../src/api/generated/types.ts';

/** Timeline is one job's moments; undefined until reached. */
export interface Timeline {
  appliedAt?: number;
  placedAt?: number;
  runningAt?: number;
  succeededAt?: number;
  failedAt?: number;
  site?: string;
  /** lastMessage: the job's latest Placed or Running condition that is not True. */
  lastMessage?: string;
}

/** PhaseCounts says how many jobs reached each moment. */
export interface PhaseCounts {
  readonly seen: number;
  readonly placed: number;
  readonly running: number;
  readonly succeeded: number;
  readonly failed: number;
}

/** JobTimelines follows every job of the run by name. */
export class JobTimelines {
  readonly #byName = new Map<string, Timeline>();

  #of(name: string): Timeline {
    let t = this.#byName.get(name);
    if (t === undefined) {
      t = {};
      this.#byName.set(name, t);
    }
    return t;
  }

  /** applied records when the create of `name` was sent. */
  applied(name: string, at: number): void {
    this.#of(name).appliedAt ??= at;
  }

  /** observe records a watch event of a job (deletions are not phases and are ignored by the caller). */
  observe(tj: TrainingJob, at: number): void {
    const t = this.#of(tj.metadata.name ?? '');
    const s = tj.status;
    if (s?.phase === 'Succeeded') t.succeededAt ??= at;
    if (s?.phase === 'Failed') t.failedAt ??= at;
    if (s?.phase === 'Running' || t.succeededAt !== undefined) t.runningAt ??= at;
    if (s?.site !== undefined || t.runningAt !== undefined || t.failedAt !== undefined) t.placedAt ??= at;
    if (s?.site !== undefined) t.site = s.site;
    const c = s?.conditions?.find((x) => (x.type === 'Placed' || x.type === 'Running') && x.status !== 'True');
    if (c !== undefined) t.lastMessage = `${c.type}=${c.status} ${c.reason}: ${c.message}`;
  }

  counts(): PhaseCounts {
    let placed = 0;
    let running = 0;
    let succeeded = 0;
    let failed = 0;
    for (const t of this.#byName.values()) {
      if (t.placedAt !== undefined) placed += 1;
      if (t.runningAt !== undefined) running += 1;
      if (t.succeededAt !== undefined) succeeded += 1;
      if (t.failedAt !== undefined) failed += 1;
    }
    return { seen: this.#byName.size, placed, running, succeeded, failed };
  }

  /** since lists, per job that was applied, the time from its apply to `phase` (undefined when not reached). */
  since(phase: 'placedAt' | 'runningAt' | 'succeededAt'): (number | undefined)[] {
    return [...this.#byName.values()].filter((t) => t.appliedAt !== undefined).map((t) => (t[phase] === undefined ? undefined : (t[phase] as number) - (t.appliedAt as number)));
  }

  /** last is the latest moment of `phase` over all jobs, or undefined unless `expected` jobs reached it. */
  last(phase: 'placedAt' | 'runningAt' | 'succeededAt', expected: number): number | undefined {
    let latest = -Infinity;
    let n = 0;
    for (const t of this.#byName.values()) {
      const at = t[phase];
      if (at === undefined) continue;
      n += 1;
      latest = Math.max(latest, at);
    }
    return n >= expected && n > 0 ? latest : undefined;
  }

  /** sites counts the distinct sites the jobs were placed at. */
  sites(): number {
    return new Set([...this.#byName.values()].flatMap((t) => (t.site === undefined ? [] : [t.site]))).size;
  }

  /** unfinished lists up to `limit` jobs not Succeeded or Failed, with what their conditions last said. */
  unfinished(limit: number): string[] {
    return [...this.#byName]
      .filter(([, t]) => t.succeededAt === undefined && t.failedAt === undefined)
      .slice(0, limit)
      .map(([name, t]) => `${name}: ${t.lastMessage ?? 'no condition'}`);
  }
}
