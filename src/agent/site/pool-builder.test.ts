import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_REPORT_AGE_MS } from './node-devices.ts';
import { buildPools, buildSite, sanitizePoolName } from './pool-builder.ts';
import { H100, makeNode, makePod, simReport, T0 } from './testing.ts';

/** FRESH reads the nodes at T0, the sample time of simReport: every report is fresh. */
const FRESH = { now: Date.parse(T0), maxAgeMs: DEFAULT_MAX_REPORT_AGE_MS };

const gpuNode = (name: string) => makeNode(name).pool('h100').resources({ cpu: '96', memory: '1Ti' }).accelerators(H100);

describe('buildPools', () => {
  interface Case {
    name: string;
    nodes: V1Node[];
    pods?: V1Pod[];
    /** wantPools lists pool name → node names, in the expected order. */
    wantPools?: Record<string, string[]>;
    /** pool is the pool the want* fields below check (default: the first). */
    pool?: string;
    wantVendor?: string;
    wantModel?: string | undefined;
    wantCapacity?: Record<string, string>;
    wantAllocatable?: Record<string, string>;
    wantAllocated?: Record<string, string>;
    wantHealth?: Record<string, number> | undefined;
    /** wantShape is the free shape as `nodes×devices/cpu/memory` per bucket. */
    wantShape?: string[];
  }

  const cases: Case[] = [
    {
      name: 'groups by the pool label, then by arch and product; pools and nodes in name order',
      nodes: [
        makeNode('c-2').pool('cpu').obj(),
        gpuNode('g-1').obj(),
        makeNode('c-1').pool('cpu').obj(),
        makeNode('x-1').arch('arm64').label('huawei.com/npu.product', 'Ascend910B3').obj(),
        makeNode('y-1').obj(),
        makeNode('z-1').label('kubernetes.io/arch', '').obj(),
      ],
      wantPools: { 'amd64-cpu': ['y-1'], 'arm64-ascend910b3': ['x-1'], cpu: ['c-1', 'c-2'], h100: ['g-1'], 'unknown-cpu': ['z-1'] },
      pool: 'arm64-ascend910b3',
      wantVendor: 'huawei',
      wantModel: 'Ascend910B3',
    },
    {
      name: 'sums capacity and allocatable exactly, cpu in cores or millicores, memory in bytes',
      nodes: [
        makeNode('a').pool('p').resources({ cpu: '8', memory: '32Gi', pods: '110' }, { cpu: '7500m', memory: '30Gi' }).obj(),
        makeNode('b').pool('p').resources({ cpu: '0.5', memory: '1000' }).obj(),
      ],
      wantVendor: 'cpu',
      wantModel: undefined,
      wantCapacity: { cpu: '8500m', memory: '34359739368' },
      wantAllocatable: { cpu: '8', memory: '32212255720' },
      wantAllocated: { cpu: '0', memory: '0' },
      wantHealth: undefined,
    },
    {
      name: 'sums stay within int64 (Kubernetes caps quantities there): the hub never gets a value it must refuse',
      nodes: [
        makeNode('a').pool('p').resources({ cpu: '9223372036854775807', memory: '8Ei' }).obj(),
        makeNode('b').pool('p').resources({ cpu: '9223372036854775807', memory: '8Ei' }).obj(),
      ],
      wantCapacity: { cpu: '9223372036854776000', memory: '8Ei' }, // 2^63 as JavaScript writes it
    },
    {
      name: 'allocated counts bound, unfinished pods of the pool only',
      nodes: [makeNode('a').pool('p').obj(), makeNode('b').pool('q').obj()],
      pods: [
        makePod('running').on('a').requests({ cpu: '1', memory: '1Gi' }).obj(),
        makePod('pending-bound').on('a').phase('Pending').requests({ cpu: '250m' }).obj(),
        makePod('done').on('a').phase('Succeeded').requests({ cpu: '4' }).obj(),
        makePod('failed').on('a').phase('Failed').requests({ cpu: '4' }).obj(),
        makePod('unbound').phase('Pending').requests({ cpu: '4' }).obj(),
        makePod('elsewhere').on('b').requests({ cpu: '4' }).obj(),
        makePod('ghost-node').on('gone').requests({ cpu: '4' }).obj(),
      ],
      pool: 'p',
      wantAllocated: { cpu: '1250m', memory: '1Gi' },
    },
    {
      name: 'allocated uses the effective request: init peak, sidecars, extended resources from limits',
      nodes: [gpuNode('g').obj()],
      pods: [
        makePod('train').on('g').requests({ cpu: '2' }).limits({ 'nvidia.com/gpu': '4' }).container({ cpu: '1' }).init({ cpu: '10' }).obj(),
        makePod('side').on('g').requests({ cpu: '1' }).init({ cpu: '1' }, true).init({ cpu: '2' }).obj(),
      ],
      // train: max(2 + 1, 10) = 10; side: max(1 + 1, 1 + 2) = 3.
      wantAllocated: { cpu: '13', memory: '0', 'nvidia.com/gpu': '4' },
    },
    {
      name: 'healthy devices leave allocatable alone and are counted',
      nodes: [gpuNode('g-0').devices(simReport('g-0', H100)).obj(), gpuNode('g-1').devices(simReport('g-1', H100)).obj()],
      wantVendor: 'nvidia',
      wantModel: 'NVIDIA-H100-80GB-HBM3',
      wantCapacity: { cpu: '192', memory: '2Ti', 'nvidia.com/gpu': '16' },
      wantAllocatable: { cpu: '192', memory: '2Ti', 'nvidia.com/gpu': '16' },
      wantHealth: { healthy: 16, degraded: 0, unhealthy: 0, unknown: 0, lost: 0 },
    },
    {
      name: 'an unhealthy device lowers allocatable and raises the unhealthy count',
      nodes: [gpuNode('g-0').devices(simReport('g-0', H100, { xids: [{ device: 3, xid: 79 }] })).obj(), gpuNode('g-1').devices(simReport('g-1', H100)).obj()],
      wantCapacity: { cpu: '192', memory: '2Ti', 'nvidia.com/gpu': '16' },
      wantAllocatable: { cpu: '192', memory: '2Ti', 'nvidia.com/gpu': '15' },
      wantHealth: { healthy: 15, degraded: 0, unhealthy: 1, unknown: 0, lost: 0 },
    },
    {
      name: 'no double subtraction when kubelet already dropped the device',
      nodes: [gpuNode('g').allocatable('nvidia.com/gpu', '7').devices(simReport('g', H100, { xids: [{ device: 3, xid: 79 }] })).obj()],
      wantAllocatable: { cpu: '96', memory: '1Ti', 'nvidia.com/gpu': '7' },
      wantHealth: { healthy: 7, degraded: 0, unhealthy: 1, unknown: 0, lost: 0 },
    },
    {
      name: 'kubelet lower still than the reporter: kubelet wins',
      nodes: [gpuNode('g').allocatable('nvidia.com/gpu', '5').devices(simReport('g', H100, { eccUncorrectable: [{ device: 0, count: 1 }] })).obj()],
      wantAllocatable: { cpu: '96', memory: '1Ti', 'nvidia.com/gpu': '5' },
    },
    {
      name: 'a blind provider makes every device Unknown and none allocatable',
      nodes: [gpuNode('g').devices(simReport('g', H100, { unavailable: 'nvidia-smi: NVML mismatch' })).obj()],
      wantAllocatable: { cpu: '96', memory: '1Ti', 'nvidia.com/gpu': '0' },
      wantHealth: { healthy: 0, degraded: 0, unhealthy: 0, unknown: 8, lost: 0 },
    },
    {
      name: 'a garbage annotation is never healthy',
      nodes: [gpuNode('g').annotation('{"v":1,"devices":"lots"}').obj(), gpuNode('h').devices(simReport('h', H100)).obj()],
      wantAllocatable: { cpu: '192', memory: '2Ti', 'nvidia.com/gpu': '8' },
      wantHealth: { healthy: 8, degraded: 0, unhealthy: 0, unknown: 8, lost: 0 },
    },
    {
      name: 'a device the tool does not list (7 of 8) is lost: not allocatable, counted',
      nodes: [gpuNode('g').devices(simReport('g', { ...H100, count: 7 })).obj()],
      wantAllocatable: { cpu: '96', memory: '1Ti', 'nvidia.com/gpu': '7' },
      wantHealth: { healthy: 7, degraded: 0, unhealthy: 0, unknown: 0, lost: 1 },
    },
    {
      name: "a stale report takes its node's devices off allocatable, leaving other nodes alone",
      nodes: [
        gpuNode('g-0').devices(simReport('g-0', H100, {}, '2025-12-31T23:58:00.000Z')).obj(),
        gpuNode('g-1').devices(simReport('g-1', H100)).obj(),
      ],
      wantAllocatable: { cpu: '192', memory: '2Ti', 'nvidia.com/gpu': '8' },
      wantHealth: { healthy: 8, degraded: 0, unhealthy: 0, unknown: 8, lost: 0 },
    },
    {
      name: 'free shape: per Ready, schedulable node, allocatable (less unhealthy devices) less allocated',
      nodes: [
        gpuNode('whole').obj(),
        gpuNode('half-a').obj(),
        gpuNode('half-b').devices(simReport('half-b', H100, { xids: [{ device: 0, xid: 79 }] })).obj(),
        gpuNode('cordoned').cordoned().obj(),
        gpuNode('down').notReady().obj(),
      ],
      pods: [
        makePod('a').on('half-a').requests({ cpu: '48', memory: '512Gi' }).limits({ 'nvidia.com/gpu': '4' }).obj(),
        makePod('b').on('half-b').requests({ cpu: '48', memory: '512Gi' }).limits({ 'nvidia.com/gpu': '3' }).obj(),
      ],
      // half-b: 8 devices, 1 unhealthy, 3 in use → 4 free, like half-a.
      wantShape: ['1×8/96/1Ti', '2×4/48/512Gi'],
    },
    {
      name: 'free shape of a CPU pool: no devices, grouped by cpu and memory',
      nodes: [makeNode('c-1').pool('cpu').obj(), makeNode('c-2').pool('cpu').obj()],
      pods: [makePod('p').on('c-1').requests({ cpu: '6', memory: '30Gi' }).obj()],
      wantShape: ['1×0/8/32Gi', '1×0/2/2Gi'],
    },
    {
      name: 'no annotation: no health claim, kubelet allocatable stands',
      nodes: [gpuNode('g').obj()],
      wantAllocatable: { cpu: '96', memory: '1Ti', 'nvidia.com/gpu': '8' },
      wantHealth: undefined,
    },
  ];

  it.each(cases)('$name', (c) => {
    const pools = buildPools(c.nodes, c.pods ?? [], FRESH);
    if (c.wantPools) {
      expect(Object.fromEntries(pools.map((p) => [p.name, (p.nodes ?? []).map((n) => n.name)]))).toEqual(c.wantPools);
      expect(pools.map((p) => p.name)).toEqual(Object.keys(c.wantPools).sort());
    }
    const pool = c.pool === undefined ? pools[0] : pools.find((p) => p.name === c.pool);
    expect(pool).toBeDefined();
    if ('wantVendor' in c) expect(pool?.vendor).toBe(c.wantVendor);
    if ('wantModel' in c) expect(pool?.acceleratorModel).toBe(c.wantModel);
    if (c.wantCapacity) expect(pool?.resources?.capacity).toEqual(c.wantCapacity);
    if (c.wantAllocatable) expect(pool?.resources?.allocatable).toEqual(c.wantAllocatable);
    if (c.wantAllocated) expect(pool?.resources?.allocated).toEqual(c.wantAllocated);
    if ('wantHealth' in c) expect(pool?.deviceHealth).toEqual(c.wantHealth);
    if (c.wantShape) expect(pool?.freeShape?.buckets?.map((b) => `${b.nodes}×${b.devices}/${b.cpu}/${b.memory}`)).toEqual(c.wantShape);
  });

  it('is deterministic: input order does not change the output', () => {
    const nodes = [gpuNode('g-1').devices(simReport('g-1', H100)).obj(), gpuNode('g-0').obj(), makeNode('c').pool('cpu').obj()];
    const pods = [makePod('a').on('g-0').requests({ cpu: '1' }).obj(), makePod('b').on('c').requests({ memory: '1Gi', cpu: '1' }).obj()];
    const a = JSON.stringify(buildPools(nodes, pods, FRESH));
    const b = JSON.stringify(buildPools([...nodes].reverse(), [...pods].reverse(), FRESH));
    expect(b).toBe(a);
  });

  it('reports nodes with readiness, cordon, per-node resources and the placement labels only', () => {
    const node = gpuNode('g-0').label('example.com/noise', 'x').cordoned().notReady().devices(simReport('g-0', H100, { xids: [{ device: 0, xid: 79 }] }));
    const [pool] = buildPools([node.obj()], [makePod('p').on('g-0').limits({ 'nvidia.com/gpu': '2' }).obj()], FRESH);
    expect(pool?.nodes).toEqual([
      {
        name: 'g-0',
        ready: false,
        unschedulable: true,
        resources: {
          capacity: { cpu: '96', memory: '1Ti', 'nvidia.com/gpu': '8' },
          allocatable: { cpu: '96', memory: '1Ti', 'nvidia.com/gpu': '7' },
          allocated: { cpu: '0', memory: '0', 'nvidia.com/gpu': '2' },
        },
        labels: {
          'kubernetes.io/arch': 'amd64',
          'nvidia.com/gpu.count': '8',
          'nvidia.com/gpu.memory': '81920',
          'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3',
          'suanwang.io/pool': 'h100',
          'suanwang.io/precisions': 'fp8.bf16',
        },
      },
    ]);
  });

  it('reports each device with its id, index, health, memory and source', () => {
    const [pool] = buildPools([gpuNode('g-0').devices(simReport('g-0', { ...H100, count: 2 }, { xids: [{ device: 1, xid: 79 }] })).obj()], [], FRESH);
    expect(pool?.devices).toEqual([
      {
        id: 'sim-g-0-nvidia-0',
        nodeName: 'g-0',
        model: 'NVIDIA H100 80GB HBM3',
        index: 0,
        health: { status: 'HEALTH_STATUS_HEALTHY', reasons: [] },
        telemetry: { memoryTotalBytes: 80 * 2 ** 30 },
        dataSource: 'node-reporter/simulated',
      },
      {
        id: 'sim-g-0-nvidia-1',
        nodeName: 'g-0',
        model: 'NVIDIA H100 80GB HBM3',
        index: 1,
        health: { status: 'HEALTH_STATUS_UNHEALTHY', reasons: [expect.stringContaining('XID 79') as string] },
        telemetry: { memoryTotalBytes: 80 * 2 ** 30 },
        dataSource: 'node-reporter/simulated',
      },
    ]);
  });

  it('takes device memory from the GPU feature discovery label when the tool gives none, and counts warnings as degraded', () => {
    const annotation = JSON.stringify({
      v: 1,
      provider: 'nvidia-smi',
      tool: 'nvidia-smi',
      at: T0,
      status: 'Ok',
      devices: [{ i: 0, id: 'GPU-a', model: 'H100', health: 'Healthy', reasons: ['row remap pending'] }],
    });
    const [pool] = buildPools([gpuNode('g').annotation(annotation).obj()], [], FRESH);
    expect(pool?.devices?.[0]?.telemetry).toEqual({ memoryTotalBytes: 81920 * 2 ** 20 });
    expect(pool?.devices?.[0]?.health?.status).toBe('HEALTH_STATUS_DEGRADED');
    // The node has 8 devices and the tool listed 1: the other 7 are lost.
    expect(pool?.deviceHealth).toEqual({ healthy: 0, degraded: 1, unhealthy: 0, unknown: 0, lost: 7 });
  });

  it('says when the first fresh report turns stale', () => {
    const nodes = [
      gpuNode('g-0').devices(simReport('g-0', H100, {}, '2025-12-31T23:59:30.000Z')).obj(),
      gpuNode('g-1').devices(simReport('g-1', H100)).obj(),
      gpuNode('g-2').obj(),
    ];
    expect(buildSite(nodes, [], FRESH).freshUntil).toBe(Date.parse('2025-12-31T23:59:30.000Z') + DEFAULT_MAX_REPORT_AGE_MS);
    expect(buildSite([gpuNode('g-2').obj()], [], FRESH).freshUntil).toBeUndefined();
  });
});

