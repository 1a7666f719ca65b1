/**
 * A task of a simulated trace: one TrainingJob, the same API object the operator admits and places, with when it
 * arrives and how long it runs once started. Every trace format (openb CSV, YAML) becomes a list of these.
 */
import type { TrainingJob } from '../api/generated/types.ts';
import { trainingWorkload, type Workload } from '../placement/workload.ts';

/** SimTask is one task of a trace. */
export interface SimTask {
  /** name is unique in the trace (the TrainingJob's metadata.name). */
  readonly name: string;
  /** arrivalS is when the task is submitted, seconds from the trace's start. */
  readonly arrivalS: number;
  /** durationS is how long it runs once its workers are bound; 0 is allowed (it leaves at once). */
  readonly durationS: number;
  readonly job: TrainingJob;
  /** workload is the job as placement sees it (parsed once). */
  readonly workload: Workload;
  /** gpuShare: the trace asked for part of one GPU, rounded up to a whole one (README, "Simulator"). */
  readonly gpuShare: boolean;
}

/** TaskSource says where a task came from, for error messages. */
export interface TaskSource {
  readonly file: string;
  readonly line: number;
}

/** TraceError is a trace that cannot be replayed; its message names the file and line. */
export class TraceError extends Error {
  override readonly name = 'TraceError';
}

/**
 * makeTask reduces a TrainingJob to a task; throws TraceError naming `where` when the job does not parse as
 * placement reads it.
 */
export function makeTask(job: TrainingJob, arrivalS: number, durationS: number, gpuShare: boolean, where: TaskSource): SimTask {
  const name = job.metadata.name ?? '';
  const w = trainingWorkload(job);
  if (!w.ok) throw new TraceError(`${where.file}:${where.line}: task ${name}: ${w.errors.join('; ')}`);
  return { name, arrivalS, durationS, job, workload: w.value, gpuShare };
}

/** taskGpus is the devices one task holds while it runs (its first variant's; the openb variants all ask the same). */
export function taskGpus(task: SimTask): number {
  return (task.workload.variants[0]?.accelerator?.count ?? 0) * task.workload.units;
}
