/**
 * Leader election over one coordination.k8s.io/v1 Lease, so that of several operator replicas exactly one acts (the
 * same protocol as client-go's `leaderelection` package, which kube-controller-manager and controller-runtime use).
 *
 * The rules, and why:
 * - A candidate takes the Lease when it does not exist (create), when it has no holder (released), or when it has
 *   not changed for a whole `leaseDurationSeconds` **as measured on the candidate's own clock**: the candidate notes
 *   when it last saw the Lease's record change and never compares the holder's `renewTime` with its own clock, so
 *   clock skew between machines cannot make two leaders.
 * - Every write names the resourceVersion last read (or written), so of two candidates racing for an expired Lease
 *   exactly one wins; the other gets 409 Conflict and stays a candidate.
 * - The leader renews every `retryPeriod`. If no renew has succeeded for `renewDeadline` (< leaseDuration), or a
 *   read shows another holder, it reports the leadership lost (`lost`). The deadline is counted from when the last
 *   successful write was *sent*, so the leader gives up at least `leaseDuration - renewDeadline` before any
 *   candidate may take over — and a request still in flight at the deadline is abandoned, not waited for.
 * - `stop()` on a leader clears `holderIdentity`, so a successor takes over at its next try instead of waiting out
 *   the lease. Callers stop everything the leadership guards *before* calling it.
 */
import type { Logger } from 'pino';
import { formatDuration } from '../api/duration.ts';
import { toApiError } from '../runtime/errors.ts';
import type { Clock } from '../runtime/clock.ts';
import { OperatorConfigError } from './errors.ts';

/** DEFAULT_LEASE_DURATION_MS is how long candidates wait on an unchanged Lease before taking it (client-go: 15 s). */
export const DEFAULT_LEASE_DURATION_MS = 15_000;
/** DEFAULT_RENEW_DEADLINE_MS is how long the leader keeps trying to renew before it gives up (client-go: 10 s). */
export const DEFAULT_RENEW_DEADLINE_MS = 10_000;
/** DEFAULT_RETRY_PERIOD_MS is how often the leader renews and candidates try (client-go: 2 s). */
export const DEFAULT_RETRY_PERIOD_MS = 2_000;

/** LeaseRecord is what leader election keeps in a Lease's spec; times are milliseconds since the Unix epoch. */
export interface LeaseRecord {
  /** holderIdentity is the leader's identity; '' when nobody holds the Lease (released). */
  readonly holderIdentity: string;
  readonly leaseDurationSeconds: number;
  readonly acquireTime: number | undefined;
  /** renewTime is the holder's clock, for people; candidates do not trust it (see the file comment). */
  readonly renewTime: number | undefined;
  readonly leaseTransitions: number;
}

/** StoredLease is a LeaseRecord as the server holds it, with the resourceVersion the next update must name. */
export interface StoredLease {
  readonly record: LeaseRecord;
  readonly resourceVersion: string;
}

/**
 * LeaseClient reads and writes the one Lease an elector uses. Failures are thrown and classified by
 * src/runtime/errors.ts: a stale resourceVersion is `Conflict`, a create that lost the race `AlreadyExists`.
 * `signal` aborts the request; the elector does not rely on it (it stops waiting when the signal fires).
 */
export interface LeaseClient {
  /** description names the Lease for logs and messages ("namespace/name"). */
  readonly description: string;
  /** get reads the Lease; undefined when it does not exist. */
  get(signal: AbortSignal): Promise<StoredLease | undefined>;
  create(record: LeaseRecord, signal: AbortSignal): Promise<StoredLease>;
  /** update replaces the record if the Lease still has `resourceVersion`, else fails with Conflict. */
  update(record: LeaseRecord, resourceVersion: string, signal: AbortSignal): Promise<StoredLease>;
}

/** LeaderElectionTiming is the three durations of the protocol, in milliseconds. */
export interface LeaderElectionTiming {
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
}

/**
 * resolveLeaderElectionTiming applies the defaults and checks that the durations fit together; throws
 * OperatorConfigError. The Lease stores whole seconds, so the lease duration must be whole seconds.
 */
