/**
 * The simulator's HTML report: one self-contained page (inline CSS and SVG, no script, no network) drawn from a
 * SimResult alone, so the report can be rebuilt from result.json. Pure: the same result gives the same bytes.
 */
import { renderBarChart, renderLineChart, type ChartLine } from './report-html-charts.ts';
import {
  escapeHtml,
  formatCount,
  formatDecimal,
  formatDuration,
  formatMs,
  formatPercent,
} from './report-html-format.ts';
import type { PolicyName, PolicyResult, SimResult } from './result.ts';

/** Fixed colours per policy so a policy looks the same in every chart of every report. */
const POLICY_COLORS: Readonly<Record<PolicyName, string>> = {
  suanwang: '#d9480f',
  'first-fit': '#1c7ed6',
  pooled: '#2b8a3e',
  static: '#7048e8',
};
const SITE_COLORS = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];
const TOTAL_COLOR = '#212529';
const FALLBACK_COLOR = '#868e96';

/** renderReport renders a simulator run as a complete HTML document. */
export function renderReport(result: SimResult): string {
  const title = `Suanwang simulation — ${result.trace.name}`;
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    '<main>',
    header(result, title),
    resultsTable(result),
    allocationCharts(result),
    waitingChart(result),
    waitDistributionChart(result),
    notes(),
    '</main>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

function header(result: SimResult, title: string): string {
  const { trace } = result;
  const sites = result.sites
    .map((s) => `<li><strong>${escapeHtml(s.name)}</strong> ${formatCount(s.nodes)} nodes, ${formatCount(s.gpus)} GPUs</li>`)
    .join('');
  return (
    `<header><h1>${escapeHtml(title)}</h1>` +
    `<p class="lead" id="trace-summary">${formatCount(trace.tasks)} tasks over ${formatDuration(trace.spanS)}: ` +
    `${formatCount(trace.gpuTasks)} whole-GPU, <span id="gpu-share-tasks">${formatCount(trace.gpuShareTasks)}</span> GPU-share ` +
    `and ${formatCount(trace.cpuTasks)} CPU-only, replayed on ${formatCount(result.sites.length)} sites with ` +
    `${formatCount(result.totalGpus)} GPUs in all.</p>` +
    `<ul class="sites" id="sites">${sites}</ul></header>`
  );
}

interface Column {
  readonly metric: string;
  readonly heading: string;
  readonly cell: (p: PolicyResult) => string;
}

function resultsTable(result: SimResult): string {
  const pooled = result.policies.find((p) => p.policy === 'pooled');
  const columns: Column[] = [
    { metric: 'gpu-allocation-avg', heading: 'GPU allocation<br><small>time-averaged</small>', cell: (p) => formatPercent(p.summary.gpuAllocationAvg) },
    ...(pooled !== undefined && pooled.summary.gpuAllocationAvg > 0
      ? [{ metric: 'vs-pooled', heading: 'of pooled<br><small>allocation</small>', cell: (p: PolicyResult) => formatPercent(p.summary.gpuAllocationAvg / pooled.summary.gpuAllocationAvg) }]
      : []),
    {
      metric: 'gpu-allocation-at-first-unplaceable',
      heading: 'GPU allocation<br><small>at first unplaceable arrival</small>',
      cell: (p) => (p.summary.gpuAllocationAtFirstUnplaceable === null ? 'never full' : formatPercent(p.summary.gpuAllocationAtFirstUnplaceable)),
    },
    { metric: 'wait-p50', heading: 'Wait<br><small>p50</small>', cell: (p) => formatDuration(p.summary.waitP50S) },
    { metric: 'wait-p99', heading: 'Wait<br><small>p99</small>', cell: (p) => formatDuration(p.summary.waitP99S) },
    { metric: 'placed', heading: 'Placed', cell: (p) => formatCount(p.summary.placed) },
    { metric: 'never-placed', heading: 'Never<br><small>placed</small>', cell: (p) => formatCount(p.summary.neverPlaced) },
    { metric: 'fragmented-gpus', heading: 'Fragmented GPUs<br><small>time-averaged</small>', cell: (p) => formatDecimal(p.summary.fragmentedGpus) },
    { metric: 'wall', heading: 'Replay<br><small>wall time</small>', cell: (p) => formatMs(p.summary.wallMs) },
  ];
  const head = `<tr><th scope="col">Policy</th>${columns.map((c) => `<th scope="col">${c.heading}</th>`).join('')}</tr>`;
  const rows = result.policies
    .map((p) => {
      const cells = columns.map((c) => `<td data-metric="${c.metric}">${c.cell(p)}</td>`).join('');
      return `<tr data-policy="${escapeHtml(p.policy)}"><th scope="row">${policySwatch(p.policy)}${escapeHtml(p.policy)}</th>${cells}</tr>`;
    })
    .join('\n');
  return `<section><h2>Results per policy</h2><table id="results"><thead>${head}</thead><tbody>\n${rows}\n</tbody></table></section>`;
}

function allocationCharts(result: SimResult): string {
  const siteNames = orderedSiteNames(result);
  const xMax = timeSpan(result);
  const peak = Math.max(result.totalGpus, ...result.policies.flatMap((p) => p.series.map((s) => s.totalAllocatedGpus)));
  const charts = result.policies.map((p) => {
    const present = new Set(p.series.flatMap((s) => Object.keys(s.allocatedGpus)));
    const lines: ChartLine[] = siteNames
      .filter((name) => present.has(name))
      .map((name) => ({
        label: name,
        color: SITE_COLORS[siteNames.indexOf(name) % SITE_COLORS.length] ?? FALLBACK_COLOR,
        points: p.series.map((s) => ({ t: s.t, v: s.allocatedGpus[name] ?? 0 })),
      }));
    lines.push({ label: 'total', color: TOTAL_COLOR, emphasised: true, points: p.series.map((s) => ({ t: s.t, v: s.totalAllocatedGpus })) });
    const chart = renderLineChart({
      id: `chart-allocation-${idPart(p.policy)}`,
      chart: 'gpu-allocation',
      data: { policy: p.policy },
      title: `GPUs allocated over time, ${p.policy}`,
      yTitle: 'GPUs allocated',
      xMax,
      // One scale for every policy, so the small multiples compare at a glance.
      yMax: peak,
      lines,
      reference: { label: `capacity ${formatCount(result.totalGpus)} GPUs`, value: result.totalGpus },
    });
    return `<figure><figcaption>${policySwatch(p.policy)}${escapeHtml(p.policy)} — average ${formatPercent(p.summary.gpuAllocationAvg)}</figcaption>${chart}</figure>`;
  });
  return `<section><h2>GPU allocation over time</h2><p class="hint">Per site and in total (black), on one scale for all policies.</p><div class="multiples">${charts.join('\n')}</div></section>`;
}

function waitingChart(result: SimResult): string {
  const peak = Math.max(0, ...result.policies.flatMap((p) => p.series.map((s) => s.waiting)));
  const chart = renderLineChart({
    id: 'chart-waiting',
    chart: 'waiting',
    title: 'Tasks waiting over time, all policies',
    yTitle: 'tasks waiting',
    xMax: timeSpan(result),
    yMax: peak,
    lines: result.policies.map((p) => ({ label: p.policy, color: policyColor(p.policy), points: p.series.map((s) => ({ t: s.t, v: s.waiting })) })),
  });
  return `<section><h2>Waiting tasks over time</h2><figure class="wide">${chart}</figure></section>`;
}

function waitDistributionChart(result: SimResult): string {
  const bounds = [...new Set(result.policies.flatMap((p) => p.waitHistogram.map((b) => b.leS)))].sort((a, b) => a - b);
  const groups = bounds.map((leS) => ({
    label: leS === 0 ? 'no wait' : Number.isFinite(leS) ? `≤ ${formatDuration(leS)}` : 'longer',
    values: result.policies.map((p) => p.waitHistogram.find((b) => b.leS === leS)?.count ?? 0),
  }));
  const chart = renderBarChart({
    id: 'chart-wait-distribution',
    chart: 'wait-distribution',
    title: 'Waiting-time distribution per policy',
    xTitle: 'waited at most (and longer than the bar to the left)',
    yTitle: 'tasks (log scale)',
    series: result.policies.map((p) => ({ label: p.policy, color: policyColor(p.policy) })),
    groups,
  });
  return `<section><h2>Waiting-time distribution</h2><figure class="wide">${chart}</figure></section>`;
}

function notes(): string {
  return (
    '<footer><h2>Reading the table</h2><dl>' +
    '<dt>GPU allocation</dt><dd>Share of the federation’s GPUs allocated, averaged over time from the first arrival to the last departure; “of pooled” divides it by the pooled policy’s, the upper bound that pooling aims at.</dd>' +
    '<dt>At first unplaceable arrival</dt><dd>The share allocated when an arriving task first found no room anywhere it may run; “never full” if that did not happen.</dd>' +
    '<dt>Wait</dt><dd>Time from arrival to placement, over placed tasks.</dd>' +
    '<dt>Fragmented GPUs</dt><dd>Free GPUs on nodes whose free GPUs cannot hold the trace’s typical GPU request, averaged over time.</dd>' +
    '<dt>Replay wall time</dt><dd>How long the replay took on the machine that ran it; the only figure that differs between identical runs.</dd>' +
    '</dl></footer>'
  );
}

/** Sites in the order the federation lists them, then any other name a series uses (the pooled site), sorted. */
function orderedSiteNames(result: SimResult): string[] {
  const listed = result.sites.map((s) => s.name);
  const listedSet = new Set(listed);
  const others = new Set(result.policies.flatMap((p) => p.series.flatMap((s) => Object.keys(s.allocatedGpus))));
  return [...listed, ...[...others].filter((n) => !listedSet.has(n)).sort()];
}

function timeSpan(result: SimResult): number {
  return Math.max(result.trace.spanS, ...result.policies.flatMap((p) => p.series.map((s) => s.t)));
}

function policyColor(policy: PolicyName): string {
  return POLICY_COLORS[policy] ?? FALLBACK_COLOR;
}

function policySwatch(policy: PolicyName): string {
  return `<span class="swatch" style="background:${policyColor(policy)}"></span>`;
}

/** idPart keeps an element id to [a-z0-9-] whatever the name holds. */
function idPart(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9-]+/g, '-');
}

