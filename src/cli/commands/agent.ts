/**
 * `suanwang agent`: the site agent (src/agent/site/site-agent.ts). The composition root of the agent process: it
 * reads flags, files and the environment, builds the real clock, logger, Kubernetes client and operator connection,
 * and runs until SIGTERM or SIGINT.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { DEFAULT_MAX_REPORT_AGE_MS } from '../../agent/site/node-devices.ts';
import { siteCaches } from '../../agent/site/site-caches.ts';
import { SiteAgent } from '../../agent/site/site-agent.ts';
import { AgentClient } from '../../wire/client.ts';
import { readTlsFiles, TlsFilesError, type TlsFiles } from '../../wire/tls.ts';
import { systemClock, systemRandom } from '../../runtime/clock.ts';
import { CliError, reportCliError } from '../cli-error.ts';
import { usageText } from '../flag-usage.ts';
import { defineCommand, parseCommandLine } from '../flags.ts';
import { kubeconfigFlag, loadKubeConfig, LOG_LEVEL_FLAG, makeLogger, untilSignal } from '../process.ts';
import { PartitionFence, DEFAULT_FENCE_AFTER_MS } from '../../agent/site/partition-fence.ts';
import { kubernetesMemberJobs } from '../../agent/site/kubernetes-member-jobs.ts';
import { parseSiteFlag } from '../site-flag.ts';
import { metricsListenFlag, startMetricsEndpoint } from '../metrics-endpoint.ts';
import { ConfigError } from '../../api/yaml-source.ts';
import { PullMembers } from '../../agent/site/pull-members.ts';
import { parseSitePolicy } from '../../agent/site/site-policy-file.ts';
import { DEFAULT_SITE_POLICY, type SitePolicy } from '../../agent/site/site-policy.ts';
import { Capability, DEFAULT_AGENT_CAPABILITIES } from '../../wire/capabilities.ts';
import { newMetricsRegistry } from '../../runtime/metrics-registry.ts';
import { InformerMetrics } from '../../runtime/informer-metrics.ts';
import { registerAgentMetrics } from '../../agent/site/agent-metrics.ts';
import type { MetricsServer } from '../../runtime/metrics-server.ts';
import { lookupEndpoint, type KubeconfigFiles } from '../../agent/kube/kubeconfig.ts';
import { endpointAuthority, KubeApi, kubeConfigAuthority, type KubeAuthority } from '../../agent/kube/kube-api.ts';
import { exposedGc, HeapRelease } from '../../agent/site/heap-release.ts';
import { applyAgentV8Flags } from '../../agent/site/agent-node-options.ts';

const AGENT = defineCommand({
  name: 'agent',
  usage: 'suanwang agent --site NAME --operator HOST:PORT --tls-dir DIR [flags]',
  description: `Runs a site's agent: watches the site's Nodes and Pods, groups the Nodes into node pools, and keeps the operator
told about them over one long-lived gRPC session (mTLS, outbound only: the site needs no inbound access).

It sends a full snapshot of the pools on every (re)connect and every few minutes, a delta when pools change
(gathered for 0.5 s), a health event when a device becomes unhealthy, unknown or healthy again, and a small
heartbeat every ~10 s. Device health comes from the suanwang.io/devices annotation that 'suanwang node-reporter'
keeps on each accelerator Node; a device the annotation calls Unhealthy or Unknown, a device the Node has but the
annotation does not list, and every device of a report whose last sample is older than --device-report-max-age are
taken off the pool's allocatable.

Pools: a Node belongs to the pool named by its label suanwang.io/pool; a Node without it goes to a pool named
<kubernetes.io/arch>-<accelerator product label, or "cpu">.`,
  flags: {
    site: { type: 'string', value: 'NAME', required: true, parse: parseSiteFlag, help: 'the site this agent speaks for (a DNS-1123 label); must match its client certificate' },
    operator: { type: 'host:port', required: true, help: "the operator's agent endpoint" },
    'tls-dir': {
      type: 'string',
      value: 'DIR',
      required: true,
      help: "folder holding DIR/ca.crt (the CA that signs the operator's certificate) and DIR/<site>.crt, DIR/<site>.key (this site's client certificate, URI SAN spiffe://suanwang.io/site/<site>). Files are re-read on every reconnect.\n'suanwang certs --dir DIR --site NAME' mints lab ones.",
    },
    'server-name': { type: 'string', value: 'NAME', help: "check the operator's certificate against NAME instead of HOST" },
    kubeconfig: kubeconfigFlag("the site cluster's"),
    'device-report-max-age': {
      type: 'duration',
      default: DEFAULT_MAX_REPORT_AGE_MS,
      min: 1000,
      help: "how old a node reporter's last sample may be before its devices count as Unknown; at least 3 × the reporters' --interval",
    },
    'fence-after': {
      type: 'duration',
      default: DEFAULT_FENCE_AFTER_MS,
      min: 0,
      help: "stop (delete, in the foreground) the site's training member Jobs when the operator has been silent this long, so a partitioned site never runs a job the hub has moved; must stay below the operator's lease + --site-lost-grace − heartbeat − pod termination (README, Security); 0 never",
    },
    'apply-members': {
      type: 'boolean',
      help: "pull mode: apply the member objects (Jobs, Services, Deployments) the operator sends over the session, checked against the site policy, and report them back; the operator then never needs this site's apiserver",
    },
    'site-policy': {
      type: 'string',
      value: 'FILE',
      needs: 'apply-members',
      help: 'the site policy the member objects are checked against (YAML or JSON, docs/site-policy.md); default: any namespace but kube-* and the agent\'s own ($POD_NAMESPACE), any image, no device limit, nothing privileged',
    },
    'metrics-listen': metricsListenFlag('0.0.0.0:9090'),
    'log-level': LOG_LEVEL_FLAG,
  },
  footer: `Logs are JSON lines on stdout. Stops cleanly on SIGTERM or SIGINT (exit 0); a second signal exits at once (exit 1).
Exit codes: 0 stopped by a signal, 1 a file could not be used or the agent failed, 2 bad flags.

Kubernetes permissions: nodes and pods, list and watch, cluster-wide; jobs, list and delete, cluster-wide (the fence:
only Jobs labelled app.kubernetes.io/managed-by=suanwang, which the chart's admission policy enforces). With
--apply-members also jobs, deployments and services: get, list, watch, patch, create, delete; namespaces: get, create.`,
});

/** readPolicy reads --site-policy; throws CliError (exit 1) naming the file, and each bad field with its line. */
function readPolicy(file: string | undefined): SitePolicy {
  if (file === undefined) return DEFAULT_SITE_POLICY;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err: unknown) {
    throw new CliError(`--site-policy: cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`, 1);
  }
  try {
    return parseSitePolicy(text, file);
  } catch (err: unknown) {
    if (err instanceof ConfigError) throw new CliError(`--site-policy: ${err.message}`, 1);
    throw err;
  }
}

