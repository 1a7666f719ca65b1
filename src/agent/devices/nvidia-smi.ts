/**
 * Parser for `nvidia-smi --query-gpu=<fields> --format=csv[,noheader][,nounits]`. Format rules (research §1.4, §(c1),
 * pitfalls 2–3, 11): values joined by ", " and never quoted, so the column count must equal the requested field count
 * or the columns have shifted; absence tokens are many and are never 0; a GPU nvidia-smi cannot open disappears from
 * stdout and is named on stderr ("Unable to determine the device handle for GPU7: 0000:DB:00.0: Unknown Error").
 */
import { nvidiaSignals, verdict } from './health.ts';
import { absenceOf, optional, readCell, readNumber, type Absence } from './measure.ts';
import { canonicalField } from './nvidia-query-fields.ts';
import { normalizePciBusId } from './pci.ts';
import { firstLine, okReport, unknownReport, type ReportContext } from './report.ts';
import type { Device, DeviceReport } from './types.ts';

/** NvidiaSmiInput is one run of the query: its output and the canonical field name of each column. */
export interface NvidiaSmiInput {
  readonly stdout: string;
  readonly stderr?: string;
  readonly fields: readonly string[];
  /** header is true when the output starts with a header line (`--format=csv` without `noheader`). */
  readonly header?: boolean;
  readonly observedAt: string;
}

// Lines after which nothing nvidia-smi printed can be trusted: no visibility, so the node is Unknown (pitfall 11).
const FATAL = [
  /Failed to initialize NVML/i,
  /NVIDIA-SMI has failed/i,
  /is not a valid field to query/i,
  /No devices were found/i,
  /Driver\/library version mismatch/i,
];
// Older drivers print "for GPU0000:08:00.0: …", newer "for GPU1: 0000:34:00.0: …". The index is followed by a space,
// which tells "GPU1: " from the "GPU0000:" of a bare PCI address.
const HANDLE_FAILURE =
  /Unable to determine the device handle for GPU\s*(?:(\d+):\s+)?([0-9A-Fa-f]{4,8}:[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}\.[0-7])?:?\s*(.*)$/;

/**
 * isGpuHandleFailure says whether a line is nvidia-smi's report of one GPU it could not open. nvidia-smi still prints
 * the other GPUs, so output with only such lines on stderr is worth parsing even when the exit code is not 0.
 */
export function isGpuHandleFailure(line: string): boolean {
  return HANDLE_FAILURE.test(line.trim());
}

const NUMERIC = new Set([
  'index',
  'memory.total',
  'memory.reserved',
  'memory.used',
  'memory.free',
  'utilization.gpu',
  'utilization.memory',
  'temperature.gpu',
  'temperature.memory',
  'power.draw',
  'power.limit',
  'ecc.errors.corrected.volatile.total',
  'ecc.errors.uncorrected.volatile.total',
  'ecc.errors.uncorrected.aggregate.total',
  'pcie.link.gen.current',
  'pcie.link.width.current',
]);
const YES_NO = new Set(['retired_pages.pending', 'remapped_rows.pending', 'remapped_rows.failure']);
const ACTIVE = new Set(['clocks_event_reasons.hw_slowdown', 'clocks_event_reasons.sw_thermal_slowdown']);
const HEALTH_FIELDS = new Set([
  'ecc.errors.uncorrected.volatile.total',
  'retired_pages.pending',
  'remapped_rows.pending',
  'remapped_rows.failure',
  'gpu_recovery_action',
]);

type RowResult = { ok: true; device: Device; driver?: string } | { ok: false; reason: string };

