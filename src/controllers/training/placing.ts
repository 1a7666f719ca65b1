/**
 * The one module of the TrainingJob controller that calls the placement engine: it turns a TrainingJob and the Sites
 * into a decision the controller can write and act on. Keeping the seam here means a change in the engine's API
 * touches one file.
 */
import type { PlacementRecord, Site, TrainingJob } from '../../api/generated/types.ts';
import { Reason } from '../../api/names.ts';
import { neverPlaced } from '../../placement/as-built.ts';
import type { PlacementConfig } from '../../placement/config.ts';
import { compareStrings } from '../../placement/order.ts';
import { place } from '../../placement/place.ts';
import { promisedFor } from '../../placement/promised.ts';
import { buildSnapshot, type PromisedCapacity, type ResourceAmounts } from '../../placement/snapshot.ts';
import { scaled } from '../../placement/demand.ts';
import type { PoolFilter } from '../../placement/filters/filter.ts';
import { trainingWorkload } from '../../placement/workload.ts';
import type { MemberDecision } from './member-objects.ts';

/** PlacementOutcome is what placing a TrainingJob came to. */
export type PlacementOutcome =
  | {
      readonly kind: 'Placed';
      readonly site: string;
      readonly variant: string;
      readonly pool: string;
      /** The pool's accelerator resource (e.g. huawei.com/Ascend910); undefined for a CPU pool. */
      readonly acceleratorResource: string | undefined;
      readonly record: PlacementRecord;
      /** What to hold in the PromisedCapacityTracker until the site reports the pods. */
      readonly promised: PromisedCapacity;
      /** What the whole gang takes from the pool: the queue's charge. */
      readonly charge: ResourceAmounts;
    }
  | { readonly kind: 'Unschedulable'; readonly reason: string; readonly record: PlacementRecord };

/**
 * placeTrainingJob runs placement for `tj` over `sites`, with `promised` (capacity held by other in-flight
 * placements) taken off. Pure. A spec that placement cannot read (a quantity that does not parse) is Unschedulable
 * with the parse errors as the message: the user has to fix the spec, and the status says how.
 */
export function placeTrainingJob(
  tj: TrainingJob,
  sites: readonly Site[],
  promised: PromisedCapacity,
  config: PlacementConfig,
  extraFilters: readonly PoolFilter[] = [],
): PlacementOutcome {
  const workload = trainingWorkload(tj);
  if (!workload.ok) {
    return { kind: 'Unschedulable', reason: Reason.Unschedulable, record: { message: `invalid spec: ${workload.errors.join('; ')}` } };
  }
  const snapshot = buildSnapshot(sites, promised);
  const decision = place(workload.value, snapshot, config, extraFilters);
  if (decision.kind === 'Unschedulable') {
    const anyReady = snapshot.sites.some((s) => s.ready);
    return { kind: 'Unschedulable', reason: anyReady ? Reason.Unschedulable : Reason.NoSiteReady, record: decision.record };
  }
  const pool = snapshot.sites.find((s) => s.name === decision.site)?.pools.find((p) => p.name === decision.pool);
  return {
    kind: 'Placed',
    site: decision.site,
    variant: decision.variant,
    pool: decision.pool,
    acceleratorResource: pool?.accelerator?.resourceName,
    record: decision.record,
    promised: promisedFor(decision, workload.value),
    charge: scaled(decision.perUnit, workload.value.units),
  };
}

/**
 * neverFits says whether no site of the federation as built (every site Ready, uncordoned and idle: placement/as-built.ts)
 * could hold `tj`, so that waiting will not place it — kube-scheduler's UnschedulableAndUnresolvable, where
 * placeTrainingJob's Unschedulable may only mean "not now". A spec placement cannot read never fits either. Pure.
 */
export function neverFits(tj: TrainingJob, sites: readonly Site[], config: PlacementConfig): boolean {
  const workload = trainingWorkload(tj);
  return !workload.ok || neverPlaced(workload.value, buildSnapshot(sites), config) !== undefined;
}

/**
 * recordedDecision rebuilds the decision recorded in status (site, variant, pool, accelerator resource, epoch), to
 * render member objects from when the decision was written but the members were not created yet (an operator that
 * stopped in between). A status written before the pool was recorded has none: then there is no pool nodeSelector,
 * and the accelerator resource comes from the first pool of the site (in name order) with devices of the variant's
 * vendor, else the vendor's usual name.
 */
export function recordedDecision(tj: TrainingJob, site: Site): MemberDecision | undefined {
  const s = tj.status;
  const epoch = s?.placement?.epoch;
  if (s?.site === undefined || s.variant === undefined || epoch === undefined) return undefined;
  const decision = { site: s.site, variant: s.variant, epoch };
  if (s.pool !== undefined) {
    return { ...decision, pool: s.pool, ...(s.acceleratorResource !== undefined && { acceleratorResource: s.acceleratorResource }) };
  }
  const vendor = tj.spec.variants.find((v) => v.name === s.variant)?.accelerator?.vendor;
  const resource = [...(site.status?.nodePools ?? [])]
    .sort((a, b) => compareStrings(a.name, b.name))
    .find((p) => vendor !== undefined && p.accelerator?.vendor === vendor && p.accelerator.resourceName !== undefined)
    ?.accelerator?.resourceName;
  return { ...decision, ...(resource !== undefined && { acceleratorResource: resource }) };
}
