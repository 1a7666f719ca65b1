import { describe, expect, it } from 'vitest';
import { parseAmdSmiMetric } from './amd-smi.ts';
import { parseRocmSmiJson } from './rocm-smi.ts';
import { fixture, OBSERVED_AT } from './test-fixtures.ts';
import type { Device, DeviceReport } from './types.ts';

const GPU_DATA = fixture('amd-smi_metric_mi300x_gpu_data_shape.json');
const LEGACY_LIST = fixture('amd-smi_metric_mi300x_legacy_list_shape.json');
const ROCM = fixture('rocm-smi_json_flat_keys.json');

function parse(stdout: string, model?: string): DeviceReport {
  return parseAmdSmiMetric({ stdout, observedAt: OBSERVED_AT, ...(model === undefined ? {} : { model }) });
}

/** edit parses the gpu_data fixture, lets the test change GPU 0, and prints it again. */
function edit(change: (gpu0: Record<string, Record<string, unknown>>) => void): string {
  const doc = JSON.parse(GPU_DATA) as { gpu_data: Array<Record<string, Record<string, unknown>>> };
  const gpu0 = doc.gpu_data[0];
  if (gpu0 === undefined) throw new Error('fixture has no GPU 0');
  change(gpu0);
  return JSON.stringify(doc);
}

interface WantGpu {
  index: number;
  memTotal: number;
  memUsed: number;
  temp: number;
  power: number;
  util: number;
  ecc: number;
}

describe('parseAmdSmiMetric: both top-level shapes of the MI300X fixtures', () => {
  const shapes = [
    { shape: '{"gpu_data": [...]} (AMD SMI 26.x)', stdout: GPU_DATA },
    { shape: 'bare array (2024)', stdout: LEGACY_LIST },
  ];
  const want: WantGpu[] = [
    { index: 0, memTotal: 196592, memUsed: 184020, temp: 71, power: 712, util: 98, ecc: 0 },
    { index: 1, memTotal: 196592, memUsed: 284, temp: 39, power: 139, util: 0, ecc: 0 },
  ];
  describe.each(shapes)('$shape', ({ stdout }) => {
    const report = parse(stdout, 'AMD Instinct MI300X');
    it('is Ok with 2 GPUs', () => {
      expect(report).toMatchObject({ provider: 'amd-smi', tool: 'amd-smi', status: 'Ok', observedAt: OBSERVED_AT });
      expect(report.devices).toHaveLength(2);
    });
    it.each(want)('GPU $index (hotspot temperature, since edge is N/A on MI300)', (w) => {
      const d = report.devices[w.index];
      expect(d).toEqual({
        index: w.index,
        vendor: 'amd',
        model: 'AMD Instinct MI300X',
        memoryTotalMiB: w.memTotal,
        memoryUsedMiB: w.memUsed,
        temperatureC: w.temp,
        powerW: w.power,
        utilizationPct: w.util,
        eccUncorrectable: w.ecc,
        health: 'Healthy',
        healthReasons: [],
      } satisfies Device);
    });
  });
  it('the two shapes give the same devices', () => {
    expect(parse(GPU_DATA).devices).toEqual(parse(LEGACY_LIST).devices);
  });
  it('model is empty when the caller does not know it (metric output has none)', () => {
    expect(parse(GPU_DATA).devices[0]?.model).toBe('');
  });
});

describe('parseAmdSmiMetric: health and value edge cases', () => {
  const cases: Array<{ name: string; change: (g: Record<string, Record<string, unknown>>) => void; want: Partial<Device>; wantAbsent?: Array<keyof Device>; wantReasons?: RegExp[] }> = [
    {
      name: 'uncorrectable ECC makes the GPU Unhealthy',
      change: (g) => (g['ecc'] = { ...g['ecc'], total_uncorrectable_count: 3 }),
      want: { health: 'Unhealthy', eccUncorrectable: 3 },
      wantReasons: [/3 uncorrectable ECC/],
    },
    { name: 'deferred ECC warns', change: (g) => (g['ecc'] = { ...g['ecc'], total_deferred_count: 2 }), want: { health: 'Healthy' }, wantReasons: [/2 deferred ECC/] },
    { name: 'throttled warns', change: (g) => (g['power'] = { ...g['power'], throttle_status: 'THROTTLED' }), want: { health: 'Healthy' }, wantReasons: [/throttled/] },
    { name: 'edge temperature when hotspot is N/A', change: (g) => (g['temperature'] = { edge: { value: 44, unit: 'C' }, hotspot: 'N/A' }), want: { temperatureC: 44 } },
    { name: 'every sensor N/A leaves the temperature out', change: (g) => (g['temperature'] = { edge: 'N/A', hotspot: 'N/A', mem: 'N/A' }), want: { health: 'Healthy' }, wantAbsent: ['temperatureC'] },
    { name: 'ECC section N/A leaves the count out', change: (g) => (g['ecc'] = 'N/A' as unknown as Record<string, unknown>), want: { health: 'Healthy' }, wantAbsent: ['eccUncorrectable'] },
    { name: 'bare numbers (before units were added)', change: (g) => (g['usage'] = { gfx_activity: 55 }), want: { utilizationPct: 55 } },
    { name: 'GB memory unit is converted', change: (g) => (g['mem_usage'] = { total_vram: { value: 192, unit: 'GB' } }), want: { memoryTotalMiB: 196608 }, wantAbsent: ['memoryUsedMiB'] },
  ];
  it.each(cases)('$name', ({ change, want, wantAbsent, wantReasons }) => {
    const r = parse(edit(change));
    expect(r.status).toBe('Ok');
    expect(r.devices[0]).toMatchObject(want);
    for (const key of wantAbsent ?? []) expect(r.devices[0]).not.toHaveProperty(key);
    expect(r.devices[0]?.healthReasons).toHaveLength(wantReasons?.length ?? 0);
    wantReasons?.forEach((re, i) => expect(r.devices[0]?.healthReasons[i]).toMatch(re));
  });
});

