import { describe, expect, it } from 'vitest';
import { DEFAULT_PLACEMENT_CONFIG } from '../placement/config.ts';
import { place } from '../placement/place.ts';
import { buildSnapshot } from '../placement/snapshot.ts';
import { admissionCycle, DEFAULT_HEAD_OF_LINE_MS } from '../queueing/admission-cycle.ts';
import { Fleet, workerDemand } from './fleet.ts';
import { SiteObjects } from './site-objects.ts';
import { runSimulation, typicalTask } from './simulate.ts';
import { SuanwangScheduler } from './suanwang-policy.ts';
import type { Placement } from './replay.ts';
import type { SimTask } from './task.ts';
import { loadSimTopology } from './topology.ts';
import { loadTrace } from './trace.ts';

const topology = loadSimTopology('test/fixtures/traces/synthetic-3-sites.yaml');
const trace = loadTrace('test/fixtures/traces/synthetic-pods.csv');

/** busyFleet is the fixture federation with the first `n` tasks bound by the simulator's own suanwang policy. */
function busyFleet(n: number): { fleet: Fleet; scheduler: SuanwangScheduler; rest: SimTask[] } {
  const fleet = new Fleet(topology, typicalTask(trace.tasks));
  const scheduler = new SuanwangScheduler(fleet);
  const first = trace.tasks.slice(0, n);
  scheduler.schedule(first.at(-1)?.arrivalS ?? 0, first);
  return { fleet, scheduler, rest: trace.tasks.slice(n) };
}

describe('the suanwang policy is the operator deciding', () => {
  it('hands admissionCycle a snapshot equal to buildSnapshot of its Site objects', () => {
    const { fleet } = busyFleet(150);
    const objects = new SiteObjects(fleet.sites);
    expect(objects.snapshot()).toEqual(buildSnapshot(objects.current()));
  });

  it('admits exactly what admissionCycle admits on the snapshot and workloads it built', () => {
    const { scheduler, rest } = busyFleet(150);
    const now = rest[40]?.arrivalS ?? 0;
    const run = scheduler.decide(now, rest.slice(0, 40));
    expect(run).toBeDefined();
    if (run === undefined) return;
    const direct = admissionCycle({ queues: new Map(), workloads: run.workloads, snapshot: run.snapshot, config: DEFAULT_PLACEMENT_CONFIG, now: run.nowMs, headOfLineMs: DEFAULT_HEAD_OF_LINE_MS, headSince: run.headSince });
    expect([...run.result.verdicts]).toEqual([...direct.verdicts]);
    expect([...direct.verdicts.values()].some((v) => v.kind === 'Admit')).toBe(true);
  });

  it('places a lone job where place() puts it on the same snapshot, and binds it in that pool', () => {
    const { fleet, scheduler, rest } = busyFleet(200);
    const task = rest.find((t) => (t.workload.variants[0]?.accelerator?.count ?? 0) >= 2) as SimTask;
    const run = scheduler.decide(task.arrivalS, [task]);
    const verdict = run?.result.verdicts.get(`TrainingJob/default/${task.name}`);
    const decision = place(task.workload, run?.snapshot ?? { sites: [] }, DEFAULT_PLACEMENT_CONFIG);
    expect(verdict?.kind).toBe('Admit');
    expect(decision.kind).toBe('Placed');
    if (verdict?.kind !== 'Admit' || decision.kind !== 'Placed') return;
    expect(verdict.placement).toMatchObject({ site: decision.site, pool: decision.pool, variant: decision.variant });

    const placements = scheduler.schedule(task.arrivalS, [task]);
    expect(placements).toHaveLength(1);
    const bound = placements[0]?.bindings[0];
    expect(bound?.pool.site).toBe(decision.site);
    expect(bound?.pool.name).toBe(decision.pool);
    expect(bound?.demand).toEqual(workerDemand(task.workload.variants.find((v) => v.name === decision.variant) ?? task.workload.variants[0]!));
    expect(fleet.allocatedGpus).toBeGreaterThan(0);
  });

  it('skips tasks that failed when nothing was released since, but keeps the head of the line', () => {
    const fleet = new Fleet(topology, typicalTask(trace.tasks));
    const scheduler = new SuanwangScheduler(fleet);
    // Fill the federation: what does not fit fails. An admission the binder could not carry out (the cycle's guess
    // of where an earlier admission landed) is looked at again, so cycle until nothing more is placed or missed.
    const now = trace.tasks.at(-1)?.arrivalS ?? 0;
    const placed: Placement[] = [];
    let waiting: SimTask[] = [...trace.tasks];
    for (let round = 0; round < 20; round++) {
      const misses = scheduler.bindMisses;
      const more = scheduler.schedule(now, waiting);
      placed.push(...more);
      waiting = waiting.filter((t) => !more.some((p) => p.task === t));
      if (more.length === 0 && scheduler.bindMisses === misses) break;
    }
    expect(waiting.length).toBeGreaterThan(1);
    // Nothing released: the next cycle is handed no task at all (none is fresh)...
    expect(scheduler.decide(now + 60, waiting)).toBeUndefined();
    // ...and a newcomer is looked at together with the oldest waiting task only.
    const like = waiting[0] as SimTask;
    const newcomer: SimTask = { ...like, name: 'newcomer', job: { ...like.job, metadata: { ...like.job.metadata, name: 'newcomer' } }, arrivalS: now + 60 };
    const run = scheduler.decide(newcomer.arrivalS, [...waiting, newcomer]);
    expect(run?.workloads.map((w) => w.name)).toEqual([waiting[0]?.name, 'newcomer']);
    // Once something is released, every waiting task is looked at again.
    const first = placed[0];
    if (first !== undefined) for (const b of first.bindings) fleet.release(b);
    expect(scheduler.decide(newcomer.arrivalS, waiting)?.workloads).toHaveLength(waiting.length);
  });
});

describe('skipping tasks that cannot have changed', () => {
  for (const mode of ['timed', 'fill'] as const) {
    it(`gives the same replay as handing every waiting task to every cycle (${mode})`, () => {
      const quick = runSimulation(topology, trace, { policies: ['suanwang'], mode, clock: () => 0 });
      const all = runSimulation(topology, trace, { policies: ['suanwang'], mode, clock: () => 0, suanwang: { handAll: true } });
      expect(JSON.stringify(quick)).toBe(JSON.stringify(all));
      expect(quick.policies[0]?.summary.placed).toBeGreaterThan(0);
    });
  }
});
