/**
 * What the long-running commands (`operator`, `agent`, `node-reporter`) do the same way at the edge of the process:
 * wait for SIGTERM or SIGINT, find the cluster's kubeconfig and build the logger, with the flags they share for it.
 */
import { createRequire } from 'node:module';
import { delimiter } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { pino, type Logger } from 'pino';
import { CliError } from './cli-error.ts';
import { parseFlagValue, type EnumFlag, type StringFlag } from './flag-values.ts';

/**
 * clientNode loads @kubernetes/client-node when a command first needs a KubeConfig, not when this module loads: the
 * site agent imports this module but reaches its cluster with its own small client (src/agent/kube) for the usual
 * kubeconfigs, and client-node's load alone costs a process tens of MiB (bench/agent-footprint.bench.ts). Node 24's
 * require() loads the ES module synchronously, into the same module cache `import` uses.
 */
function clientNode(): typeof import('@kubernetes/client-node') {
  return createRequire(import.meta.url)('@kubernetes/client-node') as typeof import('@kubernetes/client-node');
}

/** LOG_LEVELS are the levels --log-level accepts: pino's. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

/** LogLevel is one of LOG_LEVELS. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** LOG_LEVEL_FLAG is --log-level, the same in every long-running command. */
export const LOG_LEVEL_FLAG = {
  type: 'enum',
  values: LOG_LEVELS,
  default: 'info',
  value: 'LEVEL',
  help: 'how much to log',
} as const satisfies EnumFlag<LogLevel>;

/** kubeconfigFlag is --kubeconfig, read by loadKubeConfig; `whose` says which cluster ("the hub cluster's"). */
export function kubeconfigFlag(whose: string): StringFlag {
  return {
    type: 'string',
    value: 'FILE',
    help: `${whose} kubeconfig (default: $KUBECONFIG, else the in-cluster service account when running in a Pod, else ~/.kube/config)`,
  };
}

/** SignalWait is a wait for the process's first SIGTERM or SIGINT. */
export interface SignalWait {
  /** signal resolves with the name of the first SIGTERM or SIGINT. */
  readonly signal: Promise<string>;
  /** dispose stops listening: later signals get Node's default handling again. */
  readonly dispose: () => void;
}

/**
 * untilSignal listens for SIGTERM and SIGINT until disposed. The first one resolves `signal`, so the command can stop
 * cleanly; a second one means the user will not wait for that: it is logged (when a logger is given) and the process
 * exits at once with code 1.
 */
export function untilSignal(log?: Logger): SignalWait {
  let first: string | undefined;
  let resolve!: (s: string) => void;
  const signal = new Promise<string>((r) => (resolve = r));
  const on = (s: string): void => {
    if (first === undefined) {
      first = s;
      resolve(s);
      return;
    }
    log?.warn({ signal: s }, 'second signal while stopping: exiting now');
    process.exit(1);
  };
  process.on('SIGTERM', on);
  process.on('SIGINT', on);
  return {
    signal,
    dispose: () => {
      process.off('SIGTERM', on);
      process.off('SIGINT', on);
    },
  };
}

/**
 * loadKubeConfig finds the cluster's kubeconfig in one order for every command: `file` (--kubeconfig), else
 * $KUBECONFIG (a list of files, merged as kubectl does), else the in-cluster service account when running in a Pod
 * ($KUBERNETES_SERVICE_HOST set), else ~/.kube/config. `env` chooses among them and supplies $KUBECONFIG; the
 * in-cluster and home fallbacks read the process environment, as @kubernetes/client-node does. Throws CliError
 * (exit 1) naming the flag or file that could not be used.
 */
export function loadKubeConfig(file: string | undefined, env: Readonly<Record<string, string | undefined>> = process.env): KubeConfig {
  const { KubeConfig } = clientNode();
  const kc = new KubeConfig();
  const fromEnv = env['KUBECONFIG'] ?? '';
  let source = 'the kubeconfig';
  try {
    if (file !== undefined) {
      source = `--kubeconfig ${file}`;
      kc.loadFromFile(file);
    } else if (fromEnv !== '') {
      source = `$KUBECONFIG ${fromEnv}`;
      const [head, ...rest] = fromEnv.split(delimiter).filter((f) => f !== '');
      if (head === undefined) throw new Error('names no file');
      kc.loadFromFile(head);
      for (const f of rest) {
        const more = new KubeConfig();
        more.loadFromFile(f);
        kc.mergeConfig(more);
      }
    } else if (env['KUBERNETES_SERVICE_HOST'] !== undefined) {
      source = 'the in-cluster service account';
      kc.loadFromCluster();
    } else {
      source = 'the kubeconfig (~/.kube/config)';
      // $KUBECONFIG is empty here, so this reads ~/.kube/config (or falls back as the library does).
      kc.loadFromDefault();
    }
  } catch (err: unknown) {
    throw new CliError(`cannot load ${source}: ${err instanceof Error ? err.message : String(err)}`, 1);
  }
  if (kc.getCurrentCluster() === null) {
    throw new CliError(
      file === undefined
        ? `no Kubernetes cluster configured in ${source}: pass --kubeconfig FILE or set $KUBECONFIG`
        : `--kubeconfig ${file} names no current cluster`,
      1,
    );
  }
  return kc;
}

/** parseLogLevel checks --log-level (default info); throws CliError (exit 2) for a level pino does not have. */
export function parseLogLevel(level: string | undefined): LogLevel {
  return level === undefined ? LOG_LEVEL_FLAG.default : parseFlagValue('--log-level', LOG_LEVEL_FLAG, level);
}

/**
 * makeLogger builds the process logger: pino JSON lines at `level` (checked as parseLogLevel does) on `destination`.
 * A command whose stdout carries what scripts wait for (the operator's ready line) logs on stderr.
 */
export function makeLogger(level: string | undefined, destination: 'stdout' | 'stderr'): Logger {
  const l = parseLogLevel(level);
  return destination === 'stdout' ? pino({ level: l }) : pino({ level: l }, pino.destination({ dest: 2, sync: true }));
}