export function resolveLeaderElectionTiming(o: Partial<LeaderElectionTiming>): LeaderElectionTiming {
  const leaseDurationMs = o.leaseDurationMs ?? DEFAULT_LEASE_DURATION_MS;
  const renewDeadlineMs = o.renewDeadlineMs ?? DEFAULT_RENEW_DEADLINE_MS;
  const retryPeriodMs = o.retryPeriodMs ?? DEFAULT_RETRY_PERIOD_MS;
  if (!(leaseDurationMs >= 1000) || leaseDurationMs % 1000 !== 0) {
    throw new OperatorConfigError(`leader-election lease duration must be whole seconds, at least 1s, got ${formatDuration(leaseDurationMs)}`);
  }
  if (!(retryPeriodMs >= 100)) throw new OperatorConfigError(`leader-election retry period must be at least 100ms, got ${formatDuration(retryPeriodMs)}`);
  // The leader must give up before a candidate may take over, or there would be two leaders for a moment.
  if (!(renewDeadlineMs < leaseDurationMs)) {
    throw new OperatorConfigError(
      `leader-election renew deadline (${formatDuration(renewDeadlineMs)}) must be shorter than the lease duration (${formatDuration(leaseDurationMs)})`,
    );
  }
  // At least one retry must fit before the deadline, or one slow request would cost the leadership.
  if (!(renewDeadlineMs > retryPeriodMs)) {
    throw new OperatorConfigError(
      `leader-election renew deadline (${formatDuration(renewDeadlineMs)}) must be longer than the retry period (${formatDuration(retryPeriodMs)})`,
    );
  }
  return { leaseDurationMs, renewDeadlineMs, retryPeriodMs };
}

/** LeaderElectorOptions configures a LeaderElector. */
export interface LeaderElectorOptions extends Partial<LeaderElectionTiming> {
  readonly client: LeaseClient;
  /** identity must be unique among the candidates (the pod name, or the host name plus a random suffix). */
  readonly identity: string;
  readonly clock: Clock;
  readonly logger: Logger;
  /** onNewLeader is called whenever a read shows another holder than the last one seen (not this elector). */
  readonly onNewLeader?: (holder: string) => void;
}

/** LeadershipLoss says why a leader stopped being one without stop() being called. */
export interface LeadershipLoss {
  readonly reason: string;
}

type Outcome = 'acquired' | 'held' | 'failed';

/**
 * LeaderElector takes part in the election for one Lease: `acquire()` until it leads, then it renews by itself
 * until `stop()` or until `lost` resolves. One elector serves one term: after a loss, make a new process (see the
 * operator) rather than a new elector, because whatever was led is no longer trustworthy.
 */
export class LeaderElector {
  readonly #client: LeaseClient;
  readonly #identity: string;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #timing: LeaderElectionTiming;
  readonly #onNewLeader: ((holder: string) => void) | undefined;
  readonly #stop = new AbortController();
  #state: 'new' | 'acquiring' | 'leading' | 'lost' | 'stopped' = 'new';
  /** #observed is the Lease as last read or written; #observedAt is when (own clock) its record last changed. */
  #observed: StoredLease | undefined;
  #observedAt = 0;
  /** #holding: our last write made us the holder and nothing since says otherwise (so stop() releases). */
  #holding = false;
  /** #lastRenewAt is when (own clock) the last successful write was sent. */
  #lastRenewAt = 0;
  #lastHolderSeen: string | undefined;
  #acquiring: Promise<boolean> | undefined;
  #renewing: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;
  #resolveLost!: (loss: LeadershipLoss) => void;
  /** lost resolves once if leadership ends without stop(): the renew deadline passed, or another holder appeared. */
  readonly lost: Promise<LeadershipLoss>;

