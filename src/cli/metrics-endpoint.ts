/**
 * `--metrics-listen`, the same in the agent and the node reporter (the operator passes it to the Operator, which
 * serves its own): where to serve GET /metrics, and starting that endpoint as one clear error when it cannot bind.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { MetricsServer } from '../runtime/metrics-server.ts';
import { CliError } from './cli-error.ts';
import type { HostPort, HostPortFlag } from './flag-values.ts';

/** metricsListenFlag is --metrics-listen; `example` is a typical address for the command. */
export function metricsListenFlag(example: string): HostPortFlag & { readonly port0: true } {
  return {
    type: 'host:port',
    port0: true,
    help: `serve GET /metrics (HTTP, Prometheus text format; docs/metrics.md lists every metric), e.g. ${example}; port 0 picks a free port (default: no metrics endpoint)`,
  };
}

/** startMetricsEndpoint serves `registry` at `listen`; undefined without one; throws CliError (exit 1) when it cannot bind. */
export async function startMetricsEndpoint(listen: HostPort | undefined, registry: Registry, logger: Logger): Promise<MetricsServer | undefined> {
  if (listen === undefined) return undefined;
  const server = new MetricsServer({ host: listen.host, port: listen.port, registry, logger });
  try {
    await server.start();
  } catch (err: unknown) {
    throw new CliError(`--metrics-listen ${listen.address}: cannot listen: ${err instanceof Error ? err.message : String(err)}`, 1);
  }
  return server;
}
