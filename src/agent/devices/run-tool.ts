/**
 * Running a vendor tool with a hard time limit. Vendor tools hang on wedged hardware (the real XID 119 sample is
 * nvidia-smi itself blocked on a GSP RPC — research pitfall 10), so every run is killed with SIGKILL at its deadline,
 * output is capped, and every way of failing comes back as a typed value for the provider to turn into an Unknown
 * report. A failed run is never an empty success.
 */
import { execFile, type ChildProcess, type ExecFileException } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { systemClock, type Clock } from '../../runtime/clock.ts';
import { firstLine } from './report.ts';

/** ToolSuccess is a run that exited 0. */
export interface ToolSuccess {
  readonly ok: true;
  readonly stdout: string;
  readonly stderr: string;
  readonly durationMs: number;
}

/**
 * ToolFailure is a run that did not exit 0:
 * - not-found: the binary does not exist (ENOENT);
 * - timeout: it ran past its deadline and was killed (or ignored the kill: see createToolRunner);
 * - exit: it exited non-zero or died of a signal it was not sent by us; stdout/stderr are kept, since some tools print
 *   useful partial output and still exit non-zero;
 * - output-too-large: it printed more than maxBufferBytes and was killed;
 * - spawn-error: it could not be started for another reason (EACCES, …).
 */
export type ToolFailure =
  | { readonly ok: false; readonly kind: 'not-found'; readonly command: string; readonly message: string }
  | {
      readonly ok: false;
      readonly kind: 'timeout';
      readonly command: string;
      readonly timeoutMs: number;
      readonly stdout: string;
      readonly stderr: string;
    }
  | {
      readonly ok: false;
      readonly kind: 'exit';
      readonly command: string;
      readonly exitCode: number | null;
      readonly signal?: string;
      readonly stdout: string;
      readonly stderr: string;
    }
  | { readonly ok: false; readonly kind: 'output-too-large'; readonly command: string; readonly maxBufferBytes: number }
  | { readonly ok: false; readonly kind: 'spawn-error'; readonly command: string; readonly message: string };

/** ToolResult is the outcome of one run. */
export type ToolResult = ToolSuccess | ToolFailure;

/** RunOptions tune one run. */
export interface RunOptions {
  readonly timeoutMs?: number;
}

/** ToolRunner runs one command (no shell) and reports how it went; it never rejects. */
export type ToolRunner = (command: string, args: readonly string[], opts?: RunOptions) => Promise<ToolResult>;

/** ToolRunnerOptions configure a runner; every field has a default. */
export interface ToolRunnerOptions {
  /** timeoutMs is the default deadline per run (10 s: research §5 suggests 5–10 s per command). */
  readonly timeoutMs?: number;
  /** maxBufferBytes caps stdout and stderr each (default 16 MiB). */
  readonly maxBufferBytes?: number;
  /** graceMs is how long after the deadline to wait for a killed process to go away before giving up on it. */
  readonly graceMs?: number;
  /**
   * now is a monotonic clock in milliseconds, for durationMs (default performance.now). It is not `clock.now`: a
   * duration measured on wall time would jump with every NTP step or manual clock change during the run.
   */
  readonly now?: () => number;
  /** clock runs the guard timer at deadline + grace (see createToolRunner). */
  readonly clock?: Clock;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_BUFFER = 16 * 2 ** 20;
const DEFAULT_GRACE_MS = 2_000;

/**
 * createToolRunner returns a runner that uses execFile with a timeout, SIGKILL and maxBuffer. It also arms its own
 * guard at deadline + grace: execFile only calls back once the child's pipes close, and a process stuck in
 * uninterruptible sleep (a wedged driver) survives SIGKILL and keeps them open, so without the guard the run would
 * never end.
 */
export function createToolRunner(options: ToolRunnerOptions = {}): ToolRunner {
  const maxBuffer = options.maxBufferBytes ?? DEFAULT_MAX_BUFFER;
  const graceMs = options.graceMs ?? DEFAULT_GRACE_MS;
  const now = options.now ?? (() => performance.now());
  const clock = options.clock ?? systemClock;
  return (command, args, opts) =>
    new Promise<ToolResult>((resolve) => {
      const timeoutMs = opts?.timeoutMs ?? options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
      const started = now();
      let settled = false;
      let child: ChildProcess | undefined;
      const cancelGuard = clock.after(timeoutMs + graceMs, () => {
        child?.kill('SIGKILL');
        finish({ ok: false, kind: 'timeout', command, timeoutMs, stdout: '', stderr: '' });
      });
      const finish = (result: ToolResult): void => {
        if (settled) return;
        settled = true;
        cancelGuard();
        resolve(result);
      };
      try {
        child = execFile(
          command,
          [...args],
          { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer, encoding: 'utf8', windowsHide: true },
          (err, stdout, stderr) => finish(classify(command, err, stdout, stderr, { timeoutMs, maxBuffer, started, now })),
        );
      } catch (err: unknown) {
        // execFile throws synchronously for arguments it cannot use (a NUL byte, say): still a failure, never a throw.
        finish({ ok: false, kind: 'spawn-error', command, message: err instanceof Error ? err.message : String(err) });
      }
    });
}

interface ClassifyContext {
  readonly timeoutMs: number;
  readonly maxBuffer: number;
  readonly started: number;
  readonly now: () => number;
}

function classify(command: string, err: ExecFileException | null, stdout: string, stderr: string, c: ClassifyContext): ToolResult {
  if (err === null) return { ok: true, stdout, stderr, durationMs: c.now() - c.started };
  const code: unknown = err.code;
  if (code === 'ENOENT') return { ok: false, kind: 'not-found', command, message: err.message };
  if (code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') {
    return { ok: false, kind: 'output-too-large', command, maxBufferBytes: c.maxBuffer };
  }
  // execFile sets `killed` only for kills it sent itself; with maxBuffer ruled out above, that is the deadline.
  if (err.killed === true) return { ok: false, kind: 'timeout', command, timeoutMs: c.timeoutMs, stdout, stderr };
  if (typeof code === 'number' || err.signal != null) {
    return {
      ok: false,
      kind: 'exit',
      command,
      exitCode: typeof code === 'number' ? code : null,
      ...(err.signal == null ? {} : { signal: err.signal }),
      stdout,
      stderr,
    };
  }
  return { ok: false, kind: 'spawn-error', command, message: err.message };
}

/** failureReason says in one line why a run failed, for a report's reason. */
export function failureReason(f: ToolFailure): string {
  switch (f.kind) {
    case 'not-found':
      return `${f.command} not found (vendor tools not installed or not mounted into the collector)`;
    case 'timeout':
      return `${f.command} did not finish within ${f.timeoutMs} ms and was killed`;
    case 'exit': {
      const how = f.exitCode === null ? `was killed by ${f.signal ?? 'a signal'}` : `exited with code ${f.exitCode}`;
      const said = firstLine(f.stderr) || firstLine(f.stdout);
      return said === '' ? `${f.command} ${how}` : `${f.command} ${how}: ${said}`;
    }
    case 'output-too-large':
      return `${f.command} printed more than ${f.maxBufferBytes} bytes and was killed`;
    case 'spawn-error':
      return `${f.command} could not be started: ${f.message}`;
  }
}