  /** The constructor checks the timing (throws OperatorConfigError, see resolveLeaderElectionTiming). */
  constructor(options: LeaderElectorOptions) {
    this.#client = options.client;
    this.#identity = options.identity;
    this.#clock = options.clock;
    this.#timing = resolveLeaderElectionTiming(options);
    this.#onNewLeader = options.onNewLeader;
    if (options.identity === '') throw new OperatorConfigError('leader-election identity must not be empty');
    this.#log = options.logger.child({ component: 'leader-election', lease: options.client.description, identity: options.identity });
    this.lost = new Promise((resolve) => (this.#resolveLost = resolve));
  }

  /** leading is true from a successful acquire() until the leadership is lost or stop() is called. */
  get leading(): boolean {
    return this.#state === 'leading';
  }

  /** holder is the holder of the Lease at the last read or write; undefined when none was seen. */
  get holder(): string | undefined {
    const h = this.#observed?.record.holderIdentity;
    return h === undefined || h === '' ? undefined : h;
  }

  /**
   * acquire tries every retry period until this elector holds the Lease (resolves true; renewing has begun) or
   * stop() is called (resolves false). Call it once.
   */
  acquire(): Promise<boolean> {
    if (this.#state !== 'new') return Promise.reject(new Error('acquire was already called'));
    this.#state = 'acquiring';
    this.#acquiring = this.#acquireLoop();
    return this.#acquiring;
  }

  /**
   * stop ends the election: no more tries or renews, and a leader clears holderIdentity so a successor need not wait
   * out the lease. A renew in flight is finished first (its result decides whether the release can name the right
   * resourceVersion). Safe to call at any time, and twice.
   */
  stop(): Promise<void> {
    this.#stopping ??= this.#stopOnce();
    return this.#stopping;
  }

  async #stopOnce(): Promise<void> {
    this.#stop.abort(new Error('leader election stopped'));
    await this.#acquiring;
    await this.#renewing;
    const release = this.#holding;
    this.#state = 'stopped';
    this.#holding = false;
    if (release) await this.#release();
  }

  async #acquireLoop(): Promise<boolean> {
    this.#log.info({ ...this.#timing }, 'trying to acquire the lease');
    while (!this.#stop.signal.aborted) {
      const startedAt = this.#clock.now();
      // Standby requests are cut short by stop(): a standby has nothing to finish.
      const outcome = await this.#attemptWithin(this.#timing.renewDeadlineMs, true);
      if (outcome === 'acquired') {
        this.#lastRenewAt = startedAt;
        if (this.#stop.signal.aborted) return false; // stop() came during the write; it releases (#holding)
        this.#state = 'leading';
        this.#log.info({ transitions: this.#observed?.record.leaseTransitions }, 'acquired the lease: leading');
        this.#renewing = this.#renewLoop();
        return true;
      }
      try {
        await this.#clock.sleep(this.#timing.retryPeriodMs, this.#stop.signal);
      } catch {
        break;
      }
    }
    return false;
  }

  async #renewLoop(): Promise<void> {
    for (;;) {
      const deadline = this.#lastRenewAt + this.#timing.renewDeadlineMs;
      // Wake at the deadline at the latest, so a loss is reported on time even after a failed try.
      const wait = Math.min(this.#timing.retryPeriodMs, deadline - this.#clock.now());
      try {
        if (wait > 0) await this.#clock.sleep(wait, this.#stop.signal);
        else this.#stop.signal.throwIfAborted();
      } catch {
        return;
      }
      const startedAt = this.#clock.now();
      if (startedAt >= deadline) {
        this.#lose(`could not renew the lease within the renew deadline (${formatDuration(this.#timing.renewDeadlineMs)})`);
        return;
      }
      // Not cut short by stop(): a renew that reached the server must be known, so the release names its version.
      const outcome = await this.#attemptWithin(deadline - startedAt, false);
      if (outcome === 'acquired') this.#lastRenewAt = startedAt;
      if (outcome === 'held') {
        this.#lose(`the lease is now held by ${this.holder ?? 'another candidate'}`);
        return;
      }
    }
  }

  #lose(reason: string): void {
    this.#state = 'lost';
    this.#holding = false;
    this.#log.error({ reason }, 'lost the lease');
    this.#resolveLost({ reason });
  }

  /** #attemptWithin runs one try-acquire-or-renew, giving up after `ms` (and on stop() when `stoppable`). */
  async #attemptWithin(ms: number, stoppable: boolean): Promise<Outcome> {
    const timeout = new AbortController();
    const cancel = this.#clock.after(ms, () => timeout.abort(new Error(`no answer within ${formatDuration(ms)}`)));
    const signal = stoppable ? AbortSignal.any([timeout.signal, this.#stop.signal]) : timeout.signal;
    try {
      return await this.#attempt(signal);
    } finally {
      cancel();
    }
  }

  /** #attempt is one round of the protocol (the file comment); every failure is an outcome, never a throw. */
  async #attempt(signal: AbortSignal): Promise<Outcome> {
    const now = this.#clock.now();
    const observed = this.#observed;
    // A leader writes over what it wrote last, without reading first; a Conflict sends it the long way round.
    if (this.#holding && observed !== undefined) {
      try {
        this.#wrote(await untilAborted(this.#client.update(this.#claim(observed.record, now), observed.resourceVersion, signal), signal), now);
        return 'acquired';
      } catch (err: unknown) {
        const code = toApiError(err).code;
        if (code !== 'Conflict' && code !== 'NotFound') return this.#failed('renewing the lease failed', err);
      }
    }
    let current: StoredLease | undefined;
    try {
      current = await untilAborted(this.#client.get(signal), signal);
    } catch (err: unknown) {
      return this.#failed('reading the lease failed', err);
    }
    if (current === undefined) {
      const record: LeaseRecord = { holderIdentity: this.#identity, leaseDurationSeconds: this.#leaseSeconds(), acquireTime: now, renewTime: now, leaseTransitions: 0 };
      try {
        this.#wrote(await untilAborted(this.#client.create(record, signal), signal), now);
        return 'acquired';
      } catch (err: unknown) {
        // AlreadyExists: another candidate created it first; the next round reads who.
        return this.#failed('creating the lease failed', err);
      }
    }
    this.#see(current, now);
    const holder = current.record.holderIdentity;
    if (holder !== '' && holder !== this.#identity && !this.#expired(now)) {
      this.#holding = false;
      return 'held';
    }
    try {
      this.#wrote(await untilAborted(this.#client.update(this.#claim(current.record, now), current.resourceVersion, signal), signal), now);
      if (holder !== this.#identity) this.#log.info({ previous: holder === '' ? undefined : holder }, holder === '' ? 'took the released lease' : 'took over the expired lease');
      return 'acquired';
    } catch (err: unknown) {
      // Conflict: someone wrote since our read (another candidate won, or the holder renewed).
      return this.#failed('writing the lease failed', err);
    }
  }

  /** #claim is the record that makes (or keeps) this elector the holder. */
  #claim(previous: LeaseRecord, now: number): LeaseRecord {
    const ours = previous.holderIdentity === this.#identity;
    return {
      holderIdentity: this.#identity,
      leaseDurationSeconds: this.#leaseSeconds(),
      acquireTime: ours ? (previous.acquireTime ?? now) : now,
      renewTime: now,
      leaseTransitions: ours ? previous.leaseTransitions : previous.leaseTransitions + 1,
    };
  }

  /** #expired: the observed record has not changed for its holder's whole lease duration, on our clock. */
  #expired(now: number): boolean {
    const seconds = this.#observed?.record.leaseDurationSeconds;
    const durationMs = seconds !== undefined && seconds > 0 ? seconds * 1000 : this.#timing.leaseDurationMs;
    return this.#observedAt + durationMs <= now;
  }

  #leaseSeconds(): number {
    return this.#timing.leaseDurationMs / 1000;
  }

  /** #see records a read: the observed time moves only when the record changed (a label edit does not count). */
  #see(lease: StoredLease, now: number): void {
    if (this.#observed === undefined || !sameRecord(this.#observed.record, lease.record)) this.#observedAt = now;
    this.#observed = lease;
    const holder = lease.record.holderIdentity;
    if (holder !== this.#lastHolderSeen) {
      this.#lastHolderSeen = holder;
      if (holder !== '' && holder !== this.#identity) {
        this.#log.info({ holder }, 'the lease is held by another candidate');
        this.#onNewLeader?.(holder);
      }
    }
  }

  /** #wrote records our own successful write. */
  #wrote(lease: StoredLease, now: number): void {
    this.#observed = lease;
    this.#observedAt = now;
    this.#lastHolderSeen = this.#identity;
    this.#holding = true;
  }

