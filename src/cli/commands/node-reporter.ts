/**
 * `suanwang node-reporter`: publishes accelerator health on Nodes (src/agent/site/node-reporter.ts). The composition
 * root of the reporter process: flags, files, environment, the real clock, logger, tool runner and Kubernetes client.
 */
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import { ConfigError } from '../../api/yaml-source.ts';
import { createToolRunner } from '../../agent/devices/run-tool.ts';
import { PROVIDER_NAMES, type ProviderName } from '../../agent/devices/types.ts';
import { labNodeNames, labReportTargets } from '../../lab/report-targets.ts';
import { DEFAULT_REPORT_INTERVAL_MS, NodeReporter, type ReportTarget } from '../../agent/site/node-reporter.ts';
import { KubernetesNodeWriter } from '../../agent/site/node-writer.ts';
import { providerTarget } from '../../agent/site/provider-target.ts';
import { systemClock } from '../../runtime/clock.ts';
import { loadTopology } from '../../lab/topology.ts';
import { CliError, reportCliError } from '../cli-error.ts';
import { usageText } from '../flag-usage.ts';
import { defineCommand, parseCommandLine, type FlagValues } from '../flags.ts';
import { kubeconfigFlag, loadKubeConfig, LOG_LEVEL_FLAG, makeLogger, untilSignal } from '../process.ts';
import { metricsListenFlag, startMetricsEndpoint } from '../metrics-endpoint.ts';
import { newMetricsRegistry } from '../../runtime/metrics-registry.ts';
import { ReporterMetrics } from '../../agent/site/reporter-metrics.ts';
import type { HostPort } from '../flag-values.ts';

/** TOOL_PROVIDERS are the providers that run a vendor tool on a real node (the lab's simulated one comes from --lab-topology). */
const TOOL_PROVIDERS = PROVIDER_NAMES.filter((p): p is Exclude<ProviderName, 'simulated'> => p !== 'simulated');

const ONE_NODE = 'One node (run as a DaemonSet, one Pod per accelerator node, with the vendor tool and device files mounted):';
const LAB = 'Lab (one process per site stands in for the DaemonSet on every accelerator Node of the site):';
const COMMON = 'Common:';

const NODE_REPORTER = defineCommand({
  name: 'node-reporter',
  usage: [
    'suanwang node-reporter --node NAME --provider TOOL [flags]                 (one node: the DaemonSet)',
    'suanwang node-reporter --lab-topology FILE --site NAME [--faults FILE] [flags]   (lab: a whole site, simulated)',
  ],
  description: `Samples accelerator health and publishes it on the Node, where 'suanwang agent' reads it:
  annotation suanwang.io/devices   compact JSON: provider, tool, sample time, status (Ok/Unknown) and per device
                                   index, id, model, memory, health (Healthy/Unhealthy/Unknown) and reasons
  condition  AcceleratorHealthy    True AllDevicesHealthy | False DevicesUnhealthy | Unknown DevicesUnknown |
                                   Unknown ProviderUnknown (the tool is missing, hung or printed something unreadable)
Both are written only when they differ from what the Node carries (the sample time does not count), so an unchanged
node costs one read per interval. A tool that fails never makes devices look healthy.`,
  flags: {
    node: { type: 'string', value: 'NAME', section: ONE_NODE, conflicts: 'lab-topology', help: 'the Node to report on (default: $NODE_NAME; set it from spec.nodeName)' },
    provider: { type: 'enum', values: TOOL_PROVIDERS, value: 'TOOL', section: ONE_NODE, conflicts: 'lab-topology', help: 'the vendor tool (amd-smi falls back to rocm-smi)' },
    'tool-path': { type: 'string', value: 'PATH', section: ONE_NODE, conflicts: 'lab-topology', help: "the vendor tool's path when it is not on PATH (e.g. mounted from the host)" },
    model: { type: 'string', value: 'NAME', section: ONE_NODE, conflicts: 'lab-topology', help: 'device model for tools that print none (amd-smi metric, hy-smi)' },
    'tool-timeout': {
      type: 'duration',
      default: 10_000,
      min: 100,
      section: ONE_NODE,
      conflicts: 'lab-topology',
      help: 'deadline of each tool run; a hung tool is killed and reported Unknown',
    },
    'lab-topology': { type: 'string', value: 'FILE', section: LAB, help: 'the lab topology the site was started from (e.g. examples/lab/default.yaml); devices are simulated' },
    site: { type: 'string', value: 'NAME', section: LAB, help: "the site to simulate; devices come from its pools' accelerators" },
    faults: {
      type: 'string',
      value: 'FILE',
      section: LAB,
      needs: 'lab-topology',
      help: 'JSON re-read every interval: { "<node>": { "xids": [{"device": 0, "xid": 79}], "ascendCritical": [1], "eccUncorrectable": [{"device": 2, "count": 1}], "unavailable": "reason the tool is blind" }, ... }. Missing file: no faults. Write it atomically (write a temporary file, then rename); an invalid file keeps the last faults.',
    },
    interval: { type: 'duration', default: DEFAULT_REPORT_INTERVAL_MS, min: 100, section: COMMON, help: 'time between samples (e.g. 2s in the lab)' },
    once: { type: 'boolean', section: COMMON, help: 'sample once, write, and exit (1 when any node could not be reported)' },
    kubeconfig: { ...kubeconfigFlag("the cluster's"), section: COMMON },
    'metrics-listen': { ...metricsListenFlag('0.0.0.0:9091'), section: COMMON },
    'log-level': { ...LOG_LEVEL_FLAG, section: COMMON },
  },
  footer: `Logs are JSON lines on stdout. Stops cleanly on SIGTERM or SIGINT (exit 0); a second signal exits at once (exit 1).
Exit codes: 0 stopped by a signal, 1 a file could not be used, 2 bad flags.
Kubernetes permissions: nodes get and patch, nodes/status patch.`,
});

