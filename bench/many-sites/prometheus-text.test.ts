import { describe, expect, it } from 'vitest';
import { parseSamples } from '../../src/runtime/metrics-exposition.ts';
import { histogramBuckets, sumOf } from './prometheus-text.ts';

const TEXT = `# HELP suanwang_agent_messages_total Messages.
# TYPE suanwang_agent_messages_total counter
suanwang_agent_messages_total{site="a",type="heartbeat"} 3
suanwang_agent_messages_total{site="b",type="heartbeat"} 4
suanwang_agent_messages_total{site="b",type="snapshot"} 1
# TYPE suanwang_placement_duration_seconds histogram
suanwang_placement_duration_seconds_bucket{le="0.001",kind="TrainingJob"} 2
suanwang_placement_duration_seconds_bucket{le="+Inf",kind="TrainingJob"} 5
suanwang_placement_duration_seconds_bucket{le="0.001",kind="InferenceService"} 7
suanwang_placement_duration_seconds_bucket{le="+Inf",kind="InferenceService"} 7
`;

describe('operator metrics', () => {
  const samples = parseSamples(TEXT);

  it('sums a counter over the series that carry the labels', () => {
    expect(sumOf(samples, 'suanwang_agent_messages_total', { type: 'heartbeat' })).toBe(7);
    expect(sumOf(samples, 'suanwang_agent_messages_total')).toBe(8);
    expect(sumOf(samples, 'nothing')).toBe(0);
  });

  it('reads one kind of a histogram as cumulative buckets, +Inf last', () => {
    expect(histogramBuckets(samples, 'suanwang_placement_duration_seconds', { kind: 'TrainingJob' })).toEqual([
      { le: 0.001, count: 2 },
      { le: Infinity, count: 5 },
    ]);
  });
});
