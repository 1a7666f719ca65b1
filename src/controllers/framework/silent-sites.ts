/**
 * Since when each site a workload's reconciler could not read has been silent: the start of the grace after which
 * a Ready site the hub cannot reach stops holding the workload. In memory: a restarted operator restarts the grace,
 * which only waits longer.
 */

/** SilentSites remembers, per workload key, the sites that did not answer and since when. */
export class SilentSites {
  readonly #byKey = new Map<string, ReadonlyMap<string, number>>();

  /**
   * observe records the sites that did not answer in this pass (every other site answered, or was not asked) and
   * returns since when each of them has been silent.
   */
  observe(key: string, silent: readonly string[], now: number): ReadonlyMap<string, number> {
    const before = this.#byKey.get(key);
    const since = new Map(silent.map((site) => [site, before?.get(site) ?? now]));
    if (since.size === 0) this.#byKey.delete(key);
    else this.#byKey.set(key, since);
    return since;
  }

  /** forget drops what is remembered of a workload (it is gone). */
  forget(key: string): void {
    this.#byKey.delete(key);
  }
}
