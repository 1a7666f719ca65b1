/**
 * Writes to InferenceServices on the hub: JSON merge patches carrying the resourceVersion they were computed from,
 * as for TrainingJobs (training/hub-writer.ts explains the precondition and the Content-Type override). The
 * precondition is what keeps a pass that read a stale cache from recording a second decision: its write conflicts
 * and the key is retried.
 */
import { CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import type { InferenceService, InferenceServiceStatus } from '../../api/generated/types.ts';
import { FINALIZER_CLEANUP, GROUP, Plural, VERSION } from '../../api/names.ts';
import { toApiError } from '../../clusters/errors.ts';
import { mergePatchDiff } from '../training/merge-patch.ts';
import { FIELD_MANAGER } from '../training/site-members.ts';

/** InferenceServicePatcher is the part of CustomObjectsApi the writer uses (a seam for tests). */
export type InferenceServicePatcher = Pick<CustomObjectsApi, 'patchNamespacedCustomObject' | 'patchNamespacedCustomObjectStatus'>;

const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** HubInferenceServiceWriter patches InferenceServices (finalizers and status) on the hub. */
export class HubInferenceServiceWriter {
  readonly #api: InferenceServicePatcher;

  /** Takes the hub's kubeconfig, or a patcher in tests. */
  constructor(hub: KubeConfig | InferenceServicePatcher) {
    this.#api = 'makeApiClient' in hub ? hub.makeApiClient(CustomObjectsApi) : hub;
  }

  /** addFinalizer adds FINALIZER_CLEANUP; returns the updated object. */
  addFinalizer(svc: InferenceService): Promise<InferenceService> {
    const finalizers = [...(svc.metadata.finalizers ?? []), FINALIZER_CLEANUP];
    return this.#patch(svc, { metadata: { finalizers, resourceVersion: svc.metadata.resourceVersion } });
  }

  /** removeFinalizer removes FINALIZER_CLEANUP, keeping every other finalizer (guarded by resourceVersion). */
  removeFinalizer(svc: InferenceService): Promise<InferenceService> {
    const finalizers = (svc.metadata.finalizers ?? []).filter((f) => f !== FINALIZER_CLEANUP);
    return this.#patch(svc, { metadata: { finalizers, resourceVersion: svc.metadata.resourceVersion } });
  }

  /** writeStatus makes `next` the status, sending only the difference; returns `svc` untouched when none. */
  async writeStatus(svc: InferenceService, next: InferenceServiceStatus): Promise<InferenceService> {
    const diff = mergePatchDiff({ ...svc.status }, { ...next });
    if (diff === undefined) return svc;
    const body = { metadata: { resourceVersion: svc.metadata.resourceVersion }, status: diff };
    try {
      return (await this.#api.patchNamespacedCustomObjectStatus({ ...target(svc), body, fieldManager: FIELD_MANAGER }, MERGE_PATCH)) as InferenceService;
    } catch (err: unknown) {
      throw toApiError(err);
    }
  }

  async #patch(svc: InferenceService, body: object): Promise<InferenceService> {
    try {
      return (await this.#api.patchNamespacedCustomObject({ ...target(svc), body, fieldManager: FIELD_MANAGER }, MERGE_PATCH)) as InferenceService;
    } catch (err: unknown) {
      throw toApiError(err);
    }
  }
}

function target(svc: InferenceService): { group: string; version: string; plural: string; namespace: string; name: string } {
  return { group: GROUP, version: VERSION, plural: Plural.InferenceService, namespace: svc.metadata.namespace ?? '', name: svc.metadata.name ?? '' };
}
