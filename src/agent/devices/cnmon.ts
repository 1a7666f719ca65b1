/**
 * Parser for Cambricon `cnmon` (the box table, research §2.3 and §(c5)). Two rows per card:
 * "Card VF Name Firmware | Bus-Id | Util Ecc-Error" and "Fan Temp Pwr:Usage/Cap | Memory-Usage | SR-IOV Compute-Mode".
 * CNMON v4 prints "Inited Driver" instead of Bus-Id and "vMemory-Usage" in the last column; both layouts are read,
 * anything else is rejected. cnmon memory is MiB.
 */
import { boxLines, type BoxLine } from './box-table.ts';
import { cambriconSignals, verdict } from './health.ts';
import { optional, readNumber } from './measure.ts';
import { normalizePciBusId } from './pci.ts';
import { okReport, OutputRejected, unknownReport, type ReportContext } from './report.ts';
import type { Device, DeviceReport } from './types.ts';

/** CnmonInput is the output of plain `cnmon`. */
export interface CnmonInput {
  readonly stdout: string;
  readonly observedAt: string;
}

type Row = { readonly cells: readonly string[]; readonly line: number };

const FIRST = ['Card VF Name Firmware', 'Util Ecc-Error'];
const SECOND = ['Fan Temp Pwr:Usage/Cap', 'Memory-Usage'];
// The two known layouts, as (middle header of row one, last header of row two): v5 and v4.
const LAYOUTS: ReadonlyArray<readonly [string, string]> = [
  ['Bus-Id', 'SR-IOV Compute-Mode'],
  ['Inited Driver', 'vMemory-Usage'],
];

/** parseCnmon turns cnmon's card table into a DeviceReport. */
export function parseCnmon(input: CnmonInput): DeviceReport {
  const ctx: ReportContext = { provider: 'cnmon', tool: 'cnmon', observedAt: input.observedAt };
  const split = boxLines(input.stdout);
  if (!split.ok) return unknownReport(ctx, `cnmon output ${split.reason}`);
  const title = split.lines.find((l) => l.kind === 'row' && /CNMON/i.test(l.cells[0] ?? ''));
  const version = title?.kind === 'row' ? /CNMON\s+v?(\S+)/i.exec(title.cells[0] ?? '')?.[1] : undefined;
  try {
    return okReport(ctx, readDevices(split.lines), version);
  } catch (err) {
    if (err instanceof OutputRejected) return unknownReport(ctx, `cnmon: ${err.message}`, version);
    throw err;
  }
}

// Plain whitespace split: the VF column is a lone "/", which must stay its own token.
const tokens = (cell: string): string[] => (cell.trim() === '' ? [] : cell.trim().split(/\s+/));
const words = (cell: string | undefined): string => tokens(cell ?? '').join(' ');

function readDevices(lines: readonly BoxLine[]): Device[] {
  const h = lines.findIndex((l) => l.kind === 'row' && words(l.cells[0]) === FIRST[0]);
  const a = lines[h];
  const b = lines[h + 1];
  if (a?.kind !== 'row' || b?.kind !== 'row') throw new OutputRejected('no card table header');
  const layoutOk =
    a.cells.length === 3 &&
    b.cells.length === 3 &&
    words(a.cells[2]) === FIRST[1] &&
    words(b.cells[0]) === SECOND[0] &&
    words(b.cells[1]) === SECOND[1] &&
    LAYOUTS.some(([middle, last]) => words(a.cells[1]) === middle && words(b.cells[2]) === last);
  if (!layoutOk) throw new OutputRejected(`unrecognised layout at line ${a.line}`);
  const hasBusId = words(a.cells[1]) === 'Bus-Id';
  return cardBlocks(lines.slice(h + 2)).map((block) => toDevice(block, hasBusId));
}

