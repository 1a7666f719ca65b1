/**
 * Writes to InferenceServices on the hub: the same writer as for TrainingJobs (training/hub-writer.ts explains the
 * merge patches, the resourceVersion precondition and the Content-Type override). The precondition is what keeps a
 * pass that read a stale cache from recording a second decision: its write conflicts and the key is retried.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { InferenceService, InferenceServiceStatus } from '../../api/generated/types.ts';
import { Plural } from '../../api/names.ts';
import { HubWriter, type HubPatcher } from '../framework/hub-writer.ts';

/** InferenceServicePatcher is the HubPatcher a HubInferenceServiceWriter takes in tests. */
export type InferenceServicePatcher = HubPatcher;

/** HubInferenceServiceWriter patches InferenceServices (finalizers and status) on the hub. */
export class HubInferenceServiceWriter extends HubWriter<InferenceService, InferenceServiceStatus> {
  /** Takes the hub's kubeconfig, or a patcher in tests. */
  constructor(hub: KubeConfig | HubPatcher) {
    super(hub, Plural.InferenceService);
  }
}
