import { describe, expect, it } from 'vitest';
import { parseCnmon } from './cnmon.ts';
import { fixture, OBSERVED_AT } from './test-fixtures.ts';
import type { Device, DeviceReport } from './types.ts';

const V5 = fixture('cnmon_2xMLU370-X8.txt');

/** The CNMON v4.20.11 layout as quoted in the research report §(c5) (header and one card). */
const V4 = [
  '+------------------------------------------------------------------------------+',
  '| CNMON v4.20.11                                               Driver v4.20.11 |',
  '+-------------------------------+----------------------+-----------------------+',
  '| Card  VF  Name       Firmware | Inited        Driver | Util        Ecc-Error |',
  '| Fan   Temp      Pwr:Usage/Cap |         Memory-Usage |         vMemory-Usage |',
  '|===============================+======================+=======================|',
  '| 0     /   MLU370-X4    v1.1.6 | On          v4.20.11 | 0%          N/A       |',
  '|  0%   32C         30 W/ 150 W |     0 MiB/ 23308 MiB | 10240 MiB/1048576 MiB |',
  '+-------------------------------+----------------------+-----------------------+',
  '',
].join('\n');

const parse = (stdout: string): DeviceReport => parseCnmon({ stdout, observedAt: OBSERVED_AT });

describe('parseCnmon: CNMON v5.10.13 fixture (2×MLU370-X8)', () => {
  const report = parse(V5);
  it('is Ok with 2 cards and version 5.10.13', () => {
    expect(report).toMatchObject({ provider: 'cnmon', tool: 'cnmon', status: 'Ok', toolVersion: '5.10.13' });
    expect(report.devices).toHaveLength(2);
  });
  const want: Array<{ index: number; pci: string; temp: number }> = [
    { index: 0, pci: '0000:39:00.0', temp: 32 },
    { index: 1, pci: '0000:3d:00.0', temp: 39 },
  ];
  it.each(want)('card $index', ({ index, pci, temp }) => {
    expect(report.devices[index]).toEqual({
      index,
      pciBusId: pci,
      vendor: 'cambricon',
      model: 'MLU370-X8',
      memoryTotalMiB: 23374,
      memoryUsedMiB: 0,
      temperatureC: temp,
      powerW: 106,
      utilizationPct: 0,
      health: 'Healthy',
      healthReasons: [],
    } satisfies Device);
  });
  it('Ecc-Error "N/A" is absent, not 0', () => {
    expect(report.devices[0]).not.toHaveProperty('eccUncorrectable');
  });
  it('a non-zero Ecc-Error count makes the card Unhealthy', () => {
    const r = parse(V5.replace('| 0%                N/A |', '| 0%                  2 |'));
    expect(r.devices[0]).toMatchObject({ health: 'Unhealthy', healthReasons: ['cnmon: 2 ECC error(s) reported'] });
    expect(r.devices[1]?.health).toBe('Healthy');
  });
  it('ignores a process table after the card table', () => {
    const withProcs = `${V5}\n+------------------------------------------------------------------------------+\n| Processes:                                                                   |\n|  No running processes found                                                  |\n+------------------------------------------------------------------------------+\n`;
    expect(parse(withProcs).devices).toHaveLength(2);
  });
});

describe('parseCnmon: CNMON v4 layout', () => {
  it('reads the card without a bus id', () => {
    const r = parse(V4);
    expect(r).toMatchObject({ status: 'Ok', toolVersion: '4.20.11' });
    expect(r.devices).toEqual([
      {
        index: 0,
        vendor: 'cambricon',
        model: 'MLU370-X4',
        memoryTotalMiB: 23308,
        memoryUsedMiB: 0,
        temperatureC: 32,
        powerW: 30,
        utilizationPct: 0,
        health: 'Healthy',
        healthReasons: [],
      } satisfies Device,
    ]);
  });
});

describe('parseCnmon: output that cannot be trusted is Unknown', () => {
  const lines = V5.split('\n');
  const v4Rows = V4.split('\n').slice(6, 8);
  const cases: Array<{ name: string; stdout: string; wantReason: RegExp }> = [
    { name: 'garbage', stdout: 'hello world\n', wantReason: /no card table header/ },
    { name: 'empty', stdout: '', wantReason: /no card table header/ },
    { name: 'cut mid-line', stdout: V5.slice(0, V5.indexOf('|  0%   39C') + 20), wantReason: /line 11 is cut off/ },
    { name: 'cut between the two rows of a card', stdout: `${lines.slice(0, 10).join('\n')}\n`, wantReason: /card block at line 10 is not closed/ },
    { name: 'a card with three rows', stdout: V5.replace(lines[7] ?? '', `${lines[7] ?? ''}\n${lines[7] ?? ''}`), wantReason: /has 3 row\(s\), expected 2/ },
    { name: 'unrecognised header', stdout: V5.replace('SR-IOV   Compute-Mode', 'SR-IOV   Compute-Mood'), wantReason: /unrecognised layout/ },
    { name: 'mixed versions: v4 rows under a v5 header', stdout: [...lines.slice(0, 6), ...v4Rows, lines[8], ''].join('\n'), wantReason: /Bus-Id "On +v4.20.11" is not a PCI address/ },
    { name: 'mixed versions: v5 rows under a v4 header', stdout: [...V4.split('\n').slice(0, 6), lines[6], lines[7], lines[8], ''].join('\n'), wantReason: /does not fit the Inited Driver column/ },
    { name: 'word in the temperature column', stdout: V5.replace('32C', 'hot'), wantReason: /Temp is "hot"/ },
    { name: 'power without a capacity', stdout: V5.replace('106 W/ 250 W |     0 MiB', '106 W        |     0 MiB'), wantReason: /Pwr:Usage\/Cap is "106 W"/ },
  ];
  it.each(cases)('$name', ({ stdout, wantReason }) => {
    const r = parse(stdout);
    expect(r.status).toBe('Unknown');
    expect(r.devices).toEqual([]);
    expect(r.reason).toMatch(wantReason);
  });
});
