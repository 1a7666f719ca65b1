/**
 * Parser for Hygon DCU `hy-smi` (research §2.4, §(c6)): a whitespace table between "=====" banners,
 * "HCU Temp AvgPwr Perf PwrCap VRAM% HCU% [Dec% Enc%] Mode", values with unit suffixes ("59.0C", "114.0W", "0.0%").
 * Older versions lack Dec%/Enc%, so columns are read by header. hy-smi gives VRAM only as a percentage and prints no
 * product name, so memory is left out and the model comes from the caller.
 */
import { verdict } from './health.ts';
import { optional, readNumber } from './measure.ts';
import { okReport, OutputRejected, unknownReport, type ReportContext } from './report.ts';
import type { Device, DeviceReport } from './types.ts';

/** HySmiInput is the output of plain `hy-smi`. */
export interface HySmiInput {
  readonly stdout: string;
  readonly observedAt: string;
  /** model names the DCUs when the caller knows it (e.g. from the hygon.com/dcu.product label). */
  readonly model?: string;
}

const INDEX_COLUMNS = ['HCU', 'DCU'];
const REQUIRED = ['Temp', 'AvgPwr'];

/** parseHySmi turns hy-smi's table into a DeviceReport. */
export function parseHySmi(input: HySmiInput): DeviceReport {
  const ctx: ReportContext = { provider: 'hy-smi', tool: 'hy-smi', observedAt: input.observedAt };
  try {
    return okReport(ctx, readDevices(input.stdout.split('\n'), input.model ?? ''));
  } catch (err) {
    if (err instanceof OutputRejected) return unknownReport(ctx, `hy-smi: ${err.message}`);
    throw err;
  }
}

const BANNER = /^=+/;

function readDevices(lines: readonly string[], model: string): Device[] {
  const h = lines.findIndex((l) => INDEX_COLUMNS.includes(l.trim().split(/\s+/)[0] ?? '') && /\bTemp\b/.test(l));
  if (h < 0) throw new OutputRejected('no device table header');
  const cols = (lines[h] ?? '').trim().split(/\s+/);
  const missing = REQUIRED.filter((c) => !cols.includes(c));
  if (missing.length > 0) throw new OutputRejected(`unrecognised layout: no ${missing.join(', ')} column(s)`);
  // Utilisation is "HCU%" on current versions; "DCU%" is the same column under the older product name.
  const utilCol = cols.find((c) => c === 'HCU%' || c === 'DCU%');

  const devices: Device[] = [];
  let closed = false;
  for (let i = h + 1; i < lines.length; i++) {
    const line = (lines[i] ?? '').trim();
    if (BANNER.test(line)) {
      closed = true;
      break;
    }
    if (line === '') continue;
    const values = line.split(/\s+/);
    if (values.length !== cols.length) {
      throw new OutputRejected(`line ${i + 1} has ${values.length} values under ${cols.length} columns (${cols.join(' ')})`);
    }
    const row = new Map(cols.map((c, j) => [c, values[j] ?? '']));
    const num = (col: string | undefined): number | undefined => {
      if (col === undefined || !row.has(col)) return undefined;
      const n = readNumber(row.get(col) ?? '');
      if (!n.ok) throw new OutputRejected(`line ${i + 1}: ${col} is "${n.text}", not a number`);
      return n.value;
    };
    const index = num(cols[0]);
    if (index === undefined || !Number.isInteger(index)) throw new OutputRejected(`line ${i + 1}: "${values[0] ?? ''}" is not a device index`);
    const { health, healthReasons } = verdict([]);
    devices.push({
      index,
      vendor: 'hygon',
      model,
      ...optional('temperatureC', num('Temp')),
      ...optional('powerW', num('AvgPwr')),
      ...optional('utilizationPct', num(utilCol)),
      health,
      healthReasons,
    });
  }
  // hy-smi closes the table with a banner; without it the output was cut after the last row we read.
  if (!closed) throw new OutputRejected('device table is not closed by a ===== banner (truncated?)');
  const seen = new Set<number>();
  for (const d of devices) {
    if (seen.has(d.index)) throw new OutputRejected(`device ${d.index} is listed twice: mixed output`);
    seen.add(d.index);
  }
  return devices;
}
