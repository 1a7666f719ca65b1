/**
 * The agent footprint benchmark's result as Markdown: one table, a row per agent (before, after) and moment (small site
 * idle, large site just synced, large site after the steady phase), and what the site and the run were.
 */
import type { Memory } from './agent-process.ts';

/** Reading is one agent's memory at one moment. */
export interface Reading {
  readonly agent: string;
  readonly tree: string;
  readonly moment: string;
  readonly memory: Memory;
  /** syncSeconds: from the agent's start to its first snapshot at the operator (for the "synced" moments). */
  readonly syncSeconds?: number;
  /** traffic: snapshots, deltas and device health events the agent had sent by then. */
  readonly snapshots: number;
  readonly deltas: number;
  readonly healthEvents: number;
}

/** ReportInput is everything the report states besides the readings. */
export interface ReportInput {
  readonly date: string;
  readonly machine: string;
  readonly commit: string;
  readonly command: string;
  readonly nodes: number;
  readonly pods: number;
  readonly steadySeconds: number;
  readonly churnPerSecond: number;
  readonly churned: number;
  readonly reporter: string;
  readonly labStartSeconds: number;
  readonly loadSeconds: number;
  readonly totalSeconds: number;
  readonly readings: readonly Reading[];
  /**
   * staleAtSteady: accelerator nodes whose device report was older than the agent's max age at the steady reading, of
   * staleOf; undefined without a reporter.
   */
  readonly staleAtSteady?: number | undefined;
  readonly staleOf?: number | undefined;
  readonly maxReportAgeSeconds?: number | undefined;
}

const f = (x: number): string => x.toFixed(1);

/** table is the readings as one Markdown table. */
export function table(readings: readonly Reading[]): string {
  const rows = readings.map(
    (r) =>
      `| ${r.agent} (${r.tree}) | ${r.moment} | **${f(r.memory.rss)}** | ${f(r.memory.peak)} | ${f(r.memory.anon)} | ${f(r.memory.file)} | ${f(r.memory.heapUsed)} | ${f(r.memory.heapTotal)} | ${f(r.memory.external)} | ${f(r.memory.cpuSeconds)} | ${r.syncSeconds === undefined ? '' : f(r.syncSeconds)} | ${r.snapshots} / ${r.deltas} / ${r.healthEvents} |`,
  );
  return [
    '| Agent | Moment | RSS MiB | Peak RSS MiB | Anonymous MiB | File-backed MiB | V8 heap used MiB | V8 heap total MiB | External MiB | CPU s | Sync s | Snapshots / deltas / health events |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

/** staleNote says whether the simulated reporter kept up through the steady phase, and what it cost when it did not. */
export function staleNote(r: Pick<ReportInput, 'staleAtSteady' | 'staleOf' | 'maxReportAgeSeconds'>): string {
  if (r.staleAtSteady === undefined) return '';
  if (r.staleAtSteady === 0) return `\nAt the steady reading every accelerator node's device report was fresh (under the agent's ${r.maxReportAgeSeconds} s max age).\n`;
  return (
    `\nAt the steady reading ${r.staleAtSteady} of ${r.staleOf} accelerator nodes' device reports were older than the agent's ${r.maxReportAgeSeconds} s max age ` +
    '(the one simulated reporter for the whole site fell behind): from its next pool rebuild each agent counts their devices Unknown ' +
    'and sends a health event per device (last column: those sent by the reading), which it holds until the operator acknowledges ' +
    'them, so the steady figures may include such a burst.\n'
  );
}

/** renderReport is the whole result file. */
export function renderReport(r: ReportInput): string {
  return `# Site agent footprint — ${r.date}

Machine: ${r.machine}. Commit: ${r.commit}. Command: \`${r.command}\`.
One lab site (real kube-apiserver, etcd, kube-controller-manager, kwok; bench/agent-footprint/topology.ts) watched by
both agents at once, each speaking for its own site name to an in-process agent server. Small: the seed pools (7 nodes,
no pods). Large: ${r.nodes} nodes and ${r.pods} pods bound to them (kwok runs them), node reporter: ${r.reporter}; the agents are
restarted for it, so "synced" includes the first full list. Steady: ${r.steadySeconds} s with ${r.churnPerSecond} pods replaced a second
(${r.churned} in all). RSS, peak (VmHWM), anonymous and file-backed from /proc; heap and external from the agent's
/metrics; CPU is the agent's user + system time since its start. Lab start ${f(r.labStartSeconds)} s, loading the site ${f(r.loadSeconds)} s, whole run ${f(r.totalSeconds)} s.
${staleNote(r)}
${table(r.readings)}
`;
}
