/**
 * Summaries of the run's samples. Latencies measured per workload are summarised by nearest rank, so every figure is
 * a measured value; the operator's own placement timings exist only as a Prometheus histogram, whose quantiles are
 * estimated the way Prometheus' histogram_quantile does (linear within the bucket), and so are bounded by the bucket
 * edges: the report says so beside them. Pure.
 */

/** Summary is a sample's count and its nearest-rank percentiles; undefined fields for an empty sample. */
export interface Summary {
  readonly count: number;
  readonly p50: number | undefined;
  readonly p90: number | undefined;
  readonly p99: number | undefined;
  readonly max: number | undefined;
  readonly mean: number | undefined;
}

/** nearestRank is the p-th percentile (0 < p ≤ 100) of an ascending sample: the value at rank ⌈p/100 · n⌉. */
export function nearestRank(sorted: readonly number[], p: number): number | undefined {
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile must be in (0, 100], got ${p}`);
  if (sorted.length === 0) return undefined;
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** summarise summarises the finite values of `sample` (undefined ones, not reached, are left out). */
export function summarise(sample: Iterable<number | undefined>): Summary {
  const values = [...sample].filter((v): v is number => v !== undefined && Number.isFinite(v)).sort((a, b) => a - b);
  return {
    count: values.length,
    p50: nearestRank(values, 50),
    p90: nearestRank(values, 90),
    p99: nearestRank(values, 99),
    max: values.at(-1),
    mean: values.length === 0 ? undefined : values.reduce((s, v) => s + v, 0) / values.length,
  };
}

/** Bucket is one cumulative histogram bucket: how many observations were at most `le`. */
export interface Bucket {
  readonly le: number;
  readonly count: number;
}

/**
 * histogramQuantile estimates the q-quantile (0 ≤ q ≤ 1) of a cumulative histogram as Prometheus does: find the bucket
 * the rank falls in and interpolate linearly between its lower and upper edge (the first bucket's lower edge is 0).
 * When the rank falls in the +Inf bucket the answer is the highest finite edge (a lower bound). Undefined with no
 * observations. Buckets may come in any order; +Inf is `le: Infinity`.
 */
export function histogramQuantile(buckets: readonly Bucket[], q: number): number | undefined {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile must be in [0, 1], got ${q}`);
  const sorted = [...buckets].sort((a, b) => a.le - b.le);
  const total = sorted.at(-1)?.count ?? 0;
  if (total <= 0) return undefined;
  const rank = q * total;
  let lowerEdge = 0;
  let lowerCount = 0;
  for (const b of sorted) {
    if (b.count >= rank && b.count > lowerCount) {
      if (b.le === Infinity) return lowerEdge;
      return lowerEdge + ((b.le - lowerEdge) * (rank - lowerCount)) / (b.count - lowerCount);
    }
    if (b.le !== Infinity) lowerEdge = b.le;
    lowerCount = b.count;
  }
  return lowerEdge;
}

/** subtractBuckets is `after` less `before`, bucket by bucket (the observations made between two scrapes). */
export function subtractBuckets(after: readonly Bucket[], before: readonly Bucket[]): Bucket[] {
  return after.map((b) => ({ le: b.le, count: b.count - (before.find((x) => x.le === b.le)?.count ?? 0) }));
}
