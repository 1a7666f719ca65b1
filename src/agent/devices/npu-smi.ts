/**
 * Parsers for Huawei Ascend `npu-smi info` (the box table) and `npu-smi info -t health -i <npu>`. The table has two
 * rows per NPU — "NPU Name | Health | Power(W) Temp(C) Hugepages-Usage(page)" and "Chip [Device] | Bus-Id |
 * AICore(%) Memory-Usage(MB) [HBM-Usage(MB)]" — whose columns differ between 910B (HBM column) and 310 (Device
 * column), so values are read by header name (research §2.2, pitfall 5). Power can read "NA".
 */
import { boxLines, splitPair, tokens, type BoxLine } from './box-table.ts';
import { ascendSignals, verdict, type AscendHealthDetail } from './health.ts';
import { optional, readNumber } from './measure.ts';
import { normalizePciBusId } from './pci.ts';
import { okReport, OutputRejected, unknownReport, type ReportContext } from './report.ts';
import type { Device, DeviceReport } from './types.ts';

/** NpuSmiInput is the output of `npu-smi info`, plus `-t health` details for NPUs whose Health was not OK. */
export interface NpuSmiInput {
  readonly stdout: string;
  readonly observedAt: string;
  /** healthDetails holds `npu-smi info -t health -i <npu>` results by NPU id. */
  readonly healthDetails?: ReadonlyMap<number, AscendHealthDetail>;
}

const REQUIRED_TOP = ['NPU', 'Name', 'Health', 'Power(W)', 'Temp(C)'];
const REQUIRED_CHIP = ['Chip', 'Bus-Id', 'AICore(%)', 'Memory-Usage(MB)'];

type Fields = ReadonlyMap<string, string>;
type Row = { readonly cells: readonly string[]; readonly line: number };

/** parseNpuSmiInfo turns `npu-smi info` into a DeviceReport, one Device per chip row. */
export function parseNpuSmiInfo(input: NpuSmiInput): DeviceReport {
  const ctx: ReportContext = { provider: 'npu-smi', tool: 'npu-smi', observedAt: input.observedAt };
  const split = boxLines(input.stdout);
  if (!split.ok) return unknownReport(ctx, `npu-smi output ${split.reason}`);
  const lines = split.lines;
  const title = lines.find((l) => l.kind === 'row' && /npu-smi/i.test(l.cells[0] ?? ''));
  const version = title?.kind === 'row' ? /Version:\s*(\S+)/.exec(title.cells[0] ?? '')?.[1] : undefined;
  try {
    return okReport(ctx, readDevices(lines, input.healthDetails).map((e) => e.device), version);
  } catch (err) {
    if (err instanceof OutputRejected) return unknownReport(ctx, `npu-smi: ${err.message}`, version);
    throw err;
  }
}

/**
 * npuIdsNotOk lists the NPU ids whose Health is not OK in `npu-smi info` output, so the provider knows which NPUs to
 * ask `npu-smi info -t health -i <id>` about. Empty when the output cannot be read (the report says why).
 */
export function npuIdsNotOk(stdout: string): number[] {
  const split = boxLines(stdout);
  if (!split.ok) return [];
  try {
    const ids = readDevices(split.lines, undefined).filter((e) => e.health.toUpperCase() !== 'OK').map((e) => e.npu);
    return [...new Set(ids)];
  } catch (err) {
    if (err instanceof OutputRejected) return [];
    throw err;
  }
}

interface Entry {
  readonly npu: number;
  readonly health: string;
  readonly device: Device;
}

function readDevices(lines: readonly BoxLine[], details: ReadonlyMap<number, AscendHealthDetail> | undefined): Entry[] {
  const h = lines.findIndex((l) => l.kind === 'row' && l.cells[1] === 'Health');
  const top = lines[h];
  const chip = lines[h + 1];
  if (top?.kind !== 'row' || chip?.kind !== 'row') throw new OutputRejected('no NPU table header');
  const topCols = headerColumns(top.cells);
  const chipCols = headerColumns(chip.cells);
  const missing = [
    ...REQUIRED_TOP.filter((c) => !topCols.flat().includes(c)),
    ...REQUIRED_CHIP.filter((c) => !chipCols.flat().includes(c)),
  ];
  if (missing.length > 0) throw new OutputRejected(`unrecognised layout: no ${missing.join(', ')} column(s)`);

  const entries: Entry[] = [];
  for (const block of deviceBlocks(lines.slice(h + 2))) {
    const [npuRow, ...chipRows] = block;
    if (npuRow === undefined || chipRows.length === 0) {
      throw new OutputRejected(`NPU block at line ${npuRow?.line ?? '?'} has no chip row (truncated?)`);
    }
    const npu = fields(topCols, npuRow, true);
    for (const row of chipRows) {
      const device = toDevice(npu, fields(chipCols, row, false), row.line, details);
      entries.push({ npu: Number(npu.get('NPU')), health: npu.get('Health') ?? '', device });
    }
  }
  return entries;
}

/** headerColumns splits a header row's cells into column names, cell by cell. */
function headerColumns(cells: readonly string[]): string[][] {
  return cells.map((c) => tokens(c));
}

