/**
 * Simulator benchmark: all four policies on the full openb default trace (8,152 tasks) over the openb fleet (1,523
 * nodes) split into 5 sites (examples/sim/openb-5-sites.yaml), both replays (timed and fill), with the wall time of
 * each policy and of the four together (target: under 60 s for the four, on the project's 2-core machine), and the
 * results table the README quotes.
 *
 * The trace is data the project does not copy (../shared/fixtures/traces/NOTICE.md): without ../shared the
 * benchmark prints "not measured: ../shared/fixtures/traces missing" and exits 0.
 *
 *   node bench/simulate.bench.ts [trace=openb_pod_list_default.csv] [sites=examples/sim/openb-5-sites.yaml] [replay=both]
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runSimulation } from '../src/sim/simulate.ts';
import { resultsTable } from '../src/sim/table.ts';
import { loadSimTopology } from '../src/sim/topology.ts';
import { loadTrace } from '../src/sim/trace.ts';
import type { ReplayMode } from '../src/sim/replay.ts';

const TRACES = join(import.meta.dirname, '..', '..', 'shared', 'fixtures', 'traces');
const traceFile = join(TRACES, process.argv[2] ?? 'openb_pod_list_default.csv');
const sitesFile = process.argv[3] ?? join(import.meta.dirname, '..', 'examples', 'sim', 'openb-5-sites.yaml');
const modes: readonly ReplayMode[] = process.argv[4] === 'timed' || process.argv[4] === 'fill' ? [process.argv[4]] : ['timed', 'fill'];

if (!existsSync(TRACES) || !existsSync(traceFile)) {
  console.log(`not measured: ../shared/fixtures/traces missing (looked for ${traceFile})`);
  process.exit(0);
}

const topology = loadSimTopology(sitesFile);
const parseStart = performance.now();
const trace = loadTrace(traceFile);
console.log(`parsed ${trace.tasks.length} tasks in ${Math.round(performance.now() - parseStart)} ms; ${topology.sites.length} sites from ${sitesFile}`);
for (const mode of modes) {
  const start = performance.now();
  const result = runSimulation(topology, trace, { mode });
  const wall = performance.now() - start;
  console.log('');
  console.log(`## ${mode} replay: four policies in ${(wall / 1000).toFixed(1)} s (${wall < 60_000 ? 'within' : 'OVER'} the 60 s target)`);
  console.log('');
  for (const line of resultsTable(result)) console.log(line);
}
