/**
 * The one Markdown file `make bench` writes: where and when it ran, then one table of every benchmark's figures
 * (grouped by benchmark, in run order), every run's command and time, and links to each benchmark's own result file.
 * A benchmark that failed, timed out or recorded nothing gets a "failed: …" row with its reason and last lines, so no
 * row goes missing silently. Pure: rendering only.
 */
import { posix } from 'node:path';
import type { Figure } from '../support/summary.ts';
import type { Profile } from './plan.ts';

/** BenchOutcome is what one benchmark run left. */
export interface BenchOutcome {
  /** name: the plan entry's name, e.g. "site-loss-guizhou". */
  readonly name: string;
  /** command: the command line run-all ran it with. */
  readonly command: string;
  readonly seconds: number;
  /** failure: why the run failed (exit status, timeout, not found); absent when it exited 0. */
  readonly failure?: string;
  /** tail: the last lines of its output. */
  readonly tail: readonly string[];
  readonly figures: readonly Figure[];
  /** problems: lines of its run file that were not figures. */
  readonly problems: readonly string[];
}

/** RunReport is everything the file shows. */
export interface RunReport {
  /** started and ended: ISO times. */
  readonly started: string;
  readonly ended: string;
  readonly machine: string;
  readonly commit: string;
  readonly command: string;
  readonly profile: Profile;
  /** loadStart and loadEnd: the 1, 5 and 15 minute load averages. */
  readonly loadStart: readonly number[];
  readonly loadEnd: readonly number[];
  readonly outcomes: readonly BenchOutcome[];
  /** skipped: left out by --only or --skip; notInProfile: no quick run; notRun: never started (interrupted). */
  readonly skipped: readonly string[];
  readonly notInProfile: readonly string[];
  readonly notRun: readonly string[];
  /** resultsDir: where the file goes, relative to the repository root (detail links are made relative to it). */
  readonly resultsDir: string;
}

/** TAIL_LINES is how many of a failed run's last output lines its row shows. */
export const TAIL_LINES = 6;
const TAIL_LINE_CHARS = 200;

/** duration renders seconds as 45s, 2m05s or 1h02m. */
export function duration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** cell makes text safe inside a table cell: no line breaks, pipes escaped. */
export function cell(text: string): string {
  return text.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
}

/** code renders a command as inline code, escaped for a table cell. */
function code(text: string): string {
  return text.includes('`') ? cell(text) : `\`${cell(text)}\``;
}

/** tailCell renders a run's last lines for a cell: output is not Markdown, so angle brackets are escaped. */
function tailCell(lines: readonly string[]): string {
  return lines
    .filter((l) => l.trim() !== '')
    .slice(-TAIL_LINES)
    .map((l) => cell((l.length > TAIL_LINE_CHARS ? `${l.slice(0, TAIL_LINE_CHARS)}…` : l).replace(/</g, '&lt;').replace(/>/g, '&gt;')))
    .join('<br>');
}

/** failureOf is why an outcome needs a "failed" row, or undefined when its figures are the whole story. */
export function failureOf(o: BenchOutcome): string | undefined {
  const reasons = [
    ...(o.failure === undefined ? [] : [o.failure]),
    ...(o.failure === undefined && o.figures.length === 0 ? ['exited 0 but recorded no figure'] : []),
    ...(o.problems.length > 0 ? [`its run file had ${o.problems.length} line(s) that were not figures (${o.problems.slice(0, 3).join('; ')})`] : []),
  ];
  return reasons.length === 0 ? undefined : reasons.join('; ');
}

/** resultFileName is the file's name: bench-<date>-<commit>.md, marked when the run was quick or partial. */
export function resultFileName(startedIso: string, commitHash: string, profile: Profile, partial: boolean): string {
  return `bench-${startedIso.slice(0, 10)}-${commitHash}${profile === 'quick' ? '-quick' : ''}${partial ? '-partial' : ''}.md`;
}

