/**
 * A new leader's promised capacity, rebuilt from the hub before any controller places anything. The tracker is in
 * memory, so a leader change (or a restart) would otherwise forget what the previous leader promised to workloads
 * whose pods the sites do not report yet, and give the same free devices to a second gang. Statuses record the whole
 * decision (site, variant, pool), which is enough to hold it again (training/ and inference/recorded-promise.ts).
 */
import type { InferenceService, Site, TrainingJob } from '../api/generated/types.ts';
import type { PromisedCapacity } from '../placement/snapshot.ts';
import type { PromisedCapacityTracker } from '../controllers/framework/promised-capacity.ts';
import { inferenceServiceKey } from '../controllers/inference/controller.ts';
import { recordedPromise as inferencePromise } from '../controllers/inference/recorded-promise.ts';
import { trainingJobKey } from '../controllers/training/controller.ts';
import { recordedPromise as trainingPromise } from '../controllers/training/recorded-promise.ts';

/** RestoreSources are the synced hub caches the promises are rebuilt from. */
export interface RestoreSources {
  readonly trainingJobs: readonly TrainingJob[];
  readonly inferenceServices: readonly InferenceService[];
  readonly sites: readonly Site[];
}

/** restorePromises holds, per workload key, what its recorded placement still takes; returns how many hold. */
export function restorePromises(tracker: PromisedCapacityTracker, from: RestoreSources): number {
  let held = 0;
  const hold = (key: string, promised: PromisedCapacity): void => {
    if (Object.keys(promised).length === 0) return;
    tracker.hold(key, promised);
    held++;
  };
  for (const tj of from.trainingJobs) hold(trainingJobKey(tj.metadata.namespace, tj.metadata.name ?? ''), trainingPromise(tj));
  for (const svc of from.inferenceServices) hold(inferenceServiceKey(svc.metadata.namespace, svc.metadata.name ?? ''), inferencePromise(svc, from.sites));
  return held;
}
