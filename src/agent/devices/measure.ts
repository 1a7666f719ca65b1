/**
 * Reading one value cell of vendor-tool output. Tools print many spellings of "no value" (research §1.4 and pitfall 2):
 * nvidia-smi "[N/A]", "[Not Supported]", "[Unknown Error]", "[GPU is lost]" and a bare "N/A"; npu-smi "NA"; cnmon
 * and amd-smi "N/A"; some tools "-". All of them mean the measurement is absent — never 0. Some of them are also health
 * evidence ("[GPU is lost]"), so a cell reads as a tagged value rather than a bare number.
 */

/**
 * Absence says why a cell has no value:
 * - unsupported: the device or driver does not offer the field (N/A, Not Supported): normal, not a fault;
 * - error: the tool tried and failed (Unknown Error, Insufficient Permissions, …): the value is unknowable right now;
 * - lost: the GPU fell off the bus ("[GPU is lost]");
 * - reset-required: the GPU must be reset before it works again ("[GPU requires reset]").
 */
export type Absence = 'unsupported' | 'error' | 'lost' | 'reset-required';

/** Cell is one parsed cell: a number, an absent value with the reason, a plain word, or something unreadable. */
export type Cell =
  | { readonly kind: 'number'; readonly value: number }
  | { readonly kind: 'absent'; readonly absence: Absence; readonly token: string }
  | { readonly kind: 'text'; readonly value: string };

const UNSUPPORTED = new Set(['', 'n/a', 'na', '-', '--', '[n/a]', '[not supported]', 'not supported']);
const BRACKETED: ReadonlyMap<string, Absence> = new Map([
  ['[gpu is lost]', 'lost'],
  ['[gpu requires reset]', 'reset-required'],
  ['[unknown error]', 'error'],
  ['[insufficient permissions]', 'error'],
  ['[function not found]', 'error'],
  // A deprecated field (e.g. power.management on driver 590) will never have a value again: unsupported, not an error.
  ['[requested functionality has been deprecated]', 'unsupported'],
]);

/** absenceOf returns why a raw cell holds no value, or undefined when it holds one. */
export function absenceOf(raw: string): Absence | undefined {
  const t = raw.trim().toLowerCase();
  if (UNSUPPORTED.has(t)) return 'unsupported';
  const known = BRACKETED.get(t);
  if (known !== undefined) return known;
  // nvidia-smi wraps every failure in brackets; a bracketed message we have not met is still a failure to read.
  if (t.startsWith('[') && t.endsWith(']')) return 'error';
  return undefined;
}

const NUMBER = /^([+-]?\d+(?:\.\d+)?)\s*(%|c|w|mib|mb|mhz|us|°c)?$/i;

/**
 * readCell classifies a raw cell. A number may carry one of the unit suffixes the tools print ("81559 MiB", "59.0C",
 * "114.0W", "0 %"); callers that need a specific unit check it themselves before calling this.
 */
export function readCell(raw: string): Cell {
  const absence = absenceOf(raw);
  if (absence !== undefined) return { kind: 'absent', absence, token: raw.trim() };
  const t = raw.trim();
  const m = NUMBER.exec(t);
  if (m?.[1] !== undefined) return { kind: 'number', value: Number(m[1]) };
  return { kind: 'text', value: t };
}

/** NumberRead is the outcome of reading a cell that must be a number: a value, an absence, or invalid text. */
export type NumberRead =
  | { readonly ok: true; readonly value?: number; readonly absence?: Absence }
  | { readonly ok: false; readonly text: string };

/**
 * readNumber reads a cell that must hold a number or an absence token. Anything else is reported as invalid so that
 * the caller can reject the whole output: a word where a number belongs means the columns have shifted.
 */
export function readNumber(raw: string): NumberRead {
  const cell = readCell(raw);
  switch (cell.kind) {
    case 'number':
      return { ok: true, value: cell.value };
    case 'absent':
      return { ok: true, absence: cell.absence };
    case 'text':
      return { ok: false, text: cell.value };
  }
}

/** optional returns a one-key object when value is defined, else an empty one, for exactOptionalPropertyTypes spreads. */
export function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
