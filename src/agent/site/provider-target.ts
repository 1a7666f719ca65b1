/**
 * The report target of the per-node DaemonSet: run one device provider (the vendor tool) on the local node.
 *
 * For nvidia-smi it remembers which query fields the installed driver accepts (`--help-query-gpu`, research pitfall 1)
 * after the first good sample, instead of probing before every sample; a report that comes back Unknown drops the
 * memory, so a driver upgrade that renamed fields is probed again on the next round.
 */
import { collect, type CollectOptions, type NvidiaQuery } from '../devices/providers.ts';
import { pickQueryFields } from '../devices/nvidia-query-fields.ts';
import type { ToolRunner } from '../devices/run-tool.ts';
import type { ProviderName } from '../devices/types.ts';
import type { ReportTarget } from './node-reporter.ts';

/** ProviderTargetOptions are the provider settings of one node. */
export interface ProviderTargetOptions {
  readonly node: string;
  readonly provider: Exclude<ProviderName, 'simulated'>;
  readonly runner: ToolRunner;
  /** toolPath replaces the vendor tool's name (e.g. a binary mounted from the host). */
  readonly toolPath?: string;
  /** model names the devices for tools that print no product name (amd-smi metric, hy-smi). */
  readonly model?: string;
  /** timeoutMs is each tool run's deadline. */
  readonly timeoutMs?: number;
}

/** providerTarget builds the ReportTarget for the local node. */
export function providerTarget(opts: ProviderTargetOptions): ReportTarget {
  let nvidiaQuery: NvidiaQuery | undefined;
  const bin = opts.toolPath ?? 'nvidia-smi';
  return {
    node: opts.node,
    async collect(observedAt) {
      if (opts.provider === 'nvidia-smi' && nvidiaQuery === undefined) {
        const help = await opts.runner(bin, ['--help-query-gpu'], opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs });
        const pick = help.ok ? pickQueryFields(help.stdout) : undefined;
        // A failed probe is left to collect(), which probes again and turns the failure into an Unknown report.
        if (pick?.ok === true) nvidiaQuery = { query: pick.query, fields: pick.fields };
      }
      const options: CollectOptions = {
        observedAt,
        ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }),
        ...(opts.toolPath === undefined ? {} : { toolPath: opts.toolPath }),
        ...(opts.model === undefined ? {} : { model: opts.model }),
        ...(nvidiaQuery === undefined ? {} : { nvidiaQuery }),
      };
      const report = await collect(opts.provider, opts.runner, options);
      if (report.status !== 'Ok') nvidiaQuery = undefined;
      return report;
    },
  };
}
