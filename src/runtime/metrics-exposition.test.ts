import { Counter, Histogram } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { metricNamesInExposition, parseSamples } from './metrics-exposition.ts';
import { exposedMetricNames, newMetricsRegistry } from './metrics-registry.ts';

describe('metricNamesInExposition', () => {
  it('lists every family by its TYPE line, histograms with their sample names, even before any sample', () => {
    const text = [
      '# HELP a_total A.',
      '# TYPE a_total counter',
      '# HELP b_seconds B.',
      '# TYPE b_seconds histogram',
      'b_seconds_bucket{le="1"} 0',
      '# TYPE c summary',
      '# TYPE d gauge',
      'd 1',
    ].join('\n');
    expect(metricNamesInExposition(text)).toEqual(['a_total', 'b_seconds', 'b_seconds_bucket', 'b_seconds_count', 'b_seconds_sum', 'c', 'c_count', 'c_sum', 'd']);
  });
});

describe('parseSamples', () => {
  it('reads names, labels with escapes, and values', () => {
    const text = ['# TYPE x gauge', 'x{a="1",b="say \\"hi\\"\\\\"} 2.5', 'y 3 1700000000000', ''].join('\n');
    expect(parseSamples(text)).toEqual([
      { name: 'x', labels: { a: '1', b: 'say "hi"\\' }, value: 2.5 },
      { name: 'y', labels: {}, value: 3 },
    ]);
  });

  it('refuses a line it cannot read', () => {
    expect(() => parseSamples('x{a=1} 2')).toThrow(/labels not readable/);
  });
});

describe('newMetricsRegistry', () => {
  it('holds the process metrics and nothing of another registry', async () => {
    const a = newMetricsRegistry();
    const b = newMetricsRegistry({ processMetrics: false });
    new Counter({ name: 'suanwang_only_in_b_total', help: 'b', registers: [b] });
    new Histogram({ name: 'suanwang_h_seconds', help: 'h', registers: [b] });
    const inA = await exposedMetricNames(a);
    expect(inA).toContain('process_cpu_user_seconds_total');
    expect(inA).toContain('nodejs_eventloop_lag_seconds');
    expect(inA).not.toContain('suanwang_only_in_b_total');
    expect(await exposedMetricNames(b)).toEqual(['suanwang_h_seconds', 'suanwang_h_seconds_bucket', 'suanwang_h_seconds_count', 'suanwang_h_seconds_sum', 'suanwang_only_in_b_total']);
  });
});
