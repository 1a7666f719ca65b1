import { describe, expect, it } from 'vitest';
import { ProcessSampler, statusKiB } from './process-sampler.ts';

describe('statusKiB', () => {
  const text = 'Name:\tnode\nVmPeak:\t 900000 kB\nVmHWM:\t  300100 kB\nVmRSS:\t  250000 kB\nThreads:\t11\n';

  it('reads VmRSS and VmHWM in KiB', () => {
    expect(statusKiB(text, 'VmRSS')).toBe(250000);
    expect(statusKiB(text, 'VmHWM')).toBe(300100);
  });

  it('is undefined when the field is absent', () => {
    expect(statusKiB('Name:\tx\n', 'VmRSS')).toBeUndefined();
  });
});

describe('ProcessSampler', () => {
  it('follows this process: a peak at least the last sample', () => {
    const s = new ProcessSampler(process.pid, 10_000);
    s.start();
    s.stop();
    const m = s.memory();
    expect(m.samples).toBe(2);
    expect(m.peakRssMiB).toBeGreaterThan(10);
    expect(m.peakRssMiB).toBeGreaterThanOrEqual(m.lastRssMiB ?? Infinity);
  });
});
