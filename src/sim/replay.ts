/**
 * The replay loop: a virtual clock that jumps from one instant to the next at which something happens (an arrival or
 * a departure), never sleeping. At each instant, in this order: workers of tasks that end leave their nodes; tasks
 * that arrive join the waiting list; the policy's scheduler runs once over everything waiting (all arrivals of one
 * instant are decided together, as one admission cycle); placed tasks start, and — in a timed replay — are due to
 * leave after their run time.
 *
 * Two replays of a trace:
 *  - timed: tasks arrive at their trace times and run for their trace run times;
 *  - fill: tasks arrive in trace order and never leave — the way the openb trace's own paper measures packing
 *    (allocation when the first task no longer fits). The openb trace's real run times are short next to its fleet
 *    (at most ~70 of its 6,212 GPUs busy at once), so only a fill replay contends for GPUs there.
 */
import type { Fleet, Binding } from './fleet.ts';
import { Recorder } from './metrics.ts';
import type { PolicyName, PolicyResult } from './result.ts';
import type { SimTask } from './task.ts';

/** ReplayMode says whether tasks leave (timed) or hold their nodes for good (fill). */
export type ReplayMode = 'timed' | 'fill';
export const REPLAY_MODES: readonly ReplayMode[] = ['timed', 'fill'];

/** Placement is a task whose workers were bound at this instant. */
export interface Placement {
  readonly task: SimTask;
  readonly bindings: readonly Binding[];
}

/** Scheduler is one policy's decision step. */
export interface Scheduler {
  /** schedule places what it can of `waiting` (arrival order) at `nowS`, binding the workers it places. */
  schedule(nowS: number, waiting: readonly SimTask[]): Placement[];
  /** couldEverFit says whether the task could run under this policy on an idle federation. */
  couldEverFit(task: SimTask): boolean;
}

/** ReplayProgress is reported while a replay runs. */
export interface ReplayProgress {
  readonly policy: PolicyName;
  readonly arrived: number;
  readonly tasks: number;
  readonly virtualS: number;
}

/** ReplayInput is one policy's replay. */
export interface ReplayInput {
  readonly policy: PolicyName;
  readonly tasks: readonly SimTask[];
  readonly fleet: Fleet;
  readonly scheduler: Scheduler;
  readonly mode: ReplayMode;
  /** clock returns real milliseconds (for wallMs and progress only). */
  readonly clock: () => number;
  readonly onProgress?: (p: ReplayProgress) => void;
  /** progressEveryMs: real time between two progress reports. */
  readonly progressEveryMs?: number;
  /** observe sees the fleet after every instant, with what was placed then (the tests check invariants with it). */
  readonly observe?: Observer;
}

/** Observer is called after every instant of a replay. */
export type Observer = (policy: PolicyName, nowS: number, fleet: Fleet, placements: readonly Placement[]) => void;

/** replay runs one policy over the tasks (already in arrival order) and returns what it measured. */
export function replay(input: ReplayInput): PolicyResult {
  const { tasks, fleet, scheduler, mode, clock } = input;
  const began = clock();
  const start = tasks[0]?.arrivalS ?? 0;
  const recorder = new Recorder(fleet, start);
  const departures = new DepartureHeap();
  let waiting: SimTask[] = [];
  let next = 0;
  let now = start;
  let lastReport = began;
  const every = input.progressEveryMs ?? 2000;
  while (next < tasks.length || departures.size > 0) {
    // 1. The next instant.
    const arrival = tasks[next]?.arrivalS ?? Number.POSITIVE_INFINITY;
    now = Math.min(arrival, departures.peekTime());
    recorder.advance(now);
    // 2. Departures first: their room is free for this instant's decisions.
    for (const bindings of departures.popAt(now)) for (const b of bindings) fleet.release(b);
    // 3. Arrivals join the waiting list.
    const arrived: SimTask[] = [];
    while (next < tasks.length && (tasks[next] as SimTask).arrivalS <= now) arrived.push(tasks[next++] as SimTask);
    waiting.push(...arrived);
    // 4. One decision over everything waiting.
    const placements = waiting.length === 0 ? [] : scheduler.schedule(now, waiting);
    const placed = new Set<SimTask>();
    for (const p of placements) {
      placed.add(p.task);
      recorder.placed(p.task.arrivalS, now);
      if (mode === 'timed') departures.push(now + p.task.durationS, p.bindings);
    }
    if (placed.size > 0) waiting = waiting.filter((t) => !placed.has(t));
    if (arrived.some((t) => !placed.has(t) && scheduler.couldEverFit(t))) recorder.unplaceable();
    recorder.note(now, waiting.length);
    input.observe?.(input.policy, now, fleet, placements);
    if (input.onProgress !== undefined && clock() - lastReport >= every) {
      lastReport = clock();
      input.onProgress({ policy: input.policy, arrived: next, tasks: tasks.length, virtualS: now - start });
    }
  }
  return recorder.finish(input.policy, now, waiting.length, clock() - began);
}

/** DepartureHeap is a min-heap of (time, sequence) → the bindings to release; equal times leave in push order. */
class DepartureHeap {
  readonly #items: { t: number; seq: number; bindings: readonly Binding[] }[] = [];
  #seq = 0;

  get size(): number {
    return this.#items.length;
  }

  peekTime(): number {
    return this.#items[0]?.t ?? Number.POSITIVE_INFINITY;
  }

  push(t: number, bindings: readonly Binding[]): void {
    const items = this.#items;
    items.push({ t, seq: this.#seq++, bindings });
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#less(i, parent)) break;
      this.#swap(i, parent);
      i = parent;
    }
  }

  /** popAt removes and returns everything due at or before t. */
  popAt(t: number): (readonly Binding[])[] {
    const out: (readonly Binding[])[] = [];
    while (this.#items.length > 0 && (this.#items[0] as { t: number }).t <= t) out.push(this.#pop());
    return out;
  }

  #pop(): readonly Binding[] {
    const items = this.#items;
    const top = items[0] as { bindings: readonly Binding[] };
    const last = items.pop() as (typeof items)[number];
    if (items.length > 0) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < items.length && this.#less(l, m)) m = l;
        if (r < items.length && this.#less(r, m)) m = r;
        if (m === i) break;
        this.#swap(i, m);
        i = m;
      }
    }
    return top.bindings;
  }

  #less(a: number, b: number): boolean {
    const x = this.#items[a] as { t: number; seq: number };
    const y = this.#items[b] as { t: number; seq: number };
    return x.t < y.t || (x.t === y.t && x.seq < y.seq);
  }

  #swap(a: number, b: number): void {
    const items = this.#items;
    [items[a], items[b]] = [items[b] as (typeof items)[number], items[a] as (typeof items)[number]];
  }
}
