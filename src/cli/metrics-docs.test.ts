// docs/metrics.md lists exactly the suanwang_ metrics the operator, the site agent and the node reporter expose, each
// with its real type: built here as the three commands build them, read back from their text exposition.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { registerAgentMetrics } from '../agent/site/agent-metrics.ts';
import { ReporterMetrics } from '../agent/site/reporter-metrics.ts';
import { OperatorMetrics } from '../operator/metrics/operator-metrics.ts';
import { InformerMetrics } from '../runtime/informer-metrics.ts';
import { newMetricsRegistry } from '../runtime/metrics-registry.ts';

const DOC = resolve(import.meta.dirname, '../../docs/metrics.md');

/** families reads `# TYPE` lines: suanwang_ family name → type. */
function families(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of text.matchAll(/^# TYPE (suanwang_[a-z0-9_]+) ([a-z]+)$/gm)) out.set(m[1] as string, m[2] as string);
  return out;
}

describe('docs/metrics.md', () => {
  it('documents every suanwang_ metric the three processes expose, with its type, and no other', async () => {
    const operator = new OperatorMetrics(newMetricsRegistry({ processMetrics: false }));
    operator.watchCaches({ sites: () => [], trainingJobs: () => [], inferenceServices: () => [], queues: () => [], sessions: () => undefined, now: () => 0 });
    const agent = newMetricsRegistry({ processMetrics: false });
    new InformerMetrics(agent).track(() => []);
    registerAgentMetrics(agent, { nodes: () => [], now: () => 0 });
    const reporter = newMetricsRegistry({ processMetrics: false });
    new ReporterMetrics(reporter, { now: () => 0 });

    const exposed = new Map<string, string>();
    for (const text of await Promise.all([operator.registry.metrics(), agent.metrics(), reporter.metrics()])) {
      for (const [name, type] of families(text)) exposed.set(name, type);
    }
    const documented = new Map<string, string>();
    for (const m of readFileSync(DOC, 'utf8').matchAll(/^\| `(suanwang_[a-z0-9_]+)` \| ([a-z]+) \|/gm)) documented.set(m[1] as string, m[2] as string);
    expect(Object.fromEntries([...documented].sort())).toEqual(Object.fromEntries([...exposed].sort()));
  });
});