/** parseNvidiaSmiCsv turns one nvidia-smi CSV query into a DeviceReport (status Unknown when it cannot be trusted). */
export function parseNvidiaSmiCsv(input: NvidiaSmiInput): DeviceReport {
  const ctx: ReportContext = { provider: 'nvidia-smi', tool: 'nvidia-smi', observedAt: input.observedAt };
  const stderr = input.stderr ?? '';
  const allLines = `${input.stdout}\n${stderr}`.split('\n').map((l) => l.trim());
  const fatal = allLines.find((l) => FATAL.some((re) => re.test(l)));
  if (fatal !== undefined) return unknownReport(ctx, `nvidia-smi: ${fatal}`);
  if (input.stdout !== '' && !input.stdout.endsWith('\n')) {
    return unknownReport(ctx, 'nvidia-smi output does not end with a newline (truncated?)');
  }

  const failures = allLines.flatMap((l) => {
    const m = HANDLE_FAILURE.exec(l);
    return m ? [{ index: m[1], pci: m[2], message: (m[3] ?? '').trim(), line: l }] : [];
  });
  let rows = input.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !HANDLE_FAILURE.test(l));

  if (input.header === true) {
    const head = rows[0];
    if (head === undefined) return unknownReport(ctx, 'nvidia-smi printed no header line');
    const names = head.split(', ').map((h) => canonicalField(h.replace(/\s*\[[^\]]*\]$/, '')));
    if (names.join(',') !== input.fields.join(',')) {
      return unknownReport(ctx, `nvidia-smi header "${firstLine(head, 120)}" does not match the requested fields`);
    }
    rows = rows.slice(1);
  }

  const devices: Device[] = [];
  const drivers = new Set<string>();
  for (const [i, row] of rows.entries()) {
    const cells = row.split(', ');
    if (cells.length !== input.fields.length) {
      return unknownReport(
        ctx,
        `nvidia-smi row ${i + 1} has ${cells.length} columns, expected ${input.fields.length} (truncated or shifted output)`,
      );
    }
    const byField = new Map(input.fields.map((f, j) => [f, cells[j] ?? '']));
    const parsed = parseRow(byField);
    if (!parsed.ok) return unknownReport(ctx, `nvidia-smi row ${i + 1}: ${parsed.reason}`);
    devices.push(parsed.device);
    if (parsed.driver !== undefined) drivers.add(parsed.driver);
  }
  const toolVersion = drivers.size === 1 ? [...drivers][0] : undefined;
  if (drivers.size > 1) {
    return unknownReport(ctx, `nvidia-smi rows name different driver versions (${[...drivers].join(', ')}): mixed output`);
  }
  const dup = duplicate(devices);
  if (dup !== undefined) return unknownReport(ctx, `nvidia-smi lists ${dup} twice: mixed output`, toolVersion);

  for (const f of failures) {
    const pciBusId = f.pci === undefined ? undefined : normalizePciBusId(f.pci);
    const index = f.index === undefined ? freeIndex(devices) : Number(f.index);
    if (devices.some((d) => d.index === index || (pciBusId !== undefined && d.pciBusId === pciBusId))) {
      return unknownReport(ctx, `nvidia-smi both lists and cannot open GPU ${index}: "${f.line}"`, toolVersion);
    }
    // The device plugin marks a device whose handle cannot be read unhealthy (research §1.3); it takes no work.
    devices.push({
      index,
      ...optional('pciBusId', pciBusId),
      vendor: 'nvidia',
      model: '',
      health: 'Unhealthy',
      healthReasons: [`nvidia-smi cannot open the GPU: ${f.message === '' ? f.line : f.message}`],
    });
  }
  devices.sort((a, b) => a.index - b.index);
  return okReport(ctx, devices, toolVersion);
}

