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
import { basename, join } from 'node:path';
import { runSimulation } from '../src/sim/simulate.ts';
import { resultsTable } from '../src/sim/table.ts';
import { loadSimTopology } from '../src/sim/topology.ts';
import { loadTrace } from '../src/sim/trace.ts';
import type { ReplayMode } from '../src/sim/replay.ts';
import { recordFigure } from './support/summary.ts';

const TRACES = join(import.meta.dirname, '..', '..', 'shared', 'fixtures', 'traces');
const traceFile = join(TRACES, process.argv[2] ?? 'openb_pod_list_default.csv');
const sitesFile = process.argv[3] ?? join(import.meta.dirname, '..', 'examples', 'sim', 'openb-5-sites.yaml');
const modes: readonly ReplayMode[] = process.argv[4] === 'timed' || process.argv[4] === 'fill' ? [process.argv[4]] : ['timed', 'fill'];

const reproduce = `node bench/simulate.bench.ts ${process.argv.slice(2).join(' ')}`.trim();
const traceName = basename(traceFile);
if (!existsSync(TRACES) || !existsSync(traceFile)) {
  console.log(`not measured: ../shared/fixtures/traces missing (looked for ${traceFile})`);
  recordFigure({ bench: 'simulate', figure: `simulator, ${traceName}`, value: `not measured: ../shared/fixtures/traces missing (looked for ${traceFile})`, reproduce });
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

  // One row per policy; Suanwang's placed count is set against pooled's (every node in one site) and first-fit's.
  const setting = `${traceName} (${trace.tasks.length.toLocaleString('en-US')} tasks) over ${topology.sites.length} sites, ${mode} replay`;
  const placedBy = (policy: string): number | undefined => result.policies.find((p) => p.policy === policy)?.summary.placed;
  const pooled = placedBy('pooled');
  const firstFit = placedBy('first-fit');
  recordFigure({
    bench: 'simulate',
    figure: `simulator wall time, ${setting}, four policies`,
    value: `${(wall / 1000).toFixed(1)} s`,
    limit: `target: under 60 s for the four (${(wall / 60_000).toFixed(2)} × target)`,
    reproduce,
  });
  for (const p of result.policies) {
    const s = p.summary;
    const atFirst = s.gpuAllocationAtFirstUnplaceable === null ? '' : ` (${(s.gpuAllocationAtFirstUnplaceable * 100).toFixed(1)} % at the first unplaceable arrival)`;
    const versus = p.policy === 'suanwang' && pooled !== undefined && pooled > 0 ? `${((100 * s.placed) / pooled).toFixed(1)} % of pooled's ${pooled.toLocaleString('en-US')} placed${firstFit === undefined ? '' : `; first-fit ${firstFit.toLocaleString('en-US')}`}` : undefined;
    recordFigure({
      bench: 'simulate',
      ...(p.policy !== 'suanwang' && { system: `${p.policy} (baseline policy in the simulator)` }),
      figure: `simulator, ${setting}`,
      value: `${s.placed.toLocaleString('en-US')} placed, ${s.neverPlaced.toLocaleString('en-US')} never placed; GPU allocation ${(s.gpuAllocationAvg * 100).toFixed(2)} % time-averaged${atFirst}; wall ${(s.wallMs / 1000).toFixed(1)} s`,
      ...(versus !== undefined && { limit: versus }),
      reproduce,
    });
  }
}
