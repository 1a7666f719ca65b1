import { describe, expect, it } from 'vitest';
import { collect, PROVIDERS, ROCM_SMI_ARGS, type CollectOptions } from './providers.ts';
import type { RunOptions, ToolResult, ToolRunner } from './run-tool.ts';
import { fixture, OBSERVED_AT } from './test-fixtures.ts';
import { PROVIDER_NAMES, type ProviderName } from './types.ts';

const FIELDS = fixture('nvidia-smi_query_fields.txt').trim();
const HELP = `List of valid properties to query for the switch "--query-gpu=":\n\n${FIELDS.split(',')
  .map((f) => `"${f}"\nDescription.\n`)
  .join('\n')}`;
const QUERY = `nvidia-smi --query-gpu=${FIELDS} --format=csv,noheader,nounits`;

const ok = (stdout: string, stderr = ''): ToolResult => ({ ok: true, stdout, stderr, durationMs: 1 });

/** fakeRunner answers command lines from a table; anything else is a missing binary. It records every call. */
function fakeRunner(answers: Record<string, ToolResult>): { runner: ToolRunner; calls: Array<{ line: string; opts: RunOptions | undefined }> } {
  const calls: Array<{ line: string; opts: RunOptions | undefined }> = [];
  const runner: ToolRunner = (command, args, opts) => {
    const line = [command, ...args].join(' ');
    calls.push({ line, opts });
    return Promise.resolve(answers[line] ?? { ok: false, kind: 'not-found', command, message: `spawn ${command} ENOENT` });
  };
  return { runner, calls };
}

const OPTS: CollectOptions = { observedAt: OBSERVED_AT };

describe('collect: nvidia-smi', () => {
  it('probes the fields, queries them, and parses', async () => {
    const { runner, calls } = fakeRunner({ 'nvidia-smi --help-query-gpu': ok(HELP), [QUERY]: ok(fixture('nvidia-smi_8xH100_healthy.csv')) });
    const r = await collect('nvidia-smi', runner, OPTS);
    expect(calls.map((c) => c.line)).toEqual(['nvidia-smi --help-query-gpu', QUERY]);
    expect(r).toMatchObject({ status: 'Ok', toolVersion: '590.48.01', observedAt: OBSERVED_AT });
    expect(r.devices.filter((d) => d.health === 'Healthy')).toHaveLength(8);
  });
  it('skips the probe when the caller passes a cached field pick, and forwards the deadline', async () => {
    const { runner, calls } = fakeRunner({ [QUERY]: ok(fixture('nvidia-smi_1xH100_mig.csv')) });
    const r = await collect('nvidia-smi', runner, { ...OPTS, timeoutMs: 5_000, nvidiaQuery: { query: FIELDS.split(','), fields: FIELDS.split(',') } });
    expect(calls).toEqual([{ line: QUERY, opts: { timeoutMs: 5_000 } }]);
    expect(r.devices).toHaveLength(1);
  });
  it('reads partial output when nvidia-smi exits non-zero because it cannot open one GPU', async () => {
    const { runner } = fakeRunner({
      'nvidia-smi --help-query-gpu': ok(HELP),
      [QUERY]: {
        ok: false,
        kind: 'exit',
        command: 'nvidia-smi',
        exitCode: 15,
        stdout: fixture('nvidia-smi_8xH100_degraded.stdout.csv'),
        stderr: fixture('nvidia-smi_8xH100_degraded.stderr.txt'),
      },
    });
    const r = await collect('nvidia-smi', runner, OPTS);
    expect(r.status).toBe('Ok');
    expect(r.devices.filter((d) => d.health === 'Unhealthy').map((d) => d.index)).toEqual([3, 7]);
  });
  const failures: Array<{ name: string; answers: Record<string, ToolResult>; wantReason: RegExp }> = [
    { name: 'not installed', answers: {}, wantReason: /nvidia-smi not found/ },
    {
      name: 'query hangs',
      answers: { 'nvidia-smi --help-query-gpu': ok(HELP), [QUERY]: { ok: false, kind: 'timeout', command: 'nvidia-smi', timeoutMs: 10_000, stdout: '', stderr: '' } },
      wantReason: /did not finish within 10000 ms/,
    },
    {
      name: 'non-zero exit with an unexplained error',
      answers: {
        'nvidia-smi --help-query-gpu': ok(HELP),
        [QUERY]: { ok: false, kind: 'exit', command: 'nvidia-smi', exitCode: 255, stdout: fixture('nvidia-smi_8xH100_healthy.csv'), stderr: 'Segmentation fault\n' },
      },
      wantReason: /exited with code 255: Segmentation fault/,
    },
    {
      name: 'NVML mismatch',
      answers: { 'nvidia-smi --help-query-gpu': { ok: false, kind: 'exit', command: 'nvidia-smi', exitCode: 9, stdout: 'Failed to initialize NVML: Driver/library version mismatch\n', stderr: '' } },
      wantReason: /version mismatch/,
    },
    { name: 'help is garbage', answers: { 'nvidia-smi --help-query-gpu': ok('garbage\n') }, wantReason: /listed no fields/ },
  ];
  it.each(failures)('$name -> Unknown', async ({ answers, wantReason }) => {
    const r = await collect('nvidia-smi', fakeRunner(answers).runner, OPTS);
    expect(r).toMatchObject({ status: 'Unknown', devices: [] });
    expect(r.reason).toMatch(wantReason);
  });
});

