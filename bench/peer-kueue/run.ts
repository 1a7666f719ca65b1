/**
 * Peer baseline: runs Kueue's own scheduler benchmark against the lab's kube-apiserver and prints its figures as a
 * Markdown table (see scheduler-baseline.ts and README.md beside this file).
 *
 *   node bench/peer-kueue/run.ts [--scale=0.1] [--out=DIR]
 *
 * The full baseline (scale 1, 15,000 workloads) takes 6–8 min on 2 cores; --scale=0.1 about a minute. Build the
 * binaries first with tools/build-kueue.sh. Where Go or the Kueue module is missing it prints "not measured: <reason>".
 */
import { parseArgs } from 'node:util';
import { KueueNotMeasuredError, runKueueSchedulerBaseline, type KueueSchedulerBaselineResult } from './scheduler-baseline.ts';
import { WORKLOAD_CLASSES } from './summary.ts';

const { values } = parseArgs({ options: { scale: { type: 'string', default: '1' }, out: { type: 'string' } } });
const scale = Number(values.scale);
if (!(scale > 0 && scale <= 1)) {
  console.error(`--scale: expected a number in (0, 1], got '${values.scale}'`);
  process.exit(2);
}

function table(r: KueueSchedulerBaselineResult): string {
  const full = r.scale === 1;
  const limit = (text: string): string => (full ? text : 'n/a (scaled run)');
  const rows: [string, string, string][] = [
    ['workloads recorded', `${r.workloads} of ${r.expectedWorkloads}`, ''],
    ['wall time (minimalkueue)', `${r.wallSeconds.toFixed(1)} s`, limit(`≤ ${r.upstreamLimits.maxWallSeconds} s`)],
    ['ClusterQueue usage of nominal quota', `${r.usagePercent.toFixed(1)} %`, limit(`≥ ${r.upstreamLimits.minUsagePercent} %`)],
    ...WORKLOAD_CLASSES.map((c): [string, string, string] => [
      `average time to admission, ${c}`,
      `${r.averageTimeToAdmissionSeconds[c].toFixed(1)} s`,
      limit(`≤ ${r.upstreamLimits.maxAverageTimeToAdmissionSeconds[c]} s`),
    ]),
    ['evictions (preemptions)', `${r.evictions}`, ''],
    ['minimalkueue CPU time / max RSS', `${r.cpuSeconds.toFixed(1)} s / ${r.maxRssMiB.toFixed(0)} MiB`, ''],
  ];
  if (r.droppedWorkloadEvents > 0) rows.push(['recorder dropped workload events', `${r.droppedWorkloadEvents}`, '0']);
  return [
    `| figure | Kueue ${r.kueueVersion} scheduler benchmark, scale ${r.scale} | upstream pass limit |`,
    '|---|---|---|',
    ...rows.map((cells) => `| ${cells.join(' | ')} |`),
  ].join('\n');
}

const abort = new AbortController();
process.once('SIGINT', () => abort.abort());
try {
  const result = await runKueueSchedulerBaseline({
    scale,
    ...(values.out ? { outputDir: values.out } : {}),
    onProgress: (line) => console.error(line),
    signal: abort.signal,
  });
  console.log(table(result));
  console.log(`\nraw summary: ${result.summaryFile}`);
} catch (err) {
  if (!(err instanceof KueueNotMeasuredError)) throw err;
  console.log(`Kueue scheduler benchmark — not measured: ${err.reason}`);
}
