import type { V1Node } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { ANNOTATION_DEVICES } from '../../api/names.ts';
import { parseSamples } from '../../runtime/metrics-exposition.ts';
import { newMetricsRegistry } from '../../runtime/metrics-registry.ts';
import { oldestSampleMs, registerAgentMetrics } from './agent-metrics.ts';

function node(name: string, annotation?: object): V1Node {
  return { metadata: { name, ...(annotation !== undefined && { annotations: { [ANNOTATION_DEVICES]: JSON.stringify(annotation) } }) } };
}

const base = { v: 1, provider: 'simulated', tool: 'simulated', devices: [] };

describe('the agent sample age', () => {
  it('is the oldest last good sample among annotated Nodes; a blind report counts from when it went blind', async () => {
    const nodes = [
      node('fresh', { ...base, status: 'Ok', at: '2026-01-01T00:00:00Z', seen: '2026-01-01T00:09:50Z' }),
      node('blind', { ...base, status: 'Unknown', reason: 'tool hung', at: '2026-01-01T00:08:00Z', seen: '2026-01-01T00:09:55Z' }),
      node('cpu-only'),
      node('garbled', { nonsense: true }),
    ];
    expect(oldestSampleMs(nodes)).toBe(Date.parse('2026-01-01T00:08:00Z'));
    const registry = newMetricsRegistry({ processMetrics: false });
    registerAgentMetrics(registry, { nodes: () => nodes, now: () => Date.parse('2026-01-01T00:10:00Z') });
    expect(parseSamples(await registry.metrics())).toEqual([{ name: 'suanwang_last_sample_age_seconds', labels: { source: 'node-reports' }, value: 120 }]);
  });

  it('has no series while no Node carries a report', async () => {
    const registry = newMetricsRegistry({ processMetrics: false });
    registerAgentMetrics(registry, { nodes: () => [node('cpu-only')], now: () => 0 });
    expect(parseSamples(await registry.metrics())).toEqual([]);
  });
});
