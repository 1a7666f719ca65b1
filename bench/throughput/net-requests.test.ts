import { describe, expect, it } from 'vitest';
import { netRequests, perWorkload } from './net-requests.ts';

describe('netRequests', () => {
  it('subtracts the idle rate scaled to the run window', () => {
    // 30 requests in 10 idle seconds is 3/s; over a 40 s run that is 120 of the 500.
    expect(netRequests({ gross: 500, runSeconds: 40, idle: 30, idleSeconds: 10 })).toEqual({ gross: 500, idleScaled: 120, net: 380 });
  });

  it('never goes below zero and takes no idle window as no idle rate', () => {
    expect(netRequests({ gross: 10, runSeconds: 100, idle: 50, idleSeconds: 10 }).net).toBe(0);
    expect(netRequests({ gross: 10, runSeconds: 100, idle: 0, idleSeconds: 0 })).toEqual({ gross: 10, idleScaled: 0, net: 10 });
  });

  it('refuses negative or non-finite counts', () => {
    expect(() => netRequests({ gross: -1, runSeconds: 1, idle: 0, idleSeconds: 1 })).toThrow(/gross/);
    expect(() => netRequests({ gross: 1, runSeconds: Number.NaN, idle: 0, idleSeconds: 1 })).toThrow(/runSeconds/);
  });
});

describe('perWorkload', () => {
  it('divides with two decimals and refuses zero workloads', () => {
    expect(perWorkload(790, 100)).toBe('7.90');
    expect(perWorkload(1, 3)).toBe('0.33');
    expect(() => perWorkload(1, 0)).toThrow(/workloads/);
  });
});
