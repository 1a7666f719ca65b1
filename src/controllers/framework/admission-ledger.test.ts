// The admission ledger over hand-built caches and a hand-driven clock: verdicts, what it holds while a verdict is in
// flight, whom it wakes, and when it lets go.
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { Queue, TrainingJob } from '../../api/generated/types.ts';
import { DEFAULT_PLACEMENT_CONFIG } from '../../placement/config.ts';
import { gpuPool, makeSite, makeTrainingJob, variant } from '../../placement/testing.ts';
import { FakeClock } from '../../runtime/clock.ts';
import { AdmissionLedger, IN_FLIGHT_TTL_MS } from './admission-ledger.ts';
import { PromisedCapacityTracker } from './promised-capacity.ts';

const site = makeSite('sh').pool(gpuPool('h100').nvidia('NVIDIA-H100-80GB-HBM3', 8).nodes(1)).obj();
const queue: Queue = { apiVersion: 'suanwang.io/v1alpha1', kind: 'Queue', metadata: { name: 'q' }, spec: { quota: { 'nvidia.com/gpu': '8' } } };

function tj(name: string, gpus = 8): TrainingJob {
  const j = makeTrainingJob(name).variant(variant('h100').nvidia('H100', gpus)).obj();
  j.spec.queue = 'q';
  j.metadata.uid = `uid-${name}`;
  j.metadata.creationTimestamp = `2026-01-01T00:00:0${name.length}Z`;
  return j;
}

function setup(jobs: TrainingJob[]) {
  const clock = new FakeClock();
  const promised = new PromisedCapacityTracker();
  const woken: string[] = [];
  const ledger = new AdmissionLedger({
    sources: { queues: () => [queue], trainingJobs: () => jobs, inferenceServices: () => [], sites: () => [site] },
    promised,
    config: DEFAULT_PLACEMENT_CONFIG,
    clock,
    logger: pino({ level: 'silent' }),
    wake: (key) => woken.push(key),
  });
  return { clock, promised, woken, ledger };
}