  #failed(what: string, err: unknown): Outcome {
    const e = toApiError(err);
    // Losing a race is part of the protocol, not a problem worth a warning.
    if (e.code === 'Conflict' || e.code === 'AlreadyExists') this.#log.debug({ code: e.code }, `${what}: another candidate wrote first`);
    else if (!this.#stop.signal.aborted || this.#state === 'leading') this.#log.warn({ err: e.message, code: e.code }, what);
    return 'failed';
  }

  async #release(): Promise<void> {
    const lease = this.#observed;
    if (lease === undefined) return;
    const now = this.#clock.now();
    const record: LeaseRecord = { ...lease.record, holderIdentity: '', renewTime: now };
    const timeout = new AbortController();
    const cancel = this.#clock.after(this.#timing.renewDeadlineMs, () => timeout.abort(new Error('release timed out')));
    try {
      await untilAborted(this.#client.update(record, lease.resourceVersion, timeout.signal), timeout.signal);
      this.#log.info('released the lease');
    } catch (err: unknown) {
      // A Conflict means someone else already holds it: nothing to release. Otherwise the lease expires by itself.
      this.#log.warn({ err: toApiError(err).message }, 'could not release the lease; candidates take over when it expires');
    } finally {
      cancel();
    }
  }
}

function sameRecord(a: LeaseRecord, b: LeaseRecord): boolean {
  return (
    a.holderIdentity === b.holderIdentity &&
    a.leaseDurationSeconds === b.leaseDurationSeconds &&
    a.acquireTime === b.acquireTime &&
    a.renewTime === b.renewTime &&
    a.leaseTransitions === b.leaseTransitions
  );
}

/**
 * untilAborted settles with `call`, or rejects with the signal's reason as soon as it fires — so a deadline holds even
 * when the request under it does not honour the signal.
 */
function untilAborted<T>(call: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    call.catch(() => undefined);
    return Promise.reject(signal.reason as Error);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    call.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err as Error);
      },
    );
  });
}
