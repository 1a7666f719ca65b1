/**
 * `suanwang operator`: the hub-side operator (src/operator/operator.ts). The composition root of the operator
 * process: it reads flags and the environment, builds the logger and the hub's KubeConfig, and runs the Operator
 * until SIGTERM or SIGINT.
 */
import { DEFAULT_GANG_START_TIMEOUT_MS } from '../../controllers/training/worker-health.ts';
import { DEFAULT_HEAD_OF_LINE_MS } from '../../queueing/admission-cycle.ts';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { SYSTEM_NAMESPACE } from '../../api/names.ts';
import { DEFAULT_SITE_LOST_GRACE_MS } from '../../controllers/framework/site-liveness.ts';
import { DEFAULT_LEASE_MS, DEFAULT_LOST_AFTER_MS, DEFAULT_SUCCESS_THRESHOLD } from '../../controllers/site/site-status.ts';
import { DEFAULT_LEASE_DURATION_MS, DEFAULT_RENEW_DEADLINE_MS, DEFAULT_RETRY_PERIOD_MS, resolveLeaderElectionTiming, type LeadershipLoss } from '../../operator/leader-election.ts';
import { DEFAULT_HEARTBEAT_INTERVAL_MS, Operator, OperatorConfigError, resolveOperatorConfig, type LeaderElectionOptions, type OperatorOptions } from '../../operator/operator.ts';
import { CliError, reportCliError } from '../cli-error.ts';
import { usageText } from '../flag-usage.ts';
import { defineCommand, parseCommandLine, type FlagValues } from '../flags.ts';
import { kubeconfigFlag, loadKubeConfig, LOG_LEVEL_FLAG, makeLogger, untilSignal, type LogLevel } from '../process.ts';

const LEADER_ELECTION = 'Leader election, to run several replicas of which one acts (a coordination.k8s.io/v1 Lease on the hub):';

