/**
 * Capacity a decision promises. A site reports new pods in its `allocated` only after they are bound, seconds to a
 * heartbeat later; a second decision in between would see the same free devices. The controller therefore holds
 * what a decision promises (keyed by workload, say) and passes the sum into buildSnapshot until the site's
 * allocated shows it, so the engine never over-commits between two decisions.
 */
import { demandWith, scaled } from './demand.ts';
import type { Assignment, InferenceDecision } from './distribute.ts';
import type { Decision } from './place.ts';
import type { PromisedCapacity, ResourceAmounts } from './snapshot.ts';
import type { Workload } from './workload.ts';

/**
 * PROMISED_UNITS counts, beside the resources, how many units (workers, replicas) a promise is for: the site binds a
 * promise unit by unit, so its devices land in pieces of devices ÷ units, and a pool's free shape is lowered that way
 * (free-shape.ts). Not a resource: nothing allocatable has this name, so free totals never see it.
 */
export const PROMISED_UNITS = 'suanwang.io/promised-units';

/** withUnits adds the unit count to a promise's amounts. */
function withUnits(amounts: ResourceAmounts, units: number): ResourceAmounts {
  return { ...amounts, [PROMISED_UNITS]: units };
}

/** promisedFor returns what a place() decision takes from its pool: every worker's demand. Nothing if Unschedulable. */
export function promisedFor(decision: Decision, workload: Workload): PromisedCapacity {
  if (decision.kind !== 'Placed') return {};
  return { [decision.site]: { [decision.pool]: withUnits(scaled(decision.perUnit, workload.units), workload.units) } };
}

/** RecordedUnits names units of a workload that a recorded decision put on a pool, not yet in the site's report. */
export interface RecordedUnits {
  readonly site: string;
  readonly pool: string;
  readonly variant: string;
  /** The pool's accelerator resource name as recorded (for example huawei.com/Ascend910); undefined for CPU. */
  readonly acceleratorResource: string | undefined;
  readonly units: number;
}

/**
 * promisedForRecorded returns what recorded decisions still take from their pools: what a new leader holds again for
 * workloads placed by the one before it, so a leader change never hands the same free devices out twice.
 */
export function promisedForRecorded(workload: Workload, recorded: readonly RecordedUnits[]): PromisedCapacity {
  const parts: PromisedCapacity[] = [];
  for (const r of recorded) {
    const variant = workload.variants.find((v) => v.name === r.variant);
    if (variant === undefined || r.units <= 0) continue;
    parts.push({ [r.site]: { [r.pool]: withUnits(scaled(demandWith(variant, r.acceleratorResource), r.units), r.units) } });
  }
  return mergePromised(...parts);
}

/**
 * promisedForDistribution returns what a distribute() decision adds on top of what already runs (`current`, the
 * argument distribute was given): replicas that stay in their variant are in allocated already; new ones are not.
 */
export function promisedForDistribution(decision: InferenceDecision, current: readonly Assignment[]): PromisedCapacity {
  const parts: PromisedCapacity[] = [];
  for (const a of decision.assignments) {
    const running = current.find((c) => c.site === a.site && c.variant === a.variant)?.replicas ?? 0;
    const added = a.replicas - running;
    if (added > 0) parts.push({ [a.site]: { [a.pool]: withUnits(scaled(a.perReplica, added), added) } });
  }
  return mergePromised(...parts);
}

/** mergePromised sums promises, site by site, pool by pool, resource by resource. */
export function mergePromised(...all: readonly PromisedCapacity[]): PromisedCapacity {
  const out: Record<string, Record<string, Record<string, number>>> = {};
  for (const promise of all) {
    for (const [site, pools] of Object.entries(promise)) {
      const sitePools = (out[site] ??= {});
      for (const [pool, amounts] of Object.entries(pools)) {
        const sum = (sitePools[pool] ??= {});
        for (const [resource, amount] of Object.entries(amounts as ResourceAmounts)) {
          sum[resource] = (sum[resource] ?? 0) + amount;
        }
      }
    }
  }
  return out;
}