/** detailLink links a result file (relative to the repository root) from the results directory. */
function detailLink(detail: string, resultsDir: string): string {
  if (posix.isAbsolute(detail)) return detail;
  return `[${detail}](${posix.relative(resultsDir, detail) || posix.basename(detail)})`;
}

const load = (l: readonly number[]): string => l.map((x) => x.toFixed(2)).join(' / ');

/** renderRunReport renders the whole file. */
export function renderRunReport(r: RunReport): string {
  const total = (Date.parse(r.ended) - Date.parse(r.started)) / 1000;
  const notRun = [
    ...(r.skipped.length > 0 ? [`left out by --only/--skip: ${r.skipped.join(', ')}`] : []),
    ...(r.notInProfile.length > 0 ? [`no quick run: ${r.notInProfile.join(', ')}`] : []),
    ...(r.notRun.length > 0 ? [`never started (the run was interrupted): ${r.notRun.join(', ')}`] : []),
  ];
  const failed = r.outcomes.filter((o) => failureOf(o) !== undefined).map((o) => o.name);
  const lines = [
    `# Benchmarks — ${r.started.slice(0, 10)}${r.profile === 'quick' ? ' (quick profile)' : ''}`,
    '',
    `- Started ${r.started}, ended ${r.ended}: ${duration(total)} in all.`,
    `- Machine: ${r.machine}.`,
    `- Commit: ${r.commit}.`,
    `- Command: \`${r.command}\`.`,
    `- Load average (1 / 5 / 15 min): ${load(r.loadStart)} at the start, ${load(r.loadEnd)} at the end.`,
    ...(r.profile === 'quick' ? ['- Quick profile: smaller sizes, to show every benchmark runs. These are not the figures the README quotes.'] : []),
    ...(notRun.length > 0 ? [`- Not run: ${notRun.join('; ')}.`] : []),
    `- ${r.outcomes.length} benchmark run${r.outcomes.length === 1 ? '' : 's'}, ${r.outcomes.length - failed.length} clean${failed.length > 0 ? `; failed: ${failed.join(', ')}` : ''}.`,
    '',
    '## Figures',
    '',
    '| benchmark | system | figure | value | limit / ratio | reproduce |',
    '|---|---|---|---|---|---|',
  ];
  for (const o of r.outcomes) {
    let first = true;
    const name = (): string => {
      const shown = first ? `**${cell(o.name)}**` : '';
      first = false;
      return shown;
    };
    for (const f of o.figures) {
      lines.push(`| ${name()} | ${cell(f.system ?? 'Suanwang')} | ${cell(f.figure)} | ${cell(f.value)} | ${cell(f.limit ?? '')} | ${code(f.reproduce)} |`);
    }
    const failure = failureOf(o);
    if (failure !== undefined) {
      const tail = tailCell(o.tail);
      lines.push(`| ${name()} | — | the run | failed: ${cell(failure)}${tail === '' ? '' : `; last lines:<br>${tail}`} | | ${code(o.command)} |`);
    }
  }
  lines.push('', '## Runs', '', '| benchmark | command | took | outcome |', '|---|---|---|---|');
  for (const o of r.outcomes) {
    const failure = failureOf(o);
    lines.push(`| ${cell(o.name)} | ${code(o.command)} | ${duration(o.seconds)} | ${failure === undefined ? `${o.figures.length} figures` : `failed: ${cell(failure)}`} |`);
  }
  lines.push('', '## Detail files', '');
  for (const o of r.outcomes) {
    const details = [...new Set(o.figures.flatMap((f) => (f.detail === undefined ? [] : [f.detail])))];
    lines.push(`- ${o.name}: ${details.length === 0 ? 'none (it prints its figures only)' : details.map((d) => detailLink(d, r.resultsDir)).join(', ')}`);
  }
  return `${lines.join('\n')}\n`;
}