const OPERATOR = defineCommand({
  name: 'operator',
  usage: 'suanwang operator --listen HOST:PORT --tls-dir DIR [--kubeconfig FILE] [flags]',
  description: `Runs the operator on the hub: serves the endpoint that every site's agent dials (gRPC, mutual TLS), keeps each
Site's status (node pools, device health, AgentConnected and Ready) from what its agent reports, and places
TrainingJobs on sites.`,
  flags: {
    kubeconfig: kubeconfigFlag("the hub cluster's"),
    listen: { type: 'host:port', required: true, port0: true, help: 'where agents connect, e.g. 0.0.0.0:7443 (IPv6: [::]:7443); port 0 picks a free port' },
    'tls-dir': {
      type: 'string',
      value: 'DIR',
      required: true,
      help: "folder holding DIR/ca.crt (the CA that signs agent client certificates) and DIR/server.crt, DIR/server.key (the operator's serving certificate).\n'suanwang certs --dir DIR --site NAME' mints lab ones.",
    },
    'revoked-agent-certificates': {
      type: 'string',
      value: 'FILE',
      help: "agent client certificates to refuse although the CA signed them: one a line, a SHA-256 fingerprint (as 'openssl x509 -noout -fingerprint -sha256' prints it) or serial:HEX; # starts a comment. Re-read when it changes (at each new agent session and every 10s); a listed certificate's open session is ended. A Site pins its agent's certificates with spec.connection.agentCertificateSHA256",
    },
    lease: {
      type: 'duration',
      default: DEFAULT_LEASE_MS,
      help: 'a site with no heartbeat for this long becomes Ready=Unknown (LeaseExpired) and takes no new work; agents are told it',
    },
    'success-threshold': {
      type: 'int',
      min: 1,
      default: DEFAULT_SUCCESS_THRESHOLD,
      help: 'consecutive heartbeats before Ready returns to True after a (re)connect or an expired lease, so a flapping agent does not flap the site',
    },
    'heartbeat-interval': { type: 'duration', default: DEFAULT_HEARTBEAT_INTERVAL_MS, help: 'how often agents send a heartbeat; at most half the lease' },
    'lost-after': {
      type: 'duration',
      min: 0,
      default: DEFAULT_LOST_AFTER_MS,
      help: 'a site silent for this long becomes Ready=False (SiteLost) and its workloads are placed elsewhere; 0 never',
    },
    'site-lost-grace': {
      type: 'duration',
      default: DEFAULT_SITE_LOST_GRACE_MS,
      help: "how long workloads stay on a site that is not Ready before they move: an InferenceService's replicas go to other sites, a TrainingJob fails over (up to failurePolicy.maxSiteFailovers) and resumes from its checkpoint",
    },
    'poll-interval': {
      type: 'duration',
      min: 100,
      default: 10_000,
      help: "how often a placed workload's member objects are read when nothing woke it; member Jobs and Deployments are watched at every site, so this is only the safety net",
    },
    'head-of-line-wait': {
      type: 'duration',
      min: 0,
      default: DEFAULT_HEAD_OF_LINE_MS,
      help: 'how long the first workload waiting in a queue may be passed by later, smaller ones that fit; after that nothing behind it in its queue that wants the same kind of device is admitted until it is (a workload that could never fit is never waited for)',
    },
    'gang-start-timeout': {
      type: 'duration',
      min: 1000,
      default: DEFAULT_GANG_START_TIMEOUT_MS,
      help: "how long a placed TrainingJob's gang may wait for all its workers to run at its site; past it (the site's scheduler left some Pending: fragmentation, taints, a race) the attempt is withdrawn, with the scheduler's message, and the job is placed elsewhere",
    },
    'health-listen': {
      type: 'host:port',
      port0: true,
      help: 'serve GET /healthz (HTTP, 200 while the process runs, leader or standby) for a liveness probe, e.g. 0.0.0.0:8081 (default: no health endpoint)',
    },
    'metrics-listen': {
      type: 'host:port',
      port0: true,
      help: 'serve GET /metrics (HTTP, Prometheus text format; docs/metrics.md lists every metric) on its own port, leader or standby, e.g. 0.0.0.0:9090 (default: no metrics endpoint)',
    },
    namespace: {
      type: 'string',
      value: 'NS',
      help: "the operator's own namespace (default: $POD_NAMESPACE, else suanwang-system): site kubeconfig Secrets are read from it and no other; a Site naming another is refused",
    },
    'log-level': LOG_LEVEL_FLAG,
    'leader-elect': {
      type: 'boolean',
      section: LEADER_ELECTION,
      help: 'take part in the election; a standby fills its caches but neither binds --listen nor writes anything until it holds the Lease (default off: this process always acts)',
    },
    'leader-elect-namespace': { type: 'string', value: 'NS', section: LEADER_ELECTION, needs: 'leader-elect', help: "namespace of the Lease (default: the operator's namespace, --namespace)" },
    'leader-elect-lease-name': {
      type: 'string',
      value: 'NAME',
      default: 'suanwang-operator',
      section: LEADER_ELECTION,
      needs: 'leader-elect',
      help: 'name of the Lease; replicas of one operator share it',
    },
    'leader-elect-identity': {
      type: 'string',
      value: 'ID',
      section: LEADER_ELECTION,
      needs: 'leader-elect',
      help: "this replica's name in the Lease, unique among the replicas (default: $POD_NAME, else the host name and a random suffix)",
    },
    'leader-elect-lease-duration': {
      type: 'duration',
      default: DEFAULT_LEASE_DURATION_MS,
      section: LEADER_ELECTION,
      needs: 'leader-elect',
      help: "how long the Lease must stay unrenewed, measured on the standby's own clock, before a standby takes it over; whole seconds",
    },
    'leader-elect-renew-deadline': {
      type: 'duration',
      default: DEFAULT_RENEW_DEADLINE_MS,
      section: LEADER_ELECTION,
      needs: 'leader-elect',
      help: 'the leader gives up when it could not renew for this long; shorter than the lease duration',
    },
    'leader-elect-retry-period': {
      type: 'duration',
      default: DEFAULT_RETRY_PERIOD_MS,
      section: LEADER_ELECTION,
      needs: 'leader-elect',
      help: 'how often the leader renews and standbys try',
    },
  },
  footer: `When it is ready (every cache synced, the endpoint bound) it prints one line on stdout:
  operator ready: grpc listening on HOST:PORT
With --leader-elect that is once it leads; while another replica holds the Lease it prints, for each new holder:
  operator standby: waiting for leadership (lease NS/NAME held by ID)
A leader that cannot renew the Lease in time, or finds another holder, stops and exits 1; restarting is how it
drops every in-memory state, and it then joins the election again. On SIGTERM or SIGINT a leader releases the Lease, so a
standby takes over at once.
Logs are JSON lines on stderr. Stops cleanly on SIGTERM or SIGINT (exit 0); a second signal exits at once (exit 1).
Exit codes: 0 stopped by a signal, 1 a file or the address could not be used, the operator failed or it lost the
leadership, 2 bad flags.`,
});

