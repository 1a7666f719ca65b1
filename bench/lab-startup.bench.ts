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
for (let i = 0; i < runs; i++) {
  const dir = mkdtempSync(join(tmpdir(), 'suanwang-bench-lab-'));
  const t0 = performance.now();
  const state = await startLab({ topologyFile: topology, dir, ownerPid: process.pid, federation });
  const secs = (performance.now() - t0) / 1000;
  times.push(secs);
  const rss = state.components.reduce((sum, c) => sum + rssMiB(c.pid), rssMiB(state.supervisorPid));
  const nodes = state.clusters.reduce((n, c) => n + (c.pools ?? []).reduce((m, p) => m + p.nodes, 0), 0);
  console.log(`run ${i + 1}: ready in ${secs.toFixed(1)} s — ${state.clusters.length} clusters, ${nodes} nodes, ${state.components.length} processes, ${rss.toFixed(0)} MiB RSS`);
  await stopLab(dir);
}
times.sort((a, b) => a - b);
console.log(`lab start-up (${runs} runs, ${topology.replace(`${REPO_ROOT}/`, '')}, ${federation ? 'with' : 'without'} the federation): min ${times[0]?.toFixed(1)} s, median ${times[Math.floor(times.length / 2)]?.toFixed(1)} s, max ${times.at(-1)?.toFixed(1)} s`);
