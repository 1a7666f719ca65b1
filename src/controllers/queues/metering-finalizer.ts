/**
 * The metering finalizer (queueing/retired-usage.ts METERING_FINALIZER): it keeps a deleted workload on the hub until
 * its usage is folded into every Queue its intervals were charged to. The Queue controller adds it to a live workload
 * that names an existing Queue (in spec.queue, or as the queue of one of its intervals), and removes it from a deleted
 * one once every such Queue that still exists lists the workload's uid. A Queue that is gone, or being deleted, keeps
 * nothing and holds nothing up: its metering goes with it. Decided by meteringFinalizerStep (pure), written by
 * MeteringFinalizerWriter. The workload controllers' own finalizer (member clean-up) is independent of this one.
 */
import { PatchStrategy, setHeaderOptions, type CustomObjectsApi } from '@kubernetes/client-node';
import type { InferenceService, Queue, TrainingJob } from '../../api/generated/types.ts';
import { GROUP, Plural, VERSION } from '../../api/names.ts';
import { intervalQueues, type MeteredWorkload, type WorkloadKind } from '../../queueing/metered-workload.ts';
import { isRetired, ledgerOf, METERING_FINALIZER } from '../../queueing/retired-usage.ts';
import { FIELD_MANAGER } from '../../runtime/apply.ts';
import { isNotFound, toApiError } from '../../runtime/errors.ts';

/** MeteredObject is a workload object of either metered kind. */
export type MeteredObject = TrainingJob | InferenceService;

/** FinalizerStep is what to do about a workload's metering finalizer now. */
export type FinalizerStep =
  | { readonly kind: 'None' }
  | { readonly kind: 'Add' }
  /** Wait: these Queues have not folded the deleted workload's usage yet. */
  | { readonly kind: 'Wait'; readonly queues: readonly string[] }
  | { readonly kind: 'Remove' };

/** hasMeteringFinalizer says whether the object carries the metering finalizer. */
export function hasMeteringFinalizer(obj: MeteredObject): boolean {
  return (obj.metadata.finalizers ?? []).includes(METERING_FINALIZER);
}

/**
 * meteringFinalizerStep decides for one workload (`usage` is `obj` read by queueing/metered-workload.ts) with the
 * Queues in the cache.
 */
export function meteringFinalizerStep(obj: MeteredObject, usage: MeteredWorkload, queues: (name: string) => Queue | undefined): FinalizerStep {
  const live = (name: string): Queue | undefined => {
    const q = name === '' ? undefined : queues(name);
    return q?.metadata.deletionTimestamp === undefined ? q : undefined;
  };
  const has = hasMeteringFinalizer(obj);
  if (obj.metadata.deletionTimestamp === undefined) {
    const named = [obj.spec.queue ?? '', ...intervalQueues(usage)];
    return !has && named.some((q) => live(q) !== undefined) ? { kind: 'Add' } : { kind: 'None' };
  }
  if (!has) return { kind: 'None' };
  const waiting = intervalQueues(usage).filter((name) => {
    const q = live(name);
    return q !== undefined && !isRetired(ledgerOf(q.status?.metering), usage.uid);
  });
  return waiting.length > 0 ? { kind: 'Wait', queues: waiting } : { kind: 'Remove' };
}

const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/**
 * MeteringFinalizerWriter adds and removes the metering finalizer with JSON merge patches carrying the
 * resourceVersion read, so a finalizer list changed meanwhile by someone else (the workload controller's own) is
 * never overwritten: the patch conflicts and the pass is retried.
 */
export class MeteringFinalizerWriter {
  readonly #api: Pick<CustomObjectsApi, 'patchNamespacedCustomObject'>;

  constructor(api: Pick<CustomObjectsApi, 'patchNamespacedCustomObject'>) {
    this.#api = api;
  }

  /** add adds the finalizer to `obj` of `kind`. */
  add(kind: WorkloadKind, obj: MeteredObject): Promise<void> {
    return this.#patch(kind, obj, [...(obj.metadata.finalizers ?? []), METERING_FINALIZER]);
  }

  /** remove removes the finalizer from `obj`, keeping every other one; a workload already gone is not an error. */
  async remove(kind: WorkloadKind, obj: MeteredObject): Promise<void> {
    try {
      await this.#patch(kind, obj, (obj.metadata.finalizers ?? []).filter((f) => f !== METERING_FINALIZER));
    } catch (err: unknown) {
      if (!isNotFound(err)) throw err;
    }
  }

  async #patch(kind: WorkloadKind, obj: MeteredObject, finalizers: string[]): Promise<void> {
    try {
      await this.#api.patchNamespacedCustomObject(
        {
          group: GROUP,
          version: VERSION,
          plural: Plural[kind],
          namespace: obj.metadata.namespace ?? '',
          name: obj.metadata.name ?? '',
          body: { metadata: { finalizers, resourceVersion: obj.metadata.resourceVersion } },
          fieldManager: FIELD_MANAGER,
        },
        MERGE_PATCH,
      );
    } catch (err: unknown) {
      throw toApiError(err);
    }
  }
}
