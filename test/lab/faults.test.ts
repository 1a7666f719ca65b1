/**
 * The other injectable faults travel the same path as an XID (reporter → Node → agent → operator → Site status):
 * uncorrectable ECC errors take one device out, and a lost node takes its whole share of the pool with it; clearing
 * restores both.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { parseQuantity } from '../../src/api/quantity.ts';
import { clearFaults, injectFault } from '../../src/lab/faults.ts';
import { getSite, poolOf } from './support/hub.ts';
import { eventually, kubectl, sharedLab, type SharedLab } from './support/shared-lab.ts';

let lab: SharedLab;
let hub: string;
beforeAll(async () => {
  lab = await sharedLab();
  hub = lab.kubeconfig('hub');
});

const num = (q: string | number | undefined) => (q === undefined ? undefined : parseQuantity(q));

describe('lab faults', () => {
  it('counts a device with uncorrectable ECC errors as unhealthy and not allocatable, until cleared', async () => {
    const before = poolOf(getSite(hub, 'beijing'), 'a100');
    const gpus = num(before.allocatable?.['nvidia.com/gpu']) as number;
    await injectFault(lab.dir, 'beijing', { kind: 'ecc', node: 'beijing-a100-1', device: 5, count: 2 });
    await eventually(() => {
      const p = poolOf(getSite(hub, 'beijing'), 'a100');
      expect(p.unhealthyDevices).toBe(1);
      expect(num(p.allocatable?.['nvidia.com/gpu'])).toBe(gpus - 1);
    }, { timeoutMs: 20_000, intervalMs: 250 });
    const condition = kubectl(lab.kubeconfig('beijing'), ['get', 'node', 'beijing-a100-1', '-o', 'jsonpath={.status.conditions[?(@.type=="AcceleratorHealthy")].status}']);
    expect(condition.stdout).toBe('False');
    await clearFaults(lab.dir, 'beijing');
    await eventually(() => {
      const p = poolOf(getSite(hub, 'beijing'), 'a100');
      expect(p.unhealthyDevices ?? 0).toBe(0);
      expect(num(p.allocatable?.['nvidia.com/gpu'])).toBe(gpus);
    }, { timeoutMs: 20_000, intervalMs: 250 });
  });

  it('drops a lost node from its pool, and brings it back when cleared', async () => {
    const before = poolOf(getSite(hub, 'beijing'), 'cpu');
    expect(before.nodes).toBe(2);
    const cpu = num(before.capacity?.['cpu']) as number;
    await injectFault(lab.dir, 'beijing', { kind: 'node-lost', node: 'beijing-cpu-1' });
    await eventually(() => {
      const p = poolOf(getSite(hub, 'beijing'), 'cpu');
      expect(p.nodes).toBe(1);
      expect(num(p.capacity?.['cpu'])).toBe(cpu / 2);
    }, { timeoutMs: 20_000, intervalMs: 250 });
    const restored = await clearFaults(lab.dir, 'beijing');
    expect(restored).toEqual(['beijing-cpu-1']);
    await eventually(() => {
      const p = poolOf(getSite(hub, 'beijing'), 'cpu');
      expect(p.nodes).toBe(2);
      expect(p.readyNodes).toBe(2);
      expect(num(p.capacity?.['cpu'])).toBe(cpu);
    }, { timeoutMs: 30_000, intervalMs: 250 });
  });
});
