/**
 * `suanwang operator`: the hub-side operator (src/operator/operator.ts). The composition root of the operator
 * process: it reads flags and the environment, builds the logger and the hub's KubeConfig, and runs the Operator
 * until SIGTERM or SIGINT.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { parseDuration } from '../../api/duration.ts';
import { DEFAULT_LEASE_MS, DEFAULT_LOST_AFTER_MS, DEFAULT_SUCCESS_THRESHOLD } from '../../controllers/site/site-status.ts';
import { DEFAULT_LEASE_DURATION_MS, DEFAULT_RENEW_DEADLINE_MS, DEFAULT_RETRY_PERIOD_MS, resolveLeaderElectionTiming, type LeadershipLoss } from '../../operator/leader-election.ts';
import { parseListen } from '../../operator/listen.ts';
import { DEFAULT_HEARTBEAT_INTERVAL_MS, Operator, OperatorConfigError, resolveOperatorConfig, type LeaderElectionOptions, type OperatorOptions } from '../../operator/operator.ts';
import { CliError, loadKubeConfig, makeLogger, parseLogLevel, untilSignal, type LogLevel } from '../process.ts';
import { formatDuration } from '../../api/duration.ts';

const HELP = `Usage: suanwang operator --listen HOST:PORT --tls-dir DIR [--kubeconfig FILE] [flags]

Runs the operator on the hub: serves the endpoint that every site's agent dials (gRPC, mutual TLS), keeps each
Site's status (node pools, device health, AgentConnected and Ready) from what its agent reports, and places
TrainingJobs on sites.

Flags:
  --kubeconfig FILE           the hub cluster's kubeconfig (default: $KUBECONFIG, else the in-cluster service account
                              when running in a Pod, else ~/.kube/config)
  --listen HOST:PORT          where agents connect, e.g. 0.0.0.0:7443 (IPv6: [::]:7443); port 0 picks a free port
  --tls-dir DIR               folder holding DIR/ca.crt (the CA that signs agent client certificates) and
                              DIR/server.crt, DIR/server.key (the operator's serving certificate).
                              'suanwang certs --dir DIR --site NAME' mints lab ones.
  --lease DURATION            a site with no heartbeat for this long becomes Ready=Unknown (LeaseExpired) and takes
                              no new work; agents are told it (default ${formatDuration(DEFAULT_LEASE_MS)})
  --success-threshold N       consecutive heartbeats before Ready returns to True after a (re)connect or an expired
                              lease, so a flapping agent does not flap the site (default ${DEFAULT_SUCCESS_THRESHOLD})
  --heartbeat-interval DURATION
                              how often agents send a heartbeat; at most half the lease (default ${formatDuration(DEFAULT_HEARTBEAT_INTERVAL_MS)})
  --lost-after DURATION       a site silent for this long becomes Ready=False (SiteLost) and its workloads are
                              placed elsewhere; 0 never (default ${formatDuration(DEFAULT_LOST_AFTER_MS)})
  --site-lost-grace DURATION  how long workloads stay on a site that is not Ready before they move: an
                              InferenceService's replicas go to other sites, a TrainingJob fails over (up to
                              failurePolicy.maxSiteFailovers) and resumes from its checkpoint (default 1m)
  --health-listen HOST:PORT   serve GET /healthz (HTTP, 200 while the process runs, leader or standby) for a
                              liveness probe, e.g. 0.0.0.0:8081 (default: no health endpoint)
  --log-level LEVEL           trace, debug, info (default), warn, error, fatal or silent
  -h, --help                  show this help

Leader election, to run several replicas of which one acts (a coordination.k8s.io/v1 Lease on the hub):
  --leader-elect              take part in the election; a standby fills its caches but neither binds --listen nor
                              writes anything until it holds the Lease (default off: this process always acts)
  --leader-elect-namespace NS namespace of the Lease (default: $POD_NAMESPACE, else suanwang-system)
  --leader-elect-lease-name NAME
                              name of the Lease; replicas of one operator share it (default suanwang-operator)
  --leader-elect-identity ID  this replica's name in the Lease, unique among the replicas (default: $POD_NAME, else
                              the host name and a random suffix)
  --leader-elect-lease-duration DURATION
                              how long the Lease must stay unrenewed, measured on the standby's own clock, before a
                              standby takes it over; whole seconds (default ${formatDuration(DEFAULT_LEASE_DURATION_MS)})
  --leader-elect-renew-deadline DURATION
                              the leader gives up when it could not renew for this long; shorter than the lease
                              duration (default ${formatDuration(DEFAULT_RENEW_DEADLINE_MS)})
  --leader-elect-retry-period DURATION
                              how often the leader renews and standbys try (default ${formatDuration(DEFAULT_RETRY_PERIOD_MS)})

Durations are numbers with a unit: 500ms, 40s, 2m, 1h, or sums such as 1m30s.

When it is ready (every cache synced, the endpoint bound) it prints one line on stdout:
  operator ready: grpc listening on HOST:PORT
With --leader-elect that is once it leads; while another replica holds the Lease it prints, for each new holder:
  operator standby: waiting for leadership (lease NS/NAME held by ID)
A leader that cannot renew the Lease in time, or finds another holder, stops and exits 1; restarting is how it
drops every in-memory state, and it then joins the election again. On SIGTERM or SIGINT a leader releases the Lease, so a
standby takes over at once.
Logs are JSON lines on stderr. Stops cleanly on SIGTERM or SIGINT (exit 0); a second signal exits at once (exit 1).
Exit codes: 0 stopped by a signal, 1 a file or the address could not be used, the operator failed or it lost the
leadership, 2 bad flags.`;

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
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        kubeconfig: { type: 'string' },
        listen: { type: 'string' },
        'tls-dir': { type: 'string' },
        lease: { type: 'string' },
        'success-threshold': { type: 'string' },
        'heartbeat-interval': { type: 'string' },
        'lost-after': { type: 'string' },
        'site-lost-grace': { type: 'string' },
        'health-listen': { type: 'string' },
        'leader-elect': { type: 'boolean' },
        'leader-elect-namespace': { type: 'string' },
        'leader-elect-lease-name': { type: 'string' },
        'leader-elect-identity': { type: 'string' },
        'leader-elect-lease-duration': { type: 'string' },
        'leader-elect-renew-deadline': { type: 'string' },
        'leader-elect-retry-period': { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err: unknown) {
    throw new CliError(err instanceof Error ? err.message : String(err), 2);
  }
  if (values.help === true) return 'help';
  if (values.listen === undefined) throw new CliError('--listen HOST:PORT is required', 2);
  if (parseListen(values.listen) === undefined) throw new CliError(`--listen must be HOST:PORT (IPv6 as [::1]:7443), got ${JSON.stringify(values.listen)}`, 2);
  if (values['tls-dir'] === undefined) throw new CliError('--tls-dir DIR is required', 2);
  const duration = (flag: string, raw: string | undefined, allowZero = false): number | undefined => {
    if (raw === undefined) return undefined;
    const ms = parseDuration(raw);
    if (ms === undefined || (!allowZero && ms === 0)) {
      throw new CliError(`--${flag} must be a duration such as 40s, 500ms or 2m${allowZero ? ' (or 0)' : ''}, got ${JSON.stringify(raw)}`, 2);
    }
    return ms;
  };
  const leaseMs = duration('lease', values.lease);
  const heartbeatIntervalMs = duration('heartbeat-interval', values['heartbeat-interval']);
  const lostAfterMs = values['lost-after'] === '0' ? 0 : duration('lost-after', values['lost-after'], true);
  const siteLostGraceMs = duration('site-lost-grace', values['site-lost-grace']);
  let successThreshold: number | undefined;
  if (values['success-threshold'] !== undefined) {
    successThreshold = Number(values['success-threshold']);
    if (!/^\d+$/.test(values['success-threshold']) || successThreshold < 1) {
      throw new CliError(`--success-threshold must be a whole number of at least 1, got ${JSON.stringify(values['success-threshold'])}`, 2);
    }
  }
  const healthListen = values['health-listen'];
  if (healthListen !== undefined && parseListen(healthListen) === undefined) {
    throw new CliError(`--health-listen must be HOST:PORT, got ${JSON.stringify(healthListen)}`, 2);
  }
  const leaderElection = parseLeaderElection(values, env, duration);
  const logLevel = parseLogLevel(values['log-level']);
  return {
    logLevel,
    kubeconfig: values.kubeconfig,
    options: {
      listen: values.listen,
      tlsDir: values['tls-dir'],
      ...(healthListen !== undefined && { healthListen }),
      ...(leaderElection !== undefined && { leaderElection }),
      ...(leaseMs !== undefined && { leaseMs }),
      ...(heartbeatIntervalMs !== undefined && { heartbeatIntervalMs }),
      ...(lostAfterMs !== undefined && { lostAfterMs }),
      ...(siteLostGraceMs !== undefined && { siteLostGraceMs }),
      ...(successThreshold !== undefined && { successThreshold }),
    },
  };
}

const LEADER_ELECT_FLAGS = [
  'leader-elect-namespace',
  'leader-elect-lease-name',
  'leader-elect-identity',
  'leader-elect-lease-duration',
  'leader-elect-renew-deadline',
  'leader-elect-retry-period',
] as const;

type LeaderElectValues = { readonly 'leader-elect'?: boolean | undefined } & { readonly [K in (typeof LEADER_ELECT_FLAGS)[number]]?: string | undefined };

/**
 * parseLeaderElection turns the --leader-elect flags and the pod's environment into the operator's option; undefined
 * without --leader-elect. The identity's random suffix keeps two processes on one host (or two runs) apart.
 */
