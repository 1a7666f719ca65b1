import { describe, expect, it } from 'vitest';
import { nodePoolStatus } from './pool-status.ts';
import { checkPools, ReportProblems } from './report-check.ts';
import { wirePool } from './testing.ts';

const GiB = 2 ** 30;

/** nodePoolsStatus is what the Site status holds for these pools: mapped, checked, in name order. */
const nodePoolsStatus = (pools: Parameters<typeof checkPools>[0]) => checkPools(pools, new ReportProblems());

describe('nodePoolsStatus', () => {
  it('maps an accelerator pool and sorts pools by name', () => {
    const gpu = wirePool('h100')
      .nvidia('NVIDIA-H100-80GB-HBM3')
      .nodes(1, { gpus: 8, precisions: 'fp8.bf16.fp16.fp32' })
      .nodes(1, { gpus: 8, precisions: 'bf16.fp16.fp32.fp64', notReady: 1 })
      .resources({ cpu: '192', 'nvidia.com/gpu': '16' }, { 'nvidia.com/gpu': '15', cpu: '190' }, { 'nvidia.com/gpu': '8' })
      .health({ healthy: 14, degraded: 1, unhealthy: 1 })
      .device('GPU-a', 'HEALTH_STATUS_HEALTHY', 80 * GiB)
      .device('GPU-b', 'HEALTH_STATUS_HEALTHY', 80 * GiB)
      .obj();
    const cpu = wirePool('cpu').nodes(3, { arch: 'arm64', cordoned: 1 }).resources({ cpu: '288' }, { cpu: '280' }).obj();

    const got = nodePoolsStatus([gpu, cpu]);

    expect(got.map((p) => p.name)).toEqual(['cpu', 'h100']);
    expect(got[0]).toEqual({ name: 'cpu', architecture: 'arm64', nodes: 3, readyNodes: 2, capacity: { cpu: '288' }, allocatable: { cpu: '280' } });
    expect(got[1]).toEqual({
      name: 'h100',
      architecture: 'amd64',
      accelerator: {
        vendor: 'nvidia',
        model: 'NVIDIA-H100-80GB-HBM3',
        resourceName: 'nvidia.com/gpu',
        memory: '80Gi',
        // Only what every node supports, in PRECISIONS order.
        precisions: ['fp32', 'bf16', 'fp16'],
        count: 8,
      },
      nodes: 2,
      readyNodes: 1,
      capacity: { cpu: '192', 'nvidia.com/gpu': '16' },
      allocatable: { cpu: '190', 'nvidia.com/gpu': '15' },
      allocated: { 'nvidia.com/gpu': '8' },
      healthyDevices: 15,
      unhealthyDevices: 1,
    });
  });

  it('copies the free shape; absent from an agent that sends none, empty when no node is schedulable', () => {
    const shaped = wirePool('p').nvidia('A100').shape({ nodes: 1, devices: 8, cpu: '96', memory: '1Ti' }, { nodes: 2, cpu: '0', memory: '0' }).obj();
    // devices absent on the wire is proto3's 0.
    expect(nodePoolStatus(shaped)?.freeShape).toEqual([
      { nodes: 1, devices: 8, cpu: '96', memory: '1Ti' },
      { nodes: 2, devices: 0, cpu: '0', memory: '0' },
    ]);
    expect(nodePoolStatus(wirePool('p').obj())).not.toHaveProperty('freeShape');
    expect(nodePoolStatus(wirePool('p').shape().obj())?.freeShape).toEqual([]);
  });

  it('counts unknown and lost devices as unhealthy when only the device list is sent', () => {
    const p = wirePool('p')
      .nvidia('A100')
      .device('a', 'HEALTH_STATUS_HEALTHY')
      .device('b', 'HEALTH_STATUS_DEGRADED')
      .device('c', 'HEALTH_STATUS_UNKNOWN')
      .device('d', 'HEALTH_STATUS_LOST', undefined, 'p-1')
      .device('e', 'HEALTH_STATUS_UNHEALTHY', undefined, 'p-1')
      .obj();
    expect(nodePoolStatus(p)).toMatchObject({ healthyDevices: 2, unhealthyDevices: 3, accelerator: { count: 3 } });
  });

  it('falls back to the GPU feature discovery memory label', () => {
    const p = wirePool('p').nvidia('A100').nodes(1, { gpus: 4 }).obj();
    const node = p.nodes?.[0];
    if (node?.labels) node.labels['nvidia.com/gpu.memory'] = '40960';
    expect(nodePoolStatus(p)?.accelerator?.memory).toBe('40Gi');
  });

  it('reports nothing it was not told: no accelerator for cpu pools, no device counts without devices', () => {
    const got = nodePoolStatus(wirePool('cpu').nodes(1).obj());
    expect(got).toEqual({ name: 'cpu', architecture: 'amd64', nodes: 1, readyNodes: 1 });
  });

  it('drops nameless pools', () => {
    expect(nodePoolsStatus([{ vendor: 'cpu' }])).toEqual([]);
  });
});
