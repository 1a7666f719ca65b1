/**
 * `suanwang simulate`: replay a trace through the operator's own admission and placement on a simulated federation
 * (src/sim), print the results table and write result.json and report.html; `suanwang simulate split`: cut a node
 * list into sites. The composition root of the simulator: it reads the files, the clock and the terminal; everything
 * under src/sim is pure but for reading its input files.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ConfigError } from '../../api/yaml-source.ts';
import { DEFAULT_HEAD_OF_LINE_MS } from '../../queueing/admission-cycle.ts';
import { parseOpenbNodes } from '../../sim/openb.ts';
import { REPLAY_MODES, type ReplayProgress } from '../../sim/replay.ts';
import { renderReport } from '../../sim/report-html.ts';
import type { PolicyName, SimResult } from '../../sim/result.ts';
import { POLICIES, runSimulation } from '../../sim/simulate.ts';
import { splitNodes, topologyYaml, type SplitBy } from '../../sim/split.ts';
import { formatSeconds, resultsTable } from '../../sim/table.ts';
import { TraceError } from '../../sim/task.ts';
import { loadSimTopology } from '../../sim/topology.ts';
import { loadTrace } from '../../sim/trace.ts';
import { CliError, reportCliError } from '../cli-error.ts';
import { usageText } from '../flag-usage.ts';
import { defineCommand, parseCommandLine } from '../flags.ts';

function parsePolicy(raw: string, flag: string): PolicyName {
  if (!(POLICIES as readonly string[]).includes(raw)) throw new CliError(`${flag} must be one of ${POLICIES.join(', ')}, got ${JSON.stringify(raw)}`, 2);
  return raw as PolicyName;
}

const SIMULATE = defineCommand({
  name: 'simulate',
  usage: [
    'suanwang simulate --sites SITES.yaml --trace TRACE [--policy P ...] [--replay timed|fill] [--out DIR]',
    'suanwang simulate split --nodes NODES.csv --split-by model|round-robin|N [--count N] --out SITES.yaml',
  ],
  description: `Replays a trace of jobs through the same admission and placement code the operator runs, on a virtual
clock (no Kubernetes, no sleeping), and compares four policies on the same trace and federation:
  suanwang   the operator's admission cycle and placement engine (default queue, no Queue objects)
  first-fit  FIFO, each job to the first site in name order whose nodes hold it
  pooled     every node in one site: the upper bound pooling aims at
  static     each job bound to one home site (a hash of its name): "idle here, queued there"
Inside each site a binder puts workers on nodes like kube-scheduler's default NodeResourcesFit (LeastAllocated over
cpu and memory), so fragmentation is real. GPU shares (openb gpu_milli < 1000) are rounded up to one whole GPU.

SITES.yaml is a lab topology (examples/lab/default.yaml, examples/sim/). TRACE is the openb pod list (CSV with its
header, e.g. openb_pod_list_default.csv) or a YAML list of {at, runFor, job: TrainingJob} entries (docs/simulate.md).

'simulate split' cuts a node list (openb node CSV) into sites and writes them as a topology: by GPU model (and a cpu
site), round-robin into --count sites, or into N runs of consecutive nodes (--split-by 5).`,
  positionals: true,
  flags: {
    sites: { type: 'string', value: 'FILE', help: 'the federation: a lab topology file' },
    trace: { type: 'string', value: 'FILE', help: 'the trace: an openb pod list (CSV) or a YAML trace' },
    policy: { type: 'repeated', value: 'P', parse: parsePolicy, help: `a policy to replay: ${POLICIES.join(', ')} (default: all four)` },
    replay: {
      type: 'enum',
      values: REPLAY_MODES,
      default: 'timed',
      value: 'MODE',
      help: 'timed replays arrivals and departures at their trace times; fill lets jobs arrive in order and never leave (packing, as the openb paper measures it)',
    },
    'head-of-line': {
      type: 'duration',
      default: DEFAULT_HEAD_OF_LINE_MS,
      help: "suanwang: how long the first waiting job may be passed by later ones before it blocks its queue (the operator's setting)",
    },
    out: { type: 'string', value: 'DIR', help: "write DIR/result.json and DIR/report.html ('split': the topology file to write)" },
    nodes: { type: 'string', value: 'FILE', section: "'simulate split':", help: 'the node list: openb node CSV (sn, cpu_milli, memory_mib, gpu, model)' },
    'split-by': { type: 'string', value: 'HOW', section: "'simulate split':", help: 'model, round-robin, or a number N of sites made of consecutive nodes' },
    count: { type: 'int', min: 1, default: 5, section: "'simulate split':", help: 'sites for --split-by round-robin' },
  },
  footer: `Examples:
  suanwang simulate split --nodes openb_node_list_all_node.csv --split-by 5 --out sites.yaml
  suanwang simulate --sites examples/sim/openb-5-sites.yaml --trace openb_pod_list_default.csv --out sim-out
  suanwang simulate --sites examples/lab/default.yaml --trace jobs.yaml --policy suanwang --policy static

Progress goes to stderr every few seconds on long runs; the table to stdout. result.json holds every number of the
report; replaying the same inputs writes the same bytes but for each policy's wallMs (real time).
Exit codes: 0 done, 1 an input file cannot be used (the message names its file and line), 2 a bad flag.`,
});

/** SimulateIo is where the command writes and what time it is; tests replace it. */
export interface SimulateIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  /** clock returns real milliseconds (wall time and progress only). */
  readonly clock: () => number;
}

