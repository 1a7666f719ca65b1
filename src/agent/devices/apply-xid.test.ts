import { describe, expect, it } from 'vitest';
import { applyXidEvents } from './apply-xid.ts';
import { parseNvidiaSmiCsv } from './nvidia-smi.ts';
import { fixture, OBSERVED_AT } from './test-fixtures.ts';
import { parseDmesgXids } from './xid.ts';

const FIELDS = fixture('nvidia-smi_query_fields.txt').trim().split(',');
const healthy = parseNvidiaSmiCsv({ stdout: fixture('nvidia-smi_8xH100_healthy.csv'), fields: FIELDS, observedAt: OBSERVED_AT });
const degraded = parseNvidiaSmiCsv({
  stdout: fixture('nvidia-smi_8xH100_degraded.stdout.csv'),
  stderr: fixture('nvidia-smi_8xH100_degraded.stderr.txt'),
  fields: FIELDS,
  observedAt: OBSERVED_AT,
});

describe('applyXidEvents', () => {
  const cases: Array<{ name: string; log: string; gpu: number; wantHealth: string; wantReasons: RegExp[] }> = [
    { name: 'XID 48 on GPU3 (PCI 5d) rules it out', log: 'NVRM: Xid (PCI:0000:5d:00): 48, pid=1, name=python, An uncorrectable double bit error\n', gpu: 3, wantHealth: 'Unhealthy', wantReasons: [/XID 48 GPU_ECC_DBE critical \(action: reset-device\)/] },
    { name: 'XID 13 is the workload’s problem', log: 'NVRM: Xid (PCI:0000:18:00): 13, pid=1, name=python, Graphics Exception\n', gpu: 0, wantHealth: 'Healthy', wantReasons: [] },
    { name: 'XID 94 warns', log: 'NVRM: Xid (PCI:0000:2a:00): 94, pid=1, name=python, Contained\n', gpu: 1, wantHealth: 'Healthy', wantReasons: [/XID 94 CONTAINED_ERROR/] },
    { name: 'fallen off the bus', log: 'kernel: NVRM: GPU 0000:db:00.0: GPU has fallen off the bus.\n', gpu: 7, wantHealth: 'Unhealthy', wantReasons: [/XID 79 .*fatal \(action: reboot-node\)/] },
    {
      name: 'the UUID wins over the PCI address',
      log: 'NVRM: GPU at PCI:0000:18:00: GPU-5c2d8e47-1f6b-4a90-b3c2-7e1f9a0d4c42\nNVRM: Xid (PCI:0000:18:00): 119, pid=1, name=x, GSP\n',
      gpu: 2,
      wantHealth: 'Unhealthy',
      wantReasons: [/XID 119/],
    },
  ];
  it.each(cases)('$name', ({ log, gpu, wantHealth, wantReasons }) => {
    const { report, unmatched } = applyXidEvents(healthy, parseDmesgXids(log));
    expect(unmatched).toEqual([]);
    const d = report.devices[gpu];
    expect(d?.health).toBe(wantHealth);
    expect(d?.healthReasons).toHaveLength(wantReasons.length);
    wantReasons.forEach((re, i) => expect(d?.healthReasons[i]).toMatch(re));
    // Only the named GPU changes.
    report.devices.forEach((other, i) => {
      if (i !== gpu) expect(other).toEqual(healthy.devices[i]);
    });
  });
  it('keeps the tool’s reasons first when the tool’s verdict is already the worse one', () => {
    const { report } = applyXidEvents(degraded, parseDmesgXids('NVRM: Xid (PCI:0000:5d:00): 63, pid=1, Row Remapper\n'));
    expect(report.devices[3]?.health).toBe('Unhealthy');
    expect(report.devices[3]?.healthReasons).toEqual([...(degraded.devices[3]?.healthReasons ?? []), 'XID 63 INFOROM_DRAM_RETIREMENT_EVENT (action: reset-device)']);
  });
  it('returns the events of GPUs the report does not list', () => {
    const { report, unmatched } = applyXidEvents(healthy, parseDmesgXids(fixture('dmesg_xid_samples.txt')));
    expect(unmatched.map((e) => e.pciKey)).toEqual(['0000:9b:00', '0000:10:1c', '0000:cb:00', '0000:2b:00']);
    expect(report.devices).toEqual(healthy.devices);
  });
});