const STYLE = `
:root{color-scheme:light;--ink:#212529;--muted:#6c757d;--rule:#dee2e6}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:#fff}
main{max-width:1180px;margin:0 auto;padding:24px 28px 48px}
h1{font-size:1.6rem;margin:0 0 .3rem}
h2{font-size:1.15rem;margin:2rem 0 .6rem;border-bottom:1px solid var(--rule);padding-bottom:.2rem}
.lead{margin:.2rem 0 .6rem;font-size:1.02rem}
.sites{display:flex;flex-wrap:wrap;gap:.3rem 1.4rem;list-style:none;padding:0;margin:0;color:var(--muted)}
.sites strong{color:var(--ink)}
.hint{color:var(--muted);margin:-.2rem 0 .6rem}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
th,td{padding:.4rem .6rem;border-bottom:1px solid var(--rule);text-align:right;vertical-align:bottom}
thead th{font-weight:600;line-height:1.2}
th small{font-weight:400;color:var(--muted)}
tbody th{text-align:left;white-space:nowrap}
tbody tr:hover{background:#f8f9fa}
.swatch{display:inline-block;width:.8em;height:.8em;border-radius:2px;margin-right:.45em;vertical-align:-.05em}
figure{margin:0}
figcaption{font-weight:600;margin:.4rem 0 .1rem}
.multiples{display:grid;grid-template-columns:repeat(auto-fit,minmax(460px,1fr));gap:1rem 1.6rem}
figure.wide{max-width:900px}
svg{width:100%;height:auto;display:block;font:11px system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
svg .grid{stroke:#e9ecef}
svg .axis{stroke:#868e96}
svg .tick,svg .bar-label{fill:#495057}
svg .bar-label{font-size:9px}
svg .axis-title{fill:var(--muted)}
svg .legend text{fill:var(--ink)}
svg .series{fill:none;stroke-width:1.5;stroke-linejoin:round}
svg .series.emphasised{stroke-width:2.4}
svg .series:hover{stroke-width:3.5}
svg .bar:hover{opacity:.75}
svg .reference{stroke:#adb5bd;stroke-dasharray:5 4}
svg .reference-label,svg .no-data{fill:var(--muted)}
footer{color:#495057;font-size:.92rem}
dt{font-weight:600;margin-top:.5rem}
dd{margin:0 0 0 1rem}
@media print{
  body{font-size:11pt}
  main{max-width:none;padding:0}
  section,figure,table{break-inside:avoid}
  .multiples{grid-template-columns:1fr 1fr}
  tbody tr:hover{background:none}
}
`.trim();
