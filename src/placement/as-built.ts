/**
 * "Could this ever fit?" — the federation as built, against which a workload that does not fit now is told apart
 * from one that never will (kube-scheduler's Unschedulable against UnschedulableAndUnresolvable). Waiting changes
 * what is free, which sites are Ready or cordoned, which nodes are up and which devices are healthy; it does not
 * change how many nodes and devices each site has, the workload's rules, or its spec. So the federation as built is
 * the snapshot with every site Ready and uncordoned, every node ready and empty, and every device (healthy or not)
 * allocatable. A workload that fits nowhere even there is reported as failed (kstatus Stalled, docs/gitops-health.md);
 * the mistake this may make is to call a workload in progress that never fits (a site's report may under-state it),
 * never the other way round. Pure.
 */
import { DEFAULT_PLACEMENT_CONFIG, type PlacementConfig } from './config.ts';
import { distribute } from './distribute.ts';
import type { PoolFilter } from './filters/filter.ts';
import { place } from './place.ts';
import type { PoolInfo, SiteInfo, Snapshot } from './snapshot.ts';
import type { Workload } from './workload.ts';

/** asBuilt is `snapshot` as an idle, healthy, fully Ready federation: see the file comment. */
export function asBuilt(snapshot: Snapshot): Snapshot {
  return { sites: snapshot.sites.map(builtSite) };
}

function builtSite(site: SiteInfo): SiteInfo {
  const { notReadyReason: _reason, ...rest } = site;
  return { ...rest, ready: true, cordoned: false, pools: site.pools.map(builtPool) };
}

function builtPool(pool: PoolInfo): PoolInfo {
  const allocatable: Record<string, number> = { ...pool.allocatable };
  // The agent counts healthy devices only in allocatable (so health shows up there); a repaired device counts again.
  const resource = pool.accelerator?.resourceName;
  if (resource !== undefined) {
    allocatable[resource] = Math.max(allocatable[resource] ?? 0, pool.healthyDevices + pool.unhealthyDevices);
  }
  // No free shape: on empty nodes the totals divided by the nodes are exact, and the reported shape describes the
  // pool as it is used now.
  const { shape: _shape, ...rest } = pool;
  return { ...rest, readyNodes: pool.nodes, allocatable, allocated: {}, promised: {}, free: allocatable };
}

/**
 * neverPlaced returns why no site of the federation as built could hold all of a gang's units at once (the record's
 * message of that look), or undefined when one could. `extraFilters` are the rules beside the spec that waiting does
 * not change either (a queue's quota with nothing of it used).
 */
export function neverPlaced(
  workload: Workload,
  snapshot: Snapshot,
  config: PlacementConfig = DEFAULT_PLACEMENT_CONFIG,
  extraFilters: readonly PoolFilter[] = [],
): string | undefined {
  const decision = place(workload, asBuilt(snapshot), config, extraFilters);
  return decision.kind === 'Placed' ? undefined : (decision.record.message ?? 'no site fits');
}

/**
 * neverSpread returns why the federation as built could not hold `minUnits` of a spread workload's replicas (an
 * InferenceService's replicas.min, below which it is not Ready), or undefined when it could.
 */
export function neverSpread(
  workload: Workload,
  snapshot: Snapshot,
  minUnits: number,
  config: PlacementConfig = DEFAULT_PLACEMENT_CONFIG,
): string | undefined {
  const decision = distribute({ ...workload, units: minUnits }, asBuilt(snapshot), config);
  if (decision.short <= 0) return undefined;
  const placed = minUnits - decision.short;
  return `${placed} of ${minUnits} replicas fit: ${decision.record.message ?? 'no site fits'}`;
}
