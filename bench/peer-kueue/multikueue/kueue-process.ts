/**
 * One Kueue process (the unpatched cmd/kueue binary) against one lab apiserver: its Configuration and kubeconfig in a
 * folder of its own, its output in kueue.log there, ready when its health endpoint's /readyz answers 200. Stopped with
 * SIGTERM (SIGKILL after a grace period); if the benchmark itself exits first, the exit hook kills it, so no Kueue
 * outlives the run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, openSync, closeSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kueueConfigurationYaml, type InstancePorts } from './config.ts';

const READY_TIMEOUT_MS = 180_000;
const STOP_GRACE_MS = 10_000;

/** KueueInstanceOptions say which binary runs where. */
export interface KueueInstanceOptions {
  /** name labels the instance in messages and names its folder, e.g. "manager (hub)" → dir. */
  readonly name: string;
  readonly binary: string;
  readonly dir: string;
  readonly kubeconfigYaml: string;
  readonly ports: InstancePorts;
  /** certDir holds the webhook's tls.crt and tls.key. */
  readonly certDir: string;
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** logTail is the last lines of a log, for an error message. */
export function logTail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** KueueInstance is a started Kueue process. */
export class KueueInstance {
  readonly name: string;
  readonly log: string;
  readonly #child: ChildProcess;
  #exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;

  private constructor(name: string, log: string, child: ChildProcess) {
    this.name = name;
    this.log = log;
    this.#child = child;
    child.once('exit', (code, signal) => {
      this.#exited = { code, signal };
      running.delete(child);
    });
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** start writes the instance's files, starts it and resolves once /readyz answers. */
  static async start(o: KueueInstanceOptions): Promise<KueueInstance> {
    mkdirSync(o.dir, { recursive: true });
    const config = join(o.dir, 'config.yaml');
    const kubeconfig = join(o.dir, 'kubeconfig');
    const log = join(o.dir, 'kueue.log');
    writeFileSync(config, kueueConfigurationYaml({ ports: o.ports, certDir: o.certDir }));
    writeFileSync(kubeconfig, o.kubeconfigYaml, { mode: 0o600 });
    const fd = openSync(log, 'a');
    const child = spawn(o.binary, [`--config=${config}`, `--kubeconfig=${kubeconfig}`, '--zap-log-level=info'], { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    running.add(child);
    const instance = new KueueInstance(o.name, log, child);
    await instance.#waitReady(o.ports.health);
    return instance;
  }

  async #waitReady(healthPort: number): Promise<void> {
    const deadline = performance.now() + READY_TIMEOUT_MS;
    for (;;) {
      if (this.#exited !== undefined) {
        throw new Error(`Kueue ${this.name} exited (${this.#exited.code ?? this.#exited.signal}) before it was ready; ${this.log}:\n${logTail(this.log)}`);
      }
      try {
        const res = await fetch(`http://127.0.0.1:${healthPort}/readyz`, { signal: AbortSignal.timeout(2000) });
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      if (performance.now() > deadline) throw new Error(`Kueue ${this.name} not ready after ${READY_TIMEOUT_MS / 1000} s; ${this.log}:\n${logTail(this.log)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  /** stop ends the process: SIGTERM, then SIGKILL after a grace period. */
  async stop(): Promise<void> {
    if (this.#exited !== undefined) return;
    const exited = once(this.#child, 'exit');
    this.#child.kill('SIGTERM');
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
  }
}
