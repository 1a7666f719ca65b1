/**
 * A lab of a benchmark's own: started in a fresh temporary directory with this process as its owner (it stops itself
 * if the benchmark dies), stopped when the run ends or on Ctrl-C. The run gets the lab's state and how long the
 * lab took to start.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../src/lab/binaries.ts';
import type { FederationTiming } from '../../src/lab/federation.ts';
import { startLab, stopLab } from '../../src/lab/lab.ts';
import type { LabState } from '../../src/lab/state.ts';

/** BenchLabOptions say which lab a benchmark runs on. */
export interface BenchLabOptions {
  /** name goes into the temporary directory's name: suanwang-bench-<name>-XXXXXX. */
  readonly name: string;
  /** topology is relative to the repository root, e.g. examples/lab/default.yaml. */
  readonly topology: string;
  /** podSeconds is how long kwok keeps a Job pod Running before it succeeds. */
  readonly podSeconds: number;
  /** timing: the federation's intervals; the product defaults when absent. */
  readonly timing?: Partial<FederationTiming>;
  /** keepLogs is asked at the stop: true keeps the lab's logs (stopLab's keepLogs). */
  readonly keepLogs?: () => boolean;
  readonly log: (line: string) => void;
}

/** LabRun is what the benchmark's run gets: the lab's state, its directory and its start-up time. */
export interface LabRun {
  readonly state: LabState;
  readonly dir: string;
  readonly startSeconds: number;
}

/** withBenchLab starts the lab, runs `run` on it and stops the lab however `run` ends; resolves with run's result. */
export async function withBenchLab<T>(o: BenchLabOptions, run: (lab: LabRun) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), `suanwang-bench-${o.name}-`));
  let stopping: Promise<unknown> | undefined;
  const stop = (): Promise<unknown> => (stopping ??= stopLab(dir, { keepLogs: o.keepLogs?.() ?? false }));
  const onInterrupt = (): void => void stop().finally(() => process.exit(130));
  process.once('SIGINT', onInterrupt);
  try {
    const started = performance.now();
    const state = await startLab({
      topologyFile: join(REPO_ROOT, o.topology),
      dir,
      ownerPid: process.pid,
      podCompleteDelayMs: o.podSeconds * 1000,
      ...(o.timing !== undefined && { timing: o.timing }),
      onProgress: (l) => o.log(`[lab] ${l}`),
    });
    const startSeconds = (performance.now() - started) / 1000;
    o.log(`lab ready in ${startSeconds.toFixed(1)} s (${dir})`);
    return await run({ state, dir, startSeconds });
  } finally {
    process.removeListener('SIGINT', onInterrupt);
    await stop();
  }
}
