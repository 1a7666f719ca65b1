/**
 * A pool's free capacity node by node: the agent's histogram (Site status nodePools[].freeShape, built by
 * src/agent/site/free-shape.ts) parsed into numbers, and what remains of it once capacity the site has not reported
 * yet is taken off. ../demand.ts fits units against it; the gang filter and the fragmentation score read it.
 *
 * A bucket is `nodes` nodes each with AT LEAST `devices` free devices, `cpu` cores and `memory` bytes (the least
 * among them): whatever is read from it is never more than the nodes hold.
 *
 * What is taken off. A pool's free totals (PoolInfo.free) are its reported free less what is promised to decisions
 * the site does not show yet — and, within an admission cycle, less what earlier admissions took
 * (src/queueing/snapshot-edits.ts edits `free`, not the shape). The shape keeps the totals it was reported against,
 * so `currentShape` takes the difference off the buckets, whoever made it. Which nodes a promise lands on is the
 * site scheduler's choice. A promise says how many units (workers, replicas) it is for (promised.ts PROMISED_UNITS):
 * the site binds it unit by unit, each unit's devices on one node, the node with the most free devices first (what
 * kube-scheduler's default LeastAllocated scoring does); so the promised devices come off the buckets in pieces of
 * devices ÷ units, each from the most free node. What is taken without a unit count (capacity gone for other
 * reasons) is levelled down one device at a time from the top instead (water-filling), the way that hurts large work
 * most. cpu and memory go with the devices in the take's own ratio (a CPU pool's take levels cpu, then memory). The
 * aggregate check on the totals, which subtract the promise exactly, runs as well.
 *
 * When a total has grown past what the shape was reported against (preemption giving a victim's capacity back,
 * "could this ever fit?" freeing the whole pool), nobody knows on which nodes the capacity appeared: the shape no
 * longer describes the pool and `currentShape` says so (undefined), and callers fall back to the totals. (A give-back
 * smaller than the takes before it reads as a smaller take: a guess about which nodes, where the totals stay exact.)
 */
import type { FreeShapeBucket } from '../api/generated/types.ts';
import { PROMISED_UNITS } from './promised.ts';
import { quantity } from './quantities.ts';
import type { PoolInfo, ResourceAmounts } from './snapshot.ts';

/** ShapeBucket is `nodes` nodes, each with at least `devices` free devices, `cpu` free cores and `memory` free bytes. */
export interface ShapeBucket {
  readonly nodes: number;
  readonly devices: number;
  readonly cpu: number;
  readonly memory: number;
}

/**
 * ReportedShape is the shape as the site reported it, and the pool's free totals at that report. The buckets stay
 * as the Site status holds them until currentShape first reads them: most pools of a snapshot are never asked (the
 * variant does not match, or the totals already say no), and the controllers build a snapshot for every decision.
 */
export interface ReportedShape {
  readonly buckets: readonly FreeShapeBucket[];
  /** free is allocatable − allocated per resource, never negative: what the buckets describe. */
  readonly free: ResourceAmounts;
}

/** Amount names the three amounts of a bucket. */
type Amount = 'devices' | 'cpu' | 'memory';
/** AMOUNTS in the order a take is levelled by: devices when any are taken, else cpu, else memory. */
const AMOUNTS: readonly Amount[] = ['devices', 'cpu', 'memory'];

/**
 * parseBuckets parses the status's buckets. A bucket whose cpu or memory does not parse is left out: it
 * under-states what is free, which is safe.
 */
export function parseBuckets(list: readonly FreeShapeBucket[]): ShapeBucket[] {
  const buckets: ShapeBucket[] = [];
  for (const b of list) {
    const cpu = quantity(b.cpu);
    const memory = quantity(b.memory);
    if (cpu === undefined || memory === undefined || !(cpu >= 0) || !(memory >= 0) || !(b.nodes > 0)) continue;
    buckets.push({ nodes: b.nodes, devices: Math.max(0, b.devices), cpu, memory });
  }
  return buckets;
}

