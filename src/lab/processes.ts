/**
 * Child processes of a lab. Every component is spawned by the supervisor into the supervisor's own process group,
 * so `lab down` can end the whole group even if the supervisor itself was killed; output goes to one log file
 * per component under <dir>/logs/.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';

/** ExitInfo is how a component's process ended. */
export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** Component is one running process of the lab. */
export class Component {
  readonly name: string;
  readonly cluster: string;
  readonly log: string;
  readonly args: readonly string[];
  readonly pid: number;
  readonly exited: Promise<ExitInfo>;
  #exit: ExitInfo | undefined;
  readonly #child: ChildProcess;

  constructor(name: string, cluster: string, bin: string, args: readonly string[], log: string, env: NodeJS.ProcessEnv) {
    this.name = name;
    this.cluster = cluster;
    this.log = log;
    this.args = args;
    const fd = openSync(log, 'a');
    try {
      this.#child = spawn(bin, args, { stdio: ['ignore', fd, fd], env });
    } finally {
      closeSync(fd);
    }
    // Listen before anything can throw: a spawn error (ENOENT, EACCES) is emitted on the next tick, and an 'error'
    // nobody listens to would crash the supervisor instead of failing this one component.
    this.exited = new Promise((resolve) => {
      this.#child.once('exit', (code, signal) => {
        this.#exit = { code, signal };
        resolve(this.#exit);
      });
      // A spawn error also ends the process as far as the lab is concerned.
      this.#child.once('error', () => {
        this.#exit ??= { code: 127, signal: null };
        resolve(this.#exit);
      });
    });
    if (this.#child.pid === undefined) throw new Error(`could not start ${name} (${bin})`);
    this.pid = this.#child.pid;
  }

  /** exitInfo is set once the process has ended. */
  get exitInfo(): ExitInfo | undefined {
    return this.#exit;
  }

  /** stop sends SIGTERM, then SIGKILL after graceMs; resolves when the process is gone. */
  async stop(graceMs: number): Promise<void> {
    if (this.#exit) return;
    this.#child.kill('SIGTERM');
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** describeFailure explains an unexpected exit with the tail of the component's log. */
  describeFailure(): string {
    const e = this.#exit;
    const how = e ? (e.signal ? `was killed by ${e.signal}` : `exited with code ${e.code}`) : 'is not ready';
    return `${this.name} (${this.cluster}) ${how}; log: ${this.log}\n${tailOf(this.log, 8)}`;
  }
}

/** tailOf returns the last n lines of a file, indented, or '' when it cannot be read. */
export function tailOf(file: string, n: number): string {
  if (!existsSync(file)) return '';
  const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
  return lines.slice(-n).map((l) => `    ${l.length > 300 ? `${l.slice(0, 300)}…` : l}`).join('\n');
}

/** isAlive tells whether a pid exists (signal 0 checks without sending anything). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * commandLineMentions tells whether a live process's command line contains text (every lab process names its lab
 * directory in its arguments). A recorded pid may have been reused by an unrelated process since the lab ran (after a
 * reboot, say); checking before signalling keeps `lab down` from killing it. Where /proc cannot be read the answer
 * is true, so the check never stops a lab from being cleaned up.
 */
export function commandLineMentions(pid: number, text: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

/** killGroup signals a whole process group; a group that is already gone is not an error. */
export function killGroup(pgid: number, signal: NodeJS.Signals): void {
  killPid(-pgid, signal);
}

/**
 * killPid signals one process (a negative pid: a group); one that ended between an isAlive check and the signal is
 * not an error, so a lab that is stopping anyway does not make `lab down` throw half way.
 */
export function killPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}