/** readTls reads the site's TLS files from --tls-dir; throws CliError (exit 1) naming the file that is unusable. */
function readTls(dir: string, site: string): TlsFiles {
  try {
    return readTlsFiles(dir, { ca: 'ca.crt', cert: `${site}.crt`, key: `${site}.key` });
  } catch (err: unknown) {
    if (err instanceof TlsFilesError) throw new CliError(`--tls-dir: ${err.message}`, 1);
    throw err;
  }
}

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

const FILES: KubeconfigFiles = { readFile: (path) => readFileSync(path, 'utf8'), exists: existsSync };

/** agentCommand runs `suanwang agent`; resolves to the exit code once stopped. */
export async function agentCommand(argv: string[]): Promise<number> {
  let flags;
  let root: Logger;
  let kc: KubeConfig | undefined;
  let authority: KubeAuthority;
  let policy: SitePolicy | undefined;
  try {
    const parsed = parseCommandLine(AGENT, argv);
    if (parsed === 'help') {
      process.stdout.write(`${usageText(AGENT)}\n`);
      return 0;
    }
    flags = parsed.values;
    applyAgentV8Flags();
    root = makeLogger(flags['log-level'], 'stdout');
    // Checked once now so a bad folder fails the start with one line; read again on every connection attempt below.
    readTls(flags['tls-dir'], flags.site);
    // The agent's Node, Pod and Job calls use its own small client (src/agent/kube); client-node is loaded only for a
    // kubeconfig that client alone understands (exec plugins, auth providers, ...) and for pull mode's member objects.
    const endpoint = lookupEndpoint(flags.kubeconfig, process.env, FILES);
    if ('fallback' in endpoint || flags['apply-members']) kc = loadKubeConfig(flags.kubeconfig);
    authority = 'endpoint' in endpoint ? endpointAuthority(endpoint.endpoint) : kubeConfigAuthority(kc as KubeConfig);
    if (flags['apply-members']) policy = readPolicy(flags['site-policy']);
  } catch (err: unknown) {
    if (!(err instanceof CliError)) throw err;
    return reportCliError(AGENT.name, err, (line) => process.stderr.write(`${line}\n`));
  }

  const { site, 'server-name': serverName, 'tls-dir': tlsDir } = flags;
  const operator = flags.operator.address;
  const log = root.child({ component: 'site-agent', site });
  const instanceId = randomUUID();
  const api = new KubeApi(authority);
  const caches = siteCaches(api, systemClock, log, site);
  const registry = newMetricsRegistry();
  new InformerMetrics(registry).track(() => [caches.nodes, caches.pods]);
  registerAgentMetrics(registry, { nodes: () => caches.nodes.list(), now: () => systemClock.now() });
  let metrics: MetricsServer | undefined;
  try {
    metrics = await startMetricsEndpoint(flags['metrics-listen'], registry, root);
  } catch (err: unknown) {
    if (!(err instanceof CliError)) throw err;
    return reportCliError(AGENT.name, err, (line) => process.stderr.write(`${line}\n`));
  }
  const fence = new PartitionFence({ clock: systemClock, fenceAfterMs: flags['fence-after'], jobs: kubernetesMemberJobs(api), logger: log });
  const agentNamespace = process.env['POD_NAMESPACE'] || undefined;
  // Pull mode: nothing is applied while the fence holds, so a retry cannot bring back what the fence stopped.
  // Loaded in pull mode only: the member objects' watches and applies go through client-node.
  const kube = policy === undefined || kc === undefined ? undefined : { kc, ...(await import('../../agent/site/kubernetes-members.ts')) };
  const members =
    policy === undefined || kube === undefined
      ? undefined
      : new PullMembers({
          caches: kube.memberCaches(kube.kc, systemClock, log, site),
          workerPods: kube.workerPodCache(kube.kc, systemClock, log, site),
          nodes: caches.nodes,
          api: kube.kubernetesMemberSite(kube.kc),
          policy,
          ...(agentNamespace === undefined ? {} : { context: { agentNamespace } }),
          paused: () => fence.fenced,
          clock: systemClock,
          random: systemRandom,
          logger: log,
        });
  // Once synced, the initial lists' garbage is gone from the heap but not from the process (heap-release.ts).
  const heap = new HeapRelease({ clock: systemClock, gc: exposedGc() });
  const agent = new SiteAgent({
    site,
    onSynced: () => heap.start(),
    nodes: caches.nodes,
    pods: caches.pods,
    clock: systemClock,
    logger: log,
    eventIdPrefix: instanceId,
    maxReportAgeMs: flags['device-report-max-age'],
    ...(members === undefined ? {} : { members }),
    openSession: (sources) =>
      new AgentClient({
        target: operator,
        site,
        // Re-read per attempt: rotated files (cert-manager renewing the Secret) are used on the next reconnect.
        tls: () => readTls(tlsDir, site),
        ...(serverName === undefined ? {} : { serverNameOverride: serverName }),
        agentVersion: packageVersion(),
        agentInstanceId: instanceId,
        snapshot: sources.snapshot,
        heartbeat: sources.heartbeat,
        ...(sources.members === undefined
          ? {}
          : { capabilities: [...DEFAULT_AGENT_CAPABILITIES, Capability.MemberSync], memberReport: sources.members.fullReport }),
        // AgentClient adds its own {component, site}.
        logger: root,
        clock: systemClock,
        random: systemRandom,
        // Every ack is the hub answering: the fence's silence starts over. A fence request names training workloads
        // the hub placed anew while it could not reach this site's apiserver: their older members go.
        observer: {
          onAck: () => fence.heard(),
          onFenceRequest: (workloads) => void fence.fenceSuperseded(workloads),
          ...(sources.members === undefined ? {} : { onMemberSync: sources.members.onSync }),
        },
      }),
  });
  log.info(
    { operator, cluster: authority.server, instanceId, fenceAfterMs: flags['fence-after'], applyMembers: members !== undefined, sitePolicy: flags['site-policy'] },
    'site agent starting',
  );
  fence.start();
  const started = agent.start().then(
    () => undefined,
    (err: unknown) => {
      log.fatal({ err }, 'site agent failed to start');
      return 'start-failed';
    },
  );
  const signals = untilSignal(log);
  try {
    const why = await Promise.race([signals.signal, started.then((r) => r ?? new Promise<never>(() => {}))]);
    log.info({ why }, 'stopping');
    fence.stop();
    heap.stop();
    await agent.stop();
    await metrics?.stop();
    log.info('stopped');
    return why === 'start-failed' ? 1 : 0;
  } finally {
    signals.dispose();
  }
}
