/**
 * Parser for legacy `rocm-smi --json` (older ROCm nodes without amd-smi). Output is keyed "card0", "card1", … and every
 * value is a string: `"Temperature (Sensor edge) (C)": "44.0"`, `"VRAM Total Memory (B)": "21458059264"` (research
 * §2.1). The keys carry no ECC counts, so a listed card's health rests on it answering at all.
 */
import { verdict } from './health.ts';
import { isObject, measurement, mebibytes, type JsonObject } from './json-value.ts';
import { optional } from './measure.ts';
import { normalizePciBusId } from './pci.ts';
import { okReport, OutputRejected, unknownReport, type ReportContext } from './report.ts';
import type { Device, DeviceReport } from './types.ts';

/** RocmSmiInput is the output of `rocm-smi ... --json`. */
export interface RocmSmiInput {
  readonly stdout: string;
  readonly observedAt: string;
}

/** parseRocmSmiJson turns `rocm-smi --json` into a DeviceReport (provider amd-smi, tool rocm-smi). */
export function parseRocmSmiJson(input: RocmSmiInput): DeviceReport {
  const ctx: ReportContext = { provider: 'amd-smi', tool: 'rocm-smi', observedAt: input.observedAt };
  let doc: unknown;
  try {
    doc = JSON.parse(input.stdout);
  } catch {
    return unknownReport(ctx, 'rocm-smi printed invalid JSON (truncated or not JSON)');
  }
  if (!isObject(doc)) return unknownReport(ctx, 'unrecognised rocm-smi JSON shape: not an object keyed by card');
  const system = doc['system'];
  const driver = isObject(system) ? pick(system, 'Driver version') : undefined;
  const version = typeof driver === 'string' ? driver : undefined;
  try {
    const devices: Device[] = [];
    for (const [key, card] of Object.entries(doc)) {
      const m = /^card(\d+)$/.exec(key);
      if (m?.[1] === undefined) continue;
      if (!isObject(card)) throw new OutputRejected(`${key} is not an object`);
      devices.push(toDevice(Number(m[1]), card, key));
    }
    return okReport(ctx, devices.sort((a, b) => a.index - b.index), version);
  } catch (err) {
    if (err instanceof OutputRejected) return unknownReport(ctx, `rocm-smi: ${err.message}`, version);
    throw err;
  }
}

/** pick reads a key case-insensitively: rocm-smi versions spell "Card series" and "Card Series". */
function pick(card: JsonObject, key: string): unknown {
  const want = key.toLowerCase();
  for (const [k, v] of Object.entries(card)) if (k.toLowerCase() === want) return v;
  return undefined;
}

function toDevice(index: number, card: JsonObject, where: string): Device {
  const value = (key: string): number | undefined => measurement(pick(card, key), `${where}["${key}"]`)?.value;
  const bytes = (key: string): number | undefined =>
    mebibytes(measurement(pick(card, key), `${where}["${key}"]`), 'B', `${where}["${key}"]`);
  const text = (key: string): string | undefined => {
    const v = pick(card, key);
    return typeof v === 'string' && v.trim() !== '' && !/^n\/a$/i.test(v.trim()) ? v.trim() : undefined;
  };
  const bus = text('PCI Bus');
  const { health, healthReasons } = verdict([]);
  return {
    index,
    ...optional('uuid', text('Unique ID')),
    ...optional('pciBusId', bus === undefined ? undefined : normalizePciBusId(bus)),
    vendor: 'amd',
    model: text('Card Series') ?? text('Card model') ?? '',
    ...optional('memoryTotalMiB', bytes('VRAM Total Memory (B)')),
    ...optional('memoryUsedMiB', bytes('VRAM Total Used Memory (B)')),
    // Junction (hotspot) first, as for amd-smi: edge reads N/A or low on data-centre parts.
    ...optional('temperatureC', value('Temperature (Sensor junction) (C)') ?? value('Temperature (Sensor edge) (C)')),
    ...optional(
      'powerW',
      value('Average Graphics Package Power (W)') ?? value('Current Socket Graphics Package Power (W)'),
    ),
    ...optional('utilizationPct', value('GPU use (%)')),
    health,
    healthReasons,
  };
}
