import { describe, expect, it } from 'vitest';
import type { Fleet } from './fleet.ts';
import type { Placement } from './replay.ts';
import type { PolicyName, SimResult } from './result.ts';
import { POLICIES, runSimulation, type SimOptions } from './simulate.ts';
import type { SimTask } from './task.ts';
import { loadSimTopology, type SimTopology } from './topology.ts';
import { loadTrace, parseTrace, type Trace } from './trace.ts';

const FIXTURES = 'test/fixtures/traces';

/** RUNS are the replays every invariant is checked on: both trace formats, both replay modes. */
const RUNS: readonly { name: string; sites: string; trace: string; mode: 'timed' | 'fill' }[] = [
  { name: 'synthetic openb, 3 sites, timed', sites: `${FIXTURES}/synthetic-3-sites.yaml`, trace: `${FIXTURES}/synthetic-pods.csv`, mode: 'timed' },
  { name: 'synthetic openb, 3 sites, fill', sites: `${FIXTURES}/synthetic-3-sites.yaml`, trace: `${FIXTURES}/synthetic-pods.csv`, mode: 'fill' },
  { name: 'YAML jobs on the default lab, timed', sites: 'examples/lab/default.yaml', trace: `${FIXTURES}/lab-jobs.yaml`, mode: 'timed' },
  { name: 'YAML jobs on the default lab, fill', sites: 'examples/lab/default.yaml', trace: `${FIXTURES}/lab-jobs.yaml`, mode: 'fill' },
];

/** Checked records, per policy, every violation of the per-instant invariants the observer saw. */
interface Checked {
  readonly result: SimResult;
  readonly overCapacity: string[];
  readonly placedTimes: Map<PolicyName, Map<SimTask, number>>;
  readonly instants: number;
}

/** simulateChecked runs every policy and checks, after every instant, that no node holds more than its capacity. */
function simulateChecked(topology: SimTopology, trace: Trace, options: SimOptions = {}): Checked {
  const overCapacity: string[] = [];
  const placedTimes = new Map<PolicyName, Map<SimTask, number>>();
  let instants = 0;
  const observe = (policy: PolicyName, now: number, fleet: Fleet, placements: readonly Placement[]): void => {
    instants += 1;
    for (const s of fleet.sites) {
      for (const p of s.pools) {
        for (let n = 0; n < p.freeDevices.length; n++) {
          const free = [p.freeDevices[n] as number, p.freeCpuMilli[n] as number, p.freeMemory[n] as number];
          const cap = [p.nodeDevices, p.nodeCpuMilli, p.nodeMemory];
          if (free.some((f, i) => f < 0 || f > (cap[i] as number))) overCapacity.push(`${policy} t=${now} ${p.name}[${n}] free=${free.join('/')}`);
        }
      }
    }
    const times = placedTimes.get(policy) ?? new Map<SimTask, number>();
    for (const pl of placements) times.set(pl.task, (times.get(pl.task) ?? 0) + 1);
    placedTimes.set(policy, times);
  };
  return { result: runSimulation(topology, trace, { ...options, clock: () => 0, observe }), overCapacity, placedTimes, instants };
}

/** withoutWallTime is the result with every wallMs set to 0: the part that must be byte-identical between runs. */
export function withoutWallTime(r: SimResult): SimResult {
  return { ...r, policies: r.policies.map((p) => ({ ...p, summary: { ...p.summary, wallMs: 0 } })) };
}

