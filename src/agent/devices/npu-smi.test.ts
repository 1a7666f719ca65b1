import { describe, expect, it } from 'vitest';
import { npuIdsNotOk, parseNpuSmiHealth, parseNpuSmiInfo } from './npu-smi.ts';
import { fixture, OBSERVED_AT } from './test-fixtures.ts';
import type { Device, DeviceReport } from './types.ts';

const A910 = fixture('npu-smi_info_8x910B3.txt');
const A310 = fixture('npu-smi_info_310B1_alarm_excerpt.txt');
const HEALTH = fixture('npu-smi_info_t_health.txt');

function parse(stdout: string, healthDetails?: Map<number, { errorCodes: string[]; errorInformation?: string }>): DeviceReport {
  return parseNpuSmiInfo({ stdout, observedAt: OBSERVED_AT, ...(healthDetails === undefined ? {} : { healthDetails }) });
}

interface WantNpu {
  index: number;
  pci: string;
  power?: number;
  temp: number;
  memUsed: number;
  memTotal: number;
  health: Device['health'];
  reasons?: RegExp[];
}

function expectNpu(got: Device | undefined, model: string, want: WantNpu): void {
  expect(got).toMatchObject({ index: want.index, vendor: 'huawei', model, pciBusId: want.pci, temperatureC: want.temp, utilizationPct: 0 });
  expect(got?.powerW).toBe(want.power);
  expect(got?.memoryUsedMiB).toBe(want.memUsed);
  expect(got?.memoryTotalMiB).toBe(want.memTotal);
  expect(got?.eccUncorrectable).toBeUndefined();
  expect(got?.health).toBe(want.health);
  expect(got?.healthReasons).toHaveLength(want.reasons?.length ?? 0);
  want.reasons?.forEach((re, i) => expect(got?.healthReasons[i]).toMatch(re));
}

describe('parseNpuSmiInfo: 8×910B3 fixture', () => {
  const report = parse(A910);
  it('is Ok with 8 NPUs, version 25.3.rc1, and ignores the process table', () => {
    expect(report).toMatchObject({ provider: 'npu-smi', tool: 'npu-smi', status: 'Ok', toolVersion: '25.3.rc1' });
    expect(report.devices).toHaveLength(8);
  });
  const want: WantNpu[] = [
    { index: 0, pci: '0000:c1:00.0', power: 94.3, temp: 53, memUsed: 4487, memTotal: 65536, health: 'Healthy' },
    { index: 1, pci: '0000:c2:00.0', power: 100.1, temp: 53, memUsed: 4483, memTotal: 65536, health: 'Healthy' },
    { index: 2, pci: '0000:81:00.0', power: 101.2, temp: 52, memUsed: 4482, memTotal: 65536, health: 'Healthy' },
    { index: 3, pci: '0000:82:00.0', power: 100.4, temp: 54, memUsed: 4481, memTotal: 65536, health: 'Healthy' },
    { index: 4, pci: '0000:01:00.0', power: 97.2, temp: 55, memUsed: 4481, memTotal: 65536, health: 'Healthy' },
    { index: 5, pci: '0000:02:00.0', power: 98.3, temp: 54, memUsed: 4481, memTotal: 65536, health: 'Healthy' },
    { index: 6, pci: '0000:41:00.0', power: 98.3, temp: 54, memUsed: 4481, memTotal: 65536, health: 'Healthy' },
    { index: 7, pci: '0000:42:00.0', power: 91.5, temp: 54, memUsed: 4482, memTotal: 65536, health: 'Healthy' },
  ];
  it.each(want)('NPU $index (HBM, not the 0/0 DDR column, is its memory)', (w) => expectNpu(report.devices[w.index], '910B3', w));
});

describe('parseNpuSmiInfo: 310B1 Alarm fixture', () => {
  const report = parse(A310);
  it('is Ok with 2 devices indexed by the Device column, version 23.0.5', () => {
    expect(report).toMatchObject({ status: 'Ok', toolVersion: '23.0.5' });
    expect(report.devices.map((d) => d.index)).toEqual([0, 1]);
  });
  const want: WantNpu[] = [
    { index: 0, pci: '0000:11:00.0', power: 0, temp: 49, memUsed: 600, memTotal: 7578, health: 'Unhealthy', reasons: [/Health Alarm \(major alarm\)/] },
    { index: 1, pci: '0000:12:00.0', power: 0, temp: 54, memUsed: 597, memTotal: 7578, health: 'Unhealthy', reasons: [/Health Alarm/] },
  ];
  it.each(want)('device $index: Alarm keeps new work off', (w) => expectNpu(report.devices[w.index], '310B1', w));
  it('adds `-t health` fault codes to the reason', () => {
    const r = parse(A310, new Map([[1, { errorCodes: ['80E21007'], errorInformation: 'HBM ECC alarm' }]]));
    expect(r.devices[1]?.healthReasons).toEqual(['npu-smi: Health Alarm (major alarm); error codes 80E21007; HBM ECC alarm']);
    expect(r.devices[0]?.healthReasons).toEqual(['npu-smi: Health Alarm (major alarm)']);
  });
  it('names the NPUs whose Health is not OK', () => {
    expect(npuIdsNotOk(A310)).toEqual([0, 1]);
    expect(npuIdsNotOk(A910)).toEqual([]);
    expect(npuIdsNotOk('garbage')).toEqual([]);
  });
});

