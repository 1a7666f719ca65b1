import { describe, expect, it } from 'vitest';
import { acceleratorCondition } from './accelerator-condition.ts';
import type { AnnotatedDevice, DeviceAnnotation } from './device-annotation.ts';
import { T0 } from './testing.ts';

function annotation(devices: AnnotatedDevice[], over: Partial<DeviceAnnotation> = {}): DeviceAnnotation {
  return { v: 1, provider: 'nvidia-smi', tool: 'nvidia-smi', at: T0, status: 'Ok', devices, ...over };
}

const ok = (i: number, reasons?: string[]): AnnotatedDevice => ({ i, id: `GPU-${i}`, model: 'H100', health: 'Healthy', ...(reasons ? { reasons } : {}) });
const bad = (i: number, ...reasons: string[]): AnnotatedDevice => ({ i, id: `GPU-${i}`, model: 'H100', health: 'Unhealthy', reasons });
const unknown = (i: number, ...reasons: string[]): AnnotatedDevice => ({ i, model: 'H100', health: 'Unknown', reasons });

describe('acceleratorCondition', () => {
  const cases: { name: string; in: DeviceAnnotation; wantStatus: string; wantReason: string; wantMessage: string }[] = [
    {
      name: 'all healthy',
      in: annotation([ok(0), ok(1)]),
      wantStatus: 'True',
      wantReason: 'AllDevicesHealthy',
      wantMessage: 'all 2 devices healthy (nvidia-smi)',
    },
    {
      name: 'healthy with a warning',
      in: annotation([ok(0), ok(1, ['row remap pending'])]),
      wantStatus: 'True',
      wantReason: 'AllDevicesHealthy',
      wantMessage: 'all 2 devices healthy (nvidia-smi); warnings on device 1 (GPU-1): row remap pending',
    },
    {
      name: 'unhealthy devices named in index order, with the unknown ones',
      in: annotation([bad(3, 'XID 79 fatal'), ok(0), unknown(2, 'could not read ecc'), bad(1, 'ECC', 'XID 48')]),
      wantStatus: 'False',
      wantReason: 'DevicesUnhealthy',
      wantMessage:
        '2 of 4 devices unhealthy: device 1 (GPU-1): ECC, XID 48; device 3 (GPU-3): XID 79 fatal; 1 unknown: device 2: could not read ecc',
    },
    {
      name: 'some unknown, none unhealthy',
      in: annotation([ok(0), unknown(1, 'could not read ecc')]),
      wantStatus: 'Unknown',
      wantReason: 'DevicesUnknown',
      wantMessage: '1 of 2 devices unknown: device 1: could not read ecc',
    },
    {
      name: 'provider blind',
      in: annotation([], { status: 'Unknown', reason: 'Failed to initialize NVML: Driver/library version mismatch' }),
      wantStatus: 'Unknown',
      wantReason: 'ProviderUnknown',
      wantMessage: 'nvidia-smi could not see the devices: Failed to initialize NVML: Driver/library version mismatch',
    },
    {
      name: 'Ok but no devices',
      in: annotation([], { provider: 'amd-smi', tool: 'rocm-smi' }),
      wantStatus: 'Unknown',
      wantReason: 'ProviderUnknown',
      wantMessage: 'amd-smi (rocm-smi) could not see the devices: no devices listed',
    },
  ];
  it.each(cases)('$name', (c) => {
    const got = acceleratorCondition(c.in);
    expect(got).toEqual({ type: 'AcceleratorHealthy', status: c.wantStatus, reason: c.wantReason, message: c.wantMessage });
  });

  it('does not depend on the sample time', () => {
    const a = annotation([bad(0, 'x')]);
    expect(acceleratorCondition({ ...a, at: '2030-01-01T00:00:00Z' })).toEqual(acceleratorCondition(a));
  });

  it('caps the message', () => {
    const devices = Array.from({ length: 64 }, (_, i) => bad(i, 'r'.repeat(200)));
    expect(acceleratorCondition(annotation(devices)).message.length).toBe(1024);
  });
});
