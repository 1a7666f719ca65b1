/**
 * The site agent's own gauge: how old the device reports on its Nodes are. The agent reads what node reporters wrote
 * (the `suanwang.io/devices` annotation) and cannot see their tools, so the age it exposes is of the oldest report of
 * any accelerator Node — the one that turns the Node's devices Unknown first when a reporter dies (node-devices.ts).
 * A report whose tool went blind (status Unknown) counts from when it went blind (`at`): that was the last time the
 * devices were seen. Read at scrape time from the Node cache; the informers' and process metrics come beside it.
 */
import type { V1Node } from '@kubernetes/client-node';
import { Gauge, type Registry } from 'prom-client';
import { ANNOTATION_DEVICES } from '../../api/names.ts';
import { decodeDeviceAnnotation, lastSampleTime } from './device-annotation.ts';

/** NODE_REPORTS is the `source` label of the agent's sample age: the node reporters' annotations. */
export const NODE_REPORTS_SOURCE = 'node-reports';

/** AgentMetricsSources are what the agent's gauges read at each scrape. */
export interface AgentMetricsSources {
  readonly nodes: () => readonly V1Node[];
  /** now is the agent's clock in ms (the one it judges report ages with). */
  readonly now: () => number;
}

/** registerAgentMetrics defines the agent's gauges on `registry`. */
export function registerAgentMetrics(registry: Registry, src: AgentMetricsSources): void {
  new Gauge({
    name: 'suanwang_last_sample_age_seconds',
    help: 'Age of the oldest last good device sample, by source: node-reports (agent: the reports on its Nodes) or vendor-tool (node reporter: its own tool runs).',
    labelNames: ['source'],
    registers: [registry],
    collect() {
      this.reset();
      const oldest = oldestSampleMs(src.nodes());
      if (oldest !== undefined) this.set({ source: NODE_REPORTS_SOURCE }, Math.max(0, src.now() - oldest) / 1000);
    },
  });
}

/** oldestSampleMs is the time of the oldest last good sample among the Nodes' device reports; undefined when none has one. */
export function oldestSampleMs(nodes: readonly V1Node[]): number | undefined {
  let oldest: number | undefined;
  for (const node of nodes) {
    const report = decodeDeviceAnnotation(node.metadata?.annotations?.[ANNOTATION_DEVICES]);
    if (report === undefined) continue;
    const at = Date.parse(report.status === 'Ok' ? lastSampleTime(report) : report.at);
    if (Number.isNaN(at)) continue;
    oldest = oldest === undefined ? at : Math.min(oldest, at);
  }
  return oldest;
}
