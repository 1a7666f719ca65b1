/**
 * Lab start-up benchmark: starts the default federation (examples/lab/default.yaml) several times with warm
 * binaries and prints how long `startLab` took until every cluster was ready, plus the lab's resident memory.
 *
 *   node bench/lab-startup.bench.ts [runs=3] [topology] [--no-federation]
 *
 * With the federation (the default, as `make lab`), "ready" includes the operator, the agents and every Site turning
 * Ready on the hub, which takes two agent heartbeats (10 s each); --no-federation measures the control planes alone.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../src/lab/binaries.ts';
import { startLab, stopLab } from '../src/lab/lab.ts';
import { recordFigure } from './support/summary.ts';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const federation = !process.argv.includes('--no-federation');
const runs = Number(args[0] ?? 3);
const topology = args[1] ?? join(REPO_ROOT, 'examples/lab/default.yaml');

function rssMiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m?.[1] ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

const times: number[] = [];
const rssByRun: number[] = [];
let shape = '';
for (let i = 0; i < runs; i++) {
  const dir = mkdtempSync(join(tmpdir(), 'suanwang-bench-lab-'));
  const t0 = performance.now();
  const state = await startLab({ topologyFile: topology, dir, ownerPid: process.pid, federation });
  const secs = (performance.now() - t0) / 1000;
  times.push(secs);
  const rss = state.components.reduce((sum, c) => sum + rssMiB(c.pid), rssMiB(state.supervisorPid));
  const nodes = state.clusters.reduce((n, c) => n + (c.pools ?? []).reduce((m, p) => m + p.nodes, 0), 0);
  rssByRun.push(rss);
  shape = `${state.clusters.length} clusters, ${nodes} nodes, ${state.components.length} processes`;
  console.log(`run ${i + 1}: ready in ${secs.toFixed(1)} s — ${state.clusters.length} clusters, ${nodes} nodes, ${state.components.length} processes, ${rss.toFixed(0)} MiB RSS`);
  await stopLab(dir);
}
times.sort((a, b) => a - b);
rssByRun.sort((a, b) => a - b);
const median = (xs: readonly number[]): number => xs[Math.floor(xs.length / 2)] ?? 0;
const topologyName = topology.replace(`${REPO_ROOT}/`, '');
console.log(`lab start-up (${runs} runs, ${topologyName}, ${federation ? 'with' : 'without'} the federation): min ${times[0]?.toFixed(1)} s, median ${median(times).toFixed(1)} s, max ${times.at(-1)?.toFixed(1)} s`);

const what = federation ? 'with the federation (operator, agents and reporters; every Site Ready on the hub)' : 'control planes only (--no-federation)';
const reproduce = `node bench/lab-startup.bench.ts ${process.argv.slice(2).join(' ')}`.trim();
recordFigure({
  bench: 'lab-startup',
  figure: `${topologyName} ready, ${what}: ${shape}`,
  value: `median ${median(times).toFixed(1)} s (min ${times[0]?.toFixed(1)}, max ${times.at(-1)?.toFixed(1)}; ${runs} run${runs === 1 ? '' : 's'})`,
  // Site Ready needs the agent's first heartbeats (10 s apart): the floor under the federation's figure.
  ...(federation && { limit: 'includes two 10 s agent heartbeats before every Site is Ready' }),
  reproduce,
});
recordFigure({
  bench: 'lab-startup',
  figure: `${topologyName} resident memory, ${what}`,
  value: `${(median(rssByRun) / 1024).toFixed(1)} GiB (median of ${runs}; every lab process summed)`,
  reproduce,
});