type Values = FlagValues<typeof OPERATOR.flags>;

/**
 * lostStopGraceMs bounds the stop after a lost leadership before the process exits anyway. A standby may take over
 * once the lease has gone unrenewed for its duration, which is leaseDuration − renewDeadline after this process gave
 * up; nothing of this term may still be acting by then, so the grace is that gap (at least one second).
 */
function lostStopGraceMs(le: LeaderElectionOptions | undefined): number {
  if (le === undefined) return 10_000;
  const t = resolveLeaderElectionTiming({
    ...(le.leaseDurationMs !== undefined && { leaseDurationMs: le.leaseDurationMs }),
    ...(le.renewDeadlineMs !== undefined && { renewDeadlineMs: le.renewDeadlineMs }),
    ...(le.retryPeriodMs !== undefined && { retryPeriodMs: le.retryPeriodMs }),
  });
  return Math.max(1000, t.leaseDurationMs - t.renewDeadlineMs);
}

interface Flags {
  readonly options: Omit<OperatorOptions, 'logger' | 'kubeconfig'>;
  readonly kubeconfig: string | undefined;
  readonly logLevel: LogLevel;
}

function parseFlags(argv: string[], env: Readonly<Record<string, string | undefined>>): Flags | 'help' {
  const parsed = parseCommandLine(OPERATOR, argv);
  if (parsed === 'help') return 'help';
  const { values } = parsed;
  const healthListen = values['health-listen']?.address;
  const metricsListen = values['metrics-listen']?.address;
  const namespace = values.namespace ?? nonEmpty(env['POD_NAMESPACE']) ?? SYSTEM_NAMESPACE;
  const leaderElection = parseLeaderElection(values, env, namespace);
  return {
    logLevel: values['log-level'],
    kubeconfig: values.kubeconfig,
    options: {
      listen: values.listen.address,
      tlsDir: values['tls-dir'],
      ...(values['revoked-agent-certificates'] !== undefined && { revokedAgentCertificates: values['revoked-agent-certificates'] }),
      namespace,
      ...(healthListen !== undefined && { healthListen }),
      ...(metricsListen !== undefined && { metricsListen }),
      ...(leaderElection !== undefined && { leaderElection }),
      leaseMs: values.lease,
      heartbeatIntervalMs: values['heartbeat-interval'],
      lostAfterMs: values['lost-after'],
      siteLostGraceMs: values['site-lost-grace'],
      pollIntervalMs: values['poll-interval'],
      headOfLineMs: values['head-of-line-wait'],
      gangStartTimeoutMs: values['gang-start-timeout'],
      successThreshold: values['success-threshold'],
    },
  };
}

/**
 * parseLeaderElection turns the --leader-elect flags and the pod's environment into the operator's option; undefined
 * without --leader-elect. The identity's random suffix keeps two processes on one host (or two runs) apart.
 */
