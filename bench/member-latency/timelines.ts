/**
 * What the benchmark saw of each probe job, on one monotonic clock (performance.now(), ms): when its create call was
 * made, when the hub first showed it placed and Running, when its member Job first appeared at a site (and which),
 * and when both were gone again. The watches write in here; the rounds wait on it.
 */
import type { ConnectionMode } from './probe-jobs.ts';

/** Timeline is one probe job's moments; a moment not seen yet is undefined. */
export interface Timeline {
  readonly name: string;
  readonly mode: ConnectionMode;
  readonly expectedSite: string;
  readonly round: number;
  /** createAt: local time right before the create call was made (t0). */
  createAt?: number;
  /** createdAt: when the create call returned. */
  createdAt?: number;
  /** placedAt: first hub event with status.site set (the site it names is placedSite). */
  placedAt?: number;
  placedSite?: string;
  /** memberAt: first event of the member Job at a site's kube-apiserver (t1); memberSite is that site. */
  memberAt?: number;
  memberSite?: string;
  /** memberByList: the member was first found by a re-list after a broken watch, so memberAt is late. */
  memberByList?: boolean;
  /** runningAt: first hub event with status.phase Running (t2). */
  runningAt?: number;
  /** lastPhase and lastMessage: the hub's latest phase and Placed/Running condition message, for failure reports. */
  lastPhase?: string;
  lastMessage?: string;
  /**
   * memberUids: every member Job (by uid) seen at the site; liveMemberUids: those not yet deleted. More than one uid
   * means the member was deleted and made again while the job ran (a withdrawn and re-placed attempt).
   */
  readonly memberUids: Set<string>;
  readonly liveMemberUids: Set<string>;
  deleteAt?: number;
  hubGoneAt?: number;
  /** memberGoneAt: when, after the delete call, the last member Job at the site was gone. */
  memberGoneAt?: number;
  /** trace: every event seen of the job and its members, with its arrival time (printed with --trace). */
  readonly trace: Array<{ readonly at: number; readonly what: string }>;
}

/** Timelines holds the timeline of every probe job by name, and wakes waiters when one changes. */
export class Timelines {
  readonly #byName = new Map<string, Timeline>();
  #waiters: Array<() => void> = [];

  add(t: Timeline): Timeline {
    this.#byName.set(t.name, t);
    return t;
  }

  get(name: string): Timeline | undefined {
    return this.#byName.get(name);
  }

  /** all returns every timeline, in the order they were added. */
  all(): Timeline[] {
    return [...this.#byName.values()];
  }

  /** update changes a known job's timeline and wakes the waiters; events of other objects are ignored. */
  update(name: string | undefined, change: (t: Timeline) => void): void {
    const t = name === undefined ? undefined : this.#byName.get(name);
    if (t === undefined) return;
    change(t);
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  /** until resolves true once done() holds, or false after timeoutMs. */
  async until(done: () => boolean, timeoutMs: number): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    while (!done()) {
      const left = deadline - performance.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return true;
  }
}
