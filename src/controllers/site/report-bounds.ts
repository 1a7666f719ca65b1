/**
 * How much of a site's report the operator holds: at most so many pools, nodes and devices per site. Every reconcile
 * of the site walks what is held (pool-status.ts), so these bounds are what keeps a report of 50,000 pools from
 * costing every reconcile; the wire's message size limit (src/wire/limits.ts) bounds the work of one message.
 *
 * Whole pools are kept or dropped, never cut in half (a pool's numbers are sums over its nodes), in the order the
 * agent sent them, which is name order: the pools of a report over the bounds that come last are the ones dropped.
 * A pool's free shape needs no bound here: a reconcile reads only its first MAX_FREE_SHAPE_BUCKETS buckets
 * (pool-status.ts), so a longer one costs memory within the wire's message limit, not time.
 */
import type { NodePoolOut } from '../../wire/messages.ts';

/** ReportBounds are the most pools, nodes and devices held per site. */
export interface ReportBounds {
  readonly maxPools: number;
  readonly maxNodes: number;
  readonly maxDevices: number;
}

/**
 * DEFAULT_REPORT_BOUNDS: the largest legitimate site is about 5,000 nodes with 8 accelerators each in a few hundred
 * pools (src/wire/README.md, "Limits"); the bounds leave room above it (512 pools, 10,000 nodes, 100,000 devices).
 * The Site status holds at most 128 pools; the status computation says what it leaves out.
 */
export const DEFAULT_REPORT_BOUNDS: ReportBounds = { maxPools: 512, maxNodes: 10_000, maxDevices: 100_000 };

/** DroppedParts counts the parts of reports that were not kept. */
export interface DroppedParts {
  readonly pools: number;
  readonly nodes: number;
  readonly devices: number;
}

/** BoundedPools is what `boundPools` kept, by name, and what it dropped. */
export interface BoundedPools {
  readonly pools: Map<string, NodePoolOut>;
  readonly dropped: DroppedParts;
}

/**
 * boundPools keeps pools in the order given while they fit the bounds; a later pool of the same name replaces an
 * earlier one. Nameless pools are skipped (they cannot be addressed) and not counted. One pass, no sorting.
 */
export function boundPools(pools: Iterable<NodePoolOut>, bounds: ReportBounds): BoundedPools {
  const kept = new Map<string, NodePoolOut>();
  let nodes = 0;
  let devices = 0;
  const dropped = { pools: 0, nodes: 0, devices: 0 };
  for (const p of pools) {
    if (!p.name) continue;
    const n = p.nodes?.length ?? 0;
    const d = p.devices?.length ?? 0;
    const old = kept.get(p.name);
    const oldN = old?.nodes?.length ?? 0;
    const oldD = old?.devices?.length ?? 0;
    const fits =
      (old !== undefined || kept.size < bounds.maxPools) && nodes - oldN + n <= bounds.maxNodes && devices - oldD + d <= bounds.maxDevices;
    if (!fits) {
      dropped.pools += 1;
      dropped.nodes += n;
      dropped.devices += d;
      continue;
    }
    kept.set(p.name, p);
    nodes += n - oldN;
    devices += d - oldD;
  }
  return { pools: kept, dropped };
}

/** anyDropped is true when something was left out. */
export function anyDropped(d: DroppedParts): boolean {
  return d.pools > 0 || d.nodes > 0 || d.devices > 0;
}

/** describeTruncation says, for logs and the Site status, what a report over the bounds lost. */
export function describeTruncation(d: DroppedParts, bounds: ReportBounds): string {
  return (
    `report over the operator's bounds (at most ${bounds.maxPools} pools, ${bounds.maxNodes} nodes, ${bounds.maxDevices} devices): ` +
    `${d.pools} pools with ${d.nodes} nodes and ${d.devices} devices dropped`
  );
}
