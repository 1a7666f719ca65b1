/**
 * Capacity promised to placements whose pods the sites do not report yet. A site's `allocated` lags a decision by
 * at least one agent report; without this, two jobs placed between two reports would both be given the same free
 * devices. In memory only: after a restart the sites' reports have caught up with everything decided before.
 */
import type { PromisedCapacity } from '../../placement/snapshot.ts';

/**
 * DEFAULT_SETTLE_MS is how long a promise outlives the first sight of the workload's pods at the site: the agent
 * reports the new allocation within a second or two (it sends a delta on every change), and the operator writes it to
 * the Site's status; until then the hub's view does not show it. Holding a little longer only counts the capacity
 * twice for a moment (conservative); releasing early could give the same devices to two workloads.
 */
export const DEFAULT_SETTLE_MS = 5_000;

type Sum = Map<string, Map<string, Map<string, number>>>;

/** addInto adds `sign` × `promise` into `sum`, dropping resources (and then pools and sites) that come back to 0. */
function addInto(sum: Sum, promise: PromisedCapacity, sign: 1 | -1): void {
  for (const [site, pools] of Object.entries(promise)) {
    let sitePools = sum.get(site);
    if (sitePools === undefined) sum.set(site, (sitePools = new Map()));
    for (const [pool, amounts] of Object.entries(pools)) {
      let poolSum = sitePools.get(pool);
      if (poolSum === undefined) sitePools.set(pool, (poolSum = new Map()));
      for (const [resource, amount] of Object.entries(amounts)) {
        const next = (poolSum.get(resource) ?? 0) + sign * amount;
        if (sign < 0 && next === 0) poolSum.delete(resource);
        else poolSum.set(resource, next);
      }
      if (poolSum.size === 0) sitePools.delete(pool);
    }
    if (sitePools.size === 0) sum.delete(site);
  }
}

function frozen(sum: Sum): PromisedCapacity {
  const out: Record<string, Record<string, Record<string, number>>> = {};
  for (const [site, pools] of sum) {
    const o: Record<string, Record<string, number>> = (out[site] = {});
    for (const [pool, amounts] of pools) o[pool] = Object.fromEntries(amounts);
  }
  return out;
}

/**
 * PromisedCapacityTracker holds, per workload key, the capacity its placement was promised. The sum of every promise
 * is kept as promises come and go, not added up on every read: every reconcile and every admission cycle reads it,
 * and at 10,000 jobs, thousands of promises summed on each read took a seventh of the operator's CPU.
 */
export class PromisedCapacityTracker {
  readonly #held = new Map<string, PromisedCapacity>();
  readonly #visibleSince = new Map<string, number>();
  readonly #settleMs: number;
  readonly #sum: Sum = new Map();
  /** #total is #sum as handed out (callers keep what they read), made again after a change. */
  #total: PromisedCapacity | undefined;

  constructor(options: { settleMs?: number } = {}) {
    this.#settleMs = options.settleMs ?? DEFAULT_SETTLE_MS;
  }

  /**
   * hold records what `key` was promised, replacing anything it held before. Call it in the same synchronous step
   * as the decision (before any await): concurrent reconciles must see it at once, or two decisions made side by side
   * would both count the same free devices.
   *
   * It returns an undo that puts back what `key` held before, for when the decision could not be recorded. Undo, not
   * release: a pass that read a stale cache re-decides a workload whose real decision is already written, and its
   * write then fails with Conflict; releasing would drop the promise of that real decision while its pods are not
   * visible yet, and the same devices could be given twice.
   */
  hold(key: string, promised: PromisedCapacity): () => void {
    const before = this.#held.get(key);
    const since = this.#visibleSince.get(key);
    this.#set(key, promised);
    this.#visibleSince.delete(key);
    return () => {
      this.#set(key, before);
      if (since === undefined) this.#visibleSince.delete(key);
      else this.#visibleSince.set(key, since);
    };
  }

  /** release drops what `key` held: it no longer needs the capacity (finished, suspended, deleted, re-placed). */
  release(key: string): boolean {
    this.#visibleSince.delete(key);
    return this.#set(key, undefined);
  }

  /** #set makes `promised` what `key` holds (undefined: nothing), keeping the sum; says whether it held anything. */
  #set(key: string, promised: PromisedCapacity | undefined): boolean {
    const before = this.#held.get(key);
    if (before === promised) return before !== undefined;
    if (before !== undefined) addInto(this.#sum, before, -1);
    if (promised === undefined) this.#held.delete(key);
    else {
      this.#held.set(key, promised);
      addInto(this.#sum, promised, 1);
    }
    this.#total = undefined;
    return before !== undefined;
  }

  /**
   * releaseWhenSettled is called while the workload's pods are visible at its site; the promise is dropped once they
   * have been visible for the settle time, by which the site's reported allocation includes them (DEFAULT_SETTLE_MS).
   */
  releaseWhenSettled(key: string, now: number): boolean {
    if (!this.#held.has(key)) return false;
    const since = this.#visibleSince.get(key);
    if (since === undefined) {
      this.#visibleSince.set(key, now);
      return false;
    }
    return now - since >= this.#settleMs ? this.release(key) : false;
  }

  /**
   * settleCheckInMs is when to look at `key` again so its promise is released once settled: a promise kept past the
   * settle time counts the workload twice (in the site's allocated and here), and the capacity it double-counts is
   * lost to every other placement until the next pass — with a long poll, for the workload's whole run. Undefined
   * when `key` holds nothing or its pods were not seen yet.
   */
  settleCheckInMs(key: string, now: number): number | undefined {
    const since = this.#visibleSince.get(key);
    if (!this.#held.has(key) || since === undefined) return undefined;
    return Math.max(1, since + this.#settleMs - now + 1);
  }

  /** holds says whether `key` holds a promise. */
  holds(key: string): boolean {
    return this.#held.has(key);
  }

  /** total sums every promise, leaving out `except` (a workload being re-placed must not compete with itself). */
  total(except?: string): PromisedCapacity {
    this.#total ??= frozen(this.#sum);
    const own = except === undefined ? undefined : this.#held.get(except);
    if (own === undefined) return this.#total;
    // Only the sites and pools `except` holds differ from the whole sum.
    const sum: Sum = new Map();
    for (const site of Object.keys(own)) {
      const sitePools = new Map<string, Map<string, number>>();
      for (const [pool, amounts] of Object.entries(this.#total[site] ?? {})) sitePools.set(pool, new Map(Object.entries(amounts)));
      sum.set(site, sitePools);
    }
    addInto(sum, own, -1);
    const out: Record<string, Readonly<Record<string, Readonly<Record<string, number>>>>> = { ...this.#total };
    for (const site of Object.keys(own)) delete out[site];
    return { ...out, ...frozen(sum) };
  }
}