function parseRow(cells: ReadonlyMap<string, string>): RowResult {
  const numbers = new Map<string, number>();
  const unreadable: string[] = [];
  let lost = false;
  let resetRequired = false;
  const note = (field: string, absence: Absence | undefined): void => {
    if (absence === 'lost') lost = true;
    if (absence === 'reset-required') resetRequired = true;
    if (absence !== undefined && absence !== 'unsupported' && HEALTH_FIELDS.has(field)) unreadable.push(field);
  };
  for (const [field, raw] of cells) {
    if (!NUMERIC.has(field)) {
      note(field, absenceOf(raw));
      continue;
    }
    const n = readNumber(raw);
    if (!n.ok) return { ok: false, reason: `${field} is "${n.text}", not a number` };
    note(field, n.absence);
    if (n.value !== undefined) numbers.set(field, n.value);
  }
  const index = numbers.get('index');
  if (index === undefined || !Number.isInteger(index) || index < 0) {
    return { ok: false, reason: `index "${cells.get('index') ?? ''}" is not a GPU index` };
  }
  const flags = new Map<string, boolean>();
  for (const [field, raw] of cells) {
    const want = YES_NO.has(field) ? ['yes', 'no'] : ACTIVE.has(field) ? ['active', 'not active'] : undefined;
    if (want === undefined || absenceOf(raw) !== undefined) continue;
    const v = raw.trim().toLowerCase();
    if (!want.includes(v)) return { ok: false, reason: `${field} is "${raw.trim()}", expected ${want.join(' or ')}` };
    flags.set(field, v === want[0]);
  }
  const bitmask = cells.get('clocks_event_reasons.active');
  if (bitmask !== undefined && absenceOf(bitmask) === undefined && !/^0x[0-9a-f]+$/i.test(bitmask.trim())) {
    return { ok: false, reason: `clocks_event_reasons.active is "${bitmask.trim()}", not a bitmask` };
  }
  const text = (field: string): string | undefined => {
    const raw = cells.get(field);
    if (raw === undefined) return undefined;
    const cell = readCell(raw);
    return cell.kind === 'absent' ? undefined : raw.trim();
  };
  const rawPci = text('pci.bus_id');
  const pciBusId = rawPci === undefined ? undefined : normalizePciBusId(rawPci);
  if (rawPci !== undefined && pciBusId === undefined) return { ok: false, reason: `pci.bus_id "${rawPci}" is not a PCI address` };

  const ecc = numbers.get('ecc.errors.uncorrected.volatile.total');
  const { health, healthReasons } = verdict(
    nvidiaSignals({
      ...optional('eccUncorrectedVolatile', ecc),
      ...optional('remappedRowsPending', flags.get('remapped_rows.pending')),
      ...optional('remappedRowsFailure', flags.get('remapped_rows.failure')),
      ...optional('retiredPagesPending', flags.get('retired_pages.pending')),
      ...optional('recoveryAction', text('gpu_recovery_action')),
      ...optional('hwSlowdown', flags.get('clocks_event_reasons.hw_slowdown')),
      ...optional('swThermalSlowdown', flags.get('clocks_event_reasons.sw_thermal_slowdown')),
      lost,
      resetRequired,
      unreadable,
    }),
  );
  const device: Device = {
    index,
    ...optional('uuid', text('uuid')),
    ...optional('serial', text('serial')),
    ...optional('pciBusId', pciBusId),
    vendor: 'nvidia',
    model: text('name') ?? '',
    ...optional('memoryTotalMiB', numbers.get('memory.total')),
    ...optional('memoryUsedMiB', numbers.get('memory.used')),
    ...optional('temperatureC', numbers.get('temperature.gpu')),
    ...optional('powerW', numbers.get('power.draw')),
    ...optional('utilizationPct', numbers.get('utilization.gpu')),
    ...optional('eccUncorrectable', ecc),
    health,
    healthReasons,
  };
  return { ok: true, device, ...optional('driver', text('driver_version')) };
}

function duplicate(devices: readonly Device[]): string | undefined {
  const seen = new Set<string>();
  for (const d of devices) {
    for (const key of [`index ${d.index}`, d.uuid === undefined ? undefined : `uuid ${d.uuid}`]) {
      if (key === undefined) continue;
      if (seen.has(key)) return key;
      seen.add(key);
    }
  }
  return undefined;
}

function freeIndex(devices: readonly Device[]): number {
  let i = 0;
  while (devices.some((d) => d.index === i)) i++;
  return i;
}
