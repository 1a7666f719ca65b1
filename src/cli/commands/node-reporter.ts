/**
 * `suanwang node-reporter`: publishes accelerator health on Nodes (src/agent/site/node-reporter.ts). The composition
 * root of the reporter process: flags, files, environment, the real clock, logger, tool runner and Kubernetes client.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { Logger } from 'pino';
import { parseDuration } from '../../api/duration.ts';
import { ConfigError } from '../../api/yaml-source.ts';
import { createToolRunner } from '../../agent/devices/run-tool.ts';
import { isProviderName, type ProviderName } from '../../agent/devices/types.ts';
import { labNodeNames, labReportTargets } from '../../lab/report-targets.ts';
import { DEFAULT_REPORT_INTERVAL_MS, NodeReporter, type ReportTarget } from '../../agent/site/node-reporter.ts';
import { KubernetesNodeWriter } from '../../agent/site/node-writer.ts';
import { providerTarget } from '../../agent/site/provider-target.ts';
import { systemClock } from '../../runtime/clock.ts';
import { loadTopology } from '../../lab/topology.ts';
import { CliError, loadKubeConfig, makeLogger, untilSignal } from '../process.ts';

const HELP = `Usage:
  suanwang node-reporter --node NAME --provider TOOL [flags]                 (one node: the DaemonSet)
  suanwang node-reporter --lab-topology FILE --site NAME [--faults FILE] [flags]   (lab: a whole site, simulated)

Samples accelerator health and publishes it on the Node, where 'suanwang agent' reads it:
  annotation suanwang.io/devices   compact JSON: provider, tool, sample time, status (Ok/Unknown) and per device
                                   index, id, model, memory, health (Healthy/Unhealthy/Unknown) and reasons
  condition  AcceleratorHealthy    True AllDevicesHealthy | False DevicesUnhealthy | Unknown DevicesUnknown |
                                   Unknown ProviderUnknown (the tool is missing, hung or printed something unreadable)
Both are written only when they differ from what the Node carries (the sample time does not count), so an unchanged
node costs one read per interval. A tool that fails never makes devices look healthy.

One node (run as a DaemonSet, one Pod per accelerator node, with the vendor tool and device files mounted):
  --node NAME          the Node to report on (default: $NODE_NAME; set it from spec.nodeName)
  --provider TOOL      nvidia-smi, npu-smi, amd-smi (falls back to rocm-smi), cnmon or hy-smi
  --tool-path PATH     the vendor tool's path when it is not on PATH (e.g. mounted from the host)
  --model NAME         device model for tools that print none (amd-smi metric, hy-smi)
  --tool-timeout DUR   deadline of each tool run (default 10s); a hung tool is killed and reported Unknown

Lab (one process per site stands in for the DaemonSet on every accelerator Node of the site):
  --lab-topology FILE  the lab topology the site was started from (e.g. examples/lab/default.yaml)
  --site NAME          the site to simulate; devices come from its pools' accelerators
  --faults FILE        JSON re-read every interval: { "<node>": { "xids": [{"device": 0, "xid": 79}],
                       "ascendCritical": [1], "eccUncorrectable": [{"device": 2, "count": 1}],
                       "unavailable": "reason the tool is blind" }, ... }. Missing file: no faults. Write it
                       atomically (write a temporary file, then rename); an invalid file keeps the last faults.

Common:
  --interval DUR       time between samples (default 30s; e.g. 2s in the lab). DUR: 500ms, 2s, 1m, 1m30s, …
  --once               sample once, write, and exit (1 when any node could not be reported)
  --kubeconfig FILE    the cluster's kubeconfig (default: $KUBECONFIG, else the in-cluster service account when
                       running in a Pod, else ~/.kube/config)
  --log-level LEVEL    trace, debug, info (default), warn, error, fatal or silent
  -h, --help           show this help

Logs are JSON lines on stdout. Stops cleanly on SIGTERM or SIGINT (exit 0); a second signal exits at once (exit 1).
Exit codes: 0 stopped by a signal, 1 a file could not be used, 2 bad flags.
Kubernetes permissions: nodes get and patch, nodes/status patch.`;

function duration(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const ms = parseDuration(value);
  if (ms === undefined || ms < 100) throw new CliError(`${flag} must be a duration of at least 100ms such as 2s or 30s, got ${JSON.stringify(value)}`, 2);
  return ms;
}

const OPTIONS = {
  node: { type: 'string' },
  provider: { type: 'string' },
  'tool-path': { type: 'string' },
  model: { type: 'string' },
  'tool-timeout': { type: 'string' },
  'lab-topology': { type: 'string' },
  site: { type: 'string' },
  faults: { type: 'string' },
  interval: { type: 'string' },
  once: { type: 'boolean' },
  kubeconfig: { type: 'string' },
  'log-level': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>['values'];

/** Plan is what the flags ask for: how to find the targets, and where logs say they come from. */
interface Plan {
  readonly targets: (log: Logger) => () => readonly ReportTarget[] | Promise<readonly ReportTarget[]>;
  readonly bindings: Record<string, string>;
  readonly describe: Record<string, unknown>;
}

