import { describe, expect, it } from 'vitest';
import { normalizePciBusId, pciDeviceKey } from './pci.ts';

describe('PCI addresses', () => {
  const cases: Array<{ in: string; wantBusId: string | undefined; wantKey: string | undefined }> = [
    { in: '00000000:18:00.0', wantBusId: '0000:18:00.0', wantKey: '0000:18:00' },
    { in: '00000000:DB:00.0', wantBusId: '0000:db:00.0', wantKey: '0000:db:00' },
    { in: '0000:C1:00.0', wantBusId: '0000:c1:00.0', wantKey: '0000:c1:00' },
    { in: 'PCI:0000:9b:00', wantBusId: undefined, wantKey: '0000:9b:00' },
    { in: '0000:2b:00.0', wantBusId: '0000:2b:00.0', wantKey: '0000:2b:00' },
    { in: '0001:3d:00.0', wantBusId: '0001:3d:00.0', wantKey: '0001:3d:00' },
    { in: 'not-a-bus', wantBusId: undefined, wantKey: undefined },
    { in: 'On', wantBusId: undefined, wantKey: undefined },
  ];
  it.each(cases)('$in', ({ in: raw, wantBusId, wantKey }) => {
    expect(normalizePciBusId(raw)).toBe(wantBusId);
    expect(pciDeviceKey(raw)).toBe(wantKey);
  });
});
