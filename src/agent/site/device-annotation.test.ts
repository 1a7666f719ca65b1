import { describe, expect, it } from 'vitest';
import type { Device, DeviceReport } from '../devices/types.ts';
import {
  MAX_REASON_CHARS,
  MAX_REASONS,
  decodeDeviceAnnotation,
  encodeDeviceAnnotation,
  lastSampleTime,
  parseDeviceAnnotation,
  sameDeviceState,
  toDeviceAnnotation,
} from './device-annotation.ts';
import { H100, T0, simReport } from './testing.ts';

function device(index: number, over: Partial<Device> = {}): Device {
  return { index, vendor: 'nvidia', model: 'NVIDIA H100 80GB HBM3', health: 'Healthy', healthReasons: [], ...over };
}

function report(devices: Device[], over: Partial<DeviceReport> = {}): DeviceReport {
  return { provider: 'nvidia-smi', tool: 'nvidia-smi', observedAt: T0, status: 'Ok', devices, ...over };
}

describe('device annotation', () => {
  it('round-trips a report through encode and parse', () => {
    const r = report([
      device(1, { uuid: 'GPU-b', memoryTotalMiB: 81559, health: 'Unhealthy', healthReasons: ['XID 79 fatal', 'ECC'] }),
      device(0, { uuid: 'GPU-a', memoryTotalMiB: 81559, temperatureC: 40, powerW: 100 }),
      device(2, { health: 'Unknown', healthReasons: ['could not read ecc'] }),
    ]);
    const parsed = parseDeviceAnnotation(encodeDeviceAnnotation(r));
    expect(parsed).toEqual({ ok: true, value: toDeviceAnnotation(r) });
    expect(parsed.ok && parsed.value.devices).toEqual([
      { i: 0, id: 'GPU-a', model: 'NVIDIA H100 80GB HBM3', memMiB: 81559, health: 'Healthy' },
      { i: 1, id: 'GPU-b', model: 'NVIDIA H100 80GB HBM3', memMiB: 81559, health: 'Unhealthy', reasons: ['XID 79 fatal', 'ECC'] },
      { i: 2, model: 'NVIDIA H100 80GB HBM3', health: 'Unknown', reasons: ['could not read ecc'] },
    ]);
  });

  it('round-trips a blind provider', () => {
    const r = report([], { status: 'Unknown', reason: 'nvidia-smi: not found' });
    expect(decodeDeviceAnnotation(encodeDeviceAnnotation(r))).toEqual({
      v: 1,
      provider: 'nvidia-smi',
      tool: 'nvidia-smi',
      at: T0,
      seen: T0,
      status: 'Unknown',
      reason: 'nvidia-smi: not found',
      devices: [],
    });
  });

  it('caps reasons and stays small for 16 devices with long reasons', () => {
    const long = 'x'.repeat(5000);
    const r = report(
      Array.from({ length: 16 }, (_, i) =>
        device(i, { uuid: `GPU-${'f'.repeat(36)}-${i}`, memoryTotalMiB: 196608, health: 'Unhealthy', healthReasons: Array(10).fill(long) }),
      ),
      { reason: long },
    );
    const value = encodeDeviceAnnotation(r);
    expect(value.length).toBeLessThan(16 * 1024);
    const a = decodeDeviceAnnotation(value);
    expect(a?.reason?.length).toBe(MAX_REASON_CHARS);
    expect(a?.devices[0]?.reasons).toHaveLength(MAX_REASONS);
    expect(a?.devices[0]?.reasons?.[0]?.length).toBe(MAX_REASON_CHARS);
  });

  it('encodes the simulated lab report of a node', () => {
    const a = decodeDeviceAnnotation(encodeDeviceAnnotation(simReport('n1', H100, { xids: [{ device: 3, xid: 79 }] })));
    expect(a?.provider).toBe('simulated');
    expect(a?.devices).toHaveLength(8);
    expect(a?.devices[3]?.health).toBe('Unhealthy');
    expect(a?.devices[3]?.id).toBe('sim-n1-nvidia-3');
    expect(a?.devices[0]?.memMiB).toBe(80 * 1024);
  });

  const good = JSON.parse(encodeDeviceAnnotation(report([device(0, { uuid: 'GPU-a' })]))) as Record<string, unknown>;
  const withDevice = (d: unknown): string => JSON.stringify({ ...good, devices: [d] });
  const cases: { name: string; value: string; wantError: RegExp }[] = [
    { name: 'empty', value: '', wantError: /not JSON/ },
    { name: 'truncated', value: encodeDeviceAnnotation(report([device(0)])).slice(0, 40), wantError: /not JSON/ },
    { name: 'array', value: '[]', wantError: /not a JSON object/ },
    { name: 'null', value: 'null', wantError: /not a JSON object/ },
    { name: 'future version', value: JSON.stringify({ ...good, v: 2 }), wantError: /unsupported version 2/ },
    { name: 'no version', value: JSON.stringify({ ...good, v: undefined }), wantError: /unsupported version/ },
    { name: 'no provider', value: JSON.stringify({ ...good, provider: '' }), wantError: /provider/ },
    { name: 'bad status', value: JSON.stringify({ ...good, status: 'Healthy' }), wantError: /status/ },
    { name: 'devices not an array', value: JSON.stringify({ ...good, devices: {} }), wantError: /devices must be an array/ },
    { name: 'bad health', value: withDevice({ i: 0, model: 'm', health: 'OK' }), wantError: /devices\[0\]: health/ },
    { name: 'lower-case health', value: withDevice({ i: 0, model: 'm', health: 'healthy' }), wantError: /health/ },
    { name: 'no health', value: withDevice({ i: 0, model: 'm' }), wantError: /health/ },
    { name: 'negative index', value: withDevice({ i: -1, model: 'm', health: 'Healthy' }), wantError: /i must be/ },
    { name: 'fractional index', value: withDevice({ i: 0.5, model: 'm', health: 'Healthy' }), wantError: /i must be/ },
    { name: 'memory as string', value: withDevice({ i: 0, model: 'm', memMiB: '80', health: 'Healthy' }), wantError: /memMiB/ },
    { name: 'reasons not strings', value: withDevice({ i: 0, model: 'm', health: 'Healthy', reasons: [1] }), wantError: /reasons/ },
    {
      name: 'duplicate index',
      value: JSON.stringify({ ...good, devices: [{ i: 0, model: 'm', health: 'Healthy' }, { i: 0, model: 'm', health: 'Healthy' }] }),
      wantError: /listed twice/,
    },
  ];
  it.each(cases)('rejects garbage: $name', ({ value, wantError }) => {
    const r = parseDeviceAnnotation(value);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(wantError);
    expect(decodeDeviceAnnotation(value)).toBeUndefined();
  });

  it('decodes an absent annotation to undefined', () => {
    expect(decodeDeviceAnnotation(undefined)).toBeUndefined();
  });

  it('ignores unknown fields, so a newer reporter adding one is still read', () => {
    const value = JSON.stringify({ ...good, extra: true, devices: [{ i: 0, model: 'm', health: 'Healthy', temp: 40 }] });
    expect(decodeDeviceAnnotation(value)?.devices).toEqual([{ i: 0, model: 'm', health: 'Healthy' }]);
  });

  it('stamps the time of the sample in seen, beside at', () => {
    const later = '2026-01-01T00:05:00.000Z';
    const a = toDeviceAnnotation(report([device(0)], { observedAt: later }));
    expect(a.seen).toBe(later);
    expect(JSON.parse(encodeDeviceAnnotation(a))).toMatchObject({ at: later, seen: later });
    const kept = { ...a, at: T0 }; // the reporter keeps `at` (state since) and moves `seen` (last sample)
    expect(decodeDeviceAnnotation(encodeDeviceAnnotation(kept))).toMatchObject({ at: T0, seen: later });
    expect(lastSampleTime(kept)).toBe(later);
  });

  it('reads an annotation written before the stamp; its last sample time is then at', () => {
    const { seen: _dropped, ...old } = good;
    const a = decodeDeviceAnnotation(JSON.stringify(old));
    expect(a).toBeDefined();
    expect(a?.seen).toBeUndefined();
    expect(a === undefined ? undefined : lastSampleTime(a)).toBe(T0);
  });

  it('rejects a seen that is not a string', () => {
    const r = parseDeviceAnnotation(JSON.stringify({ ...good, seen: 5 }));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/seen must be a string/);
  });

  it('compares state without the sample times at and seen', () => {
    const a = toDeviceAnnotation(simReport('n', H100, {}, T0));
    expect(sameDeviceState(a, { ...a, seen: '2026-01-01T00:09:00.000Z' })).toBe(true);
  });

  it('compares state without the sample time', () => {
    const a = toDeviceAnnotation(simReport('n', H100, {}, T0));
    const later = toDeviceAnnotation(simReport('n', H100, {}, '2026-01-01T00:05:00.000Z'));
    const broken = toDeviceAnnotation(simReport('n', H100, { xids: [{ device: 0, xid: 79 }] }, T0));
    expect(sameDeviceState(a, later)).toBe(true);
    expect(sameDeviceState(a, broken)).toBe(false);
  });
});
