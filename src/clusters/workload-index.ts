/**
 * WorkloadIndex: the ids of a pull site's member objects by the workload they belong to (their LABEL_WORKLOAD), so
 * that one workload's members are found without reading every member the site holds (pull-site-members.ts list).
 * An id stays indexed under the workload its object named when it was added, until it is dropped; a list checks
 * every object's labels anyway, so an object whose labels changed is never listed wrongly, only looked at once more.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { LABEL_WORKLOAD } from '../api/names.ts';

const NONE: ReadonlySet<string> = new Set();

/** WorkloadIndex indexes member ids by workload (module comment). */
export class WorkloadIndex {
  readonly #ids = new Map<string, Set<string>>();
  readonly #workloadOf = new Map<string, string>();

  /** add indexes `id` under its object's workload (a move to another workload drops the old entry). */
  add(id: string, object: KubernetesObject): void {
    const workload = object.metadata?.labels?.[LABEL_WORKLOAD];
    const before = this.#workloadOf.get(id);
    if (before === workload) return;
    if (before !== undefined) this.#remove(id, before);
    if (workload === undefined) return;
    this.#workloadOf.set(id, workload);
    let ids = this.#ids.get(workload);
    if (ids === undefined) {
      ids = new Set();
      this.#ids.set(workload, ids);
    }
    ids.add(id);
  }

  /** dropUnless drops `id` unless `kept` (the store still holds the object, desired or reported). */
  dropUnless(id: string, kept: boolean): void {
    if (kept) return;
    const workload = this.#workloadOf.get(id);
    if (workload !== undefined) this.#remove(id, workload);
  }

  /** ids are the ids indexed under `workload`. */
  ids(workload: string): ReadonlySet<string> {
    return this.#ids.get(workload) ?? NONE;
  }

  #remove(id: string, workload: string): void {
    this.#workloadOf.delete(id);
    const ids = this.#ids.get(workload);
    ids?.delete(id);
    if (ids?.size === 0) this.#ids.delete(workload);
  }
}
