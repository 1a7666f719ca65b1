import { describe, expect, it } from 'vitest';
import type { NodePoolOut } from '../../wire/messages.ts';
import { checkAgentVersion, checkPools, MAX_POOLS, ReportProblems } from './report-check.ts';
import { wirePool } from './testing.ts';

/** run checks `pools` and returns the kept pools' names, the problems (reason and path) and their count. */
function run(pools: NodePoolOut[]) {
  const problems = new ReportProblems(50);
  const kept = checkPools(pools, problems);
  return { kept, names: kept.map((p) => p.name), problems: problems.first.map((p) => `${p.reason} ${p.path}`), count: problems.count };
}

describe('checkPools: pool names', () => {
  it.each([
    { name: 'gpu-pool', wantKept: true },
    { name: 'h100', wantKept: true },
    { name: 'a'.repeat(63), wantKept: true },
    { name: 'GPU_Pool', wantKept: false },
    { name: 'Gpu', wantKept: false },
    { name: 'gpu_pool', wantKept: false },
    { name: '-gpu', wantKept: false },
    { name: 'gpu.pool', wantKept: false },
    { name: 'a'.repeat(64), wantKept: false },
  ])('$name: kept $wantKept', ({ name, wantKept }) => {
    const got = run([wirePool('cpu').nodes(1).obj(), wirePool(name).nodes(1).obj()]);
    expect(got.names).toEqual(wantKept ? ['cpu', name].sort() : ['cpu']);
    if (!wantKept) expect(got.problems[0]).toMatch(/^(InvalidPoolName|ValueTooLong) nodePools\["/);
  });

  it('keeps the first pool of a name reported twice', () => {
    const got = run([wirePool('cpu').nodes(1).obj(), wirePool('cpu').nodes(5).obj()]);
    expect(got.kept).toMatchObject([{ name: 'cpu', nodes: 1 }]);
    expect(got.problems).toEqual(['InvalidValue nodePools[cpu]']);
  });
});

describe('checkPools: how many', () => {
  const many = (n: number): NodePoolOut[] => Array.from({ length: n }, (_, i) => wirePool(`p${String(i).padStart(5, '0')}`).obj());

  it(`keeps at most the CRD's ${MAX_POOLS}, the first by name, whatever order they came in`, () => {
    const pools = many(MAX_POOLS + 10);
    const forward = run(pools);
    const backward = run([...pools].reverse());
    expect(forward.names).toHaveLength(MAX_POOLS);
    expect(forward.names[0]).toBe('p00000');
    expect(forward.names.at(-1)).toBe(`p${String(MAX_POOLS - 1).padStart(5, '0')}`);
    expect(backward.names).toEqual(forward.names);
    expect(forward.problems).toEqual(['TooManyPools nodePools']);
  });

  it('keeps exactly the bound without a problem', () => {
    expect(run(many(MAX_POOLS))).toMatchObject({ count: 0 });
  });

  it('handles 50,000 pools by mapping only the kept ones', () => {
    const got = run(many(50_000));
    expect(got.names).toHaveLength(MAX_POOLS);
    expect(got.count).toBe(1);
  });
});

describe('checkPools: values', () => {
  const INT32_MAX = 2 ** 31 - 1;
  it.each([
    { what: 'a health sum beyond int32 is clamped', pool: wirePool('p').health({ healthy: 2 ** 32 - 1, degraded: 5 }).obj(), want: { healthyDevices: INT32_MAX }, problem: 'ValueOutOfRange nodePools[p].healthyDevices' },
    { what: 'a negative count is clamped to 0', pool: wirePool('p').health({ healthy: 1, unhealthy: -7 }).obj(), want: { healthyDevices: 1, unhealthyDevices: 0 }, problem: 'ValueOutOfRange nodePools[p].unhealthyDevices' },
    { what: 'a device count beyond int32 is clamped', pool: wirePool('p').nvidia('A100').nodes(1, { gpus: 2 ** 40 }).obj(), want: { accelerator: { count: INT32_MAX } }, problem: 'ValueOutOfRange nodePools[p].accelerator.count' },
    { what: 'a model over 128 characters takes the accelerator with it', pool: wirePool('p').nvidia('m'.repeat(129)).nodes(1, { gpus: 8 }).obj(), want: { nodes: 1 }, problem: 'ValueTooLong nodePools[p].accelerator.model' },
    { what: 'a device memory label beyond any quantity is dropped', pool: wirePool('p').nvidia('A100').nodes(1, { gpus: 8 }).label('nvidia.com/gpu.memory', '9'.repeat(40)).obj(), want: { accelerator: { model: 'A100', count: 8 } }, problem: 'InvalidQuantity nodePools[p].accelerator.memory' },
  ])('$what', ({ pool, want, problem }) => {
    const got = run([pool]);
    expect(got.kept[0]).toMatchObject(want);
    expect(got.problems).toContain(problem);
  });

  it.each([
    { value: '96', ok: true },
    { value: '500m', ok: true },
    { value: '1.5', ok: true },
    { value: '512Gi', ok: true },
    { value: '2e9', ok: true },
    { value: '9223372036854774784', ok: true },
    { value: '1e400', ok: false, reason: 'InvalidQuantity' },
    { value: '99999999999Ei', ok: false, reason: 'InvalidQuantity' },
    { value: '9223372036854775807', ok: false, reason: 'InvalidQuantity' },
    { value: '-1', ok: false, reason: 'InvalidQuantity' },
    { value: 'NaN', ok: false, reason: 'InvalidQuantity' },
    { value: 'Infinity', ok: false, reason: 'InvalidQuantity' },
    { value: '', ok: false, reason: 'InvalidQuantity' },
    { value: `0.${'0'.repeat(70)}1`, ok: false, reason: 'ValueTooLong' },
  ])('quantity $value: kept $ok', ({ value, ok, reason }) => {
    const got = run([wirePool('p').resources({ cpu: '8', memory: value }, { cpu: '8' }).obj()]);
    expect(got.kept[0]?.capacity).toEqual(ok ? { cpu: '8', memory: value } : { cpu: '8' });
    expect(got.problems).toEqual(ok ? [] : [`${reason} nodePools[p].capacity.memory`]);
  });

  it('keeps at most 32 resources per list, and only resource names as keys', () => {
    const capacity: Record<string, string> = { 'bad key!': '1' };
    for (let i = 0; i < 40; i++) capacity[`example.com/r${String(i).padStart(2, '0')}`] = '1';
    const got = run([wirePool('p').resources(capacity, {}).obj()]);
    expect(Object.keys(got.kept[0]?.capacity ?? {})).toHaveLength(32);
    expect(got.problems).toContain('InvalidValue nodePools[p].capacity["bad key!"]');
    expect(got.count).toBe(1 + 8);
  });

  it('drops a free-shape bucket that lost a quantity: under-stating free capacity, never inventing it', () => {
    const got = run([wirePool('p').shape({ nodes: 1, devices: 8, cpu: '96', memory: '1e400' }, { nodes: 3, devices: 4, memory: '1Ti' }, { nodes: 1, devices: 2, cpu: '8', memory: '8Gi' }).obj()]);
    expect(got.kept[0]?.freeShape).toEqual([{ nodes: 1, devices: 2, cpu: '8', memory: '8Gi' }]);
    expect(got.problems).toEqual(['InvalidQuantity nodePools[p].freeShape[0].memory', 'InvalidValue nodePools[p].freeShape[0]', 'InvalidValue nodePools[p].freeShape[1]']);
  });

  it("keeps the CRD's 32 free-shape buckets, the first sent, and names the excess once", () => {
    const buckets = Array.from({ length: 100_000 }, (_, i) => ({ nodes: 1, devices: 100_000 - i, cpu: '1', memory: '1Gi' }));
    const got = run([wirePool('p').shape(...buckets).obj()]);
    expect(got.kept[0]?.freeShape?.map((b) => b.devices)).toEqual(buckets.slice(0, 32).map((b) => b.devices));
    expect(got.problems).toEqual(['ValueOutOfRange nodePools[p].freeShape']);
  });

  it('clamps a free-shape count beyond int32 down, never up', () => {
    const got = run([wirePool('p').shape({ nodes: 2 ** 32 - 1, devices: 2 ** 32 - 1, cpu: '1', memory: '1' }).obj()]);
    expect(got.kept[0]?.freeShape).toEqual([{ nodes: INT32_MAX, devices: INT32_MAX, cpu: '1', memory: '1' }]);
  });

  it('drops a resource list whose every entry is refused, rather than writing an empty one', () => {
    const got = run([wirePool('p').resources({ cpu: '1e400' }, { cpu: '8' }).obj()]);
    expect(got.kept[0]).not.toHaveProperty('capacity');
    expect(got.kept[0]?.allocatable).toEqual({ cpu: '8' });
  });
});

describe('checkAgentVersion', () => {
  it.each([
    { version: '0.1.0', want: '0.1.0' },
    { version: 'v'.repeat(128), want: 'v'.repeat(128) },
    { version: 'v'.repeat(129), want: undefined },
  ])('$version.length characters', ({ version, want }) => {
    const problems = new ReportProblems();
    expect(checkAgentVersion(version, problems)).toBe(want);
    expect(problems.count).toBe(want === undefined ? 1 : 0);
  });
});

describe('ReportProblems', () => {
  it('counts every problem and keeps the first few in class, then path, order', () => {
    const p = new ReportProblems(2);
    p.add('InvalidValue', 'b', 'x');
    p.add('ValueTooLong', 'z', 'x');
    p.add('InvalidPoolName', 'y', 'x');
    p.add('ValueTooLong', 'a', 'x');
    expect(p.count).toBe(4);
    expect(p.first.map((x) => `${x.reason} ${x.path}`)).toEqual(['InvalidPoolName y', 'ValueTooLong a']);
  });
});
