/**
 * The figures a benchmark hands to `make bench`'s one table (bench/run-all.ts). A benchmark calls `recordFigure` for
 * each headline figure it prints; when SUANWANG_BENCH_SUMMARY names a file (run-all sets it), each figure is appended
 * to it as one JSON line, otherwise nothing is written. The benchmark's own Markdown file keeps the detail.
 */
import { appendFileSync } from 'node:fs';

/** SUMMARY_ENV names the JSON-lines file that figures are appended to. */
export const SUMMARY_ENV = 'SUANWANG_BENCH_SUMMARY';

/** Figure is one row of the table. */
export interface Figure {
  /** bench: the benchmark's file stem, e.g. "throughput". */
  readonly bench: string;
  /** figure: what was measured, with the setting that matters, e.g. "1,000 TrainingJobs: all Succeeded". */
  readonly figure: string;
  /** value: the measured figure with its unit, e.g. "39.1 s (25.6/s)". */
  readonly value: string;
  /**
   * limit: the same thing's physical limit here, measured in the same run, as a ratio or a comparison, e.g.
   * "1.5 % of 347.5 ConfigMaps/s the hub takes"; or what the figure is set against (a target, a peer's published figure).
   */
  readonly limit?: string;
  /** system: whose figure it is when not Suanwang's, e.g. "Kueue v0.17.0 (MultiKueue)"; default Suanwang. */
  readonly system?: string;
  /** reproduce: the command that gives this figure alone. */
  readonly reproduce: string;
  /** detail: the result file with the full report, relative to the repository root. */
  readonly detail?: string;
}

/** recordFigure appends `f` to the summary file when SUANWANG_BENCH_SUMMARY is set. */
export function recordFigure(f: Figure): void {
  const file = process.env[SUMMARY_ENV];
  if (file === undefined || file === '') return;
  appendFileSync(file, `${JSON.stringify(f)}\n`);
}
