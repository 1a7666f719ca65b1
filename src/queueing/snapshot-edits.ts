/**
 * Edits of a placement snapshot within one admission cycle: what an admission takes (its promise) and what a
 * preemption would give back (the victim's charge at its pool). Pure; a new snapshot each time, the old one untouched.
 */
import type { PoolInfo, PromisedCapacity, ResourceAmounts, Snapshot } from '../placement/snapshot.ts';

/**
 * takeFromSnapshot lowers free capacity by `promised` (site → pool → amounts), and counts it as promised there too, so
 * the pool's free shape is lowered unit by unit as for any promise (placement/free-shape.ts).
 */
export function takeFromSnapshot(snapshot: Snapshot, promised: PromisedCapacity): Snapshot {
  return edit(snapshot, (site, pool) => {
    const take = promised[site]?.[pool.name];
    if (take === undefined) return pool;
    const sum: Record<string, number> = { ...pool.promised };
    for (const [resource, n] of Object.entries(take)) sum[resource] = (sum[resource] ?? 0) + n;
    return { ...withFree(pool, take, -1), promised: sum };
  });
}

/** giveBack raises free capacity by what workloads at known pools would release (never above allocatable). */
export function giveBack(snapshot: Snapshot, released: readonly { site: string; pool: string; amounts: ResourceAmounts }[]): Snapshot {
  if (released.length === 0) return snapshot;
  return edit(snapshot, (site, pool) => {
    let p = pool;
    for (const r of released) if (r.site === site && r.pool === pool.name) p = withFree(p, r.amounts, +1);
    return p;
  });
}

function edit(snapshot: Snapshot, f: (site: string, pool: PoolInfo) => PoolInfo): Snapshot {
  return { sites: snapshot.sites.map((s) => ({ ...s, pools: s.pools.map((p) => f(s.name, p)) })) };
}

function withFree(pool: PoolInfo, amounts: ResourceAmounts, sign: 1 | -1): PoolInfo {
  const free: Record<string, number> = { ...pool.free };
  for (const [resource, n] of Object.entries(amounts)) {
    const total = pool.allocatable[resource] ?? 0;
    free[resource] = Math.min(total, Math.max(0, (free[resource] ?? 0) + sign * n));
  }
  return { ...pool, free };
}