describe('parseAmdSmiMetric: output that cannot be trusted is Unknown', () => {
  const cases: Array<{ name: string; stdout: string; wantReason: RegExp }> = [
    { name: 'garbage', stdout: 'hello world', wantReason: /invalid JSON/ },
    { name: 'empty', stdout: '', wantReason: /invalid JSON/ },
    { name: 'cut mid-JSON', stdout: GPU_DATA.slice(0, Math.floor(GPU_DATA.length / 2)), wantReason: /invalid JSON \(truncated/ },
    { name: 'unknown top-level shape', stdout: '{"gpus": []}', wantReason: /unrecognised amd-smi JSON shape/ },
    { name: 'empty list', stdout: '{"gpu_data": []}', wantReason: /listed no devices/ },
    { name: 'item without a gpu index', stdout: '[{"usage": {}}]', wantReason: /gpu_data\[0\].gpu is not a GPU index/ },
    { name: 'a word where a measurement belongs', stdout: edit((g) => (g['usage'] = { gfx_activity: 'busy' })), wantReason: /gfx_activity is "busy"/ },
    { name: 'a measurement of unknown shape', stdout: edit((g) => (g['power'] = { socket_power: [1, 2] })), wantReason: /socket_power has an unexpected shape/ },
    { name: 'unknown memory unit', stdout: edit((g) => (g['mem_usage'] = { total_vram: { value: 1, unit: 'pages' } })), wantReason: /unknown memory unit "pages"/ },
    { name: 'mixed output: the same GPU twice', stdout: JSON.stringify([...(JSON.parse(LEGACY_LIST) as unknown[]), ...(JSON.parse(LEGACY_LIST) as unknown[])]), wantReason: /GPU 0 is listed twice/ },
  ];
  it.each(cases)('$name', ({ stdout, wantReason }) => {
    const r = parse(stdout);
    expect(r.status).toBe('Unknown');
    expect(r.devices).toEqual([]);
    expect(r.reason).toMatch(wantReason);
  });
});

describe('parseRocmSmiJson: flat-key fixture', () => {
  it('reads the card with string values, bytes converted to MiB', () => {
    const r = parseRocmSmiJson({ stdout: ROCM, observedAt: OBSERVED_AT });
    expect(r).toMatchObject({ provider: 'amd-smi', tool: 'rocm-smi', status: 'Ok' });
    expect(r.devices).toEqual([
      {
        index: 0,
        vendor: 'amd',
        model: 'Radeon RX 7900 XT',
        memoryTotalMiB: 20464,
        memoryUsedMiB: 27,
        temperatureC: 44,
        powerW: 22,
        utilizationPct: 37,
        health: 'Healthy',
        healthReasons: [],
      } satisfies Device,
    ]);
  });
  const cases: Array<{ name: string; stdout: string; wantReason: RegExp }> = [
    { name: 'cut mid-JSON', stdout: ROCM.slice(0, 80), wantReason: /invalid JSON/ },
    { name: 'array instead of cards', stdout: '[]', wantReason: /not an object keyed by card/ },
    { name: 'no cards', stdout: '{"system": {"Driver version": "6.2"}}', wantReason: /listed no devices/ },
    { name: 'card is not an object', stdout: '{"card0": "x"}', wantReason: /card0 is not an object/ },
    { name: 'word in a value', stdout: '{"card0": {"GPU use (%)": "lots"}}', wantReason: /GPU use \(%\)"\] is "lots"/ },
  ];
  it.each(cases)('$name -> Unknown', ({ stdout, wantReason }) => {
    const r = parseRocmSmiJson({ stdout, observedAt: OBSERVED_AT });
    expect(r.status).toBe('Unknown');
    expect(r.reason).toMatch(wantReason);
  });
  it('N/A values are absent', () => {
    const r = parseRocmSmiJson({ stdout: '{"card1": {"Card series": "N/A", "Temperature (Sensor edge) (C)": "N/A"}}', observedAt: OBSERVED_AT });
    expect(r.devices[0]).toEqual({ index: 1, vendor: 'amd', model: '', health: 'Healthy', healthReasons: [] });
  });
});