/** deviceBlocks groups the rows between rules after the header; it stops at the process table. */
function deviceBlocks(lines: readonly BoxLine[]): Row[][] {
  const blocks: Row[][] = [];
  let current: Row[] = [];
  for (const l of lines) {
    if (l.kind === 'rule') {
      if (current.length > 0) blocks.push(current);
      current = [];
      continue;
    }
    if (l.kind === 'other') {
      if (l.text.trim() === '') continue;
      throw new OutputRejected(`unexpected text at line ${l.line}: "${l.text.slice(0, 80)}"`);
    }
    if (l.cells.some((c) => /^Process id$/i.test(c))) {
      // The process table follows the device table; an NPU block still open here was never closed.
      if (current.length > 0) throw new OutputRejected(`block at line ${current[0]?.line ?? '?'} is not closed`);
      return blocks;
    }
    current.push({ cells: l.cells, line: l.line });
  }
  if (current.length > 0) throw new OutputRejected(`output ends inside the block at line ${current[0]?.line ?? '?'} (truncated?)`);
  return blocks;
}

/**
 * fields maps a data row onto header columns, cell by cell, so a value cannot slide into the neighbouring cell's
 * column. On the NPU row the name may contain spaces: the first token is the NPU id and the rest is the name.
 */
function fields(cols: readonly string[][], row: Row, npuRow: boolean): Fields {
  if (row.cells.length !== cols.length) {
    throw new OutputRejected(`line ${row.line} has ${row.cells.length} cells under ${cols.length} header cells: layout mismatch`);
  }
  const out = new Map<string, string>();
  row.cells.forEach((cell, i) => {
    const names = cols[i] ?? [];
    let t = tokens(cell);
    if (npuRow && i === 0 && t.length > 2) t = [t[0] ?? '', t.slice(1).join(' ')];
    if (t.length !== names.length) {
      throw new OutputRejected(`line ${row.line}: "${cell}" does not fit the columns ${names.join(' ')}: layout mismatch`);
    }
    names.forEach((name, j) => out.set(name, t[j] ?? ''));
  });
  return out;
}

function num(f: Fields, col: string, line: number): number | undefined {
  const raw = f.get(col);
  if (raw === undefined) return undefined;
  const n = readNumber(raw);
  if (!n.ok) throw new OutputRejected(`line ${line}: ${col} is "${n.text}", not a number`);
  return n.value;
}

function pair(f: Fields, col: string, line: number): { used?: number; total?: number } {
  const raw = f.get(col) ?? '';
  const p = splitPair(raw);
  const used = p === undefined ? undefined : readNumber(p[0]);
  const total = p === undefined ? undefined : readNumber(p[1]);
  if (!used?.ok || !total?.ok) throw new OutputRejected(`line ${line}: ${col} is "${raw}", not used/total`);
  return { ...optional('used', used.value), ...optional('total', total.value) };
}

function toDevice(npu: Fields, chip: Fields, line: number, details: ReadonlyMap<number, AscendHealthDetail> | undefined): Device {
  const id = num(npu, 'NPU', line);
  if (id === undefined || !Number.isInteger(id)) throw new OutputRejected(`line ${line}: NPU id "${npu.get('NPU')}" is not a number`);
  const rawBus = chip.get('Bus-Id') ?? '';
  const pciBusId = normalizePciBusId(rawBus);
  if (pciBusId === undefined) throw new OutputRejected(`line ${line}: Bus-Id "${rawBus}" is not a PCI address`);
  // 910B keeps model memory in HBM and shows DDR "Memory-Usage" as 0/0; 310 has only Memory-Usage.
  const memory = pair(chip, chip.has('HBM-Usage(MB)') ? 'HBM-Usage(MB)' : 'Memory-Usage(MB)', line);
  const { health, healthReasons } = verdict(ascendSignals(npu.get('Health') ?? '', details?.get(id)));
  return {
    index: num(chip, 'Device', line) ?? id,
    pciBusId,
    vendor: 'huawei',
    model: npu.get('Name') ?? '',
    ...optional('memoryTotalMiB', memory.total),
    ...optional('memoryUsedMiB', memory.used),
    ...optional('temperatureC', num(npu, 'Temp(C)', line)),
    ...optional('powerW', num(npu, 'Power(W)', line)),
    ...optional('utilizationPct', num(chip, 'AICore(%)', line)),
    health,
    healthReasons,
  };
}

/** NpuHealthRead is `npu-smi info -t health` parsed: the Health Status and its detail, or why it could not be read. */
export type NpuHealthRead =
  | { readonly ok: true; readonly status: string; readonly detail: AscendHealthDetail }
  | { readonly ok: false; readonly reason: string };

/**
 * parseNpuSmiHealth reads the "Key : Value" lines of `npu-smi info -t health`. "NA" error codes mean none; several
 * codes may be listed, separated by spaces or commas.
 */
export function parseNpuSmiHealth(text: string): NpuHealthRead {
  const kv = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\s*([^:]+?)\s*:\s*(.*?)\s*$/.exec(line);
    if (m?.[1] !== undefined && m[2] !== undefined) kv.set(m[1].toLowerCase(), m[2]);
  }
  const status = kv.get('health status');
  if (status === undefined || status === '') return { ok: false, reason: 'npu-smi -t health printed no Health Status' };
  const isNA = (v: string | undefined): boolean => v === undefined || v === '' || /^n\/?a$/i.test(v);
  const codes = kv.get('error code');
  const info = kv.get('error information');
  return {
    ok: true,
    status,
    detail: {
      errorCodes: isNA(codes) ? [] : (codes ?? '').split(/[\s,]+/).filter((c) => c !== ''),
      ...(isNA(info) ? {} : { errorInformation: info ?? '' }),
    },
  };
}