/** cardBlocks groups the two rows of each card; the card table ends at the first row that is not 3 cells wide. */
function cardBlocks(lines: readonly BoxLine[]): Array<readonly [Row, Row]> {
  const blocks: Array<readonly [Row, Row]> = [];
  let current: Row[] = [];
  const close = (line: number): void => {
    if (current.length === 0) return;
    const [first, second] = current;
    if (current.length !== 2 || first === undefined || second === undefined) {
      throw new OutputRejected(`card block ending at line ${line} has ${current.length} row(s), expected 2`);
    }
    blocks.push([first, second]);
    current = [];
  };
  for (const l of lines) {
    if (l.kind === 'rule') {
      close(l.line);
      continue;
    }
    if (l.kind === 'other' || l.cells.length !== 3) {
      // Past the card table (a blank line, the process table). A card block still open here was cut short.
      if (current.length > 0) throw new OutputRejected(`card block at line ${current[0]?.line ?? '?'} is not closed`);
      return blocks;
    }
    current.push({ cells: l.cells, line: l.line });
  }
  if (current.length > 0) throw new OutputRejected(`output ends inside the card block at line ${current[0]?.line ?? '?'} (truncated?)`);
  return blocks;
}

function number(raw: string | undefined, what: string, line: number): number | undefined {
  const n = readNumber(raw ?? '');
  if (!n.ok) throw new OutputRejected(`line ${line}: ${what} is "${n.text}", not a number`);
  return n.value;
}

// "106 W/ 250 W", "0 MiB/ 23374 MiB"; either side may be N/A.
function usageOf(cell: string, unit: string, what: string, line: number): { used?: number; cap?: number } {
  const re = new RegExp(`^(N/A|[\\d.]+)\\s*(?:${unit})?\\s*/\\s*(N/A|[\\d.]+)\\s*(?:${unit})?$`, 'i');
  const m = re.exec(cell.trim());
  if (m === null) throw new OutputRejected(`line ${line}: ${what} is "${cell}", not used/capacity`);
  return { ...optional('used', number(m[1], what, line)), ...optional('cap', number(m[2], what, line)) };
}

function toDevice([a, b]: readonly [Row, Row], hasBusId: boolean): Device {
  const ident = tokens(a.cells[0] ?? '');
  if (ident.length < 4) throw new OutputRejected(`line ${a.line}: "${a.cells[0] ?? ''}" is not Card VF Name Firmware`);
  const index = number(ident[0], 'Card', a.line);
  if (index === undefined || !Number.isInteger(index)) throw new OutputRejected(`line ${a.line}: Card is not a number`);
  const util = tokens(a.cells[2] ?? '');
  if (util.length !== 2) throw new OutputRejected(`line ${a.line}: "${a.cells[2] ?? ''}" is not Util Ecc-Error`);
  const eccErrors = number(util[1], 'Ecc-Error', a.line);
  const fanTempPower = /^(\S+)\s+(\S+)\s+(.+)$/.exec(b.cells[0] ?? '');
  if (fanTempPower === null) throw new OutputRejected(`line ${b.line}: "${b.cells[0] ?? ''}" is not Fan Temp Pwr:Usage/Cap`);
  const power = usageOf(fanTempPower[3] ?? '', 'W', 'Pwr:Usage/Cap', b.line);
  const memory = usageOf(b.cells[1] ?? '', 'MiB', 'Memory-Usage', b.line);
  let pciBusId: string | undefined;
  if (hasBusId) {
    pciBusId = normalizePciBusId(a.cells[1] ?? '');
    if (pciBusId === undefined) throw new OutputRejected(`line ${a.line}: Bus-Id "${a.cells[1] ?? ''}" is not a PCI address`);
  } else if (!/^(On|Off)\s+\S+$/i.test(a.cells[1] ?? '')) {
    // v4's "Inited Driver" cell ("On v4.20.11"); anything else is a row from another layout.
    throw new OutputRejected(`line ${a.line}: "${a.cells[1] ?? ''}" does not fit the Inited Driver column`);
  }
  const { health, healthReasons } = verdict(cambriconSignals(eccErrors));
  return {
    index,
    ...optional('pciBusId', pciBusId),
    vendor: 'cambricon',
    model: ident.slice(2, -1).join(' '),
    ...optional('memoryTotalMiB', memory.cap),
    ...optional('memoryUsedMiB', memory.used),
    ...optional('temperatureC', number(fanTempPower[2], 'Temp', b.line)),
    ...optional('powerW', power.used),
    ...optional('utilizationPct', number(util[0], 'Util', a.line)),
    health,
    healthReasons,
  };
}
