import { describe, expect, it } from 'vitest';
import { fixture } from './test-fixtures.ts';
import { classifyXid, DEFAULT_XID_POLICY, mergeXidOverrides, parseDmesgXids, type XidClass, type XidOverrides } from './xid.ts';

const DMESG = fixture('dmesg_xid_samples.txt');

describe('parseDmesgXids: verbatim kernel lines fixture', () => {
  const events = parseDmesgXids(DMESG);
  it('finds 4 XIDs; the "fallen off the bus" line after XID 79 is not counted twice', () => {
    expect(events.map((e) => e.xid)).toEqual([119, 63, 13, 79]);
  });
  const want = [
    {
      line: 3,
      pciKey: '0000:9b:00',
      uuid: 'GPU-509665ad-b600-ac93-3616-d754b23d636d',
      xid: 119,
      pid: 2024380,
      processName: 'nvidia-smi',
      severity: 'critical',
      action: 'reset-device',
      message: /^pid=2024380, name=nvidia-smi, Timeout after 6s of waiting for RPC response from GPU4 GSP!/,
    },
    { line: 4, pciKey: '0000:10:1c', xid: 63, pid: 1896, severity: 'warning', action: 'reset-device', message: /Row Remapper: New row marked for remapping/ },
    { line: 5, pciKey: '0000:cb:00', xid: 13, severity: 'info', action: 'restart-workload', message: /Graphics SM Warp Exception/ },
    { line: 6, pciKey: '0000:2b:00', xid: 79, severity: 'fatal', action: 'reboot-node', message: /^GPU has fallen off the bus\.$/ },
  ];
  it.each(want)('XID $xid on $pciKey', (w) => {
    const e = events.find((x) => x.line === w.line);
    expect(e).toMatchObject({ pciKey: w.pciKey, xid: w.xid, source: 'xid', classification: { severity: w.severity, action: w.action } });
    expect(e?.uuid).toBe(w.uuid);
    expect(e?.pid).toBe(w.pid);
    expect(e?.processName).toBe(w.processName);
    expect(e?.message).toMatch(w.message);
  });
  it('"<unknown>" pid and name are absent, not strings', () => {
    const e = events.find((x) => x.xid === 13);
    expect(e).not.toHaveProperty('pid');
    expect(e).not.toHaveProperty('processName');
  });
});

describe('parseDmesgXids: other shapes', () => {
  const cases: Array<{ name: string; text: string; want: Array<{ xid: number; pciKey: string; source: string }> }> = [
    { name: 'a lone "fallen off the bus" line stands in for XID 79', text: 'May 18 19:02:39 kernel: NVRM: GPU 0000:2b:00.0: GPU has fallen off the bus.\n', want: [{ xid: 79, pciKey: '0000:2b:00', source: 'fallen-off-bus' }] },
    { name: 'MIG instance inside the parentheses', text: 'NVRM: Xid (PCI:0000:17:00 GPU-I:01): 94, pid=1234, name=python, Contained: SM (0x1).\n', want: [{ xid: 94, pciKey: '0000:17:00', source: 'xid' }] },
    { name: 'XID number at the end of the line', text: 'NVRM: Xid (PCI:0000:17:00): 48\n', want: [{ xid: 48, pciKey: '0000:17:00', source: 'xid' }] },
    { name: 'garbage', text: 'hello world\nNVRM: nothing to see\n', want: [] },
    { name: 'a line cut before the XID number', text: '[Sun Feb 23 16:24:18 2025] NVRM: Xid (PCI:0000:9b:', want: [] },
    { name: 'empty', text: '', want: [] },
  ];
  it.each(cases)('$name', ({ text, want }) => {
    expect(parseDmesgXids(text).map((e) => ({ xid: e.xid, pciKey: e.pciKey, source: e.source }))).toEqual(want);
  });
  it('classifies with the policy it is given', () => {
    const policy = mergeXidOverrides(DEFAULT_XID_POLICY, { ignored: [119] });
    expect(parseDmesgXids(DMESG, policy)[0]?.classification.severity).toBe('info');
  });
});

