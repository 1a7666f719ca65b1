/**
 * Writes to TrainingJobs on the hub: the shared writer (framework/hub-writer.ts explains the merge patches and the
 * resourceVersion precondition) bound to the kind's plural.
 */
import type { TrainingJob, TrainingJobStatus } from '../../api/generated/types.ts';
import { Plural } from '../../api/names.ts';
import { HubWriter, type HubPatcher } from '../framework/hub-writer.ts';

/** HubTrainingJobWriter patches TrainingJobs (finalizers and status) on the hub. */
export class HubTrainingJobWriter extends HubWriter<TrainingJob, TrainingJobStatus> {
  /** Takes the hub's CustomObjectsApi (or a stand-in in tests). */
  constructor(api: HubPatcher) {
    super(api, Plural.TrainingJob);
  }
}
