import { describe, expect, it } from 'vitest';
import { parseHySmi } from './hy-smi.ts';
import { fixture, OBSERVED_AT } from './test-fixtures.ts';
import type { Device, DeviceReport } from './types.ts';

const EIGHT = fixture('hy-smi_8xDCU_no_dec_enc_columns.txt');
const TWO = fixture('hy-smi_2xBW1000_with_dec_enc_columns.txt');

const parse = (stdout: string, model?: string): DeviceReport =>
  parseHySmi({ stdout, observedAt: OBSERVED_AT, ...(model === undefined ? {} : { model }) });

describe('parseHySmi: both layouts', () => {
  const cases: Array<{ name: string; stdout: string; model: string; wantTemps: number[]; wantPower: number[] }> = [
    {
      name: '8 DCUs, no Dec%/Enc% columns',
      stdout: EIGHT,
      model: 'K100_AI',
      wantTemps: [59, 61, 60, 59, 60, 62, 58, 58],
      wantPower: [114, 109, 106, 107, 118, 113, 106, 115],
    },
    { name: '2 BW1000, with Dec%/Enc% columns', stdout: TWO, model: 'BW1000', wantTemps: [50, 52], wantPower: [80, 89] },
  ];
  it.each(cases)('$name', ({ stdout, model, wantTemps, wantPower }) => {
    const r = parse(stdout, model);
    expect(r).toMatchObject({ provider: 'hy-smi', tool: 'hy-smi', status: 'Ok' });
    expect(r.devices).toEqual(
      wantTemps.map(
        (temp, index): Device => ({
          index,
          vendor: 'hygon',
          model,
          temperatureC: temp,
          powerW: wantPower[index] ?? -1,
          utilizationPct: 0,
          health: 'Healthy',
          healthReasons: [],
        }),
      ),
    );
  });
  it('leaves memory out: hy-smi prints VRAM only as a percentage', () => {
    const d = parse(EIGHT).devices[0];
    expect(d).not.toHaveProperty('memoryTotalMiB');
    expect(d).not.toHaveProperty('memoryUsedMiB');
    expect(d?.model).toBe('');
  });
  it('reads utilisation from the HCU% column, not from Dec% or Enc%', () => {
    const r = parse(TWO.replace('0       50.0C    80.0W      auto     1000.0W    0%         0.0%      0.0%      0.0%', '0       50.0C    80.0W      auto     1000.0W    0%         37.5%     12.0%     3.0%'));
    expect(r.devices[0]?.utilizationPct).toBe(37.5);
  });
});

describe('parseHySmi: output that cannot be trusted is Unknown', () => {
  const eightLines = EIGHT.split('\n');
  const twoRows = TWO.split('\n').slice(3, 5);
  const cases: Array<{ name: string; stdout: string; wantReason: RegExp }> = [
    { name: 'garbage', stdout: 'hello world\n', wantReason: /no device table header/ },
    { name: 'empty', stdout: '', wantReason: /no device table header/ },
    { name: 'cut mid-row', stdout: EIGHT.slice(0, EIGHT.indexOf('7       58.0C') + 20), wantReason: /line 11 has 3 values under 8 columns/ },
    { name: 'cut after a whole row (no closing banner)', stdout: `${eightLines.slice(0, 11).join('\n')}\n`, wantReason: /not closed by a ===== banner/ },
    { name: 'mixed layouts: Dec%/Enc% rows under the short header', stdout: [...eightLines.slice(0, 3), ...twoRows, eightLines[11], ''].join('\n'), wantReason: /line 4 has 10 values under 8 columns/ },
    { name: 'unrecognised header', stdout: EIGHT.replace('AvgPwr', 'Power '), wantReason: /no AvgPwr column/ },
    { name: 'word in the temperature column', stdout: EIGHT.replace('59.0C', 'hot  '), wantReason: /Temp is "hot"/ },
    { name: 'the same DCU twice', stdout: EIGHT.replace('1       61.0C', '0       61.0C'), wantReason: /device 0 is listed twice/ },
  ];
  it.each(cases)('$name', ({ stdout, wantReason }) => {
    const r = parse(stdout);
    expect(r.status).toBe('Unknown');
    expect(r.devices).toEqual([]);
    expect(r.reason).toMatch(wantReason);
  });
});
