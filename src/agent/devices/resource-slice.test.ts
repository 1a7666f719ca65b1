import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { sliceDevices } from './resource-slice.ts';
import { fixture } from './test-fixtures.ts';

const SLICE: unknown = parseYaml(fixture('resourceslice_gpu.nvidia.com.yaml'));

describe('sliceDevices: gpu.nvidia.com ResourceSlice fixture', () => {
  it('reads the one A100 vGPU with its pool', () => {
    const got = sliceDevices(SLICE);
    expect(got).toEqual({
      ok: true,
      driver: 'gpu.nvidia.com',
      nodeName: 'conformance-test-np1-qcqc8-bpdtl-rcj8j',
      pool: { name: 'conformance-test-np1-qcqc8-bpdtl-rcj8j', generation: 1, resourceSliceCount: 1 },
      devices: [
        {
          index: 0,
          uuid: 'GPU-0b580e61-4daa-462a-95e3-84dd00000000',
          pciBusId: '0000:03:00.0',
          vendor: 'nvidia',
          model: 'GRID A100-10C',
          memoryTotalMiB: 10240,
          health: 'Unknown',
          healthReasons: ['a ResourceSlice carries no device health'],
        },
      ],
    });
  });
});

describe('sliceDevices: edge cases', () => {
  const base = SLICE as { spec: { devices: Array<Record<string, unknown>> } };
  const withDevice = (extra: Record<string, unknown>): unknown => ({ ...base, spec: { ...base.spec, devices: [{ ...base.spec.devices[0], ...extra }] } });
  it('a NoExecute device taint makes the device Unhealthy', () => {
    const got = sliceDevices(withDevice({ taints: [{ key: 'gpu.nvidia.com/xid', value: '79', effect: 'NoExecute' }] }));
    expect(got.ok && got.devices[0]).toMatchObject({ health: 'Unhealthy', healthReasons: ['DRA device taint gpu.nvidia.com/xid=79:NoExecute'] });
  });
  it('skips MIG partitions', () => {
    const got = sliceDevices(withDevice({ attributes: { type: { string: 'mig' } } }));
    expect(got.ok && got.devices).toEqual([]);
  });
  const bad: Array<{ name: string; slice: unknown; want: RegExp }> = [
    { name: 'not a slice', slice: { kind: 'Node' }, want: /not a ResourceSlice/ },
    { name: 'unknown driver', slice: { ...base, spec: { ...base.spec, driver: 'example.com/fpga' } }, want: /not a known accelerator driver/ },
    { name: 'no pool', slice: { ...base, spec: { ...base.spec, pool: undefined } }, want: /no complete spec.pool/ },
    { name: 'device without a name', slice: { ...base, spec: { ...base.spec, devices: [{}] } }, want: /spec.devices\[0\] has no name/ },
  ];
  it.each(bad)('$name', ({ slice, want }) => {
    const got = sliceDevices(slice);
    expect(got.ok).toBe(false);
    if (!got.ok) expect(got.reason).toMatch(want);
  });
});
