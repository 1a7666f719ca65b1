import { describe, expect, it } from 'vitest';
import { simulateReport, type InjectedFaults, type SimulatedDeviceSpec } from './simulated.ts';
import { OBSERVED_AT } from './test-fixtures.ts';
import { DEFAULT_XID_POLICY, mergeXidOverrides } from './xid.ts';

const H100: SimulatedDeviceSpec = { vendor: 'nvidia', model: 'NVIDIA H100 80GB HBM3', count: 8, memoryGiB: 80 };
const ASCEND: SimulatedDeviceSpec = { vendor: 'huawei', model: '910B3', count: 8, memoryGiB: 64 };
const MI300: SimulatedDeviceSpec = { vendor: 'amd', model: 'AMD Instinct MI300X', count: 4, memoryGiB: 192 };

describe('simulateReport', () => {
  it('builds healthy devices from the spec', () => {
    const r = simulateReport(H100, {}, { observedAt: OBSERVED_AT, nodeName: 'gpu-a-0' });
    expect(r).toMatchObject({ provider: 'simulated', tool: 'simulated', status: 'Ok', observedAt: OBSERVED_AT });
    expect(r.devices).toHaveLength(8);
    expect(r.devices[5]).toEqual({
      index: 5,
      uuid: 'sim-gpu-a-0-nvidia-5',
      vendor: 'nvidia',
      model: 'NVIDIA H100 80GB HBM3',
      memoryTotalMiB: 81920,
      memoryUsedMiB: 0,
      utilizationPct: 0,
      eccUncorrectable: 0,
      health: 'Healthy',
      healthReasons: [],
    });
  });

  const cases: Array<{ name: string; spec: SimulatedDeviceSpec; faults: InjectedFaults; wantUnhealthy: number[]; wantReasons?: Record<number, RegExp> }> = [
    { name: 'critical XID', spec: H100, faults: { xids: [{ device: 3, xid: 48 }] }, wantUnhealthy: [3], wantReasons: { 3: /XID 48/ } },
    { name: 'fatal XID 79', spec: H100, faults: { xids: [{ device: 7, xid: 79 }] }, wantUnhealthy: [7] },
    { name: 'workload XID changes nothing', spec: H100, faults: { xids: [{ device: 0, xid: 13 }] }, wantUnhealthy: [] },
    { name: 'warning XID keeps the device in service', spec: H100, faults: { xids: [{ device: 2, xid: 94 }] }, wantUnhealthy: [], wantReasons: { 2: /XID 94/ } },
    { name: 'Ascend Critical', spec: ASCEND, faults: { ascendCritical: [1, 6] }, wantUnhealthy: [1, 6], wantReasons: { 1: /Health Critical/ } },
    { name: 'ECC on AMD', spec: MI300, faults: { eccUncorrectable: [{ device: 2, count: 5 }] }, wantUnhealthy: [2], wantReasons: { 2: /amd-smi: 5 uncorrectable ECC/ } },
    {
      name: 'several faults on one node',
      spec: H100,
      faults: { xids: [{ device: 1, xid: 119 }], eccUncorrectable: [{ device: 4, count: 1 }] },
      wantUnhealthy: [1, 4],
    },
  ];
  it.each(cases)('$name', ({ spec, faults, wantUnhealthy, wantReasons }) => {
    const r = simulateReport(spec, faults, { observedAt: OBSERVED_AT });
    expect(r.status).toBe('Ok');
    expect(r.devices.filter((d) => d.health === 'Unhealthy').map((d) => d.index)).toEqual(wantUnhealthy);
    expect(r.devices.filter((d) => d.health === 'Unknown')).toEqual([]);
    for (const [index, re] of Object.entries(wantReasons ?? {})) expect(r.devices[Number(index)]?.healthReasons[0]).toMatch(re);
  });

  it('records the injected ECC count', () => {
    const r = simulateReport(MI300, { eccUncorrectable: [{ device: 2, count: 5 }] }, { observedAt: OBSERVED_AT });
    expect(r.devices.map((d) => d.eccUncorrectable)).toEqual([0, 0, 5, 0]);
  });

  it('follows the XID policy it is given', () => {
    const policy = mergeXidOverrides(DEFAULT_XID_POLICY, { ignored: [48] });
    const r = simulateReport(H100, { xids: [{ device: 3, xid: 48 }] }, { observedAt: OBSERVED_AT, xidPolicy: policy });
    expect(r.devices[3]?.health).toBe('Healthy');
  });

  it('a blind provider is Unknown with no devices', () => {
    const r = simulateReport(H100, { unavailable: 'nvidia-smi did not finish within 10000 ms and was killed' }, { observedAt: OBSERVED_AT });
    expect(r).toMatchObject({ status: 'Unknown', reason: /did not finish/, devices: [] });
  });

  it('is deterministic', () => {
    const faults: InjectedFaults = { xids: [{ device: 1, xid: 74 }] };
    expect(simulateReport(H100, faults, { observedAt: OBSERVED_AT })).toEqual(simulateReport(H100, faults, { observedAt: OBSERVED_AT }));
  });

  const invalid: Array<{ name: string; spec: SimulatedDeviceSpec; faults: InjectedFaults; want: RegExp }> = [
    { name: 'device out of range', spec: H100, faults: { xids: [{ device: 8, xid: 48 }] }, want: /names device 8, but the node has 8/ },
    { name: 'XID on an Ascend node', spec: ASCEND, faults: { xids: [{ device: 0, xid: 48 }] }, want: /XID 48 injected on a huawei device/ },
    { name: 'Ascend Critical on a GPU', spec: H100, faults: { ascendCritical: [0] }, want: /Ascend Critical injected on a nvidia device/ },
    { name: 'negative ECC count', spec: MI300, faults: { eccUncorrectable: [{ device: 0, count: -1 }] }, want: /not a whole number/ },
    { name: 'fractional device count', spec: { ...H100, count: 1.5 }, faults: {}, want: /device count 1.5/ },
  ];
  it.each(invalid)('rejects a test mistake: $name', ({ spec, faults, want }) => {
    expect(() => simulateReport(spec, faults, { observedAt: OBSERVED_AT })).toThrow(want);
  });
});
