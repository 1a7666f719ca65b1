import { describe, expect, it } from 'vitest';
import { VENDOR_INFO } from '../../src/api/vendors.ts';
import { ACCELERATORS, generateSite, generateSites, REGIONS, siteName } from './sites.ts';

describe('generateSites', () => {
  it('names sites from site-0001 and makes every one a pull site', () => {
    const sites = generateSites(3);
    expect(sites.map((s) => s.name)).toEqual(['site-0001', 'site-0002', 'site-0003']);
    expect(sites.every((s) => s.connection === 'pull')).toBe(true);
    expect(siteName(999)).toBe('site-1000');
  });

  it('cycles regions and accelerators, so every shape has several sites', () => {
    const sites = generateSites(12);
    expect(sites.map((s) => s.region)).toEqual([...REGIONS, ...REGIONS]);
    const devicePools = sites.map((s) => s.pools.find((p) => p.accelerator !== undefined));
    expect(devicePools.map((p) => p?.name)).toEqual(Array.from({ length: 12 }, (_, i) => ACCELERATORS[i % ACCELERATORS.length]?.pool));
  });

  it('sizes pools from the shape and gives accelerators their vendor resource and price', () => {
    const site = generateSite(1, { cpuNodes: 3, deviceNodes: 5 });
    const cpu = site.pools.find((p) => p.name === 'cpu');
    const npu = site.pools.find((p) => p.accelerator !== undefined);
    expect(cpu?.nodes).toBe(3);
    expect(npu?.nodes).toBe(5);
    expect(npu?.accelerator?.vendor).toBe('huawei');
    expect(npu?.accelerator?.resourceName).toBe(VENDOR_INFO.huawei.resourceName);
    expect(npu?.accelerator?.pricePerHour).toBe(12);
    expect(npu?.architecture).toBe('arm64');
  });

  it('leaves out an empty pool, and refuses a site without nodes or a bad count', () => {
    expect(generateSite(0, { cpuNodes: 0, deviceNodes: 1 }).pools.map((p) => p.name)).toEqual(['h100']);
    expect(() => generateSite(0, { cpuNodes: 0, deviceNodes: 0 })).toThrow(/at least one node/);
    expect(() => generateSites(0)).toThrow(/site count/);
    expect(() => generateSites(1.5)).toThrow(/site count/);
  });

  it('is deterministic', () => {
    expect(generateSites(5)).toEqual(generateSites(5));
  });
});
