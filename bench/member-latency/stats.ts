/** Summary statistics of a sample of latencies (ms): nearest-rank percentiles, so every figure is a measured value. */

/** LatencySummary summarises one sample; all fields are undefined for an empty sample. */
export interface LatencySummary {
  readonly count: number;
  readonly mean: number | undefined;
  readonly p50: number | undefined;
  readonly p90: number | undefined;
  readonly min: number | undefined;
  readonly max: number | undefined;
}

/** nearestRank is the p-th percentile (0 < p ≤ 100) of an ascending sample: the value at rank ⌈p/100 · n⌉. */
function nearestRank(sorted: readonly number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** summarise returns count, mean, p50, p90, min and max of the finite values in sample. */
export function summarise(sample: readonly (number | undefined)[]): LatencySummary {
  const values = sample.filter((v): v is number => v !== undefined && Number.isFinite(v)).sort((a, b) => a - b);
  return {
    count: values.length,
    mean: values.length === 0 ? undefined : values.reduce((s, v) => s + v, 0) / values.length,
    p50: nearestRank(values, 50),
    p90: nearestRank(values, 90),
    min: values[0],
    max: values.at(-1),
  };
}

/** ms formats a duration in ms: whole ms under 10 s, else seconds with one decimal; "–" when unknown. */
export function ms(v: number | undefined): string {
  if (v === undefined) return '–';
  return Math.abs(v) < 10_000 ? `${Math.round(v)} ms` : `${(v / 1000).toFixed(1)} s`;
}