type Values = FlagValues<typeof NODE_REPORTER.flags>;

/** Plan is what the flags ask for: how to find the targets, and where logs say they come from. */
interface Plan {
  readonly targets: (log: Logger) => () => readonly ReportTarget[] | Promise<readonly ReportTarget[]>;
  readonly bindings: Record<string, string>;
  readonly describe: Record<string, unknown>;
}

function singleNodePlan(v: Values, nodeFromEnv: string | undefined): Plan {
  const node = v.node ?? nodeFromEnv;
  if (node === undefined || node === '') throw new CliError('--node is required (or set $NODE_NAME), or use --lab-topology', 2);
  const provider = v.provider;
  if (provider === undefined) throw new CliError(`--provider is required (one of ${TOOL_PROVIDERS.join(', ')}), or use --lab-topology`, 2);
  const timeoutMs = v['tool-timeout'];
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
  if (v.site === undefined) throw new CliError('--site is required with --lab-topology', 2);
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
  let metricsListen: HostPort | undefined;
  try {
    const parsed = parseCommandLine(NODE_REPORTER, argv);
    if (parsed === 'help') {
      process.stdout.write(`${usageText(NODE_REPORTER)}\n`);
      return 0;
    }
    const { values } = parsed;
    root = makeLogger(values['log-level'], 'stdout');
    intervalMs = values.interval;
    once = values.once;
    metricsListen = values['metrics-listen'];
    const topology = values['lab-topology'];
    plan = topology === undefined ? singleNodePlan(values, process.env['NODE_NAME']) : labPlan(values, topology);
    writer = KubernetesNodeWriter.forKubeConfig(loadKubeConfig(values.kubeconfig));
  } catch (err: unknown) {
    if (!(err instanceof CliError)) throw err;
    return reportCliError(NODE_REPORTER.name, err, (line) => process.stderr.write(`${line}\n`));
  }

  const log = root.child({ component: 'node-reporter', ...plan.bindings });
  const registry = newMetricsRegistry();
  const observer = new ReporterMetrics(registry, { now: () => systemClock.now() });
  const reporter = new NodeReporter({ targets: plan.targets(log), writer, clock: systemClock, logger: log, intervalMs, observer });
  log.info({ intervalMs, ...plan.describe }, 'node reporter starting');
  if (once) {
    const outcomes = await reporter.runRound();
    return outcomes.some((o) => o.error !== undefined) ? 1 : 0;
  }
  let metrics;
  try {
    metrics = await startMetricsEndpoint(metricsListen, registry, root);
  } catch (err: unknown) {
    if (!(err instanceof CliError)) throw err;
    return reportCliError(NODE_REPORTER.name, err, (line) => process.stderr.write(`${line}\n`));
  }
  const signals = untilSignal(log);
  try {
    reporter.start();
    const signal = await signals.signal;
    log.info({ signal }, 'stopping');
    await reporter.stop();
    await metrics?.stop();
    log.info('stopped');
    return 0;
  } finally {
    signals.dispose();
  }
}
