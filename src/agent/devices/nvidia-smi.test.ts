import { describe, expect, it } from 'vitest';
import { NVIDIA_QUERY_FIELDS } from './nvidia-query-fields.ts';
import { parseNvidiaSmiCsv } from './nvidia-smi.ts';
import { fixture, OBSERVED_AT } from './test-fixtures.ts';
import type { Device, DeviceReport } from './types.ts';

const FIELDS = fixture('nvidia-smi_query_fields.txt').trim().split(',');
const HEALTHY = fixture('nvidia-smi_8xH100_healthy.csv');
const DEGRADED = fixture('nvidia-smi_8xH100_degraded.stdout.csv');
const DEGRADED_ERR = fixture('nvidia-smi_8xH100_degraded.stderr.txt');
const MIG = fixture('nvidia-smi_1xH100_mig.csv');

function parse(stdout: string, stderr = '', header = false): DeviceReport {
  return parseNvidiaSmiCsv({ stdout, stderr, fields: FIELDS, header, observedAt: OBSERVED_AT });
}

/** row rewrites the first healthy row with some cells replaced, by field name. */
function row(overrides: Readonly<Record<string, string>>): string {
  const cells = (HEALTHY.split('\n')[0] ?? '').split(', ');
  return `${FIELDS.map((f, i) => overrides[f] ?? cells[i] ?? '').join(', ')}\n`;
}

interface WantDevice {
  index: number;
  uuid?: string;
  pci?: string;
  memUsed?: number;
  util?: number;
  temp?: number;
  power?: number;
  ecc?: number;
  health: Device['health'];
  reasons?: RegExp[];
}

function expectDevice(got: Device | undefined, want: WantDevice): void {
  expect(got).toBeDefined();
  if (got === undefined) return;
  expect(got.index).toBe(want.index);
  expect(got.uuid).toBe(want.uuid);
  expect(got.pciBusId).toBe(want.pci);
  expect(got.memoryUsedMiB).toBe(want.memUsed);
  expect(got.utilizationPct).toBe(want.util);
  expect(got.temperatureC).toBe(want.temp);
  expect(got.powerW).toBe(want.power);
  expect(got.eccUncorrectable).toBe(want.ecc);
  expect(got.health).toBe(want.health);
  expect(got.healthReasons).toHaveLength(want.reasons?.length ?? 0);
  want.reasons?.forEach((re, i) => expect(got.healthReasons[i]).toMatch(re));
}

const H100 = 'NVIDIA H100 80GB HBM3';

describe('parseNvidiaSmiCsv: healthy 8×H100 fixture', () => {
  const report = parse(HEALTHY);
  const want: WantDevice[] = [
    { index: 0, uuid: 'GPU-6a1f0c3e-2b7d-4e19-8f0a-3c5d7e9b1a20', pci: '0000:18:00.0', memUsed: 78412, util: 100, temp: 62, power: 652.37, ecc: 0, health: 'Healthy' },
    { index: 1, uuid: 'GPU-0b9e4d21-7c3a-4f55-9e61-2d8c4b7a9f31', pci: '0000:2a:00.0', memUsed: 78410, util: 100, temp: 64, power: 671.05, ecc: 0, health: 'Healthy' },
    { index: 2, uuid: 'GPU-5c2d8e47-1f6b-4a90-b3c2-7e1f9a0d4c42', pci: '0000:3a:00.0', memUsed: 78410, util: 99, temp: 61, power: 699.12, ecc: 0, health: 'Healthy' },
    { index: 3, uuid: 'GPU-9d7a3b18-4e2c-4b6d-a8f5-0c3e6b2d7e53', pci: '0000:5d:00.0', memUsed: 78412, util: 100, temp: 66, power: 688.4, ecc: 0, health: 'Healthy' },
    { index: 4, uuid: 'GPU-2e8b6c59-9a1d-4c7e-8b04-5f2a1c8e3b64', pci: '0000:9a:00.0', memUsed: 78410, util: 100, temp: 63, power: 659.93, ecc: 0, health: 'Healthy' },
    { index: 5, uuid: 'GPU-7f3c1d6a-3b8e-4d2f-9c15-8a4b0e7f2c75', pci: '0000:ab:00.0', memUsed: 78412, util: 100, temp: 65, power: 676.15, ecc: 0, health: 'Healthy' },
    { index: 6, uuid: 'GPU-4a6e9f7b-6c2a-4e8b-a726-1b9d3f5a8d86', pci: '0000:ba:00.0', memUsed: 0, util: 0, temp: 33, power: 70.12, ecc: 0, health: 'Healthy' },
    { index: 7, uuid: 'GPU-8b1f2a8c-5d9b-4f3c-b837-4c6e2a9b1e97', pci: '0000:db:00.0', memUsed: 0, util: 0, temp: 34, power: 68.77, ecc: 0, health: 'Healthy' },
  ];
  it('is Ok with 8 devices and the driver version', () => {
    expect(report).toMatchObject({ provider: 'nvidia-smi', tool: 'nvidia-smi', status: 'Ok', toolVersion: '590.48.01', observedAt: OBSERVED_AT });
    expect(report.reason).toBeUndefined();
    expect(report.devices).toHaveLength(8);
    for (const d of report.devices) expect(d).toMatchObject({ vendor: 'nvidia', model: H100, memoryTotalMiB: 81559 });
  });
  it.each(want)('GPU $index', (w) => expectDevice(report.devices[w.index], w));
});

