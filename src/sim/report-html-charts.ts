/**
 * Hand-written SVG charts for the simulator's HTML report: a step-line chart (allocation and queue length change only
 * at events, so a step is the truth and a slope would invent values between them) and a grouped bar chart on a log
 * scale (most tasks wait no time at all; on a linear scale that one bar would flatten every other). Each chart carries
 * its own legend and axis titles so that it still reads when printed or copied out alone. No script: hover detail
 * comes from SVG `<title>` elements.
 */
import { escapeHtml, formatCount, formatDecimal, formatDuration, niceStep, niceTimeStep } from './report-html-format.ts';

/** ChartLine is one series of a line chart. */
export interface ChartLine {
  readonly label: string;
  readonly color: string;
  readonly points: readonly { readonly t: number; readonly v: number }[];
  /** Drawn thicker: the line the chart is about (the federation total). */
  readonly emphasised?: boolean;
}

/** LineChart describes a step-line chart over time since the first arrival. */
export interface LineChart {
  /** Element id and `data-chart` value (tests and readers find charts by it). */
  readonly id: string;
  readonly chart: string;
  readonly title: string;
  readonly yTitle: string;
  readonly xMax: number;
  readonly yMax: number;
  readonly lines: readonly ChartLine[];
  /** A dashed horizontal reference line (the federation's capacity). */
  readonly reference?: { readonly label: string; readonly value: number };
  /** Extra `data-*` attributes, already named; values are escaped here. */
  readonly data?: Readonly<Record<string, string>>;
}

/** BarGroup is one bucket of a grouped bar chart. */
export interface BarGroup {
  readonly label: string;
  readonly values: readonly number[];
}

/** BarChart describes a grouped bar chart with one bar per series in each group. */
export interface BarChart {
  readonly id: string;
  readonly chart: string;
  readonly title: string;
  readonly xTitle: string;
  readonly yTitle: string;
  readonly series: readonly { readonly label: string; readonly color: string }[];
  readonly groups: readonly BarGroup[];
}

const WIDTH = 720;
const MARGIN = { left: 64, right: 20, bottom: 46 };
const PLOT_HEIGHT = 210;
const LEGEND_ROW = 18;
const FONT_CHAR_WIDTH = 6.6; // 11px sans-serif, average; only used to wrap the legend

interface Frame {
  readonly top: number;
  readonly height: number;
  readonly left: number;
  readonly right: number;
  readonly legend: string;
}

/** renderLineChart draws a step-line chart with time on x. */
export function renderLineChart(spec: LineChart): string {
  const frame = frameWithLegend(spec.lines.map((l) => ({ label: l.label, color: l.color })));
  const xMax = spec.xMax > 0 ? spec.xMax : 1;
  const yStep = niceStep(spec.yMax > 0 ? spec.yMax : 1, 5);
  const yTop = Math.max(yStep, Math.ceil((spec.yMax > 0 ? spec.yMax : 1) / yStep) * yStep);
  const x = (t: number): number => frame.left + (Math.min(Math.max(t, 0), xMax) / xMax) * (frame.right - frame.left);
  const y = (v: number): number => frame.top + PLOT_HEIGHT - (Math.min(Math.max(v, 0), yTop) / yTop) * PLOT_HEIGHT;

  const parts: string[] = [frame.legend, valueAxis(frame, yTop, yStep, y, spec.yTitle), timeAxis(frame, xMax, x)];
  if (spec.reference !== undefined) {
    const ry = fmt(y(spec.reference.value));
    parts.push(
      `<line class="reference" x1="${fmt(frame.left)}" x2="${fmt(frame.right)}" y1="${ry}" y2="${ry}"/>`,
      `<text class="reference-label" x="${fmt(frame.right - 4)}" y="${fmt(y(spec.reference.value) - 4)}" text-anchor="end">${escapeHtml(spec.reference.label)}</text>`,
    );
  }
  // Emphasised lines last, so the total sits on top of the sites it sums.
  const ordered = [...spec.lines.filter((l) => l.emphasised !== true), ...spec.lines.filter((l) => l.emphasised === true)];
  for (const line of ordered) {
    const path = stepPath(line.points, x, y);
    if (path === '') continue;
    const cls = line.emphasised === true ? 'series emphasised' : 'series';
    parts.push(
      `<path class="${cls}" data-series="${escapeHtml(line.label)}" d="${path}" stroke="${escapeHtml(line.color)}"><title>${escapeHtml(line.label)}</title></path>`,
    );
  }
  if (spec.lines.every((l) => l.points.length === 0)) parts.push(noData(frame));
  return svg(spec.id, spec.chart, spec.title, frame, parts, spec.data);
}