const defaultIo: SimulateIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  clock: () => performance.now(),
};

/** simulateCommand runs `suanwang simulate [split]`; returns the exit code. */
export function simulateCommand(argv: string[], io: SimulateIo = defaultIo): Promise<number> {
  try {
    const parsed = parseCommandLine(SIMULATE, argv);
    if (parsed === 'help') {
      io.out(usageText(SIMULATE));
      return Promise.resolve(0);
    }
    const [sub, ...extra] = parsed.positionals;
    if (sub !== undefined && sub !== 'split') throw new CliError(`unknown subcommand "${sub}" (the only one is split)`, 2);
    if (extra.length > 0) throw new CliError(`unexpected argument "${extra[0] ?? ''}"`, 2);
    const v = parsed.values;
    return Promise.resolve(sub === 'split' ? split(v, io) : simulate(v, io));
  } catch (err: unknown) {
    if (err instanceof CliError) return Promise.resolve(reportCliError(SIMULATE.name, err, io.err));
    throw err;
  }
}

type Values = Exclude<ReturnType<typeof parseCommandLine<typeof SIMULATE.flags>>, 'help'>['values'];

function simulate(v: Values, io: SimulateIo): number {
  for (const f of ['nodes', 'split-by'] as const) if (v[f] !== undefined) throw new CliError(`--${f} belongs to 'simulate split'`, 2);
  if (v.sites === undefined) throw new CliError('--sites is required', 2);
  if (v.trace === undefined) throw new CliError('--trace is required', 2);
  const topology = readInput(() => loadSimTopology(v.sites as string));
  const trace = readInput(() => loadTrace(v.trace as string));
  io.err(`simulate: ${trace.tasks.length} tasks from ${trace.name} on ${topology.sites.length} sites (${v.replay} replay)`);
  const result = readInput(() => runSimulation(topology, trace, {
    ...(v.policy.length > 0 && { policies: v.policy }),
    mode: v.replay,
    suanwang: { headOfLineMs: v['head-of-line'] },
    clock: io.clock,
    onProgress: (p) => io.err(progressLine(p)),
  }));
  for (const line of resultsTable(result)) io.out(line);
  if (v['head-of-line'] !== DEFAULT_HEAD_OF_LINE_MS) io.out(`(suanwang with a head-of-line bound of ${formatSeconds(v['head-of-line'] / 1000)})`);
  if (v.out !== undefined) writeOutputs(v.out, result, io);
  return 0;
}

