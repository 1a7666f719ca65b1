/**
 * Text for the HTML report: escaping and number formatting. Everything here is locale-free (no `toLocaleString`,
 * no `Intl`) so that the same result renders to the same bytes on every machine.
 */

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** escapeHtml makes any string safe as HTML/SVG text or as a quoted attribute value (site and trace names come from files). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

const MISSING = '–';

/** formatPercent renders a 0–1 share as a percentage with one decimal: `0.8734` → `87.3 %`. */
export function formatPercent(share: number): string {
  return Number.isFinite(share) ? `${(share * 100).toFixed(1)} %` : MISSING;
}

/** formatCount renders an integer with thousands separators: `8152` → `8,152`. */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return MISSING;
  const sign = n < 0 ? '-' : '';
  const digits = Math.round(Math.abs(n)).toString();
  return sign + digits.replace(/\B(?=(\d{3})+$)/g, ',');
}

/** formatDecimal renders a time-averaged quantity with one decimal (`12.25` → `12.3`), thousands separated. */
export function formatDecimal(n: number): string {
  if (!Number.isFinite(n)) return MISSING;
  const [whole = '0', fraction = '0'] = Math.abs(n).toFixed(1).split('.');
  return `${n < 0 ? '-' : ''}${formatCount(Number(whole))}.${fraction}`;
}

/** Units from the largest down; a duration is shown in the first unit whose `from` it reaches. */
const DURATION_UNITS: readonly { readonly label: string; readonly seconds: number; readonly from: number }[] = [
  // Days only from two days on: "36 h" reads better than "1.5 d" for waits.
  { label: 'd', seconds: 86_400, from: 2 * 86_400 },
  { label: 'h', seconds: 3_600, from: 3_600 },
  { label: 'min', seconds: 60, from: 60 },
];

/**
 * formatDuration humanises seconds: `12` → `12 s`, `2100` → `35 min`, `4320` → `1.2 h`, `259200` → `3 d`. One
 * decimal where the value is under ten of its unit, none above (the table compares magnitudes, not exact seconds).
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return MISSING;
  if (seconds < 0) return `-${formatDuration(-seconds)}`;
  for (const unit of DURATION_UNITS) {
    if (seconds >= unit.from) return `${roundForUnit(seconds / unit.seconds)} ${unit.label}`;
  }
  if (seconds === 0) return '0 s';
  return seconds < 10 ? `${roundForUnit(seconds)} s` : `${Math.round(seconds)} s`;
}

function roundForUnit(value: number): string {
  const text = value < 10 ? value.toFixed(1) : Math.round(value).toString();
  return text.endsWith('.0') ? text.slice(0, -2) : text;
}

/** formatMs renders a wall time in milliseconds: `850` → `850 ms`, `12400` → `12.4 s`. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return MISSING;
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** niceStep picks a 1-2-5 step so that `span` splits into about `ticks` parts. */
export function niceStep(span: number, ticks: number): number {
  if (!(span > 0)) return 1;
  const raw = span / ticks;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const normalised = raw / magnitude;
  const factor = normalised <= 1 ? 1 : normalised <= 2 ? 2 : normalised <= 5 ? 5 : 10;
  return factor * magnitude;
}

/** Time steps a reader counts in, seconds: a time axis ticks at one of these rather than at 2,000 s. */
const TIME_STEPS = [
  1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400, 172_800, 345_600,
  604_800, 1_209_600, 2_419_200,
];

/** niceTimeStep picks a clock-friendly step (minutes, hours, days, weeks) so that `span` splits into about `ticks` parts. */
export function niceTimeStep(span: number, ticks: number): number {
  const raw = span / ticks;
  return TIME_STEPS.find((step) => step >= raw) ?? niceStep(span, ticks);
}
