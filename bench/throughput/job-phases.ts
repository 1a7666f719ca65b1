/**
 * When each TrainingJob of the run was first seen Placed (status.site set), Running and Succeeded (or Failed) on
 * the hub, by the hub watch's arrival times (performance.now(), ms), and, where the caller says so, when its create
 * was sent (so each phase can be measured from the job's own apply: bench/many-sites.bench.ts). A later phase seen without an earlier one (two
 * writes between two events cannot happen on a watch, but one write may skip a phase) counts the earlier one then too.
 */
import { CustomObjectsApi } from '@kubernetes/client-node';
import type { TrainingJob } from '../../src/api/generated/types.ts';
import { GROUP, Plural, VERSION } from '../../src/api/names.ts';
import { ListWatch, type ListResult } from '../member-latency/list-watch.ts';
import { latestMoment } from '../support/latest-moment.ts';

/** Phases is one job's moments; undefined until seen. */
export interface Phases {
  appliedAt?: number;
  placedAt?: number;
  runningAt?: number;
  succeededAt?: number;
  failedAt?: number;
  site?: string;
  /** lastMessage: the job's latest Placed or Running condition that is not True, for a report of what did not finish. */
  lastMessage?: string;
}

/** PhaseCounts says how many jobs reached each phase. */
export interface PhaseCounts {
  readonly seen: number;
  readonly placed: number;
  readonly running: number;
  readonly succeeded: number;
  readonly failed: number;
}

/** JobPhases follows every job of the run by name. */
export class JobPhases {
  readonly #byName = new Map<string, Phases>();

  #of(name: string): Phases {
    let p = this.#byName.get(name);
    if (p === undefined) {
      p = {};
      this.#byName.set(name, p);
    }
    return p;
  }

  /** applied records when the create of `name` was sent. */
  applied(name: string, at: number): void {
    this.#of(name).appliedAt ??= at;
  }

  /** observe records a watch event of a job (DELETED events are ignored: the run deletes nothing). */
  observe(tj: TrainingJob, at: number): void {
    const p = this.#of(tj.metadata.name ?? '');
    const status = tj.status;
    const phase = status?.phase;
    if (phase === 'Succeeded') p.succeededAt ??= at;
    if (phase === 'Failed') p.failedAt ??= at;
    if (phase === 'Running' || p.succeededAt !== undefined) p.runningAt ??= at;
    if (status?.site !== undefined || p.runningAt !== undefined || p.failedAt !== undefined) p.placedAt ??= at;
    if (status?.site !== undefined) p.site = status.site;
    const condition = status?.conditions?.find((c) => (c.type === 'Placed' || c.type === 'Running') && c.status !== 'True');
    if (condition !== undefined) p.lastMessage = `${condition.type}=${condition.status} ${condition.reason}: ${condition.message}`;
  }

  /** counts says how many jobs reached each phase. */
  counts(): PhaseCounts {
    let placed = 0;
    let running = 0;
    let succeeded = 0;
    let failed = 0;
    for (const p of this.#byName.values()) {
      if (p.placedAt !== undefined) placed += 1;
      if (p.runningAt !== undefined) running += 1;
      if (p.succeededAt !== undefined) succeeded += 1;
      if (p.failedAt !== undefined) failed += 1;
    }
    return { seen: this.#byName.size, placed, running, succeeded, failed };
  }

  /** last is the latest moment of `phase` over all jobs, or undefined unless every one of `expected` jobs reached it. */
  last(phase: 'placedAt' | 'runningAt' | 'succeededAt', expected: number): number | undefined {
    return latestMoment(this.#byName.values(), (p) => p[phase], expected);
  }

  /** since lists, per job whose apply was recorded, the time from its apply to `phase` (undefined when not reached). */
  since(phase: 'placedAt' | 'runningAt' | 'succeededAt'): (number | undefined)[] {
    return [...this.#byName.values()].filter((p) => p.appliedAt !== undefined).map((p) => (p[phase] === undefined ? undefined : (p[phase] as number) - (p.appliedAt as number)));
  }

  /** sites counts the distinct sites the jobs were placed at. */
  sites(): number {
    return new Set([...this.#byName.values()].flatMap((p) => (p.site === undefined ? [] : [p.site]))).size;
  }

  /** unfinished lists up to `limit` jobs not Succeeded or Failed, with what their conditions last said. */
  unfinished(limit: number): string[] {
    return [...this.#byName]
      .filter(([, p]) => p.succeededAt === undefined && p.failedAt === undefined)
      .slice(0, limit)
      .map(([name, p]) => `${name}: ${p.lastMessage ?? 'no condition'}`);
  }
}

/**
 * followTrainingJobs builds (does not start) the hub watch of `namespace`'s TrainingJobs that feeds `phases`, as
 * throughput and many-sites both follow their runs. DELETED events are left out: the runs delete nothing.
 */
export function followTrainingJobs(kubeconfig: string, namespace: string, phases: JobPhases): ListWatch {
  return new ListWatch(
    {
      label: 'TrainingJobs on the hub',
      kubeconfig,
      path: `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${Plural.TrainingJob}`,
      list: (kc) => kc.makeApiClient(CustomObjectsApi).listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: Plural.TrainingJob }) as Promise<ListResult>,
    },
    (type, obj, at) => {
      if (type !== 'DELETED') phases.observe(obj as TrainingJob, at);
    },
  );
}
