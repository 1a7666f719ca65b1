/**
 * Capacity promised to placements whose pods the sites do not report yet. A site's `allocated` lags a decision by
 * at least one agent report; without this, two jobs placed between two reports would both be given the same free
 * devices. In memory only: after a restart the sites' reports have caught up with everything decided before.
 */
import { mergePromised } from '../../placement/promised.ts';
import type { PromisedCapacity } from '../../placement/snapshot.ts';

/**
 * DEFAULT_SETTLE_MS is how long a promise outlives the first sight of the workload's pods at the site: the agent
 * reports the new allocation within a second or two (it sends a delta on every change), and the operator writes it to
 * the Site's status; until then the hub's view does not show it. Holding a little longer only counts the capacity
 * twice for a moment (conservative); releasing early could give the same devices to two workloads.
 */
export const DEFAULT_SETTLE_MS = 5_000;

/** PromisedCapacityTracker holds, per workload key, the capacity its placement was promised. */
export class PromisedCapacityTracker {
  readonly #held = new Map<string, PromisedCapacity>();
  readonly #visibleSince = new Map<string, number>();
  readonly #settleMs: number;

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
    this.#held.set(key, promised);
    this.#visibleSince.delete(key);
    return () => {
      if (before === undefined) this.#held.delete(key);
      else this.#held.set(key, before);
      if (since === undefined) this.#visibleSince.delete(key);
      else this.#visibleSince.set(key, since);
    };
  }

  /** release drops what `key` held: it no longer needs the capacity (finished, suspended, deleted, re-placed). */
  release(key: string): boolean {
    this.#visibleSince.delete(key);
    return this.#held.delete(key);
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
    return mergePromised(...[...this.#held].filter(([key]) => key !== except).map(([, promised]) => promised));
  }
}