/** renderBarChart draws grouped bars on a log scale, each bar labelled with its count. */
export function renderBarChart(spec: BarChart): string {
  const frame = frameWithLegend(spec.series);
  const max = Math.max(1, ...spec.groups.flatMap((g) => g.values));
  // Domain from 0.5 so that a bar of one task still shows; ticks at powers of ten.
  const decades = Math.max(1, Math.ceil(Math.log10(max)));
  const lo = Math.log10(0.5);
  const y = (v: number): number => frame.top + PLOT_HEIGHT - ((Math.log10(Math.max(v, 0.5)) - lo) / (decades - lo)) * PLOT_HEIGHT;
  const groupWidth = (frame.right - frame.left) / Math.max(1, spec.groups.length);
  const barWidth = (groupWidth * 0.8) / Math.max(1, spec.series.length);
  const base = frame.top + PLOT_HEIGHT;

  const parts: string[] = [frame.legend];
  for (let d = 0; d <= decades; d++) {
    const ty = fmt(y(10 ** d));
    parts.push(
      `<line class="grid" x1="${fmt(frame.left)}" x2="${fmt(frame.right)}" y1="${ty}" y2="${ty}"/>`,
      `<text class="tick" x="${fmt(frame.left - 6)}" y="${ty}" dy="0.32em" text-anchor="end">${formatCount(10 ** d)}</text>`,
    );
  }
  parts.push(axisTitles(frame, spec.yTitle, spec.xTitle));
  spec.groups.forEach((group, gi) => {
    const gx = frame.left + gi * groupWidth;
    parts.push(`<text class="tick" x="${fmt(gx + groupWidth / 2)}" y="${fmt(base + 16)}" text-anchor="middle">${escapeHtml(group.label)}</text>`);
    group.values.forEach((value, si) => {
      const series = spec.series[si];
      if (series === undefined || !(value > 0)) return;
      const bx = gx + groupWidth * 0.1 + si * barWidth;
      const top = y(value);
      const tip = `${series.label}, ${group.label}: ${formatCount(value)} ${value === 1 ? 'task' : 'tasks'}`;
      parts.push(
        `<rect class="bar" data-series="${escapeHtml(series.label)}" x="${fmt(bx)}" y="${fmt(top)}" width="${fmt(Math.max(1, barWidth - 1))}" height="${fmt(base - top)}" fill="${escapeHtml(series.color)}"><title>${escapeHtml(tip)}</title></rect>`,
        `<text class="bar-label" transform="translate(${fmt(bx + barWidth / 2 + 3)} ${fmt(top - 3)}) rotate(-90)">${formatCount(value)}</text>`,
      );
    });
  });
  parts.push(`<line class="axis" x1="${fmt(frame.left)}" x2="${fmt(frame.right)}" y1="${fmt(base)}" y2="${fmt(base)}"/>`);
  if (spec.groups.length === 0) parts.push(noData(frame));
  return svg(spec.id, spec.chart, spec.title, frame, parts);
}

function frameWithLegend(items: readonly { readonly label: string; readonly color: string }[]): Frame {
  const left = MARGIN.left;
  const right = WIDTH - MARGIN.right;
  const entries: string[] = [];
  let row = 0;
  let cursor = left;
  for (const item of items) {
    const width = 26 + item.label.length * FONT_CHAR_WIDTH;
    if (cursor + width > right && cursor > left) {
      row += 1;
      cursor = left;
    }
    const ly = 14 + row * LEGEND_ROW;
    entries.push(
      `<g class="legend-item"><rect x="${fmt(cursor)}" y="${fmt(ly - 8)}" width="12" height="10" rx="2" fill="${escapeHtml(item.color)}"/><text x="${fmt(cursor + 16)}" y="${fmt(ly)}">${escapeHtml(item.label)}</text></g>`,
    );
    cursor += width;
  }
  const top = 14 + (row + 1) * LEGEND_ROW;
  return { top, height: top + PLOT_HEIGHT + MARGIN.bottom, left, right, legend: `<g class="legend">${entries.join('')}</g>` };
}

