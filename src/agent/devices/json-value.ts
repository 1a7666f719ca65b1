/**
 * Reading measurements out of the JSON AMD's tools print. amd-smi writes `{"value": 712, "unit": "W"}` (units since
 * 2024), a bare number, or the string "N/A" for an unavailable value; rocm-smi writes every value as a string
 * ("44.0"). Anything else where a measurement belongs means the output is not what we think it is.
 */
import { readNumber } from './measure.ts';
import { OutputRejected } from './report.ts';

/** JsonObject is a parsed JSON object. */
export type JsonObject = Readonly<Record<string, unknown>>;

/** isObject narrows a parsed JSON value to an object (not null, not an array). */
export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Measurement is a number with the unit the tool gave it, if any. */
export interface Measurement {
  readonly value: number;
  readonly unit?: string;
}

/**
 * measurement reads one JSON measurement: undefined when the key is missing or the tool said "N/A"; throws
 * OutputRejected (naming where) when the value has a shape no version of the tool prints.
 */
export function measurement(v: unknown, where: string): Measurement | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number') return Number.isFinite(v) ? { value: v } : undefined;
  if (typeof v === 'string') {
    const n = readNumber(v);
    if (!n.ok) throw new OutputRejected(`${where} is "${n.text}", not a measurement`);
    return n.value === undefined ? undefined : { value: n.value };
  }
  if (isObject(v) && 'value' in v) {
    const inner = measurement(v['value'], where);
    if (inner === undefined) return undefined;
    const unit = v['unit'];
    return typeof unit === 'string' ? { value: inner.value, unit } : inner;
  }
  throw new OutputRejected(`${where} has an unexpected shape`);
}

const MIB_PER: Readonly<Record<string, number>> = { b: 2 ** -20, kb: 2 ** -10, kib: 2 ** -10, mb: 1, mib: 1, gb: 1024, gib: 1024 };

/**
 * mebibytes converts a memory measurement to MiB, rounded to a whole MiB. amd-smi labels its memory "MB" but computes
 * bytes / 2^20 (research §2.1), so MB is read as MiB; a bare number is taken in the tool's default unit.
 */
export function mebibytes(m: Measurement | undefined, defaultUnit: string, where: string): number | undefined {
  if (m === undefined) return undefined;
  const factor = MIB_PER[(m.unit ?? defaultUnit).toLowerCase()];
  if (factor === undefined) throw new OutputRejected(`${where} has unknown memory unit "${m.unit ?? defaultUnit}"`);
  return Math.round(m.value * factor);
}
