/**
 * Running one benchmark as a child process: the same Node and PATH as run-all, SUANWANG_BENCH_SUMMARY naming its run
 * file, its output to a log file (and to the terminal with --verbose), a progress line every minute, and a timeout.
 *
 * The child leads a process group of its own, so that what it started (kubectl, a Kueue peer run) can be ended with it.
 * At the timeout it gets SIGINT first — the lab benchmarks stop their lab on it — and the whole group SIGKILL after
 * STOP_GRACE_MS. Labs run under a detached supervisor that stops itself when its owner (the benchmark) is gone.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SUMMARY_ENV } from '../support/summary.ts';
import { argsFor, commandOf, estimateMinutesFor, timeoutMsFor, type BenchEntry, type Profile } from './plan.ts';
import { parseFigures } from './read-figures.ts';
import { duration, TAIL_LINES, type BenchOutcome } from './render.ts';

/** STOP_GRACE_MS: how long a timed-out benchmark has to stop its lab after SIGINT before its group is killed. */
const STOP_GRACE_MS = 90_000;
const PROGRESS_EVERY_MS = 60_000;
/** Lines of output kept in memory for the tail (the whole output is in the log file). */
const KEPT_LINES = 40;

/** RunBenchOptions say where one run's files go and how it reports. */
export interface RunBenchOptions {
  readonly repoRoot: string;
  readonly profile: Profile;
  /** runDir: the run's temporary directory; <name>.jsonl (figures) and <name>.log (output) go there. */
  readonly runDir: string;
  /** label: the prefix of its progress lines, e.g. "[run-all 3/14 placement]". */
  readonly label: string;
  readonly verbose: boolean;
  readonly log: (line: string) => void;
  /** signal: aborting it (Ctrl-C on run-all) stops the benchmark as a timeout does. */
  readonly signal: AbortSignal;
}

/** groupAlive says whether the process group led by pid still has a member. */
function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** runBench runs the entry to its end (or its timeout) and collects what it recorded. */
export async function runBench(e: BenchEntry, o: RunBenchOptions): Promise<BenchOutcome> {
  const command = commandOf(e, o.profile);
  const started = performance.now();
  const seconds = (): number => (performance.now() - started) / 1000;
  const outcome = (rest: Pick<BenchOutcome, 'tail' | 'figures' | 'problems'> & { failure?: string }): BenchOutcome => ({ name: e.name, command, seconds: seconds(), ...rest });
  if (!existsSync(join(o.repoRoot, e.file))) return outcome({ failure: `not found: ${e.file}`, tail: [], figures: [], problems: [] });

  const summaryFile = join(o.runDir, `${e.name}.jsonl`);
  const logFile = join(o.runDir, `${e.name}.log`);
  const timeoutMs = timeoutMsFor(e, o.profile);
  const logStream = createWriteStream(logFile);
  const kept: string[] = [];
  let partial = '';
  const take = (chunk: Buffer): void => {
    logStream.write(chunk);
    if (o.verbose) process.stdout.write(chunk);
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop() ?? '';
    kept.push(...lines.filter((l) => l.trim() !== ''));
    kept.splice(0, Math.max(0, kept.length - KEPT_LINES));
  };

  const child = spawn(process.execPath, [...(e.nodeArgs ?? []), e.file, ...argsFor(e, o.profile)], {
    cwd: o.repoRoot,
    env: { ...process.env, [SUMMARY_ENV]: summaryFile },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', take);
  child.stderr.on('data', take);

  let stopReason: string | undefined;
  let killTimer: NodeJS.Timeout | undefined;
  const stop = (reason: string): void => {
    if (stopReason !== undefined || child.pid === undefined) return;
    stopReason = reason;
    o.log(`${o.label} ${reason}: SIGINT, the process group killed after ${STOP_GRACE_MS / 1000} s if still running`);
    child.kill('SIGINT');
    const pid = child.pid;
    killTimer = setTimeout(() => {
      if (groupAlive(pid)) process.kill(-pid, 'SIGKILL');
    }, STOP_GRACE_MS);
  };
  const timeout = setTimeout(() => stop(`timed out after ${duration(timeoutMs / 1000)}`), timeoutMs);
  const onAbort = (): void => stop('interrupted');
  o.signal.addEventListener('abort', onAbort);
  const progress = setInterval(() => {
    const last = kept.at(-1) ?? '';
    o.log(`${o.label} ${duration(seconds())} of ~${duration(estimateMinutesFor(e, o.profile) * 60)} (timeout ${duration(timeoutMs / 1000)})${last === '' ? '' : ` · ${last.slice(0, 120)}`}`);
  }, PROGRESS_EVERY_MS);

  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
    child.once('error', (error) => resolve({ code: null, signal: null, error }));
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  clearTimeout(timeout);
  clearInterval(progress);
  if (killTimer !== undefined) clearTimeout(killTimer);
  o.signal.removeEventListener('abort', onAbort);
  // The output's last lines may still be in the pipes; a process it started that holds them open must not hold us.
  const settle = (ms: number): Promise<void> => Promise.race([closed, new Promise<void>((resolve) => setTimeout(resolve, ms).unref())]);
  await settle(2_000);
  // What the benchmark started and left behind (a peer's processes) would take the cores from the next one.
  if (child.pid !== undefined && groupAlive(child.pid)) {
    o.log(`${o.label} processes it started are still running: SIGTERM to its process group`);
    process.kill(-child.pid, 'SIGTERM');
    await settle(2_000);
  }
  if (partial.trim() !== '') kept.push(partial);
  await new Promise<void>((resolve) => logStream.end(resolve));

  const recorded = existsSync(summaryFile) ? parseFigures(readFileSync(summaryFile, 'utf8')) : { figures: [], problems: [] };
  const failure =
    exit.error !== undefined
      ? `could not start: ${exit.error.message}`
      : stopReason !== undefined
        ? stopReason
        : exit.code !== 0
          ? exit.signal !== null
            ? `ended by ${exit.signal}`
            : `exit status ${exit.code}`
          : undefined;
  return outcome({ ...(failure !== undefined && { failure }), tail: kept.slice(-TAIL_LINES), figures: recorded.figures, problems: recorded.problems });
}