function progressLine(p: ReplayProgress): string {
  const pct = Math.floor((100 * p.arrived) / Math.max(1, p.tasks));
  return `simulate: ${p.policy}: ${p.arrived}/${p.tasks} tasks arrived (${pct}%), virtual time ${(p.virtualS / 86400).toFixed(1)} days`;
}

/** writeOutputs writes DIR/result.json and DIR/report.html. */
function writeOutputs(dir: string, result: SimResult, io: SimulateIo): void {
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'result.json'), `${JSON.stringify(result, null, 2)}\n`);
    writeFileSync(join(dir, 'report.html'), renderReport(result));
  } catch (err: unknown) {
    throw new CliError(`cannot write to --out ${dir}: ${err instanceof Error ? err.message : String(err)}`, 1);
  }
  io.out('');
  io.out(`Wrote ${join(dir, 'result.json')} and ${join(dir, 'report.html')}`);
}

function split(v: Values, io: SimulateIo): number {
  for (const f of ['sites', 'trace'] as const) if (v[f] !== undefined) throw new CliError(`--${f} does not belong to 'simulate split'`, 2);
  if (v.nodes === undefined) throw new CliError("--nodes is required for 'simulate split'", 2);
  if (v['split-by'] === undefined) throw new CliError("--split-by is required for 'simulate split'", 2);
  if (v.out === undefined) throw new CliError("--out is required for 'simulate split' (the topology file to write)", 2);
  const by = parseSplitBy(v['split-by'], v.count);
  const file = v.nodes;
  const nodes = readInput(() => {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err: unknown) {
      throw new TraceError(`${file}: cannot read the node list: ${err instanceof Error ? err.message : String(err)}`);
    }
    return parseOpenbNodes(file, text);
  });
  const sites = splitNodes(nodes, by);
  const how = by.kind === 'model' ? 'by GPU model' : by.kind === 'round-robin' ? `round-robin into ${by.sites} sites` : `into ${by.sites} runs of consecutive nodes`;
  const header = [
    `${nodes.length} nodes of ${basename(file)} split ${how}, by:`,
    `  suanwang simulate split --nodes ${basename(file)} --split-by ${v['split-by']}${by.kind === 'round-robin' ? ` --count ${by.sites}` : ''} --out ${basename(v.out)}`,
    'A lab topology (src/lab/topology.ts): `suanwang simulate --sites` replays traces on it, `suanwang lab up --topology` starts it.',
  ];
  try {
    writeFileSync(v.out, topologyYaml(sites, header));
  } catch (err: unknown) {
    throw new CliError(`cannot write --out ${v.out}: ${err instanceof Error ? err.message : String(err)}`, 1);
  }
  io.out(`Wrote ${v.out}: ${sites.length} sites, ${nodes.length} nodes (${how})`);
  return 0;
}

/** parseSplitBy reads --split-by: model, round-robin (with --count) or a number of sites. */
export function parseSplitBy(raw: string, count: number): SplitBy {
  if (raw === 'model') return { kind: 'model' };
  if (raw === 'round-robin') return { kind: 'round-robin', sites: count };
  if (/^[1-9]\d*$/.test(raw)) return { kind: 'blocks', sites: Number(raw) };
  throw new CliError(`--split-by must be model, round-robin or a number of sites such as 5, got ${JSON.stringify(raw)}`, 2);
}

/** readInput runs a step that reads inputs and turns their errors (which name the file and line) into exit code 1. */
function readInput<T>(read: () => T): T {
  try {
    return read();
  } catch (err: unknown) {
    if (err instanceof ConfigError || err instanceof TraceError) throw new CliError(err.message, 1);
    throw err;
  }
}
