/**
 * `suanwang operator`: the hub-side operator (src/operator/operator.ts). The composition root of the operator
 * process: it reads flags and the environment, builds the logger and the hub's KubeConfig, and runs the Operator
 * until SIGTERM or SIGINT.
 */
import { parseArgs } from 'node:util';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { parseDuration } from '../../api/duration.ts';
import { DEFAULT_LEASE_MS, DEFAULT_LOST_AFTER_MS, DEFAULT_SUCCESS_THRESHOLD } from '../../controllers/site/site-status.ts';
import { parseListen } from '../../operator/listen.ts';
import { DEFAULT_HEARTBEAT_INTERVAL_MS, Operator, OperatorConfigError, resolveOperatorConfig, type OperatorOptions } from '../../operator/operator.ts';
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
  --site-lost-grace DURATION  how long an InferenceService keeps its replicas on a site that is not Ready before
                              moving them to other sites (default 1m)
  --log-level LEVEL           trace, debug, info (default), warn, error, fatal or silent
  -h, --help                  show this help

Durations are numbers with a unit: 500ms, 40s, 2m, 1h, or sums such as 1m30s.

When it is ready (every cache synced, the endpoint bound) it prints one line on stdout:
  operator ready: grpc listening on HOST:PORT
Logs are JSON lines on stderr. Stops cleanly on SIGTERM or SIGINT (exit 0); a second signal exits at once (exit 1).
Exit codes: 0 stopped by a signal, 1 a file or the address could not be used or the operator failed, 2 bad flags.`;

interface Flags {
  readonly options: Omit<OperatorOptions, 'logger' | 'kubeconfig'>;
  readonly kubeconfig: string | undefined;
  readonly logLevel: LogLevel;
}

function parseFlags(argv: string[]): Flags | 'help' {
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
  const logLevel = parseLogLevel(values['log-level']);
  return {
    logLevel,
    kubeconfig: values.kubeconfig,
    options: {
      listen: values.listen,
      tlsDir: values['tls-dir'],
      ...(leaseMs !== undefined && { leaseMs }),
      ...(heartbeatIntervalMs !== undefined && { heartbeatIntervalMs }),
      ...(lostAfterMs !== undefined && { lostAfterMs }),
      ...(siteLostGraceMs !== undefined && { siteLostGraceMs }),
      ...(successThreshold !== undefined && { successThreshold }),
    },
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
    flags = parseFlags(argv);
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
  return run(new Operator({ ...flags.options, kubeconfig, logger }), logger, fail);
}

async function run(operator: Operator, log: Logger, fail: (message: string, code: number) => number): Promise<number> {
  const signals = untilSignal(log);
  try {
    const started = operator.start();
    const first = await Promise.race([started.then((a) => ({ kind: 'ready' as const, address: a.address })), signals.signal.then((s) => ({ kind: 'signal' as const, s }))]);
    if (first.kind === 'signal') {
      log.info({ signal: first.s }, 'signal before the operator was ready');
      await operator.stop();
      return 0;
    }
    process.stdout.write(`operator ready: grpc listening on ${first.address}\n`);
    const s = await signals.signal;
    log.info({ signal: s }, 'signal received');
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