describe('AdmissionLedger', () => {
  it('admits the first job, holds its capacity and counts it until its status says so; the second waits', () => {
    const jobs = [tj('a'), tj('bb')];
    const { promised, woken, ledger } = setup(jobs);
    ledger.runCycle();
    expect(ledger.verdict('TrainingJob/default/a')?.kind).toBe('Admit');
    expect(ledger.verdict('TrainingJob/default/bb')).toMatchObject({ kind: 'Wait', reason: 'QuotaExceeded' });
    expect(promised.holds('TrainingJob/default/a')).toBe(true);
    expect(woken.sort()).toEqual(['TrainingJob/default/a', 'TrainingJob/default/bb']);

    // Not recorded yet: the next cycle keeps the same verdict (in flight), does not admit bb, and wakes nobody.
    woken.length = 0;
    ledger.runCycle();
    expect(ledger.verdict('TrainingJob/default/a')?.kind).toBe('Admit');
    expect(ledger.verdict('TrainingJob/default/bb')?.kind).toBe('Wait');
    expect(woken).toEqual([]);
    expect(ledger.queueUsage('q')).toMatchObject({ admitted: 1, pending: 1, usage: { 'nvidia.com/gpu': 8 } });

    // Recorded: status.admission now says what a holds; the ledger has nothing more to ask of it.
    jobs[0]!.status = { site: 'sh', pool: 'h100', variant: 'h100', admission: { queue: 'q', admittedTime: '2026-01-01T00:00:10Z', charge: { 'nvidia.com/gpu': '8' } } };
    ledger.runCycle();
    expect(ledger.verdict('TrainingJob/default/a')).toBeUndefined();
    expect(ledger.queueUsage('q')).toMatchObject({ admitted: 1, pending: 1 });
  });

  it('keeps an admission its reconciler has not looked at yet past the TTL: a deep work queue is not a lost admission', () => {
    // 10,000 jobs at once: a job's reconcile may come minutes after its admission. Withdrawing it then re-placed
    // every job again and again (24 placements per job), and the cycles starved the reconciles further.
    const jobs = [tj('a')];
    const { clock, promised, ledger, woken } = setup(jobs);
    ledger.runCycle();
    expect(ledger.peek('TrainingJob/default/a')?.kind).toBe('Admit'); // the operator's metrics read it so: not a reconcile
    clock.advance(IN_FLIGHT_TTL_MS * 10);
    woken.length = 0;
    ledger.runCycle();
    expect(promised.holds('TrainingJob/default/a')).toBe(true);
    expect(woken).toEqual([]);
    // Its reconciler looks now; the TTL counts from here.
    expect(ledger.verdict('TrainingJob/default/a')?.kind).toBe('Admit');
    clock.advance(IN_FLIGHT_TTL_MS - 1);
    ledger.runCycle();
    expect(woken).toEqual([]);
  });

  it('withdraws an admission its reconciler looked at but never recorded, and gives its capacity back when the job is gone', () => {
    const jobs = [tj('a')];
    const { clock, promised, ledger } = setup(jobs);
    ledger.runCycle();
    expect(promised.holds('TrainingJob/default/a')).toBe(true);
    expect(ledger.verdict('TrainingJob/default/a')?.kind).toBe('Admit');
    clock.advance(IN_FLIGHT_TTL_MS + 1);
    ledger.runCycle();
    // Withdrawn, and admitted afresh in the same cycle (it still waits and still fits).
    expect(ledger.verdict('TrainingJob/default/a')?.kind).toBe('Admit');
    jobs.length = 0;
    ledger.runCycle();
    expect(promised.holds('TrainingJob/default/a')).toBe(false);
    expect(ledger.verdict('TrainingJob/default/a')).toBeUndefined();
  });

  it('does not wake a waiting job whose reason only flips between quota and capacity; wakes it for a reason to act on', () => {
    // The site's 8 GPUs are all in use; the queue's quota is what the test turns.
    const full = makeSite('sh').pool(gpuPool('h100').nvidia('NVIDIA-H100-80GB-HBM3', 8).nodes(1).allocated({ 'nvidia.com/gpu': '8' })).obj();
    const q: Queue = { apiVersion: 'suanwang.io/v1alpha1', kind: 'Queue', metadata: { name: 'q' }, spec: { quota: { 'nvidia.com/gpu': '0' } } };
    let queues: Queue[] = [q];
    const woken: string[] = [];
    const ledger = new AdmissionLedger({
      sources: { queues: () => queues, trainingJobs: () => [tj('bb')], inferenceServices: () => [], sites: () => [full] },
      promised: new PromisedCapacityTracker(),
      config: DEFAULT_PLACEMENT_CONFIG,
      clock: new FakeClock(),
      logger: pino({ level: 'silent' }),
      wake: (key) => woken.push(key),
    });
    ledger.runCycle();
    expect(ledger.verdict('TrainingJob/default/bb')).toMatchObject({ kind: 'Wait', reason: 'QuotaExceeded' });
    woken.length = 0;
    q.spec.quota = { 'nvidia.com/gpu': '16' };
    ledger.runCycle();
    expect(ledger.verdict('TrainingJob/default/bb')).toMatchObject({ kind: 'Wait', reason: 'Unschedulable' });
    expect(woken).toEqual([]);
    queues = [];
    ledger.runCycle();
    expect(ledger.verdict('TrainingJob/default/bb')).toMatchObject({ kind: 'Wait', reason: 'QueueNotFound' });
    expect(woken).toEqual(['TrainingJob/default/bb']);
  });

  it('coalesces requests into one cycle after the debounce', () => {
    const { clock, woken, ledger } = setup([tj('a')]);
    ledger.request();
    ledger.request();
    expect(woken).toEqual([]);
    clock.advance(60);
    expect(woken).toEqual(['TrainingJob/default/a']);
    expect(ledger.lastCycle()).toMatchObject({ admitted: 1 });
  });

  it('spaces requested cycles by twice the last cycle\'s duration, so a slow cycle leaves the reconciles room', () => {
    const jobs = [tj('a')];
    const clock = new FakeClock();
    let cost = 0;
    const ledger = new AdmissionLedger({
      // The cycle's reading of the workloads "takes" `cost` ms of the clock.
      sources: { queues: () => [queue], trainingJobs: () => (clock.advance(cost), jobs), inferenceServices: () => [], sites: () => [site] },
      promised: new PromisedCapacityTracker(),
      config: DEFAULT_PLACEMENT_CONFIG,
      clock,
      logger: pino({ level: 'silent' }),
      wake: () => {},
    });
    cost = 400;
    ledger.runCycle();
    expect(ledger.lastCycle()?.durationMs).toBe(400);
    cost = 0;
    ledger.request();
    clock.advance(60);
    expect(ledger.lastCycle()?.durationMs).toBe(400); // not yet: 800 ms after the request
    clock.advance(800 - 60);
    expect(ledger.lastCycle()?.durationMs).toBe(0);
  });

  it('counts a job placed before queues existed as holding what it runs, and never admits it again', () => {
    const running = tj('old');
    running.status = { phase: 'Running', site: 'sh', variant: 'h100', pool: 'h100', acceleratorResource: 'nvidia.com/gpu' };
    const { ledger } = setup([running, tj('new')]);
    ledger.runCycle();
    expect(ledger.verdict('TrainingJob/default/old')).toBeUndefined();
    expect(ledger.verdict('TrainingJob/default/new')).toMatchObject({ kind: 'Wait', reason: 'QuotaExceeded' });
  });
});
