/**
 * Fluent builders for the TrainingJob controller's tests. The spec side reuses placement's builders
 * (src/placement/testing.ts), so a job reads the same in both test suites:
 *
 *   makeTrainingJob().workers(2).variant(variant('h100').nvidia('H100', 8)).checkpoint('s3://c/').placed('shanghai', 'h100', 1).obj()
 *   memberJob().ready(2).obj()
 */
import type { V1Job, V1JobCondition } from '@kubernetes/client-node';
import type { CheckpointResume, TrainingJob, TrainingJobStatus } from '../../api/generated/types.ts';
import { makeTrainingJob as makePlacementTrainingJob, type TrainingJobBuilder, type VariantBuilder } from '../../placement/testing.ts';

export { variant } from '../../placement/testing.ts';

/** ControllerTrainingJobBuilder adds what the controller reads beyond placement: metadata, checkpoint, status. */
export class ControllerTrainingJobBuilder {
  readonly #spec: TrainingJobBuilder;
  readonly #edits: Array<(tj: TrainingJob) => void> = [];

  constructor(name: string) {
    this.#spec = makePlacementTrainingJob(name);
  }

  workers(n: number): this {
    this.#spec.workers(n);
    return this;
  }
  resources(cpu: string, memory: string): this {
    this.#spec.resources(cpu, memory);
    return this;
  }
  variant(v: VariantBuilder): this {
    this.#spec.variant(v);
    return this;
  }
  namespace(ns: string): this {
    return this.edit((tj) => (tj.metadata.namespace = ns));
  }
  generation(n: number): this {
    return this.edit((tj) => (tj.metadata.generation = n));
  }
  checkpoint(path: string, resume?: CheckpointResume): this {
    return this.edit((tj) => (tj.spec.checkpoint = resume === undefined ? { path } : { path, resume }));
  }
  backoffLimit(n: number): this {
    return this.edit((tj) => (tj.spec.failurePolicy = { ...tj.spec.failurePolicy, backoffLimit: n }));
  }
  suspend(): this {
    return this.edit((tj) => (tj.spec.suspend = true));
  }
  /** status replaces the status. */
  status(s: TrainingJobStatus): this {
    return this.edit((tj) => (tj.status = structuredClone(s)));
  }
  /** edit applies any change to the built object (for what no method covers: a variant's env, say). */
  edit(fn: (tj: TrainingJob) => void): this {
    this.#edits.push(fn);
    return this;
  }
  obj(): TrainingJob {
    const tj = this.#spec.obj();
    for (const fn of this.#edits) fn(tj);
    return tj;
  }
}

/** makeTrainingJob starts a TrainingJob in namespace default: one worker of 8 cpu and 64Gi, no variants yet. */
export function makeTrainingJob(name = 'job'): ControllerTrainingJobBuilder {
  return new ControllerTrainingJobBuilder(name);
}

/** MemberJobBuilder builds a member Job as a site returns it: labels and status. */
export class MemberJobBuilder {
  readonly #job: V1Job;

  constructor(name: string) {
    this.#job = { apiVersion: 'batch/v1', kind: 'Job', metadata: { name, namespace: 'default', labels: {} }, status: {} };
  }

  labels(l: Record<string, string>): this {
    this.#job.metadata = { ...this.#job.metadata, labels: { ...l } };
    return this;
  }
  active(n: number): this {
    this.#job.status = { ...this.#job.status, active: n };
    return this;
  }
  ready(n: number): this {
    this.#job.status = { ...this.#job.status, ready: n };
    return this;
  }
  succeeded(n: number): this {
    this.#job.status = { ...this.#job.status, succeeded: n };
    return this;
  }
  complete(): this {
    return this.condition({ type: 'Complete', status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods' });
  }
  failed(reason: string, message: string): this {
    return this.condition({ type: 'Failed', status: 'True', reason, message });
  }
  condition(c: V1JobCondition): this {
    this.#job.status = { ...this.#job.status, conditions: [...(this.#job.status?.conditions ?? []), c] };
    return this;
  }
  obj(): V1Job {
    return structuredClone(this.#job);
  }
}

/** memberJob starts a member Job with no pods yet. */
export function memberJob(name = 'job-00000000'): MemberJobBuilder {
  return new MemberJobBuilder(name);
}