describe('sanitizePoolName', () => {
  it.each([
    ['amd64-NVIDIA-H100-80GB-HBM3', 'amd64-nvidia-h100-80gb-hbm3'],
    ['arm64-Ascend910B3', 'arm64-ascend910b3'],
    ['amd64-NVIDIA_A100.SXM4', 'amd64-nvidia-a100-sxm4'],
    ['--x--', 'x'],
    ['', 'pool'],
    [`a${'-b'.repeat(40)}`, `a${'-b'.repeat(31)}`],
  ])('%s → %s', (input, want) => {
    expect(sanitizePoolName(input)).toBe(want);
  });
});

describe('buildPools on cached objects', () => {
  const at = { now: Date.parse(T0), maxAgeMs: DEFAULT_MAX_REPORT_AGE_MS };
  it('reads a replaced Node or Pod anew, and the same object the same way every time', () => {
    const node = makeNode('g-0').pool('h100').accelerators(H100).devices(simReport('g-0', H100)).obj();
    const pod = makePod('p').on('g-0').requests({ 'nvidia.com/gpu': '2' }).obj();
    const first = buildPools([node], [pod], at);
    expect(buildPools([node], [pod], at)).toEqual(first);
    const failed = makeNode('g-0').pool('h100').accelerators(H100).devices(simReport('g-0', H100, { xids: [{ device: 1, xid: 79 }] })).obj();
    const bigger = makePod('p').on('g-0').requests({ 'nvidia.com/gpu': '5' }).obj();
    const second = buildPools([failed], [bigger], at)[0];
    expect(second?.deviceHealth?.unhealthy).toBe(1);
    expect(second?.resources?.allocated?.['nvidia.com/gpu']).toBe('5');
    expect(buildPools([node], [pod], at)).toEqual(first);
  });
});