describe('collect: npu-smi', () => {
  it('asks `-t health` about each NPU whose Health is not OK and adds the fault codes', async () => {
    const { runner, calls } = fakeRunner({
      'npu-smi info': ok(fixture('npu-smi_info_310B1_alarm_excerpt.txt')),
      'npu-smi info -t health -i 0': ok(fixture('npu-smi_info_t_health.txt')),
      'npu-smi info -t health -i 1': ok('Health Status : Alarm\nError Code : 80E21007\nError Information : NA\n'),
    });
    const r = await collect('npu-smi', runner, OPTS);
    expect(calls.map((c) => c.line)).toEqual(['npu-smi info', 'npu-smi info -t health -i 0', 'npu-smi info -t health -i 1']);
    expect(r.devices.map((d) => d.healthReasons)).toEqual([['npu-smi: Health Alarm (major alarm)'], ['npu-smi: Health Alarm (major alarm); error codes 80E21007']]);
  });
  it('does not run `-t health` on a healthy node', async () => {
    const { runner, calls } = fakeRunner({ 'npu-smi info': ok(fixture('npu-smi_info_8x910B3.txt')) });
    const r = await collect('npu-smi', runner, OPTS);
    expect(calls).toHaveLength(1);
    expect(r.devices).toHaveLength(8);
  });
  it('keeps the table’s verdict when `-t health` fails', async () => {
    const { runner } = fakeRunner({ 'npu-smi info': ok(fixture('npu-smi_info_310B1_alarm_excerpt.txt')) });
    const r = await collect('npu-smi', runner, OPTS);
    expect(r.devices.map((d) => d.health)).toEqual(['Unhealthy', 'Unhealthy']);
  });
});

describe('collect: amd-smi', () => {
  it('parses `amd-smi metric --json` with the model the caller knows', async () => {
    const { runner } = fakeRunner({ 'amd-smi metric --json': ok(fixture('amd-smi_metric_mi300x_gpu_data_shape.json')) });
    const r = await collect('amd-smi', runner, { ...OPTS, model: 'AMD Instinct MI300X' });
    expect(r).toMatchObject({ status: 'Ok', tool: 'amd-smi' });
    expect(r.devices.map((d) => d.model)).toEqual(['AMD Instinct MI300X', 'AMD Instinct MI300X']);
  });
  it('falls back to rocm-smi where amd-smi is not installed', async () => {
    const { runner, calls } = fakeRunner({ [['rocm-smi', ...ROCM_SMI_ARGS].join(' ')]: ok(fixture('rocm-smi_json_flat_keys.json')) });
    const r = await collect('amd-smi', runner, OPTS);
    expect(calls.map((c) => c.line.split(' ')[0])).toEqual(['amd-smi', 'rocm-smi']);
    expect(r).toMatchObject({ status: 'Ok', provider: 'amd-smi', tool: 'rocm-smi' });
  });
  it('is Unknown when neither tool exists', async () => {
    const r = await collect('amd-smi', fakeRunner({}).runner, OPTS);
    expect(r.status).toBe('Unknown');
    expect(r.reason).toMatch(/amd-smi not found.*rocm-smi not found/);
  });
  it('does not fall back when amd-smi exists but fails', async () => {
    const { runner, calls } = fakeRunner({ 'amd-smi metric --json': { ok: false, kind: 'exit', command: 'amd-smi', exitCode: 1, stdout: '', stderr: 'AMDSMI_STATUS_DRIVER_NOT_LOADED\n' } });
    const r = await collect('amd-smi', runner, OPTS);
    expect(calls).toHaveLength(1);
    expect(r.reason).toMatch(/DRIVER_NOT_LOADED/);
  });
});