const CURRENT = new WeakMap<PoolInfo, readonly ShapeBucket[] | null>();

/**
 * currentShape is the pool's shape less whatever its totals lost since the report (module comment), most free
 * devices first (then cpu, then memory); undefined when the pool reports no shape, or when a total grew past the
 * report. Remembered per PoolInfo, which is immutable.
 */
export function currentShape(pool: PoolInfo): readonly ShapeBucket[] | undefined {
  const shape = pool.shape;
  if (shape === undefined) return undefined;
  const known = CURRENT.get(pool);
  if (known !== undefined) return known ?? undefined;
  const taken: Record<Amount, number> = { devices: 0, cpu: 0, memory: 0 };
  let current: readonly ShapeBucket[] | null = parseBuckets(shape.buckets);
  let anyTaken = false;
  const device = pool.accelerator?.resourceName;
  // Only the resources the buckets describe: another resource's total says nothing about them.
  for (const [amount, resource] of [['devices', device], ['cpu', 'cpu'], ['memory', 'memory']] as const) {
    if (resource === undefined) continue;
    const reported = shape.free[resource] ?? 0;
    const lost = reported - (pool.free[resource] ?? 0);
    const noise = 1e-9 * Math.max(1, reported);
    if (lost < -noise) {
      current = null; // grew: where is unknown
      break;
    }
    if (lost > noise) {
      taken[amount] = lost;
      anyTaken = true;
    }
  }
  if (current !== null && anyTaken) {
    // The part a counted promise explains goes unit by unit; the rest is levelled.
    const units = pool.promised[PROMISED_UNITS] ?? 0;
    const promisedDevices = device === undefined ? 0 : (pool.promised[device] ?? 0);
    const byUnits = units > 0 && taken.devices > 0 ? Math.min(taken.devices, promisedDevices) : 0;
    if (byUnits > 0) {
      const share = byUnits / taken.devices;
      current = takeInUnits(current, Math.max(1, Math.round(promisedDevices / units)), { devices: byUnits, cpu: taken.cpu * share, memory: taken.memory * share });
      taken.devices -= byUnits;
      taken.cpu -= taken.cpu * share;
      taken.memory -= taken.memory * share;
    }
    if (taken.devices > 0 || taken.cpu > 1e-9 || taken.memory > 1e-9) current = takeFromShape(current, taken);
  }
  if (current !== null && !isSorted(current)) current = [...current].sort(byMostFree);
  CURRENT.set(pool, current);
  return current ?? undefined;
}

/** byMostFree orders buckets most free devices first, then most cpu, then most memory. */
export function byMostFree(a: ShapeBucket, b: ShapeBucket): number {
  return b.devices - a.devices || b.cpu - a.cpu || b.memory - a.memory;
}

/** isSorted says whether buckets are in byMostFree order already (the agent sends them so). */
function isSorted(buckets: readonly ShapeBucket[]): boolean {
  for (let i = 1; i < buckets.length; i++) if (byMostFree(buckets[i - 1] as ShapeBucket, buckets[i] as ShapeBucket) > 0) return false;
  return true;
}

/**
 * takeFromShape lowers the buckets by `take`: the first of devices, cpu, memory with something taken is levelled
 * down from the top (devices one at a time, so a bucket may split in two); each node gives the other amounts in the
 * take's ratio to it, never below zero. Buckets come back most of the levelled amount first.
 */