function parseLeaderElection(values: Values, env: Readonly<Record<string, string | undefined>>, namespace: string): LeaderElectionOptions | undefined {
  if (!values['leader-elect']) return undefined;
  return {
    namespace: values['leader-elect-namespace'] ?? namespace,
    leaseName: values['leader-elect-lease-name'],
    identity: values['leader-elect-identity'] ?? nonEmpty(env['POD_NAME']) ?? `${hostname()}-${randomBytes(4).toString('hex')}`,
    leaseDurationMs: values['leader-elect-lease-duration'],
    renewDeadlineMs: values['leader-elect-renew-deadline'],
    retryPeriodMs: values['leader-elect-retry-period'],
  };
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

/** operatorCommand runs `suanwang operator`; resolves to the exit code once stopped. */
export async function operatorCommand(argv: string[]): Promise<number> {
  const fail = (message: string, code: number): number => reportCliError(OPERATOR.name, new CliError(message, code), (line) => process.stderr.write(`${line}\n`));

  let flags: Flags | 'help';
  try {
    flags = parseFlags(argv, process.env);
    if (flags === 'help') {
      process.stdout.write(`${usageText(OPERATOR)}\n`);
      return 0;
    }
    // How the values fit together (lease against heartbeat, ...) is still a flag problem.
    resolveOperatorConfig(flags.options);
  } catch (err: unknown) {
    if (err instanceof CliError) return fail(err.message, err.exitCode);
    if (err instanceof OperatorConfigError) return fail(err.message, 2);
    throw err;
  }
  let kubeconfig: KubeConfig;
  try {
    kubeconfig = loadKubeConfig(flags.kubeconfig);
  } catch (err: unknown) {
    if (err instanceof CliError) return fail(err.message, err.exitCode);
    throw err;
  }
  // Logs go to stderr, so that stdout carries only what scripts wait for (the ready line).
  const logger = makeLogger(flags.logLevel, 'stderr');
  const le = flags.options.leaderElection;
  const lease = le === undefined ? undefined : `${le.namespace}/${le.leaseName}`;
  const leaderElection: LeaderElectionOptions | undefined =
    le === undefined ? undefined : { ...le, onStandby: (holder) => process.stdout.write(`operator standby: waiting for leadership (lease ${lease} held by ${holder})\n`) };
  if (le !== undefined) logger.info({ lease, identity: le.identity }, 'leader election on: waiting for the lease before acting');
  return run(new Operator({ ...flags.options, ...(leaderElection !== undefined && { leaderElection }), kubeconfig, logger }), logger, fail, lease ?? '', lostStopGraceMs(le));
}

async function run(operator: Operator, log: Logger, fail: (message: string, code: number) => number, lease: string, graceMs: number): Promise<number> {
  const signals = untilSignal(log);
  let lost: LeadershipLoss | undefined;
  const lostLeadership = operator.leadershipLost.then((l) => (lost = l));
  try {
    const started = operator.start();
    const first = await Promise.race([
      started.then((a) => ({ kind: 'started' as const, address: a?.address })),
      signals.signal.then((s) => ({ kind: 'signal' as const, s })),
      lostLeadership.then((l) => ({ kind: 'lost' as const, l })),
    ]);
    if (first.kind === 'signal') {
      log.info({ signal: first.s }, 'signal before the operator was ready');
      await operator.stop();
      return 0;
    }
    // start() resolves early only when stop() was called, and only a lost Lease calls it without us.
    if (first.kind === 'lost' || lost !== undefined || first.address === undefined) return await exitLost(operator, log, await lostLeadership, lease, graceMs);
    process.stdout.write(`operator ready: grpc listening on ${first.address}\n`);
    const next = await Promise.race([signals.signal.then((s) => ({ kind: 'signal' as const, s })), lostLeadership.then((l) => ({ kind: 'lost' as const, l }))]);
    if (next.kind === 'lost') return await exitLost(operator, log, next.l, lease, graceMs);
    log.info({ signal: next.s }, 'signal received');
    await operator.stop();
    return 0;
  } catch (err: unknown) {
    await operator.stop();
    if (err instanceof OperatorConfigError) return fail(err.message, 1);
    log.fatal({ err }, 'operator failed');
    return fail(err instanceof Error ? err.message : String(err), 1);
  } finally {
    signals.dispose();
  }
}

/**
 * exitLost ends a process whose operator lost the Lease: exit 1, so the pod restarts with no state from the old term
 * and joins as a standby. The operator is already stopping; an exit is forced if that, or anything left open, hangs.
 */
async function exitLost(operator: Operator, log: Logger, loss: LeadershipLoss, lease: string, graceMs: number): Promise<number> {
  log.fatal({ lease, reason: loss.reason }, 'lost leadership: exiting so that a restart drops all in-memory state');
  process.stderr.write(`operator: lost leadership of lease ${lease}: ${loss.reason}; exiting\n`);
  let timer: NodeJS.Timeout | undefined;
  const stopped = await Promise.race([operator.stop().then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), graceMs)))]);
  clearTimeout(timer);
  if (!stopped) {
    log.error({ graceMs }, 'the operator did not stop in time: exiting now');
    process.exit(1);
  }
  // Stopped: the process should end by itself now; should a socket or timer linger, it is ended regardless.
  setTimeout(() => process.exit(1), graceMs).unref();
  return 1;
}
