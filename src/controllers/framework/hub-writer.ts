/**
 * Writes to the Suanwang kinds on the hub (TrainingJobs and InferenceServices, and the status of the cluster-scoped
 * Sites: one class, the plural apart):
 * JSON merge patches only (custom resources do not support strategic merge, client-node's default for patch calls),
 * each carrying the resourceVersion it was computed from. The precondition is what makes a reconcile that read a
 * stale cache harmless: its write fails with Conflict instead of recording a second placement, and the key is
 * retried once the cache has caught up.
 *
 * client-node 2.x picks the patch Content-Type from a fixed list (JSON patch first) and serialises the body as
 * JSON whatever it picked; the `setHeaderOptions` middleware runs after that and replaces the header, so the
 * same body goes out as `application/merge-patch+json`.
 */
import { PatchStrategy, setHeaderOptions, type CustomObjectsApi } from '@kubernetes/client-node';
import type { ObjectMeta } from '../../api/generated/types.ts';
import { FINALIZER_CLEANUP, GROUP, VERSION } from '../../api/names.ts';
import { FIELD_MANAGER } from '../../runtime/apply.ts';
import { METERING_FINALIZER } from '../../queueing/retired-usage.ts';
import { isNotFound, toApiError } from '../../runtime/errors.ts';
import { mergePatchDiff, type JsonObject } from '../../runtime/merge-patch.ts';

/** HubPatcher is the part of CustomObjectsApi the writer uses: CustomObjectsApi itself, or a stand-in in tests. */
export type HubPatcher = Pick<
  CustomObjectsApi,
  'patchNamespacedCustomObject' | 'patchNamespacedCustomObjectStatus' | 'patchClusterCustomObjectStatus' | 'deleteNamespacedCustomObject'
>;

/** HubObject is an object of a Suanwang kind as the hub serves it (no namespace: a cluster-scoped kind). */
export interface HubObject<S> {
  readonly metadata: ObjectMeta;
  readonly status?: S | undefined;
}

const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** HubWriter patches the objects of one kind (its plural) on the hub: finalizer and status. */
export class HubWriter<T extends HubObject<S>, S extends object> {
  readonly #api: HubPatcher;
  readonly #plural: string;
  readonly #scope: 'Namespaced' | 'Cluster';

  /** Takes the hub's CustomObjectsApi (or a stand-in), the kind's plural and its scope. */
  constructor(api: HubPatcher, plural: string, scope: 'Namespaced' | 'Cluster' = 'Namespaced') {
    this.#api = api;
    this.#plural = plural;
    this.#scope = scope;
  }

  /**
   * addFinalizer adds FINALIZER_CLEANUP, and METERING_FINALIZER in the same write (the Queue controller would add it
   * in a write of its own; it removes it from a deleted workload no Queue needs to meter); returns the updated object.
   */
  addFinalizer(obj: T): Promise<T> {
    const have = obj.metadata.finalizers ?? [];
    const finalizers = [...have, FINALIZER_CLEANUP, ...(have.includes(METERING_FINALIZER) ? [] : [METERING_FINALIZER])];
    return this.#patch(obj, { metadata: { finalizers, resourceVersion: obj.metadata.resourceVersion } });
  }

  /**
   * removeFinalizer removes FINALIZER_CLEANUP and keeps every other finalizer. The resourceVersion precondition
   * keeps a finalizer added meanwhile by someone else from being dropped with ours.
   */
  removeFinalizer(obj: T): Promise<T> {
    const finalizers = (obj.metadata.finalizers ?? []).filter((f) => f !== FINALIZER_CLEANUP);
    return this.#patch(obj, { metadata: { finalizers, resourceVersion: obj.metadata.resourceVersion } });
  }

  /**
   * writeStatus makes `next` the status, sending only what differs from `obj.status` (removed fields as null).
   * Returns `obj` untouched when nothing differs: no write at all.
   */
  async writeStatus(obj: T, next: S): Promise<T> {
    const diff = mergePatchDiff({ ...obj.status } as JsonObject, { ...next } as JsonObject);
    if (diff === undefined) return obj;
    const body = { metadata: { resourceVersion: obj.metadata.resourceVersion }, status: diff };
    const target = this.#target(obj);
    try {
      if (target.namespace === undefined) {
        return (await this.#api.patchClusterCustomObjectStatus({ ...target, body, fieldManager: FIELD_MANAGER }, MERGE_PATCH)) as T;
      }
      return (await this.#api.patchNamespacedCustomObjectStatus({ ...target, namespace: target.namespace, body, fieldManager: FIELD_MANAGER }, MERGE_PATCH)) as T;
    } catch (err: unknown) {
      throw toApiError(err);
    }
  }

  /**
   * delete deletes the object, on the precondition that it is still the one read (its uid): a workload deleted and
   * created again under the same name in between is not touched. Already gone is not an error.
   */
  async delete(obj: T): Promise<void> {
    const target = this.#target(obj);
    try {
      await this.#api.deleteNamespacedCustomObject({
        ...target,
        namespace: target.namespace ?? '',
        body: { preconditions: { ...(obj.metadata.uid !== undefined && { uid: obj.metadata.uid }) } },
      });
    } catch (err: unknown) {
      if (isNotFound(err)) return;
      throw toApiError(err);
    }
  }

  async #patch(obj: T, body: object): Promise<T> {
    try {
      const target = this.#target(obj);
      return (await this.#api.patchNamespacedCustomObject({ ...target, namespace: target.namespace ?? '', body, fieldManager: FIELD_MANAGER }, MERGE_PATCH)) as T;
    } catch (err: unknown) {
      throw toApiError(err);
    }
  }

  #target(obj: T): { group: string; version: string; plural: string; namespace: string | undefined; name: string } {
    const namespace = this.#scope === 'Cluster' ? undefined : (obj.metadata.namespace ?? '');
    return { group: GROUP, version: VERSION, plural: this.#plural, namespace, name: obj.metadata.name ?? '' };
  }
}
