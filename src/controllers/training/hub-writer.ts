/**
 * Writes to TrainingJobs on the hub: JSON merge patches only (custom resources do not support strategic merge,
 * client-node's default for patch calls), each carrying the resourceVersion it was computed from. The precondition
 * is what makes a reconcile that read a stale cache harmless: its write fails with Conflict instead of recording a
 * second placement, and the key is retried once the cache has caught up.
 *
 * client-node 2.x picks the patch Content-Type from a fixed list (JSON patch first) and serialises the body as
 * JSON whatever it picked; the `setHeaderOptions` middleware runs after that and replaces the header, so the
 * same body goes out as `application/merge-patch+json`.
 */
import { CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import type { TrainingJob, TrainingJobStatus } from '../../api/generated/types.ts';
import { FINALIZER_CLEANUP, GROUP, Plural, VERSION } from '../../api/names.ts';
import { toApiError } from '../../clusters/errors.ts';
import { mergePatchDiff } from './merge-patch.ts';
import { FIELD_MANAGER } from './site-members.ts';

/** TrainingJobPatcher is the part of CustomObjectsApi the writer uses (a seam for tests). */
export type TrainingJobPatcher = Pick<CustomObjectsApi, 'patchNamespacedCustomObject' | 'patchNamespacedCustomObjectStatus'>;

const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** HubTrainingJobWriter patches TrainingJobs (metadata and status) on the hub. */
export class HubTrainingJobWriter {
  readonly #api: TrainingJobPatcher;

  /** Takes the hub's kubeconfig, or a patcher in tests. */
  constructor(hub: KubeConfig | TrainingJobPatcher) {
    this.#api = 'makeApiClient' in hub ? hub.makeApiClient(CustomObjectsApi) : hub;
  }

  /** addFinalizer adds FINALIZER_CLEANUP; returns the updated object. */
  async addFinalizer(tj: TrainingJob): Promise<TrainingJob> {
    const finalizers = [...(tj.metadata.finalizers ?? []), FINALIZER_CLEANUP];
    return this.#patch(tj, { metadata: { finalizers, resourceVersion: tj.metadata.resourceVersion } });
  }

  /**
   * removeFinalizer removes FINALIZER_CLEANUP and keeps every other finalizer. The resourceVersion precondition
   * keeps a finalizer added meanwhile by someone else from being dropped with ours.
   */
  async removeFinalizer(tj: TrainingJob): Promise<TrainingJob> {
    const finalizers = (tj.metadata.finalizers ?? []).filter((f) => f !== FINALIZER_CLEANUP);
    return this.#patch(tj, { metadata: { finalizers, resourceVersion: tj.metadata.resourceVersion } });
  }

  /**
   * writeStatus makes `next` the status, sending only what differs from `tj.status` (removed fields as null).
   * Returns `tj` untouched when nothing differs: no write at all.
   */
  async writeStatus(tj: TrainingJob, next: TrainingJobStatus): Promise<TrainingJob> {
    const diff = mergePatchDiff({ ...tj.status }, { ...next });
    if (diff === undefined) return tj;
    const body = { metadata: { resourceVersion: tj.metadata.resourceVersion }, status: diff };
    try {
      return (await this.#api.patchNamespacedCustomObjectStatus(
        { ...this.#target(tj), body, fieldManager: FIELD_MANAGER },
        MERGE_PATCH,
      )) as TrainingJob;
    } catch (err: unknown) {
      throw toApiError(err);
    }
  }

  async #patch(tj: TrainingJob, body: object): Promise<TrainingJob> {
    try {
      return (await this.#api.patchNamespacedCustomObject({ ...this.#target(tj), body, fieldManager: FIELD_MANAGER }, MERGE_PATCH)) as TrainingJob;
    } catch (err: unknown) {
      throw toApiError(err);
    }
  }

  #target(tj: TrainingJob): { group: string; version: string; plural: string; namespace: string; name: string } {
    return { group: GROUP, version: VERSION, plural: Plural.TrainingJob, namespace: tj.metadata.namespace ?? '', name: tj.metadata.name ?? '' };
  }
}