describe('parseNvidiaSmiCsv: degraded fixture (GPU3 ECC, GPU7 missing + stderr)', () => {
  const report = parse(DEGRADED, DEGRADED_ERR);
  it('still lists 8 devices: 7 rows plus the GPU named on stderr', () => {
    expect(report.status).toBe('Ok');
    expect(report.devices.map((d) => d.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(report.devices.map((d) => d.health)).toEqual(['Healthy', 'Healthy', 'Healthy', 'Unhealthy', 'Healthy', 'Healthy', 'Healthy', 'Unhealthy']);
  });
  const want: WantDevice[] = [
    {
      index: 3,
      uuid: 'GPU-9d7a3b18-4e2c-4b6d-a8f5-0c3e6b2d7e53',
      pci: '0000:5d:00.0',
      memUsed: 0,
      util: 0,
      temp: 41,
      power: 71.33,
      ecc: 1,
      health: 'Unhealthy',
      reasons: [/1 uncorrectable ECC/, /row remap pending/],
    },
    { index: 7, pci: '0000:db:00.0', health: 'Unhealthy', reasons: [/cannot open the GPU: Unknown Error/] },
  ];
  it.each(want)('GPU $index', (w) => expectDevice(report.devices[w.index], w));
  it('the GPU it cannot open has no invented measurements', () => {
    const gpu7 = report.devices[7];
    expect(gpu7?.model).toBe('');
    expect(gpu7?.memoryTotalMiB).toBeUndefined();
  });
  it('without the stderr line the missing GPU is simply absent (inventory comparison is the caller’s job)', () => {
    expect(parse(DEGRADED).devices.map((d) => d.index)).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });
  it('reads the older handle-failure shape that has no index', () => {
    const r = parse(DEGRADED, 'Unable to determine the device handle for GPU0000:DB:00.0: Unknown Error\n');
    expectDevice(r.devices[7], { index: 7, pci: '0000:db:00.0', health: 'Unhealthy', reasons: [/Unknown Error/] });
  });
});

describe('parseNvidiaSmiCsv: MIG fixture', () => {
  const report = parse(MIG);
  it('keeps [N/A] utilisation absent, not 0, and does not alert on [N/A] remap fields', () => {
    expect(report.status).toBe('Ok');
    expect(report.devices).toHaveLength(1);
    expectDevice(report.devices[0], {
      index: 0,
      uuid: 'GPU-6a1f0c3e-2b7d-4e19-8f0a-3c5d7e9b1a20',
      pci: '0000:18:00.0',
      memUsed: 59,
      temp: 42,
      power: 71.15,
      ecc: 0,
      health: 'Healthy',
    });
    expect(report.devices[0]).not.toHaveProperty('utilizationPct');
  });
});

describe('parseNvidiaSmiCsv: header and units', () => {
  const UNITS: Readonly<Record<string, string>> = {
    'memory.total': 'MiB',
    'memory.reserved': 'MiB',
    'memory.used': 'MiB',
    'memory.free': 'MiB',
    'utilization.gpu': '%',
    'utilization.memory': '%',
    'power.draw': 'W',
    'power.limit': 'W',
  };
  const header = `${FIELDS.map((f) => (UNITS[f] === undefined ? f : `${f} [${UNITS[f]}]`)).join(', ')}\n`;
  const withUnits = (line: string): string =>
    `${line
      .trim()
      .split(', ')
      .map((c, i) => {
        const unit = UNITS[FIELDS[i] ?? ''];
        return unit === undefined || c.startsWith('[') ? c : `${c} ${unit}`;
      })
      .join(', ')}\n`;

  it('reads `--format=csv,nounits` (header line)', () => {
    const r = parse(header + HEALTHY, '', true);
    expect(r.status).toBe('Ok');
    expect(r.devices).toHaveLength(8);
    expect(r.devices[0]?.memoryTotalMiB).toBe(81559);
  });
  it('reads `--format=csv` (header and units)', () => {
    const r = parse(header + withUnits(MIG), '', true);
    expect(r.status).toBe('Ok');
    expectDevice(r.devices[0], {
      index: 0,
      uuid: 'GPU-6a1f0c3e-2b7d-4e19-8f0a-3c5d7e9b1a20',
      pci: '0000:18:00.0',
      memUsed: 59,
      temp: 42,
      power: 71.15,
      ecc: 0,
      health: 'Healthy',
    });
  });
  it('accepts the old throttle spelling in the header', () => {
    const old = header.replaceAll('clocks_event_reasons.', 'clocks_throttle_reasons.');
    expect(parse(old + HEALTHY, '', true).status).toBe('Ok');
  });
  it('rejects a header that does not match the requested fields', () => {
    const r = parse(header.replace('memory.used', 'memory.free') + HEALTHY, '', true);
    expect(r).toMatchObject({ status: 'Unknown', reason: expect.stringMatching(/does not match the requested fields/) });
  });
});

describe('parseNvidiaSmiCsv: per-GPU health signals', () => {
  const cases: Array<{ name: string; overrides: Record<string, string>; wantHealth: Device['health']; wantReasons: RegExp[]; wantEcc?: number }> = [
    { name: 'unreadable ECC counter', overrides: { 'ecc.errors.uncorrected.volatile.total': '[Unknown Error]' }, wantHealth: 'Unknown', wantReasons: [/could not read ecc.errors.uncorrected.volatile.total/] },
    { name: 'unsupported ECC counter says nothing', overrides: { 'ecc.errors.uncorrected.volatile.total': '[N/A]' }, wantHealth: 'Healthy', wantReasons: [] },
    { name: 'GPU is lost', overrides: { 'memory.used': '[GPU is lost]', 'temperature.gpu': '[GPU is lost]', 'power.draw': '[GPU is lost]' }, wantHealth: 'Unhealthy', wantReasons: [/GPU is lost/], wantEcc: 0 },
    { name: 'GPU requires reset', overrides: { 'utilization.gpu': '[GPU requires reset]' }, wantHealth: 'Unhealthy', wantReasons: [/requires reset/] },
    { name: 'row remap failure', overrides: { 'remapped_rows.failure': 'Yes' }, wantHealth: 'Unhealthy', wantReasons: [/row remapping failed/] },
    { name: 'recovery action reset', overrides: { gpu_recovery_action: 'GPU Reset' }, wantHealth: 'Unhealthy', wantReasons: [/recovery action "GPU Reset"/] },
    { name: 'recovery action drain P2P only warns', overrides: { gpu_recovery_action: 'Drain P2P' }, wantHealth: 'Healthy', wantReasons: [/Drain P2P/] },
    { name: 'hardware slowdown warns', overrides: { 'clocks_event_reasons.hw_slowdown': 'Active' }, wantHealth: 'Healthy', wantReasons: [/hardware slowdown/] },
    { name: 'page retirement pending warns', overrides: { 'retired_pages.pending': 'Yes' }, wantHealth: 'Healthy', wantReasons: [/page retirement pending/] },
    {
      name: 'fault outweighs an unreadable value',
      overrides: { 'ecc.errors.uncorrected.volatile.total': '2', 'remapped_rows.pending': '[Unknown Error]' },
      wantHealth: 'Unhealthy',
      wantReasons: [/2 uncorrectable/, /could not read remapped_rows.pending/],
      wantEcc: 2,
    },
    { name: 'old-driver [Not Supported] tokens are absent', overrides: { 'temperature.memory': '[Not Supported]', 'power.draw': '[Not Supported]' }, wantHealth: 'Healthy', wantReasons: [] },
  ];
  it.each(cases)('$name', ({ overrides, wantHealth, wantReasons, wantEcc }) => {
    const r = parse(row(overrides));
    expect(r.status).toBe('Ok');
    const d = r.devices[0];
    expect(d?.health).toBe(wantHealth);
    expect(d?.healthReasons).toHaveLength(wantReasons.length);
    wantReasons.forEach((re, i) => expect(d?.healthReasons[i]).toMatch(re));
    if (wantEcc !== undefined) expect(d?.eccUncorrectable).toBe(wantEcc);
    for (const [field, value] of Object.entries(overrides)) {
      // Whatever a token cell held, it never turns into a 0 measurement.
      if (value.startsWith('[') && field === 'power.draw') expect(d?.powerW).toBeUndefined();
      if (value.startsWith('[') && field === 'temperature.gpu') expect(d?.temperatureC).toBeUndefined();
      if (value.startsWith('[') && field === 'memory.used') expect(d?.memoryUsedMiB).toBeUndefined();
    }
  });
});

describe('parseNvidiaSmiCsv: output that cannot be trusted is Unknown, never Healthy', () => {
  const lines = HEALTHY.split('\n');
  const cases: Array<{ name: string; stdout: string; stderr?: string; wantReason: RegExp }> = [
    { name: 'garbage', stdout: 'hello world\n', wantReason: /1 columns, expected 30/ },
    { name: 'binary noise', stdout: '\u0000\u0001\u0002garbage, more\n', wantReason: /columns, expected 30/ },
    { name: 'empty output', stdout: '', wantReason: /listed no devices/ },
    { name: 'truncated mid-line after a comma', stdout: `${HEALTHY.slice(0, HEALTHY.indexOf('5, GPU-7f3c') + 60)}\n`, wantReason: /row 6 has \d+ columns, expected 30/ },
    { name: 'truncated inside the last cell', stdout: HEALTHY.slice(0, -3), wantReason: /does not end with a newline/ },
    { name: 'a row with a column missing', stdout: [lines[0], (lines[1] ?? '').replace(', P0', ''), ''].join('\n'), wantReason: /row 2 has 29 columns/ },
    { name: 'a row with an extra column', stdout: `${(lines[0] ?? '').replace(', P0', ', P0, P0')}\n`, wantReason: /row 1 has 31 columns/ },
    { name: 'shifted columns (word in a number column)', stdout: row({ 'memory.total': 'Enabled' }), wantReason: /memory.total is "Enabled", not a number/ },
    { name: 'yes/no column holding something else', stdout: row({ 'remapped_rows.pending': 'Maybe' }), wantReason: /remapped_rows.pending is "Maybe"/ },
    { name: 'bad bitmask', stdout: row({ 'clocks_event_reasons.active': 'Idle' }), wantReason: /not a bitmask/ },
    { name: 'mixed driver versions (output from before and after an upgrade)', stdout: HEALTHY.replace(/(4, GPU-[^,]+, [^,]+, [^,]+, )590\.48\.01/, '$1580.95.05'), wantReason: /different driver versions \(590.48.01, 580.95.05\)/ },
    { name: 'two outputs concatenated', stdout: HEALTHY + DEGRADED, wantReason: /lists index 0 twice/ },
    { name: 'NVML mismatch after a driver upgrade', stdout: 'Failed to initialize NVML: Driver/library version mismatch\n', wantReason: /Driver\/library version mismatch/ },
    { name: 'NVML mismatch on stderr with partial stdout', stdout: HEALTHY, stderr: 'Failed to initialize NVML: Driver/library version mismatch\n', wantReason: /version mismatch/ },
    { name: 'no devices', stdout: 'No devices were found\n', wantReason: /No devices were found/ },
    { name: 'invalid field', stdout: 'Field "clocks_event_reasons.hw_power_brake" is not a valid field to query.\n', wantReason: /not a valid field/ },
    { name: 'stderr names a GPU that stdout also lists', stdout: HEALTHY, stderr: DEGRADED_ERR, wantReason: /both lists and cannot open GPU 7/ },
  ];
  it.each(cases)('$name', ({ stdout, stderr, wantReason }) => {
    const r = parse(stdout, stderr ?? '');
    expect(r.status).toBe('Unknown');
    expect(r.devices).toEqual([]);
    expect(r.reason).toMatch(wantReason);
  });

  it('checks the column count against the requested fields, not a fixed 30', () => {
    const r = parseNvidiaSmiCsv({ stdout: HEALTHY, fields: NVIDIA_QUERY_FIELDS.slice(0, 29), observedAt: OBSERVED_AT });
    expect(r).toMatchObject({ status: 'Unknown', reason: expect.stringMatching(/expected 29/) });
  });
});
