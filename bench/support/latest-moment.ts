/**
 * When the last of a set of workloads reached a phase: what "time to all Placed / Running / Succeeded" reads, for
 * Suanwang's TrainingJobs and the peer's Jobs alike.
 */

/** latestMoment is the latest of `at` over `items`, or undefined unless at least `expected` items have one. */
export function latestMoment<T>(items: Iterable<T>, at: (item: T) => number | undefined, expected: number): number | undefined {
  let latest = -Infinity;
  let n = 0;
  for (const item of items) {
    const t = at(item);
    if (t === undefined) continue;
    n += 1;
    latest = Math.max(latest, t);
  }
  return n >= expected ? latest : undefined;
}
