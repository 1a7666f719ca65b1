/**
 * One site agent under measurement: a `suanwang agent` process started from a source tree (this checkout, or the
 * baseline's), with the node flags that tree's lab gives its agents, and how much memory it holds: resident set from
 * /proc (current, peak, anonymous and file-backed) and the V8 heap from its own /metrics (prom-client's process
 * metrics, which every agent exposes).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** AgentTree is a source tree to run the agent from. */
export interface AgentTree {
  /** label names it in the report ("before", "after"). */
  readonly label: string;
  /** root holds bin/suanwang.mjs, src/, proto/ and node_modules/. */
  readonly root: string;
  /** describe says what the tree is (a commit, "this checkout"). */
  readonly describe: string;
  /** env is added to the agent's environment (e.g. NODE_COMPILE_CACHE). */
  readonly env?: NodeJS.ProcessEnv;
}

/** AgentStart is one agent's command line and environment (without the Node binary). */
export interface AgentStart {
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
}

/** Memory is one reading of an agent's memory, in MiB. */
export interface Memory {
  readonly rss: number;
  /** peak is the highest resident set so far (VmHWM). */
  readonly peak: number;
  readonly anon: number;
  readonly file: number;
  readonly heapUsed: number;
  readonly heapTotal: number;
  readonly external: number;
  /** cpuSeconds is the CPU time (user + system) the agent used since it started. */
  readonly cpuSeconds: number;
}

/** CLOCK_TICKS is Linux's USER_HZ, the unit of /proc/<pid>/stat's CPU times. */
const CLOCK_TICKS = 100;

/** cpuSecondsOf reads utime + stime from /proc/<pid>/stat (fields 14 and 15, after the parenthesised name). */
function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

const MIB = 1024 * 1024;

function statusKiB(status: string, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  if (!m?.[1]) throw new Error(`no ${field} in /proc status`);
  return Number(m[1]);
}

function metric(text: string, name: string): number {
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+]+)`, 'm').exec(text);
  if (!m?.[1]) throw new Error(`no ${name} on /metrics`);
  return Number(m[1]);
}

/** AgentProcess runs one agent and reads its memory. */
export class AgentProcess {
  readonly tree: AgentTree;
  readonly site: string;
  readonly metricsUrl: string;
  readonly log: string;
  readonly #child: ChildProcess;
  #exit: string | undefined;

  constructor(tree: AgentTree, site: string, start: AgentStart, metricsPort: number, logDir: string) {
    this.tree = tree;
    this.site = site;
    this.metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    this.log = join(logDir, `agent-${tree.label}-${site}.log`);
    const fd = openSync(this.log, 'a');
    this.#child = spawn(process.execPath, start.args, { cwd: tree.root, stdio: ['ignore', fd, fd], env: start.env });
    closeSync(fd);
    this.#child.once('exit', (code, signal) => (this.#exit = `exited with ${signal ?? code}`));
  }

  get pid(): number {
    const pid = this.#child.pid;
    if (pid === undefined) throw new Error(`agent ${this.tree.label} did not start; log: ${this.log}`);
    return pid;
  }

  /** alive throws when the agent has exited. */
  alive(): void {
    if (this.#exit !== undefined) throw new Error(`agent ${this.tree.label} ${this.#exit}; log: ${this.log}\n${readFileSync(this.log, 'utf8').split('\n').slice(-15).join('\n')}`);
  }

  /** memory reads /proc and /metrics once. */
  async memory(): Promise<Memory> {
    this.alive();
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const res = await fetch(this.metricsUrl);
    if (!res.ok) throw new Error(`${this.metricsUrl}: HTTP ${res.status}`);
    const text = await res.text();
    return {
      rss: statusKiB(status, 'VmRSS') / 1024,
      peak: statusKiB(status, 'VmHWM') / 1024,
      anon: statusKiB(status, 'RssAnon') / 1024,
      file: statusKiB(status, 'RssFile') / 1024,
      heapUsed: metric(text, 'nodejs_heap_size_used_bytes') / MIB,
      heapTotal: metric(text, 'nodejs_heap_size_total_bytes') / MIB,
      external: metric(text, 'nodejs_external_memory_bytes') / MIB,
      cpuSeconds: cpuSecondsOf(this.pid),
    };
  }

  /** signal sends a signal (SIGUSR2 writes a heap snapshot when started with --heapsnapshot-signal). */
  signal(sig: NodeJS.Signals): void {
    this.#child.kill(sig);
  }

  /** stop sends SIGTERM and waits for the exit (SIGKILL after 10 s). */
  async stop(): Promise<void> {
    if (this.#exit !== undefined || this.#child.exitCode !== null) return;
    const gone = new Promise<void>((resolve) => this.#child.once('exit', () => resolve()));
    this.#child.kill('SIGTERM');
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 10_000);
    await gone;
    clearTimeout(timer);
  }
}
