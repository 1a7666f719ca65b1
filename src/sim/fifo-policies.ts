/**
 * The baselines Suanwang is compared with. Each takes waiting tasks in arrival order (FIFO) and binds each to the
 * first place that fits, with the same node binder and the same rules on which nodes serve which variant (fleet.ts);
 * a task that does not fit waits and does not hold back those behind it. They differ only in where they look:
 *
 *  - first-fit: the sites in name order, the first one whose nodes hold the task (any of its variants, in order);
 *  - pooled: one site of every node — the federation as if it were one cluster, the upper bound pooling aims at;
 *  - static: only the task's home site, chosen by a hash of its name (FNV-1a, 32 bits) among the sites that could
 *    hold it on idle nodes — "idle here, queued there": every centre serves its own users and nobody else.
 *
 * Like the suanwang policy, a task that did not fit is looked at again only after something was released.
 */
import { fnv1a } from '../api/hash.ts';
import { Fleet, poolServes, workerDemand, type Binding, type SiteState } from './fleet.ts';
import type { Placement, Scheduler } from './replay.ts';
import type { SimTask } from './task.ts';

/** FifoScheduler binds waiting tasks in arrival order to the first candidate site that holds them. */
export class FifoScheduler implements Scheduler {
  readonly #fleet: Fleet;
  readonly #candidates: (task: SimTask) => readonly SiteState[];
  readonly #failedAt = new Map<SimTask, number>();
  readonly #everFits = new Map<SimTask, boolean>();
  readonly #shapeKeys = new Map<SimTask, string>();

  /** `candidates` lists the sites a task may use, in the order they are tried. */
  constructor(fleet: Fleet, candidates: (task: SimTask) => readonly SiteState[]) {
    this.#fleet = fleet;
    this.#candidates = candidates;
  }

  schedule(_nowS: number, waiting: readonly SimTask[]): Placement[] {
    const released = this.#fleet.releases;
    // Shapes (variants, workers, candidate sites) that failed at this instant fail again for the rest of it.
    const failed = new Set<string>();
    const out: Placement[] = [];
    for (const task of waiting) {
      if (this.#failedAt.get(task) === released) continue;
      const shape = this.#shapeKey(task);
      const bindings = failed.has(shape) ? undefined : this.#bind(task);
      if (bindings === undefined) {
        failed.add(shape);
        this.#failedAt.set(task, released);
        continue;
      }
      out.push({ task, bindings });
    }
    return out;
  }

  couldEverFit(task: SimTask): boolean {
    let fits = this.#everFits.get(task);
    if (fits === undefined) {
      fits = this.#candidates(task).some((s) => fitsIdle(s, task));
      this.#everFits.set(task, fits);
    }
    return fits;
  }

  #bind(task: SimTask): Binding[] | undefined {
    for (const site of this.#candidates(task)) {
      for (const v of task.workload.variants) {
        const pools = site.pools.filter((p) => poolServes(v, p.spec));
        if (pools.length === 0) continue;
        const bindings = this.#fleet.bindGang(pools, workerDemand(v), task.workload.units);
        if (bindings !== undefined) return bindings;
      }
    }
    return undefined;
  }

  #shapeKey(task: SimTask): string {
    let key = this.#shapeKeys.get(task);
    if (key === undefined) {
      const sites = this.#candidates(task).map((s) => s.name);
      key = JSON.stringify([sites, task.workload.units, task.workload.variants.map((v) => [v.accelerator, v.architecture, v.cpu, v.memory])]);
      this.#shapeKeys.set(task, key);
    }
    return key;
  }
}

/** fitsIdle says whether the site's nodes, all idle, hold every worker of some variant of the task. */
export function fitsIdle(site: SiteState, task: SimTask): boolean {
  return task.workload.variants.some((v) => Fleet.fitsIdle(site.pools.filter((p) => poolServes(v, p.spec)), workerDemand(v), task.workload.units));
}

/**
 * firstFitScheduler tries the sites in name order. On a fleet built with every node in one site (Fleet's `merged`)
 * it is the pooled policy.
 */
export function firstFitScheduler(fleet: Fleet): FifoScheduler {
  return new FifoScheduler(fleet, () => fleet.sites);
}

/** staticScheduler sends every task to its home site only (module comment). */
export function staticScheduler(fleet: Fleet): FifoScheduler {
  const homes = new Map<SimTask, readonly SiteState[]>();
  return new FifoScheduler(fleet, (task) => {
    let home = homes.get(task);
    if (home === undefined) {
      const able = fleet.sites.filter((s) => fitsIdle(s, task));
      const pick = able[fnv1a(task.name) % Math.max(1, able.length)];
      home = pick === undefined ? [] : [pick];
      homes.set(task, home);
    }
    return home;
  });
}