describe('collect: cnmon and hy-smi', () => {
  it('cnmon', async () => {
    const r = await collect('cnmon', fakeRunner({ cnmon: ok(fixture('cnmon_2xMLU370-X8.txt')) }).runner, OPTS);
    expect(r).toMatchObject({ status: 'Ok', toolVersion: '5.10.13' });
    expect(r.devices).toHaveLength(2);
  });
  it('hy-smi from /opt/hyhal/bin when it is not on PATH', async () => {
    const { runner, calls } = fakeRunner({ '/opt/hyhal/bin/hy-smi': ok(fixture('hy-smi_8xDCU_no_dec_enc_columns.txt')) });
    const r = await collect('hy-smi', runner, { ...OPTS, model: 'K100_AI' });
    expect(calls.map((c) => c.line)).toEqual(['hy-smi', '/opt/hyhal/bin/hy-smi']);
    expect(r.devices).toHaveLength(8);
    expect(r.devices[0]?.model).toBe('K100_AI');
  });
  it('an explicit tool path is the only one tried', async () => {
    const { runner, calls } = fakeRunner({ '/host/usr/bin/hy-smi': ok(fixture('hy-smi_2xBW1000_with_dec_enc_columns.txt')) });
    const r = await collect('hy-smi', runner, { ...OPTS, toolPath: '/host/usr/bin/hy-smi' });
    expect(calls.map((c) => c.line)).toEqual(['/host/usr/bin/hy-smi']);
    expect(r.devices).toHaveLength(2);
  });
});

describe('collect: simulated', () => {
  it('needs no tool', async () => {
    const { runner, calls } = fakeRunner({});
    const r = await collect('simulated', runner, {
      ...OPTS,
      simulated: { spec: { vendor: 'nvidia', model: 'H100', count: 2, memoryGiB: 80 }, faults: { xids: [{ device: 1, xid: 79 }] }, nodeName: 'n1' },
    });
    expect(calls).toEqual([]);
    expect(r.devices.map((d) => d.health)).toEqual(['Healthy', 'Unhealthy']);
  });
  it('rejects a fault on a device the node does not have', async () => {
    const bad = collect('simulated', fakeRunner({}).runner, {
      ...OPTS,
      simulated: { spec: { vendor: 'nvidia', model: 'H100', count: 2, memoryGiB: 80 }, faults: { xids: [{ device: 2, xid: 79 }] } },
    });
    await expect(bad).rejects.toThrow(RangeError);
  });
  it('is Unknown without a spec', async () => {
    const r = await collect('simulated', fakeRunner({}).runner, OPTS);
    expect(r).toMatchObject({ status: 'Unknown', reason: /no device spec/ });
  });
});

describe('every provider: failure is Unknown, never Healthy', () => {
  const tools: ProviderName[] = PROVIDER_NAMES.filter((p) => p !== 'simulated');
  it('the registry covers every provider name', () => {
    expect(Object.keys(PROVIDERS).sort()).toEqual([...PROVIDER_NAMES].sort());
  });
  it.each(tools)('%s: tool missing', async (name) => {
    const r = await collect(name, fakeRunner({}).runner, OPTS);
    expect(r).toMatchObject({ provider: name, status: 'Unknown', devices: [] });
    expect(r.reason).toMatch(/not found/);
  });
  it.each(tools)('%s: garbage output', async (name) => {
    const garbage: ToolRunner = () => Promise.resolve(ok('<html>502 Bad Gateway</html>\n'));
    const r = await collect(name, garbage, OPTS);
    expect(r).toMatchObject({ provider: name, status: 'Unknown', devices: [] });
  });
  it.each(tools)('%s: hung tool', async (name) => {
    const hung: ToolRunner = (command) => Promise.resolve({ ok: false, kind: 'timeout', command, timeoutMs: 100, stdout: '', stderr: '' });
    const r = await collect(name, hung, OPTS);
    expect(r).toMatchObject({ provider: name, status: 'Unknown', devices: [] });
    expect(r.reason).toMatch(/did not finish within 100 ms/);
  });
});
