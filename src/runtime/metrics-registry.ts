/**
 * One Prometheus registry per process (prom-client), never prom-client's global default: a test builds its own and
 * sees only its own series, and two operators in one test process do not collide. Every Suanwang metric is named
 * `suanwang_…` in base units (seconds, bytes), counters end in `_total`, and no label carries a workload's name or
 * namespace — docs/metrics.md lists them all.
 */
import { collectDefaultMetrics, Registry } from 'prom-client';
import { metricNamesInExposition } from './metrics-exposition.ts';

/** METRIC_PREFIX starts the name of every metric Suanwang defines itself. */
export const METRIC_PREFIX = 'suanwang_';

/** MetricsRegistryOptions configures newMetricsRegistry. */
export interface MetricsRegistryOptions {
  /** processMetrics adds prom-client's default process and Node.js metrics (CPU, memory, event loop lag; default on). */
  readonly processMetrics?: boolean;
}

/**
 * LINT_FAILING_DEFAULTS are prom-client defaults that break Prometheus's naming rules (`promtool check metrics`: a
 * gauge must not end in `_total`). Each is the sum of a per-type gauge prom-client also exports
 * (nodejs_active_handles{type}, ...), so dropping them loses nothing.
 */
const LINT_FAILING_DEFAULTS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

/** newMetricsRegistry builds a process's registry, with the default process metrics unless told otherwise. */
export function newMetricsRegistry(options: MetricsRegistryOptions = {}): Registry {
  const registry = new Registry();
  if (options.processMetrics ?? true) {
    collectDefaultMetrics({ register: registry });
    for (const name of LINT_FAILING_DEFAULTS) registry.removeSingleMetric(name);
  }
  return registry;
}

/** exposedMetricNames lists the names `registry` exposes on /metrics (metrics-exposition.ts, metricNamesInExposition). */
export async function exposedMetricNames(registry: Registry): Promise<string[]> {
  return metricNamesInExposition(await registry.metrics());
}
