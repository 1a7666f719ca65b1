/**
 * Capacity promised to placements whose pods the sites do not report yet. A site's `allocated` lags a decision by
 * at least one agent report; without this, two jobs placed between two reports would both be given the same free
 * devices. In memory only: after a restart the sites' reports have caught up with everything decided before.
 */
import { mergePromised } from '../../placement/promised.ts';
import type { PromisedCapacity } from '../../placement/snapshot.ts';

/** PromisedCapacityTracker holds, per workload key, the capacity its placement was promised. */
export class PromisedCapacityTracker {
  readonly #held = new Map<string, PromisedCapacity>();

  /** hold records what `key` was promised, replacing anything it held before. */
  hold(key: string, promised: PromisedCapacity): void {
    this.#held.set(key, promised);
  }

  /** release drops what `key` held: its pods are visible at the site, or it no longer needs them. */
  release(key: string): boolean {
    return this.#held.delete(key);
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
