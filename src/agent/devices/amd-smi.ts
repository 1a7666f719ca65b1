/**
 * Parser for `amd-smi metric --json`. The top level changed from a JSON array of GPU objects (2024 docs) to
 * `{"gpu_data": [...]}` (AMD SMI 26.x), so both are read (research §2.1, pitfall 6). MI300-class GPUs report edge
 * temperature as "N/A", so the hotspot sensor is the core temperature. `metric` prints no product name; callers pass
 * it in (from `amd-smi static` or the node's amd.com/gpu.product-name label).
 */
import { amdSignals, verdict } from './health.ts';
import { isObject, measurement, mebibytes, type JsonObject } from './json-value.ts';
import { optional } from './measure.ts';
import { okReport, OutputRejected, unknownReport, type ReportContext } from './report.ts';
import type { Device, DeviceReport } from './types.ts';

/** AmdSmiInput is the output of `amd-smi metric --json` and what else is known about the GPUs. */
export interface AmdSmiInput {
  readonly stdout: string;
  readonly observedAt: string;
  /** model names the GPUs when the caller knows it; `metric` output does not. */
  readonly model?: string;
}

/** parseAmdSmiMetric turns `amd-smi metric --json` into a DeviceReport. */
export function parseAmdSmiMetric(input: AmdSmiInput): DeviceReport {
  const ctx: ReportContext = { provider: 'amd-smi', tool: 'amd-smi', observedAt: input.observedAt };
  let doc: unknown;
  try {
    doc = JSON.parse(input.stdout);
  } catch {
    return unknownReport(ctx, 'amd-smi printed invalid JSON (truncated or not JSON)');
  }
  const items = Array.isArray(doc) ? doc : isObject(doc) && Array.isArray(doc['gpu_data']) ? doc['gpu_data'] : undefined;
  if (items === undefined) return unknownReport(ctx, 'unrecognised amd-smi JSON shape: neither an array nor {"gpu_data": [...]}');
  try {
    const devices = items.map((item, i) => toDevice(item, i, input.model ?? ''));
    const seen = new Set<number>();
    for (const d of devices) {
      if (seen.has(d.index)) throw new OutputRejected(`GPU ${d.index} is listed twice: mixed output`);
      seen.add(d.index);
    }
    return okReport(ctx, devices);
  } catch (err) {
    if (err instanceof OutputRejected) return unknownReport(ctx, `amd-smi: ${err.message}`);
    throw err;
  }
}

function section(gpu: JsonObject, key: string, where: string): JsonObject {
  const v = gpu[key];
  if (v === undefined || v === 'N/A') return {};
  if (!isObject(v)) throw new OutputRejected(`${where}.${key} is not an object`);
  return v;
}

function toDevice(item: unknown, position: number, model: string): Device {
  const where = `gpu_data[${position}]`;
  if (!isObject(item)) throw new OutputRejected(`${where} is not an object`);
  const index = item['gpu'];
  if (typeof index !== 'number' || !Number.isInteger(index) || index < 0) {
    throw new OutputRejected(`${where}.gpu is not a GPU index`);
  }
  const usage = section(item, 'usage', where);
  const power = section(item, 'power', where);
  const temperature = section(item, 'temperature', where);
  const ecc = section(item, 'ecc', where);
  const mem = section(item, 'mem_usage', where);

  const temp =
    measurement(temperature['hotspot'], `${where}.temperature.hotspot`) ??
    measurement(temperature['edge'], `${where}.temperature.edge`);
  const watts =
    measurement(power['socket_power'], `${where}.power.socket_power`) ??
    measurement(power['average_socket_power'], `${where}.power.average_socket_power`);
  const eccUncorrectable = measurement(ecc['total_uncorrectable_count'], `${where}.ecc.total_uncorrectable_count`)?.value;
  const eccDeferred = measurement(ecc['total_deferred_count'], `${where}.ecc.total_deferred_count`)?.value;
  const throttle = power['throttle_status'];
  const { health, healthReasons } = verdict(
    amdSignals({
      ...optional('eccUncorrectable', eccUncorrectable),
      ...optional('eccDeferred', eccDeferred),
      ...optional('throttleStatus', typeof throttle === 'string' ? throttle : undefined),
    }),
  );
  return {
    index,
    vendor: 'amd',
    model,
    ...optional('memoryTotalMiB', mebibytes(measurement(mem['total_vram'], `${where}.mem_usage.total_vram`), 'MB', where)),
    ...optional('memoryUsedMiB', mebibytes(measurement(mem['used_vram'], `${where}.mem_usage.used_vram`), 'MB', where)),
    ...optional('temperatureC', temp?.value),
    ...optional('powerW', watts?.value),
    ...optional('utilizationPct', measurement(usage['gfx_activity'], `${where}.usage.gfx_activity`)?.value),
    ...optional('eccUncorrectable', eccUncorrectable),
    health,
    healthReasons,
  };
}
