/**
 * `make bench`: every benchmark under bench/, one after another as child processes, into one Markdown file
 * bench/results/bench-<date>-<commit>.md — where and when it ran, then one table of every figure the benchmarks recorded
 * (bench/support/summary.ts), each with its limit or ratio and the command that gives it alone, and links to each
 * benchmark's own result file. The README's Figures section quotes that table.
 *
 *   node bench/run-all.ts [--quick] [--only=a,b] [--skip=a,b] [--verbose] [--out=DIR] [--help]
 *
 * Order: the pure-CPU benchmarks first (placement, admission, metrics scrape, simulator; their percentiles suffer most
 * from other load, and they take seconds to minutes), then Kueue's scheduler benchmark beside Suanwang's admission
 * (its own apiserver, no lab), then the lab benchmarks one lab at a time, those the issue's done-when names first
 * (throughput with the real Kueue, many sites), so a run cut short keeps them. Nothing runs in parallel: the machine
 * has 2 cores, and a benchmark measures the machine it has.
 *
 * Budget: the full profile must fit in about 100 minutes on the project's 2-core machine. Estimates (bench/run-all/plan.ts),
 * from the result files of earlier runs and the benchmarks' own notes: placement 3 min (both sizes), admission,
 * metrics-scrape and simulate under a minute each, admission-vs-kueue at scale 0.1 about 2 min (Kueue's run about a
 * minute, bench/peer-kueue/README.md), lab start-up 2.5 + 1 min (3 runs with and without the federation), lab scale 5 min (3 and 12 sites), member
 * latency 3 min (30 rounds), agent footprint 5 min (its header), many sites 12 and 13 min at 100 and 1,000 sites with
 * 10,000 jobs each (11.5 and 12.5 in the partial run of 7e5d5e6), site loss 3.5 min per site (lease 40 s + grace 60 s + the move and return; shanghai and
 * guizhou, both quoted), queues-lab 8.5 min (1,000 jobs took 425 s, plus the lab), throughput about 24 min (1,000
 * workloads, then the Kueue peer's 1,000 at about 1/s): about 87 minutes. So every benchmark runs at the size the README quotes;
 * sizes with no README figure of their own (placement's --decisions, site-loss's --replicas, the 300-job queues run)
 * stay at their defaults or are not run. Each timeout is two to three estimates, and above the benchmark's own
 * --timeout-minutes where it has one, so a slow run still
 * writes its report; a run that hangs costs its timeout, and its row says "failed: timed out".
 *
 * The Kueue figures need Kueue built (tools/build-kueue.sh: `make bench` runs it first, cached after the first ~6 min);
 * without it their rows say "not measured: <reason>".
 *
 * --quick runs the same benchmarks at smaller sizes (each one's quick flags in plan.ts; site loss cannot be made
 * shorter, so only shanghai runs; many sites runs once, small): about 16 minutes, to show that every benchmark runs
 * and records its figures; the file is marked -quick and its figures are not the README's. --only and --skip take
 * plan names or file stems (a stem names all its entries: --only=site-loss runs both sites); the file of such a run is
 * marked -partial.
 *
 * Each benchmark gets SUANWANG_BENCH_SUMMARY = a run file in a temporary directory (printed at the start, kept with
 * every benchmark's whole output as <name>.log). A benchmark that fails, times out, is missing or records nothing gets
 * a "failed: <reason>; last lines" row. Ctrl-C stops the running benchmark (its lab stops) and writes what ran.
 * Exits 1 when any benchmark failed.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { spawnSync } from 'node:child_process';
import { REPO_ROOT } from '../src/lab/binaries.ts';
import { commandOf, estimateMinutesFor, PLAN, select, timeoutMsFor, type Profile } from './run-all/plan.ts';
import { duration, failureOf, renderRunReport, resultFileName, type BenchOutcome } from './run-all/render.ts';
import { runBench } from './run-all/run-bench.ts';
import { gitCommit, machine } from './support/run-info.ts';

const HELP = `node bench/run-all.ts [--quick] [--only=a,b] [--skip=a,b] [--verbose] [--out=DIR]

Runs every benchmark one after another and writes one Markdown table to bench/results/bench-<date>-<commit>.md.

  --quick        smaller sizes for a smoke run (the file is marked -quick)
  --only=a,b     run only these (plan names or file stems; the file is marked -partial)
  --skip=a,b     run all but these (the file is marked -partial)
  --verbose      show each benchmark's output as it runs (it always goes to <name>.log in the run directory)
  --out=DIR      write the table there instead of bench/results
  --help         this text

The plan (full-profile flags, estimate, timeout):
${PLAN.map((e) => `  ${e.name.padEnd(26)} ${commandOf(e, 'full').padEnd(64)} ~${String(e.estimateMinutes).padStart(4)} min, timeout ${e.timeoutMinutes} min`).join('\n')}
  total estimate: ~${PLAN.reduce((s, e) => s + e.estimateMinutes, 0)} min; quick profile ~${Math.round(PLAN.filter((e) => e.quickArgs !== null).reduce((s, e) => s + e.quickEstimateMinutes, 0))} min`;

const list = (v: string | undefined): string[] => (v ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');

let values;
try {
  ({ values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      skip: { type: 'string' },
      verbose: { type: 'boolean', default: false },
      out: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  }));
} catch (err) {
  console.error(`${(err as Error).message}\n\n${HELP}`);
  process.exit(2);
}
if (values.help) {
  console.log(HELP);
  process.exit(0);
}
const profile: Profile = values.quick ? 'quick' : 'full';
const only = list(values.only);
const skip = list(values.skip);
let selection;
try {
  selection = select(PLAN, { only, skip, profile });
} catch (err) {
  console.error((err as Error).message);
  process.exit(2);
}

const log = (line: string): void => console.log(line);
const started = new Date();
const loadStart = loadavg();
const commit = gitCommit();
const hash = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).stdout.trim() || 'unknown';
const outDir = values.out === undefined ? join(REPO_ROOT, 'bench', 'results') : resolve(values.out);
const runDir = mkdtempSync(join(tmpdir(), 'suanwang-bench-run-'));
const estimate = selection.run.reduce((s, e) => s + estimateMinutesFor(e, profile), 0);
log(`[run-all] ${selection.run.length} benchmarks, ${profile} profile, about ${Math.round(estimate)} min; commit ${commit}; load average ${loadStart.map((x) => x.toFixed(2)).join(' / ')}`);
log(`[run-all] run files and each benchmark's output: ${runDir}`);
if (loadStart[0] !== undefined && loadStart[0] > 1.5) log(`[run-all] note: the machine is busy (load ${loadStart[0].toFixed(2)}); the figures will show it`);

const abort = new AbortController();
// The benchmark leads its own process group, so a terminal's Ctrl-C reaches run-all only: pass it on.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    if (abort.signal.aborted) return;
    log(`[run-all] ${signal}: stopping the running benchmark, then writing what ran`);
    abort.abort();
  });
}

const outcomes: BenchOutcome[] = [];
const notRun: string[] = [];
for (const [i, e] of selection.run.entries()) {
  if (abort.signal.aborted) {
    notRun.push(e.name);
    continue;
  }
  const label = `[run-all ${i + 1}/${selection.run.length} ${e.name}]`;
  log(`${label} ${commandOf(e, profile)} (~${duration(estimateMinutesFor(e, profile) * 60)}, timeout ${duration(timeoutMsFor(e, profile) / 1000)}; ${duration((Date.now() - started.getTime()) / 1000)} into the run)`);
  const o = await runBench(e, { repoRoot: REPO_ROOT, profile, runDir, label, verbose: values.verbose, log, signal: abort.signal });
  outcomes.push(o);
  const failure = failureOf(o);
  log(`${label} ${failure === undefined ? 'done' : `FAILED (${failure})`} in ${duration(o.seconds)}, ${o.figures.length} figures`);
  if (failure !== undefined) for (const line of o.tail) log(`${label}   ${line}`);
}

const ended = new Date();
mkdirSync(outDir, { recursive: true });
const file = join(outDir, resultFileName(started.toISOString(), hash, profile, only.length > 0 || skip.length > 0));
writeFileSync(
  file,
  renderRunReport({
    started: started.toISOString(),
    ended: ended.toISOString(),
    machine: machine(),
    commit,
    command: ['node bench/run-all.ts', ...process.argv.slice(2)].join(' '),
    profile,
    loadStart,
    loadEnd: loadavg(),
    outcomes,
    skipped: selection.skipped,
    notInProfile: selection.notInProfile,
    notRun,
    resultsDir: relative(REPO_ROOT, outDir) || '.',
  }),
);
const failed = outcomes.filter((o) => failureOf(o) !== undefined);
log(`[run-all] ${outcomes.length} runs in ${duration((ended.getTime() - started.getTime()) / 1000)}, ${failed.length} failed${failed.length > 0 ? ` (${failed.map((o) => o.name).join(', ')})` : ''}; written to ${relative(process.cwd(), file)}`);
process.exitCode = failed.length > 0 || notRun.length > 0 ? 1 : 0;
