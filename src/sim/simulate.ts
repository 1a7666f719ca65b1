/**
 * runSimulation: one trace, one federation, every requested policy replayed on its own fresh copy of the nodes, and
 * the SimResult the JSON file and the report are made of. Deterministic: the same inputs give the same result, but
 * for each policy's wallMs (real time), which callers that compare results set aside.
 */
import { Fleet, workerDemand, type TypicalTask } from './fleet.ts';
import { firstFitScheduler, staticScheduler } from './fifo-policies.ts';
import { replay, type Observer, type ReplayMode, type ReplayProgress, type Scheduler } from './replay.ts';
import type { PolicyName, PolicyResult, SimResult, SimSite, TraceInfo } from './result.ts';
import { SuanwangScheduler, type SuanwangOptions } from './suanwang-policy.ts';
import { taskGpus, TraceError, type SimTask } from './task.ts';
import type { SimTopology } from './topology.ts';
import type { Trace } from './trace.ts';

/** POLICIES in the order results list them. */
export const POLICIES: readonly PolicyName[] = ['suanwang', 'first-fit', 'pooled', 'static'];

/** POOLED_SITE is the name of the one site of the pooled policy's federation. */
export const POOLED_SITE = 'pooled';

/** SimOptions choose the policies and the replay. */
export interface SimOptions {
  readonly policies?: readonly PolicyName[];
  readonly mode?: ReplayMode;
  readonly suanwang?: SuanwangOptions;
  /** clock returns real milliseconds, for wallMs and progress (default: performance.now). */
  readonly clock?: () => number;
  readonly onProgress?: (p: ReplayProgress) => void;
  readonly observe?: Observer;
}

/** runSimulation replays the trace under each policy (module comment). */
export function runSimulation(topology: SimTopology, trace: Trace, options: SimOptions = {}): SimResult {
  const mode = options.mode ?? 'timed';
  const timeless = trace.tasks.find((t) => !Number.isFinite(t.durationS));
  if (mode === 'timed' && timeless !== undefined) {
    throw new TraceError(`${trace.name}: task ${timeless.name} has no run time (the trace has no deletion times): replay it in fill mode`);
  }
  const wanted = new Set(options.policies ?? POLICIES);
  const typical = typicalTask(trace.tasks);
  const clock = options.clock ?? (() => performance.now());
  const policies: PolicyResult[] = [];
  for (const policy of POLICIES.filter((p) => wanted.has(p))) {
    const fleet = new Fleet(topology, typical, policy === 'pooled' ? POOLED_SITE : undefined);
    policies.push(
      replay({
        policy,
        tasks: trace.tasks,
        fleet,
        scheduler: scheduler(policy, fleet, options.suanwang ?? {}),
        mode,
        clock,
        ...(options.onProgress !== undefined && { onProgress: options.onProgress }),
        ...(options.observe !== undefined && { observe: options.observe }),
      }),
    );
  }
  const idle = new Fleet(topology, typical);
  return { trace: traceInfo(trace), sites: simSites(topology), totalGpus: idle.totalGpus, policies };
}

function scheduler(policy: PolicyName, fleet: Fleet, suanwang: SuanwangOptions): Scheduler {
  switch (policy) {
    case 'suanwang':
      return new SuanwangScheduler(fleet, suanwang);
    case 'first-fit':
    case 'pooled':
      return firstFitScheduler(fleet);
    case 'static':
      return staticScheduler(fleet);
  }
}

/** traceInfo describes the trace for the result. */
export function traceInfo(trace: Trace): TraceInfo {
  const first = trace.tasks[0]?.arrivalS ?? 0;
  const last = trace.tasks.at(-1)?.arrivalS ?? 0;
  const gpuTasks = trace.tasks.filter((t) => taskGpus(t) > 0).length;
  return {
    name: trace.name,
    tasks: trace.tasks.length,
    gpuShareTasks: trace.tasks.filter((t) => t.gpuShare).length,
    gpuTasks,
    cpuTasks: trace.tasks.length - gpuTasks,
    spanS: last - first,
  };
}

function simSites(topology: SimTopology): SimSite[] {
  return topology.sites
    .map((s) => ({
      name: s.name,
      nodes: s.pools.reduce((n, p) => n + p.nodes, 0),
      gpus: s.pools.reduce((n, p) => n + p.nodes * (p.accelerator?.count ?? 0), 0),
    }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * typicalTask is the component-wise median of the GPU tasks' per-worker GPUs, cpu and memory (first variant): the
 * request a free GPU must be able to serve not to count as fragmented (metrics.ts). One GPU and nothing else when the
 * trace has no GPU task.
 */
export function typicalTask(tasks: readonly SimTask[]): TypicalTask {
  const demands = tasks.flatMap((t) => {
    const v = t.workload.variants[0];
    return v?.accelerator === undefined ? [] : [workerDemand(v)];
  });
  if (demands.length === 0) return { devices: 1, cpuMilli: 0, memory: 0 };
  const median = (xs: number[]): number => xs.sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] as number;
  return { devices: median(demands.map((d) => d.devices)), cpuMilli: median(demands.map((d) => d.cpuMilli)), memory: median(demands.map((d) => d.memory)) };
}