describe('parseNpuSmiInfo: Health values', () => {
  const withHealth = (value: string): string => A910.replace('| OK            |', `| ${value.padEnd(13)} |`);
  const cases: Array<{ health: string; wantHealth: Device['health']; wantReason?: RegExp }> = [
    { health: 'OK', wantHealth: 'Healthy' },
    { health: 'Warning', wantHealth: 'Healthy', wantReason: /Warning \(minor alarm\)/ },
    { health: 'Alarm', wantHealth: 'Unhealthy', wantReason: /Alarm/ },
    { health: 'Critical', wantHealth: 'Unhealthy', wantReason: /Critical \(critical alarm\)/ },
    { health: 'UNKNOWN', wantHealth: 'Unhealthy', wantReason: /absent or not started/ },
    { health: 'Sleepy', wantHealth: 'Unknown', wantReason: /unrecognised Health value "Sleepy"/ },
  ];
  it.each(cases)('$health -> $wantHealth', ({ health, wantHealth, wantReason }) => {
    const r = parse(withHealth(health));
    expect(r.status).toBe('Ok');
    expect(r.devices[0]?.health).toBe(wantHealth);
    if (wantReason === undefined) expect(r.devices[0]?.healthReasons).toEqual([]);
    else expect(r.devices[0]?.healthReasons[0]).toMatch(wantReason);
    // Only NPU 0 was changed.
    expect(r.devices[1]?.health).toBe('Healthy');
  });
  it('power "NA" (310P3) is absent, not 0', () => {
    const r = parse(A910.replace('| 94.3        53 ', '| NA          53 '));
    expect(r.devices[0]).not.toHaveProperty('powerW');
    expect(r.devices[0]?.temperatureC).toBe(53);
  });
  it('reads the squeezed "58626/ 65536" pair', () => {
    const r = parse(A910.replace('4487 / 65536', '58626/ 65536'));
    expect(r.devices[0]).toMatchObject({ memoryUsedMiB: 58626, memoryTotalMiB: 65536 });
  });
});

describe('parseNpuSmiInfo: output that cannot be trusted is Unknown', () => {
  const lines = A910.split('\n');
  const cutAt = (n: number): string => `${lines.slice(0, n).join('\n')}\n`;
  const cases: Array<{ name: string; stdout: string; wantReason: RegExp }> = [
    { name: 'garbage', stdout: 'hello world\n', wantReason: /no NPU table header/ },
    { name: 'empty', stdout: '', wantReason: /no NPU table header/ },
    { name: 'cut mid-line', stdout: A910.slice(0, A910.indexOf('| 3     910B3') + 40), wantReason: /line 16 is cut off/ },
    { name: 'cut after an NPU row', stdout: cutAt(16), wantReason: /ends inside the block at line 16/ },
    { name: 'cut after a whole block but before its rule', stdout: cutAt(17), wantReason: /ends inside the block at line 16/ },
    {
      name: 'mixed layouts: 310 header over 910B rows',
      stdout: A910.replace('| Chip                      | Bus-Id        | AICore(%)   Memory-Usage(MB)  HBM-Usage(MB)        |', '| Chip    Device            | Bus-Id        | AICore(%)   Memory-Usage(MB)                       |'),
      wantReason: /layout mismatch/,
    },
    { name: 'unrecognised layout (no Health column)', stdout: A910.replace('| Health        |', '| State         |'), wantReason: /no NPU table header/ },
    { name: 'header without Temp', stdout: A910.replace('Temp(C)', 'Tmp(C) '), wantReason: /unrecognised layout: no Temp\(C\)/ },
    { name: 'word in a number column', stdout: A910.replace('| 94.3        53 ', '| 94.3        hot'), wantReason: /Temp\(C\) is "hot"/ },
    { name: 'bad Bus-Id', stdout: A910.replace('0000:C1:00.0', 'pending     '), wantReason: /Bus-Id "pending" is not a PCI address/ },
    { name: 'an NPU row with no chip row', stdout: A910.replace(/\| 0 {25}\| 0000:C1:00\.0.*\n/, ''), wantReason: /NPU block at line 7 has no chip row/ },
  ];
  it.each(cases)('$name', ({ stdout, wantReason }) => {
    const r = parse(stdout);
    expect(r.status).toBe('Unknown');
    expect(r.devices).toEqual([]);
    expect(r.reason).toMatch(wantReason);
  });
});

describe('parseNpuSmiHealth', () => {
  const cases: Array<{ name: string; text: string; wantOk: boolean; wantStatus?: string; wantCodes?: string[]; wantInfo?: string }> = [
    { name: 'fixture: OK with NA codes', text: HEALTH, wantOk: true, wantStatus: 'OK', wantCodes: [] },
    {
      name: 'alarm with two codes',
      text: '        Health Status                  : Alarm\n        Error Code                     : 80E21007 80E18005\n        Error Information              : node HBM ECC\n',
      wantOk: true,
      wantStatus: 'Alarm',
      wantCodes: ['80E21007', '80E18005'],
      wantInfo: 'node HBM ECC',
    },
    { name: 'garbage', text: 'Segmentation fault\n', wantOk: false },
    { name: 'empty', text: '', wantOk: false },
  ];
  it.each(cases)('$name', ({ text, wantOk, wantStatus, wantCodes, wantInfo }) => {
    const got = parseNpuSmiHealth(text);
    expect(got.ok).toBe(wantOk);
    if (!got.ok) return;
    expect(got.status).toBe(wantStatus);
    expect(got.detail.errorCodes).toEqual(wantCodes);
    expect(got.detail.errorInformation).toBe(wantInfo);
  });
});
