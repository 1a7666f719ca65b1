/**
 * The site's own fence against a partition. The hub moves a training job off a site it has not heard from for its
 * lease plus its lost-site grace; if the site still runs the job then, two copies run. So the agent, which knows when
 * it last heard from its hub, stops (deletes, in the foreground) the site's training member Jobs itself once the hub
 * has been silent for the fence timeout, a safe margin before the hub can move them, and keeps doing so while the
 * silence lasts. The arithmetic, with the defaults (lease 40 s, grace 60 s, heartbeat 10 s):
 *
 *   the hub moves a job at the earliest  H + lease + grace        (H: the hub's last heartbeat from this site)
 *   the agent last heard the hub at      A ≥ H − heartbeat         (the ack of that heartbeat may be lost)
 *   the agent fences at                  A + fenceAfter
 *   the pods are gone by                 A + fenceAfter + termination
 *   so it needs  fenceAfter + termination + heartbeat + drift < lease + grace
 *   45 s + 30 s (the default pod termination grace) + 10 s + 1 s (two clocks running 0.5 % apart over 100 s) < 100 s.
 *
 * Only Jobs are fenced: they carry the training gangs (an InferenceService's replicas may safely run twice; its
 * sites are reconciled when the partition heals). The timer starts with the agent, not at its first contact: a site
 * whose agent starts and never reaches its hub is one the hub does not hear either. Residual risk: an agent that is
 * itself down cannot fence (README, "Security").
 */
import type { Logger } from 'pino';
import type { Cancel, Clock } from '../../runtime/clock.ts';

/** DEFAULT_FENCE_AFTER_MS: see the arithmetic above; 0 turns the fence off. */
export const DEFAULT_FENCE_AFTER_MS = 45_000;

/** MemberJob is one training member Job at the site. */
export interface MemberJob {
  readonly namespace: string;
  readonly name: string;
  /** deleting: a delete was already accepted (it carries a deletionTimestamp). */
  readonly deleting: boolean;
  /** The hub workload the Job was made for (its suanwang.io/namespace and suanwang.io/workload labels). */
  readonly workload?: { readonly namespace: string; readonly name: string };
  /** Its placement epoch (suanwang.io/epoch); undefined when unreadable. */
  readonly epoch?: number | undefined;
  /** The uid of the hub object it was made for (suanwang.io/owner-uid), when labelled. */
  readonly ownerUid?: string | undefined;
}

/** SupersededWorkload is a training workload the hub placed anew: its members of a lower epoch (or another uid) go. */
export interface SupersededWorkload {
  readonly namespace?: string | undefined;
  readonly name?: string | undefined;
  readonly uid?: string | undefined;
  readonly epoch?: number | undefined;
}

/** MemberJobs lists and deletes the site's training member Jobs (kubernetes-member-jobs.ts in production). */
export interface MemberJobs {
  list(): Promise<readonly MemberJob[]>;
  /** remove deletes one Job with foreground propagation. */
  remove(namespace: string, name: string): Promise<void>;
}

/** PartitionFenceOptions configures a PartitionFence. */
export interface PartitionFenceOptions {
  readonly clock: Clock;
  /** How long the hub may be silent before the site's training members are stopped; 0: never. */
  readonly fenceAfterMs: number;
  readonly jobs: MemberJobs;
  readonly logger: Logger;
}

/** PartitionFence stops the site's training members while the hub is silent; start once, stop once. */
export class PartitionFence {
  readonly #o: PartitionFenceOptions;
  readonly #log: Logger;
  #timer: Cancel | undefined;
  #running = false;
  #fenced = false;
  #lastHeard = 0;

  constructor(options: PartitionFenceOptions) {
    this.#o = options;
    this.#log = options.logger.child({ component: 'partition-fence' });
  }

  /** fenced says whether the hub is silent beyond the fence timeout (the members are being stopped). */
  get fenced(): boolean {
    return this.#fenced;
  }

  /** start counts the silence from now. */
  start(): void {
    if (this.#running || this.#o.fenceAfterMs <= 0) return;
    this.#running = true;
    this.heard();
  }

  /** heard is called whenever the hub answers (an ack): the silence starts over. */
  heard(): void {
    if (!this.#running) return;
    this.#lastHeard = this.#o.clock.now();
    if (this.#fenced) this.#log.info('the hub answers again; no longer fencing');
    this.#fenced = false;
    this.#arm(this.#o.fenceAfterMs);
  }

  /**
   * fenceSuperseded deletes the member Jobs of workloads the hub placed anew while it could not reach this site's
   * apiserver (a FenceRequest): those of a lower epoch than the hub's, or of another uid. Deletes nothing else.
   */
  async fenceSuperseded(workloads: readonly SupersededWorkload[]): Promise<void> {
    try {
      const jobs = await this.#o.jobs.list();
      for (const w of workloads) {
        if (w.namespace === undefined || w.name === undefined || w.epoch === undefined) continue;
        for (const job of jobs) {
          if (job.deleting || job.workload?.namespace !== w.namespace || job.workload.name !== w.name) continue;
          const otherUid = w.uid !== undefined && w.uid !== '' && job.ownerUid !== undefined && job.ownerUid !== w.uid;
          if (!otherUid && (job.epoch ?? -1) >= w.epoch) continue;
          await this.#o.jobs.remove(job.namespace, job.name);
          this.#log.warn({ namespace: job.namespace, job: job.name, epoch: job.epoch, current: w.epoch }, 'fenced: deleted a superseded training member Job the hub asked about');
        }
      }
    } catch (err: unknown) {
      this.#log.warn({ err }, 'could not fence superseded members; the hub asks again on its next pass');
    }
  }

  stop(): void {
    this.#running = false;
    this.#timer?.();
    this.#timer = undefined;
  }

  #arm(ms: number): void {
    this.#timer?.();
    this.#timer = this.#o.clock.after(ms, () => void this.#fence());
  }

  async #fence(): Promise<void> {
    if (!this.#running) return;
    const silentMs = this.#o.clock.now() - this.#lastHeard;
    if (!this.#fenced) this.#log.warn({ silentMs, fenceAfterMs: this.#o.fenceAfterMs }, 'the hub has been silent for the fence timeout; stopping training members');
    this.#fenced = true;
    // While the silence lasts, look again every fence timeout: a hub that still reaches the apiserver may create.
    this.#arm(this.#o.fenceAfterMs);
    try {
      for (const job of await this.#o.jobs.list()) {
        if (job.deleting) continue;
        if (!this.#fenced) return; // the hub answered meanwhile
        await this.#o.jobs.remove(job.namespace, job.name);
        this.#log.warn({ namespace: job.namespace, job: job.name }, 'fenced: deleted a training member Job while the hub is silent');
      }
    } catch (err: unknown) {
      this.#log.warn({ err }, 'could not fence the site; trying again');
    }
  }
}
