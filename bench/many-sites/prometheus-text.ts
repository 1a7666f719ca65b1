/**
 * The few series the benchmark reads from the operator's /metrics, over the runtime's own reader of the text
 * exposition (src/runtime/metrics-exposition.ts): sums of a counter or gauge by labels, and a histogram's cumulative
 * buckets. Pure.
 */
import type { Sample } from '../../src/runtime/metrics-exposition.ts';
import type { Bucket } from './stats.ts';

/** matches says whether a sample carries every label of `want`. */
function matches(s: Sample, want: Readonly<Record<string, string>>): boolean {
  return Object.entries(want).every(([k, v]) => s.labels[k] === v);
}

/** sumOf adds the values of every sample of `name` that carries the labels in `want`; 0 when there is none. */
export function sumOf(samples: readonly Sample[], name: string, want: Readonly<Record<string, string>> = {}): number {
  return samples.filter((s) => s.name === name && matches(s, want)).reduce((sum, s) => sum + s.value, 0);
}

/**
 * histogramBuckets reads the cumulative buckets of histogram `name` (its `<name>_bucket` series) with the labels in
 * `want`, adding series that differ in other labels bucket by bucket; +Inf is `le: Infinity`.
 */
export function histogramBuckets(samples: readonly Sample[], name: string, want: Readonly<Record<string, string>> = {}): Bucket[] {
  const byEdge = new Map<number, number>();
  for (const s of samples) {
    if (s.name !== `${name}_bucket` || !matches(s, want)) continue;
    const raw = s.labels['le'];
    const le = raw === '+Inf' ? Infinity : Number(raw);
    if (raw === undefined || Number.isNaN(le)) continue;
    byEdge.set(le, (byEdge.get(le) ?? 0) + s.value);
  }
  return [...byEdge].map(([le, count]) => ({ le, count })).sort((a, b) => a.le - b.le);
}
