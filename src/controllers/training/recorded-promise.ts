/**
 * What a placed TrainingJob still takes from its pool while its pods are not in the site's report: rebuilt from the
 * status by a new leader (whose PromisedCapacityTracker starts empty), so a leader change never gives the same free
 * devices to two gangs. A Running job's workers are all bound, so the report counts them; a Placed one's may not be.
 */
import type { TrainingJob } from '../../api/generated/types.ts';
import { TrainingJobPhase } from '../../api/names.ts';
import { promisedForRecorded } from '../../placement/promised.ts';
import type { PromisedCapacity } from '../../placement/snapshot.ts';
import { trainingWorkload } from '../../placement/workload.ts';

/** recordedPromise is what `tj`'s recorded placement still holds; empty when it holds nothing (or cannot say). */
export function recordedPromise(tj: TrainingJob): PromisedCapacity {
  const s = tj.status;
  if (s?.phase !== TrainingJobPhase.Placed || s.site === undefined || s.variant === undefined || s.pool === undefined) return {};
  if (tj.metadata.deletionTimestamp !== undefined || tj.spec.suspend === true) return {};
  const workload = trainingWorkload(tj);
  if (!workload.ok) return {};
  return promisedForRecorded(workload.value, [
    { site: s.site, pool: s.pool, variant: s.variant, acceleratorResource: s.acceleratorResource, units: workload.value.units },
  ]);
}
