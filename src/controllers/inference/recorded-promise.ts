/**
 * What an InferenceService's recorded assignment still takes from its pools while its replicas are not ready (not
 * yet bound, so not in the sites' reports): rebuilt from the status by a new leader, as for TrainingJobs
 * (training/recorded-promise.ts). Each site's pool is recorded in status; its device resource comes from the Site.
 */
import type { InferenceService, Site } from '../../api/generated/types.ts';
import { promisedForRecorded, type RecordedUnits } from '../../placement/promised.ts';
import type { PromisedCapacity } from '../../placement/snapshot.ts';
import { inferenceWorkload } from '../../placement/workload.ts';

/** recordedPromise is what `svc`'s recorded assignment still holds at `sites`; empty when nothing is pending. */
export function recordedPromise(svc: InferenceService, sites: readonly Site[]): PromisedCapacity {
  if (svc.metadata.deletionTimestamp !== undefined) return {};
  const workload = inferenceWorkload(svc);
  if (!workload.ok) return {};
  const recorded: RecordedUnits[] = [];
  for (const s of svc.status?.sites ?? []) {
    const pending = (s.replicas ?? 0) - (s.readyReplicas ?? 0);
    if (pending <= 0 || s.pool === undefined || s.variant === undefined) continue;
    const pool = sites.find((x) => x.metadata.name === s.site)?.status?.nodePools?.find((p) => p.name === s.pool);
    recorded.push({ site: s.site, pool: s.pool, variant: s.variant, acceleratorResource: pool?.accelerator?.resourceName, units: pending });
  }
  return promisedForRecorded(workload.value, recorded);
}