describe('DEFAULT_XID_POLICY', () => {
  const cases: Array<{ xid: number; want: Pick<XidClass, 'severity' | 'action'> }> = [
    { xid: 13, want: { severity: 'info', action: 'restart-workload' } },
    { xid: 31, want: { severity: 'info', action: 'restart-workload' } },
    { xid: 43, want: { severity: 'info', action: 'none' } },
    { xid: 45, want: { severity: 'info', action: 'none' } },
    { xid: 48, want: { severity: 'critical', action: 'reset-device' } },
    { xid: 61, want: { severity: 'warning', action: 'run-diagnostics' } },
    { xid: 62, want: { severity: 'critical', action: 'reset-device' } },
    { xid: 63, want: { severity: 'warning', action: 'reset-device' } },
    { xid: 64, want: { severity: 'critical', action: 'reset-device' } },
    { xid: 68, want: { severity: 'info', action: 'restart-workload' } },
    { xid: 74, want: { severity: 'critical', action: 'reset-device' } },
    { xid: 79, want: { severity: 'fatal', action: 'reboot-node' } },
    { xid: 92, want: { severity: 'warning', action: 'run-diagnostics' } },
    { xid: 94, want: { severity: 'warning', action: 'restart-workload' } },
    { xid: 95, want: { severity: 'critical', action: 'reset-device' } },
    { xid: 109, want: { severity: 'warning', action: 'restart-workload' } },
    { xid: 119, want: { severity: 'critical', action: 'reset-device' } },
    { xid: 120, want: { severity: 'critical', action: 'reset-device' } },
    { xid: 140, want: { severity: 'critical', action: 'reset-device' } },
    { xid: 154, want: { severity: 'info', action: 'read-recovery-action' } },
    { xid: 9999, want: { severity: 'critical', action: 'reset-device' } },
  ];
  it.each(cases)('XID $xid', ({ xid, want }) => {
    expect(classifyXid(DEFAULT_XID_POLICY, xid)).toMatchObject(want);
  });
});

describe('mergeXidOverrides', () => {
  const cases: Array<{ name: string; overrides: XidOverrides; xid: number; want: Partial<XidClass> }> = [
    { name: 'ignored (device plugin IgnoredXIDs)', overrides: { ignored: [63] }, xid: 63, want: { severity: 'info', action: 'none', mnemonic: 'INFOROM_DRAM_RETIREMENT_EVENT' } },
    { name: 'critical (device plugin CriticalXIDs)', overrides: { critical: [13] }, xid: 13, want: { severity: 'critical', action: 'reset-device' } },
    { name: 'partial class keeps the other fields', overrides: { classes: { 94: { severity: 'critical' } } }, xid: 94, want: { severity: 'critical', action: 'restart-workload', mnemonic: 'CONTAINED_ERROR' } },
    { name: 'a new code', overrides: { classes: { 150: { severity: 'warning', action: 'run-diagnostics', mnemonic: 'NVLINK5' } } }, xid: 150, want: { severity: 'warning', action: 'run-diagnostics', mnemonic: 'NVLINK5' } },
    { name: 'unlisted default', overrides: { unlisted: { severity: 'warning' } }, xid: 9999, want: { severity: 'warning', action: 'reset-device' } },
    { name: 'critical wins over ignored', overrides: { ignored: [48], critical: [48] }, xid: 48, want: { severity: 'critical' } },
  ];
  it.each(cases)('$name', ({ overrides, xid, want }) => {
    expect(classifyXid(mergeXidOverrides(DEFAULT_XID_POLICY, overrides), xid)).toMatchObject(want);
  });
  it('leaves the default policy untouched', () => {
    mergeXidOverrides(DEFAULT_XID_POLICY, { ignored: [79], unlisted: { severity: 'info' } });
    expect(classifyXid(DEFAULT_XID_POLICY, 79).severity).toBe('fatal');
    expect(DEFAULT_XID_POLICY.unlisted.severity).toBe('critical');
  });
  it.each([0, -3, 1.5])('rejects XID %s', (xid) => {
    expect(() => mergeXidOverrides(DEFAULT_XID_POLICY, { ignored: [xid] })).toThrow(RangeError);
  });
});
