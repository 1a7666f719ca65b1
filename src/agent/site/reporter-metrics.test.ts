import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../runtime/clock.ts';
import { parseSamples, type Sample } from '../../runtime/metrics-exposition.ts';
import { newMetricsRegistry } from '../../runtime/metrics-registry.ts';
import type { DeviceReport } from '../devices/types.ts';
import { NodeReporter, type NodeWriter, type ReportTarget } from './node-reporter.ts';
import { ReporterMetrics } from './reporter-metrics.ts';

function get(samples: readonly Sample[], name: string, labels: Record<string, string>): number | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

const writer: NodeWriter = { read: async () => ({}), writeAnnotation: async () => {}, writeCondition: async () => {} };

function report(status: 'Ok' | 'Unknown', at: string): DeviceReport {
  return { provider: 'nvidia-smi', tool: 'nvidia-smi', observedAt: at, status, devices: [], ...(status === 'Unknown' && { reason: 'nvidia-smi timed out' }) };
}

describe('ReporterMetrics on a NodeReporter', () => {
  it('counts and times each sample by tool and result, and ages the oldest last good sample', async () => {
    const clock = new FakeClock(Date.parse('2026-01-01T00:00:00Z'));
    const registry = newMetricsRegistry({ processMetrics: false });
    let elapsed = 0;
    const observer = new ReporterMetrics(registry, { now: () => clock.now(), elapsed: () => (elapsed += 0.5) });
    const blind = new Set<string>();
    const target = (node: string): ReportTarget => ({ node, collect: async (at) => report(blind.has(node) ? 'Unknown' : 'Ok', at) });
    const broken: ReportTarget = {
      node: 'n3',
      collect: async () => {
        throw new Error('faults file unreadable');
      },
    };
    const reporter = new NodeReporter({ targets: () => [target('n1'), target('n2'), broken], writer, clock, logger: pino({ level: 'silent' }), observer });

    await reporter.runRound();
    clock.advance(10_000);
    blind.add('n2');
    await reporter.runRound();
    clock.advance(5_000);

    const s = parseSamples(await registry.metrics());
    expect(get(s, 'suanwang_vendor_tool_runs_total', { tool: 'nvidia-smi', result: 'success' })).toBe(3);
    expect(get(s, 'suanwang_vendor_tool_runs_total', { tool: 'nvidia-smi', result: 'failure' })).toBe(1);
    expect(get(s, 'suanwang_vendor_tool_runs_total', { tool: 'unknown', result: 'failure' })).toBe(2);
    expect(get(s, 'suanwang_vendor_tool_duration_seconds_count', { tool: 'nvidia-smi' })).toBe(4);
    // n3 never had a good sample: it counts from its first try, 15 s ago — the oldest.
    expect(get(s, 'suanwang_last_sample_age_seconds', { source: 'vendor-tool' })).toBe(15);
  });
});
