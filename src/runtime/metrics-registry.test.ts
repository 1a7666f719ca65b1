import { describe, expect, it } from 'vitest';
import { newMetricsRegistry } from './metrics-registry.ts';

describe('newMetricsRegistry', () => {
  it('keeps the process defaults within Prometheus naming rules: no gauge ends in _total', async () => {
    const metrics = await newMetricsRegistry().getMetricsAsJSON();
    expect(metrics.length).toBeGreaterThan(10);
    const offending = metrics.filter((m) => String(m.type) !== 'counter' && m.name.endsWith('_total')).map((m) => m.name);
    expect(offending).toEqual([]);
    // The per-type gauges the dropped totals summed are still there.
    expect(metrics.map((m) => m.name)).toContain('nodejs_active_handles');
  });

  it('has no process metrics when told so', async () => {
    expect(await newMetricsRegistry({ processMetrics: false }).getMetricsAsJSON()).toEqual([]);
  });
});