describe('buildSite on the same Node objects again', () => {
  it('reuses what a node gives by itself, and recomputes what its pods and a stale report change', () => {
    const nodes = [gpuNode('g-0').devices(simReport('g-0', H100)).obj()];
    const first = buildSite(nodes, [], FRESH).pools[0]?.nodes?.[0];
    const withPod = buildSite(nodes, [makePod('p').on('g-0').limits({ 'nvidia.com/gpu': '2' }).obj()], FRESH).pools[0]?.nodes?.[0];
    expect(withPod?.labels).toBe(first?.labels);
    expect(withPod?.resources?.capacity).toBe(first?.resources?.capacity);
    expect(withPod?.resources?.allocated?.['nvidia.com/gpu']).toBe('2');
    expect(first?.resources?.allocated?.['nvidia.com/gpu']).toBe('0');
    const stale = buildSite(nodes, [], { ...FRESH, now: FRESH.now + DEFAULT_MAX_REPORT_AGE_MS + 1 }).pools[0]?.nodes?.[0];
    expect(stale?.resources?.allocatable?.['nvidia.com/gpu']).toBe('0');
    expect(first?.resources?.allocatable?.['nvidia.com/gpu']).toBe('8');
    // A replaced Node object (any change at the apiserver) is read anew.
    const relabelled = { ...nodes[0], metadata: { ...nodes[0]?.metadata, labels: { ...nodes[0]?.metadata?.labels, 'nvidia.com/gpu.product': 'NVIDIA-B200' } } };
    expect(buildSite([relabelled], [], FRESH).pools[0]?.nodes?.[0]?.labels?.['nvidia.com/gpu.product']).toBe('NVIDIA-B200');
  });
});
