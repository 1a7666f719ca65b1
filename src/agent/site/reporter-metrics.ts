/**
 * The node reporter's metrics: each sample of a node's devices is one vendor tool run (nvidia-smi, npu-smi, ...; the
 * lab's simulated provider too), counted by tool and result and timed; and the age of the oldest last good sample
 * among the reporter's nodes, so a tool that keeps failing — or hangs until its deadline — shows up before the agent
 * turns the node's devices Unknown. A run is a success when the tool saw the devices (report status Ok), whatever
 * their health: an unhealthy GPU reported is the tool working.
 */
import { performance } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { SampleObserver } from './node-reporter.ts';

/** VENDOR_TOOL_SOURCE is the `source` label of the reporter's sample age. */
export const VENDOR_TOOL_SOURCE = 'vendor-tool';
/** UNKNOWN_TOOL labels a run that failed before naming its tool (the target threw). */
export const UNKNOWN_TOOL = 'unknown';
/** TOOL_BUCKETS span a simulated sample (ms) to a tool killed at the default 10 s deadline. */
export const TOOL_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15];

/** ReporterMetricsOptions configures ReporterMetrics. */
export interface ReporterMetricsOptions {
  /** now is the reporter's clock in ms, for sample ages. */
  readonly now: () => number;
  /** elapsed is a monotonic clock in seconds for run durations (default performance.now() / 1000). */
  readonly elapsed?: () => number;
}

/** ReporterMetrics defines the reporter's metrics on a registry and is the NodeReporter's SampleObserver. */
export class ReporterMetrics implements SampleObserver {
  readonly #o: ReporterMetricsOptions;
  readonly #elapsed: () => number;
  readonly #runs: Counter<'tool' | 'result'>;
  readonly #duration: Histogram<'tool'>;
  /** Per node: its last good sample, or when it was first sampled while none was good yet. */
  readonly #lastGood = new Map<string, number>();

  constructor(registry: Registry, options: ReporterMetricsOptions) {
    this.#o = options;
    this.#elapsed = options.elapsed ?? (() => performance.now() / 1000);
    this.#runs = new Counter({
      name: 'suanwang_vendor_tool_runs_total',
      help: 'Samples of a node taken with a vendor tool, by tool and result: success (the tool saw the devices) or failure (missing, hung, garbled or blind).',
      labelNames: ['tool', 'result'],
      registers: [registry],
    });
    this.#duration = new Histogram({
      name: 'suanwang_vendor_tool_duration_seconds',
      help: 'Time one sample of a node took with its vendor tool, whatever the result.',
      labelNames: ['tool'],
      buckets: TOOL_BUCKETS,
      registers: [registry],
    });
    const lastGood = this.#lastGood;
    const now = options.now;
    new Gauge({
      name: 'suanwang_last_sample_age_seconds',
      help: 'Age of the oldest last good device sample, by source: vendor-tool (node reporter: its own tool runs) or node-reports (agent: the reports on its Nodes).',
      labelNames: ['source'],
      registers: [registry],
      collect() {
        this.reset();
        if (lastGood.size === 0) return;
        this.set({ source: VENDOR_TOOL_SOURCE }, Math.max(0, now() - Math.min(...lastGood.values())) / 1000);
      },
    });
  }

  sampleStarted(node: string): (result: { readonly tool: string | undefined; readonly ok: boolean }) => void {
    const started = this.#elapsed();
    if (!this.#lastGood.has(node)) this.#lastGood.set(node, this.#o.now());
    return ({ tool, ok }) => {
      const label = tool ?? UNKNOWN_TOOL;
      this.#duration.observe({ tool: label }, Math.max(0, this.#elapsed() - started));
      this.#runs.inc({ tool: label, result: ok ? 'success' : 'failure' });
      if (ok) this.#lastGood.set(node, this.#o.now());
    };
  }
}