describe('runSimulation invariants', () => {
  for (const run of RUNS) {
    describe(run.name, () => {
      const topology = loadSimTopology(run.sites);
      const trace = loadTrace(run.trace);
      const checked = simulateChecked(topology, trace, { mode: run.mode });
      const { result } = checked;
      const by = (p: PolicyName) => result.policies.find((x) => x.policy === p)?.summary;

      it('replays every policy, and observes every instant', () => {
        expect(result.policies.map((p) => p.policy)).toEqual(POLICIES);
        expect(checked.instants).toBeGreaterThan(0);
      });

      it('never holds more than a node has, at any instant', () => {
        expect(checked.overCapacity).toEqual([]);
      });

      it('places every task once or reports it unplaced', () => {
        for (const p of result.policies) {
          const times = checked.placedTimes.get(p.policy) ?? new Map<SimTask, number>();
          expect([...times.values()].every((n) => n === 1), p.policy).toBe(true);
          expect(times.size, p.policy).toBe(p.summary.placed);
          expect(p.summary.placed + p.summary.neverPlaced, p.policy).toBe(trace.tasks.length);
        }
      });

      if (run.mode === 'timed') {
        // With departures, every task that fits an idle federation is placed in the end, and pooled (every node in
        // one site) holds whatever any split holds. In a fill replay greedy packing has no such guarantee (docs).
        it('pooled never places fewer than any split policy', () => {
          for (const p of ['suanwang', 'first-fit', 'static'] as const) expect(by('pooled')?.placed).toBeGreaterThanOrEqual(by(p)?.placed ?? Infinity);
        });
      }

      it('gives byte-identical JSON when replayed again (wallMs aside)', () => {
        const again = runSimulation(topology, trace, { mode: run.mode, clock: () => 0 });
        expect(JSON.stringify(withoutWallTime(again))).toBe(JSON.stringify(withoutWallTime(result)));
      });

      it('keeps the series within bounds and consistent with the fleet', () => {
        for (const p of result.policies) {
          expect(p.series.length).toBeGreaterThan(0);
          for (const pt of p.series) {
            expect(pt.totalAllocatedGpus).toBeLessThanOrEqual(result.totalGpus);
            expect(Object.values(pt.allocatedGpus).reduce((a, b) => a + b, 0)).toBe(pt.totalAllocatedGpus);
          }
          expect(p.waitHistogram.reduce((n, b) => n + b.count, 0)).toBe(p.summary.placed);
        }
      });
    });
  }

  it('counts the trace: GPU shares, GPU and CPU tasks, span', () => {
    const trace = loadTrace(`${FIXTURES}/synthetic-pods.csv`);
    const result = runSimulation(loadSimTopology(`${FIXTURES}/synthetic-3-sites.yaml`), trace, { policies: ['first-fit'], clock: () => 0 });
    expect(result.trace.name).toBe('synthetic-pods.csv');
    expect(result.trace.tasks).toBe(400);
    expect(result.trace.gpuShareTasks).toBe(trace.tasks.filter((t) => t.gpuShare).length);
    expect(result.trace.gpuShareTasks).toBeGreaterThan(0);
    expect(result.trace.gpuTasks + result.trace.cpuTasks).toBe(400);
    expect(result.totalGpus).toBe(256);
    expect(result.sites.map((s) => s.gpus).reduce((a, b) => a + b, 0)).toBe(256);
  });

  it('replays the lab jobs as the engine decides them: the gang that cannot fit waits, the too-wide job never runs', () => {
    const trace = loadTrace(`${FIXTURES}/lab-jobs.yaml`);
    const result = runSimulation(loadSimTopology('examples/lab/default.yaml'), trace, { policies: ['suanwang'], clock: () => 0 });
    const s = result.policies[0]?.summary;
    expect(s?.neverPlaced).toBe(1); // too-wide: 16 H100 on one node, nodes have 8
    expect(s?.placed).toBe(5);
    // gang-waits needs both H100 nodes, which pretrain-h100 holds until 2h: it starts then, 1h45m after arriving.
    expect(s?.waitP99S).toBe(2 * 3600 - 15 * 60);
    expect(s?.gpuAllocationAtFirstUnplaceable).toBeCloseTo(20 / 56, 5);
  });

  it('replays only the policies asked for, in the fixed order', () => {
    const result = runSimulation(loadSimTopology('examples/lab/default.yaml'), loadTrace(`${FIXTURES}/lab-jobs.yaml`), { policies: ['static', 'suanwang'], clock: () => 0 });
    expect(result.policies.map((p) => p.policy)).toEqual(['suanwang', 'static']);
  });
});

describe('a trace without run times', () => {
  const trace = parseTrace('m.csv', 'name,cpu_milli,memory_mib,num_gpu,gpu_milli\np-0,12000,16384,8,1000\np-1,6000,12288,1,460\np-2,6000,12288,8,1000\n');
  const topology = loadSimTopology('test/fixtures/traces/synthetic-3-sites.yaml');
  it('replays in fill mode, and is refused a timed replay', () => {
    const fill = runSimulation(topology, trace, { mode: 'fill', policies: ['pooled'], clock: () => 0 });
    expect(fill.policies[0]?.summary.placed).toBe(3);
    expect(Number.isFinite(fill.policies[0]?.summary.gpuAllocationAvg)).toBe(true);
    expect(() => runSimulation(topology, trace, { mode: 'timed' })).toThrow('m.csv: task p-0 has no run time (the trace has no deletion times): replay it in fill mode');
  });
});