function singleNodePlan(v: Values, nodeFromEnv: string | undefined): Plan {
  const node = v.node ?? nodeFromEnv;
  if (node === undefined || node === '') throw new CliError('--node NAME is required (or set $NODE_NAME), or use --lab-topology', 2);
  if (v.provider === undefined) throw new CliError('--provider is required: nvidia-smi, npu-smi, amd-smi, cnmon or hy-smi', 2);
  if (!isProviderName(v.provider) || v.provider === 'simulated') {
    throw new CliError(`--provider must be nvidia-smi, npu-smi, amd-smi, cnmon or hy-smi, got ${JSON.stringify(v.provider)}`, 2);
  }
  if (v.faults !== undefined) throw new CliError('--faults only applies with --lab-topology', 2);
  const provider = v.provider as Exclude<ProviderName, 'simulated'>;
  const timeoutMs = duration('--tool-timeout', v['tool-timeout'], 10_000);
  const target = providerTarget({
    node,
    provider,
    runner: createToolRunner({ timeoutMs }),
    timeoutMs,
    ...(v['tool-path'] === undefined ? {} : { toolPath: v['tool-path'] }),
    ...(v.model === undefined ? {} : { model: v.model }),
  });
  return {
    targets: () => () => [target],
    // Not `node`: the reporter names the node in every line itself.
    bindings: v.site === undefined ? {} : { site: v.site },
    describe: { node, provider, toolPath: v['tool-path'] },
  };
}

function labPlan(v: Values, file: string): Plan {
  if (v.site === undefined) throw new CliError('--site NAME is required with --lab-topology', 2);
  for (const flag of ['node', 'provider', 'tool-path', 'model', 'tool-timeout'] as const) {
    if (v[flag] !== undefined) throw new CliError(`--${flag} does not apply with --lab-topology (devices are simulated)`, 2);
  }
  let topology;
  try {
    topology = loadTopology(file);
  } catch (err: unknown) {
    if (err instanceof ConfigError || (err as { code?: unknown }).code === 'ENOENT') {
      throw new CliError(`--lab-topology ${file}: ${err instanceof Error ? err.message : String(err)}`, 1);
    }
    throw err;
  }
  const site = topology.sites.find((s) => s.name === v.site);
  if (site === undefined) {
    throw new CliError(`--site ${v.site}: no such site in ${file} (sites: ${topology.sites.map((s) => s.name).join(', ')})`, 2);
  }
  const faultsFile = v.faults;
  const readFaults = async (): Promise<string | undefined> => {
    if (faultsFile === undefined) return undefined;
    try {
      return await readFile(faultsFile, 'utf8');
    } catch (err: unknown) {
      if ((err as { code?: unknown }).code === 'ENOENT') return undefined;
      throw err;
    }
  };
  return {
    targets: (log) => labReportTargets({ site, readFaults, logger: log }),
    bindings: { site: site.name },
    describe: { topology: file, faults: faultsFile, nodes: labNodeNames(site) },
  };
}

/** nodeReporterCommand runs `suanwang node-reporter`; resolves to the exit code once stopped. */
export async function nodeReporterCommand(argv: string[]): Promise<number> {
  let plan: Plan;
  let root: Logger;
  let writer: KubernetesNodeWriter;
  let intervalMs: number;
  let once: boolean;
  try {
    let values: Values;
    try {
      ({ values } = parseArgs({ args: argv, strict: true, allowPositionals: false, options: OPTIONS }));
    } catch (err: unknown) {
      throw new CliError(err instanceof Error ? err.message : String(err), 2);
    }
    if (values.help === true) {
      process.stdout.write(`${HELP}\n`);
      return 0;
    }
    root = makeLogger(values['log-level'], 'stdout');
    intervalMs = duration('--interval', values.interval, DEFAULT_REPORT_INTERVAL_MS);
    once = values.once === true;
    const topology = values['lab-topology'];
    plan = topology === undefined ? singleNodePlan(values, process.env['NODE_NAME']) : labPlan(values, topology);
    writer = new KubernetesNodeWriter(loadKubeConfig(values.kubeconfig));
  } catch (err: unknown) {
    if (!(err instanceof CliError)) throw err;
    process.stderr.write(`node-reporter: ${err.message}\n`);
    if (err.exitCode === 2) process.stderr.write('Run `suanwang node-reporter --help` for usage.\n');
    return err.exitCode;
  }

  const log = root.child({ component: 'node-reporter', ...plan.bindings });
  const reporter = new NodeReporter({ targets: plan.targets(log), writer, clock: systemClock, logger: log, intervalMs });
  log.info({ intervalMs, ...plan.describe }, 'node reporter starting');
  if (once) {
    const outcomes = await reporter.runRound();
    return outcomes.some((o) => o.error !== undefined) ? 1 : 0;
  }
  const signals = untilSignal(log);
  try {
    reporter.start();
    const signal = await signals.signal;
    log.info({ signal }, 'stopping');
    await reporter.stop();
    log.info('stopped');
    return 0;
  } finally {
    signals.dispose();
  }
}