export function takeFromShape(buckets: readonly ShapeBucket[], take: Readonly<Record<Amount, number>>): ShapeBucket[] {
  const primary = AMOUNTS.find((a) => take[a] > 0);
  if (primary === undefined) return [...buckets];
  const sorted = buckets.filter((b) => b.nodes > 0).sort((a, b) => b[primary] - a[primary] || b.cpu - a.cpu || b.memory - a.memory);
  // Whole devices: a promise of 2.5 devices is none that exists, and rounding up errs on the safe side.
  const amount = primary === 'devices' ? Math.ceil(take.devices) : take[primary];
  const { level, remainder } = primary === 'devices' ? deviceLevel(sorted, amount) : { level: continuousLevel(sorted, primary, amount), remainder: 0 };
  const lower = (b: ShapeBucket, nodes: number, taken: number): ShapeBucket => {
    const out = { ...b, nodes };
    for (const a of AMOUNTS) out[a] = Math.max(0, b[a] - (a === primary ? taken : (taken * take[a]) / amount));
    return out;
  };
  const out: ShapeBucket[] = [];
  let left = remainder;
  for (const b of sorted) {
    const taken = Math.max(0, b[primary] - level);
    // The remainder below the level comes one device each from nodes at the level, fullest buckets first.
    const once = b[primary] >= level && level > 0 ? Math.min(left, b.nodes) : 0;
    left -= once;
    if (once > 0) out.push(lower(b, once, taken + 1));
    if (b.nodes > once) out.push(lower(b, b.nodes - once, taken));
  }
  return out;
}

/**
 * takeInUnits takes `take.devices` devices off the buckets in pieces of `unit` devices (the last may be smaller),
 * each from a node with the most free devices, as the site binds a promise worker by worker; cpu and memory go with
 * each piece in the take's ratio. Buckets come back most free first.
 */
export function takeInUnits(buckets: readonly ShapeBucket[], unit: number, take: Readonly<Record<Amount, number>>): ShapeBucket[] {
  let out = buckets.filter((b) => b.nodes > 0).map((b) => ({ ...b }));
  let left = Math.ceil(take.devices);
  const total = left;
  while (left > 0 && out.length > 0) {
    out.sort(byMostFree);
    const top = out[0] as ShapeBucket;
    const piece = Math.min(unit, left, top.devices);
    if (piece <= 0) break;
    const lowered: ShapeBucket = {
      nodes: 1,
      devices: top.devices - piece,
      cpu: Math.max(0, top.cpu - (take.cpu * piece) / total),
      memory: Math.max(0, top.memory - (take.memory * piece) / total),
    };
    out = [...(top.nodes > 1 ? [{ ...top, nodes: top.nodes - 1 }] : []), lowered, ...out.slice(1)];
    left -= piece;
  }
  return out.sort(byMostFree);
}

/** takenAbove is what levelling every node down to `level` takes: Σ nodes × max(0, value − level). */
function takenAbove(buckets: readonly ShapeBucket[], key: Amount, level: number): number {
  return buckets.reduce((sum, b) => sum + b.nodes * Math.max(0, b[key] - level), 0);
}

/**
 * deviceLevel is the lowest whole level whose levelling takes at most `amount`, and what is left to take one device
 * each from nodes at that level (fewer than there are: one device less for all of them would take more than
 * `amount`). Level 0 when the buckets hold no more than `amount`.
 */
function deviceLevel(buckets: readonly ShapeBucket[], amount: number): { level: number; remainder: number } {
  if (takenAbove(buckets, 'devices', 0) <= amount) return { level: 0, remainder: 0 };
  let lo = 1;
  let hi = Math.max(...buckets.map((b) => b.devices));
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (takenAbove(buckets, 'devices', mid) <= amount) hi = mid;
    else lo = mid + 1;
  }
  return { level: lo, remainder: amount - takenAbove(buckets, 'devices', lo) };
}

/** continuousLevel is the level that levelling the top down to takes exactly `amount` (buckets most first). */
function continuousLevel(sorted: readonly ShapeBucket[], key: Amount, amount: number): number {
  let nodes = 0;
  let sum = 0;
  for (const [i, b] of sorted.entries()) {
    nodes += b.nodes;
    sum += b.nodes * b[key];
    const level = (sum - amount) / nodes;
    if (level >= (sorted[i + 1]?.[key] ?? 0)) return Math.max(0, level);
  }
  return 0;
}
