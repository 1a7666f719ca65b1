/**
 * Writes to InferenceServices on the hub: the same writer as for TrainingJobs (framework/hub-writer.ts explains the
 * merge patches, the resourceVersion precondition and the Content-Type override). The precondition is what keeps a
 * pass that read a stale cache from recording a second decision: its write conflicts and the key is retried.
 */
import type { InferenceService, InferenceServiceStatus } from '../../api/generated/types.ts';
import { Plural } from '../../api/names.ts';
import { HubWriter, type HubPatcher } from '../framework/hub-writer.ts';

/** HubInferenceServiceWriter patches InferenceServices (finalizers and status) on the hub. */
export class HubInferenceServiceWriter extends HubWriter<InferenceService, InferenceServiceStatus> {
  /** Takes the hub's CustomObjectsApi (or a stand-in in tests). */
  constructor(api: HubPatcher) {
    super(api, Plural.InferenceService);
  }
}