function parseLeaderElection(
  values: LeaderElectValues,
  env: Readonly<Record<string, string | undefined>>,
  duration: (flag: string, raw: string | undefined) => number | undefined,
): LeaderElectionOptions | undefined {
  if (values['leader-elect'] !== true) {
    const stray = LEADER_ELECT_FLAGS.find((f) => values[f] !== undefined);
    if (stray !== undefined) throw new CliError(`--${stray} needs --leader-elect`, 2);
    return undefined;
  }
  const nonEmpty = (v: string | undefined): string | undefined => (v === undefined || v.trim() === '' ? undefined : v.trim());
  const leaseDurationMs = duration('leader-elect-lease-duration', values['leader-elect-lease-duration']);
  const renewDeadlineMs = duration('leader-elect-renew-deadline', values['leader-elect-renew-deadline']);
  const retryPeriodMs = duration('leader-elect-retry-period', values['leader-elect-retry-period']);
  return {
    namespace: values['leader-elect-namespace'] ?? nonEmpty(env['POD_NAMESPACE']) ?? 'suanwang-system',
    leaseName: values['leader-elect-lease-name'] ?? 'suanwang-operator',
    identity: values['leader-elect-identity'] ?? nonEmpty(env['POD_NAME']) ?? `${hostname()}-${randomBytes(4).toString('hex')}`,
    ...(leaseDurationMs !== undefined && { leaseDurationMs }),
    ...(renewDeadlineMs !== undefined && { renewDeadlineMs }),
    ...(retryPeriodMs !== undefined && { retryPeriodMs }),
  };
}

/** operatorCommand runs `suanwang operator`; resolves to the exit code once stopped. */
export async function operatorCommand(argv: string[]): Promise<number> {
  const fail = (message: string, code: number): number => {
    process.stderr.write(`operator: ${message}\n`);
    if (code === 2) process.stderr.write('Run `suanwang operator --help` for usage.\n');
    return code;
  };

  let flags: Flags | 'help';
  try {
    flags = parseFlags(argv, process.env);
    if (flags === 'help') {
      process.stdout.write(`${HELP}\n`);
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