function valueAxis(frame: Frame, yTop: number, yStep: number, y: (v: number) => number, title: string): string {
  const parts: string[] = [];
  for (let i = 0; i * yStep <= yTop + yStep / 1e6; i++) {
    const v = i * yStep;
    const ty = fmt(y(v));
    const label = Number.isInteger(yStep) ? formatCount(v) : formatDecimal(v);
    parts.push(
      `<line class="grid" x1="${fmt(frame.left)}" x2="${fmt(frame.right)}" y1="${ty}" y2="${ty}"/>`,
      `<text class="tick" x="${fmt(frame.left - 6)}" y="${ty}" dy="0.32em" text-anchor="end">${label}</text>`,
    );
  }
  return parts.join('') + axisTitles(frame, title, 'time since the first arrival');
}

function timeAxis(frame: Frame, xMax: number, x: (t: number) => number): string {
  const step = niceTimeStep(xMax, 6);
  const base = fmt(frame.top + PLOT_HEIGHT);
  const parts = [`<line class="axis" x1="${fmt(frame.left)}" x2="${fmt(frame.right)}" y1="${base}" y2="${base}"/>`];
  for (let i = 0; i * step <= xMax; i++) {
    const tx = fmt(x(i * step));
    parts.push(
      `<line class="axis" x1="${tx}" x2="${tx}" y1="${base}" y2="${fmt(frame.top + PLOT_HEIGHT + 5)}"/>`,
      `<text class="tick" x="${tx}" y="${fmt(frame.top + PLOT_HEIGHT + 17)}" text-anchor="middle">${i === 0 ? '0' : formatDuration(i * step)}</text>`,
    );
  }
  return parts.join('');
}

function axisTitles(frame: Frame, yTitle: string, xTitle: string): string {
  const midY = frame.top + PLOT_HEIGHT / 2;
  return (
    `<text class="axis-title" transform="translate(14 ${fmt(midY)}) rotate(-90)" text-anchor="middle">${escapeHtml(yTitle)}</text>` +
    `<text class="axis-title" x="${fmt((frame.left + frame.right) / 2)}" y="${fmt(frame.height - 6)}" text-anchor="middle">${escapeHtml(xTitle)}</text>`
  );
}

function stepPath(
  points: readonly { readonly t: number; readonly v: number }[],
  x: (t: number) => number,
  y: (v: number) => number,
): string {
  const sorted = points.filter((p) => Number.isFinite(p.t) && Number.isFinite(p.v)).sort((a, b) => a.t - b.t);
  const first = sorted[0];
  if (first === undefined) return '';
  let d = `M${fmt(x(first.t))} ${fmt(y(first.v))}`;
  for (const p of sorted.slice(1)) d += `H${fmt(x(p.t))}V${fmt(y(p.v))}`;
  return d;
}

function noData(frame: Frame): string {
  return `<text class="no-data" x="${fmt((frame.left + frame.right) / 2)}" y="${fmt(frame.top + PLOT_HEIGHT / 2)}" text-anchor="middle">no data</text>`;
}

function svg(id: string, chart: string, title: string, frame: Frame, parts: readonly string[], data: Readonly<Record<string, string>> = {}): string {
  const extra = Object.entries(data)
    .map(([name, value]) => ` data-${name}="${escapeHtml(value)}"`)
    .join('');
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" id="${escapeHtml(id)}" data-chart="${escapeHtml(chart)}"${extra} viewBox="0 0 ${WIDTH} ${fmt(frame.height)}" role="img" aria-label="${escapeHtml(title)}">` +
    `<title>${escapeHtml(title)}</title>${parts.join('')}</svg>`
  );
}

/** fmt keeps coordinates short and stable: one decimal, no `-0`. */
function fmt(n: number): string {
  const text = n.toFixed(1);
  const trimmed = text.endsWith('.0') ? text.slice(0, -2) : text;
  return trimmed === '-0' ? '0' : trimmed;
}
