import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { LabSite } from './topology.ts';
import { parseFaultsFile } from '../agent/site/faults-file.ts';
import { labNodeNames, labReportTargets } from './report-targets.ts';

const SITE: LabSite = {
  name: 'shanghai',
  region: 'cn-east',
  zone: undefined,
  provider: 'lab',
  currency: 'CNY',
  labels: {},
  connection: 'push',
  sitePolicy: undefined,
  pools: [
    {
      name: 'h100',
      nodes: 2,
      cpu: 96,
      memory: 2 ** 40,
      architecture: 'amd64',
      accelerator: { vendor: 'nvidia', model: 'NVIDIA H100 80GB HBM3', count: 8, memoryGiB: 80, precisions: [], resourceName: 'nvidia.com/gpu', pricePerHour: undefined },
      labels: {},
      taints: [],
    },
    { name: 'cpu', nodes: 3, cpu: 64, memory: 2 ** 38, architecture: 'amd64', accelerator: undefined, labels: {}, taints: [] },
  ],
};

describe('parseFaultsFile', () => {
  it('reads every kind of fault by node', () => {
    const r = parseFaultsFile(
      JSON.stringify({
        a: { xids: [{ device: 1, xid: 79 }], eccUncorrectable: [{ device: 2, count: 3 }] },
        b: { ascendCritical: [0, 5] },
        c: { unavailable: 'npu-smi: not found' },
        d: {},
      }),
    );
    expect(r).toEqual({
      ok: true,
      value: new Map<string, unknown>([
        ['a', { xids: [{ device: 1, xid: 79 }], eccUncorrectable: [{ device: 2, count: 3 }] }],
        ['b', { ascendCritical: [0, 5] }],
        ['c', { unavailable: 'npu-smi: not found' }],
        ['d', {}],
      ]),
    });
  });

  it('treats an empty file as no faults', () => {
    expect(parseFaultsFile('  \n')).toEqual({ ok: true, value: new Map() });
  });

  it.each([
    ['not JSON', '{', /not JSON/],
    ['an array', '[]', /keyed by node name/],
    ['a misspelt key', '{"a":{"xid":[{"device":0,"xid":79}]}}', /unknown key "xid"/],
    ['an XID without a device', '{"a":{"xids":[{"xid":79}]}}', /whole numbers "device" and "xid"/],
    ['a negative device', '{"a":{"ascendCritical":[-1]}}', /ascendCritical/],
    ['an extra key in an ECC fault', '{"a":{"eccUncorrectable":[{"device":0,"count":1,"x":1}]}}', /unknown key "x"/],
    ['an empty reason', '{"a":{"unavailable":""}}', /unavailable/],
  ])('rejects %s', (_name, text, want) => {
    const r = parseFaultsFile(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(want);
  });
});

describe('labReportTargets', () => {
  it('lists only the accelerator nodes of the site', () => {
    expect(labNodeNames(SITE)).toEqual(['shanghai-h100-0', 'shanghai-h100-1']);
  });

  it('applies the fault file, re-read every round, and keeps the last good faults when it breaks', async () => {
    let file: string | undefined;
    const targets = labReportTargets({ site: SITE, readFaults: async () => file, logger: pino({ level: 'silent' }) });
    const unhealthy = async (): Promise<Record<string, number[]>> => {
      const out: Record<string, number[]> = {};
      for (const t of await targets()) {
        const r = await t.collect('2026-01-01T00:00:00Z');
        out[t.node] = r.devices.filter((d) => d.health !== 'Healthy').map((d) => d.index);
      }
      return out;
    };
    expect(await unhealthy()).toEqual({ 'shanghai-h100-0': [], 'shanghai-h100-1': [] });
    file = JSON.stringify({ 'shanghai-h100-1': { xids: [{ device: 4, xid: 79 }] } });
    expect(await unhealthy()).toEqual({ 'shanghai-h100-0': [], 'shanghai-h100-1': [4] });
    file = '{"shanghai-h100-1": {"xids": [';
    expect(await unhealthy()).toEqual({ 'shanghai-h100-0': [], 'shanghai-h100-1': [4] });
    file = undefined;
    expect(await unhealthy()).toEqual({ 'shanghai-h100-0': [], 'shanghai-h100-1': [] });
  });

  it('rejects one node whose faults do not fit its devices', async () => {
    const file = JSON.stringify({ 'shanghai-h100-0': { ascendCritical: [0] } });
    const [first] = await labReportTargets({ site: SITE, readFaults: async () => file, logger: pino({ level: 'silent' }) })();
    await expect(first?.collect('2026-01-01T00:00:00Z')).rejects.toThrow(/Ascend Critical injected on a nvidia device/);
  });
});
