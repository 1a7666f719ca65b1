/**
 * The results table as the terminal shows it (and docs/simulate.md quotes it): one row per policy, the same numbers as
 * the JSON file and the HTML report's table, rounded for reading.
 */
import type { PolicyResult, SimResult } from './result.ts';

const HEADER = ['POLICY', 'PLACED', 'NEVER', 'GPU ALLOC AVG', 'AT 1ST UNPLACEABLE', 'WAIT P50', 'WAIT P99', 'FRAGMENTED GPUS', 'WALL'];

/** resultsTable renders the run's policies as aligned lines, numbers right-aligned, with a line about the trace. */
export function resultsTable(result: SimResult): string[] {
  const t = result.trace;
  const rows = result.policies.map(row);
  const widths = HEADER.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const render = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [
    `${t.name}: ${t.tasks} tasks (${t.gpuTasks} GPU, ${t.cpuTasks} CPU-only; ${t.gpuShareTasks} GPU shares rounded up to one GPU) ` +
      `over ${formatSeconds(t.spanS)}, on ${result.sites.length} sites with ${result.totalGpus} GPUs`,
    '',
    render(HEADER),
    ...rows.map(render),
  ];
}

function row(p: PolicyResult): string[] {
  const s = p.summary;
  return [
    p.policy,
    String(s.placed),
    String(s.neverPlaced),
    percent(s.gpuAllocationAvg),
    s.gpuAllocationAtFirstUnplaceable === null ? '-' : percent(s.gpuAllocationAtFirstUnplaceable),
    formatSeconds(s.waitP50S),
    formatSeconds(s.waitP99S),
    s.fragmentedGpus.toFixed(1),
    `${(s.wallMs / 1000).toFixed(1)}s`,
  ];
}

function percent(ratio: number): string {
  return `${(ratio * 100).toFixed(2)}%`;
}

/** formatSeconds renders a span for reading: 0s, 45s, 12m, 3.5h, 2.1d. */
export function formatSeconds(s: number): string {
  if (s < 60) return `${Math.round(s)}s`;
  if (s < 3600) return `${Math.round(s / 60)}m`;
  if (s < 86400) return `${(s / 3600).toFixed(1)}h`;
  return `${(s / 86400).toFixed(1)}d`;
}
