/**
 * Rate limiters decide how long a failed key waits before its next try. The default combines a per-key exponential
 * backoff (one broken object backs off alone) with a global token bucket (a burst of failures across many objects
 * cannot hammer the API server), taking the longer of the two delays — the shape of client-go's default controller
 * rate limiter, with our own defaults.
 */
import { backoffDelay, type BackoffPolicy } from './backoff.ts';
import type { Clock } from './clock.ts';

/** RateLimiter answers "how long until this key may be retried?" and remembers failures per key. */
export interface RateLimiter {
  /** when records one more failure of `key` and returns the delay in milliseconds before it may be retried. */
  when(key: string): number;
  /** forget clears the failure history of `key`, after it succeeded or left the system. */
  forget(key: string): void;
  /** numRequeues is how many failures of `key` have been recorded since it was last forgotten. */
  numRequeues(key: string): number;
}

/** ExponentialBackoffOptions configures `ExponentialBackoff`. */
export interface ExponentialBackoffOptions {
  /** Delay after the first failure (default 5 ms). */
  readonly baseMs?: number;
  /** Upper bound of the delay (default 5 minutes): a key broken for hours is still looked at every few minutes. */
  readonly maxMs?: number;
}

/**
 * ExponentialBackoff delays the n-th consecutive failure of a key by `baseMs * 2^(n-1)`, capped at `maxMs` (a
 * backoff.ts policy without jitter: the global bucket, not chance, keeps many failing keys apart).
 */
export class ExponentialBackoff implements RateLimiter {
  readonly #policy: BackoffPolicy;
  readonly #failures = new Map<string, number>();

  constructor(options: ExponentialBackoffOptions = {}) {
    this.#policy = { initialMs: options.baseMs ?? 5, maxMs: options.maxMs ?? 5 * 60_000, multiplier: 2, jitter: 0 };
  }

  when(key: string): number {
    const n = this.#failures.get(key) ?? 0;
    this.#failures.set(key, n + 1);
    return backoffDelay(this.#policy, n, 0);
  }

  forget(key: string): void {
    this.#failures.delete(key);
  }

  numRequeues(key: string): number {
    return this.#failures.get(key) ?? 0;
  }
}

/** TokenBucketOptions configures `TokenBucket`. */
export interface TokenBucketOptions {
  readonly clock: Clock;
  /** Sustained retries per second across all keys (default 10). */
  readonly qps?: number;
  /** Retries allowed at once before the rate applies (default 100). */
  readonly burst?: number;
}

/**
 * TokenBucket is a global limit shared by all keys. Each `when` takes a token; when none is left it reserves a
 * future one, so the bucket goes negative and successive callers are spaced `1000/qps` ms apart instead of all
 * waking at the same instant (reservation semantics, as golang.org/x/time/rate `Reserve`). It keeps no per-key
 * state, so `forget` does nothing and `numRequeues` is always 0.
 */
export class TokenBucket implements RateLimiter {
  readonly #clock: Clock;
  readonly #qps: number;
  readonly #burst: number;
  #tokens: number;
  #last: number;

  constructor(options: TokenBucketOptions) {
    this.#clock = options.clock;
    this.#qps = options.qps ?? 10;
    this.#burst = options.burst ?? 100;
    if (!(this.#qps > 0) || !(this.#burst >= 1)) throw new RangeError('TokenBucket needs qps > 0 and burst >= 1');
    this.#tokens = this.#burst;
    this.#last = this.#clock.now();
  }

  when(_key: string): number {
    const now = this.#clock.now();
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#last) * this.#qps) / 1000);
    this.#last = now;
    this.#tokens -= 1;
    return this.#tokens >= 0 ? 0 : (-this.#tokens * 1000) / this.#qps;
  }

  forget(_key: string): void {}

  numRequeues(_key: string): number {
    return 0;
  }
}

/** MaxOf asks every limiter and waits for the longest delay; failures are recorded in all of them. */
export class MaxOf implements RateLimiter {
  readonly #limiters: readonly RateLimiter[];

  constructor(...limiters: RateLimiter[]) {
    this.#limiters = limiters;
  }

  when(key: string): number {
    // Every limiter must see every failure (no short-circuit), or the backoff and the bucket drift apart.
    return this.#limiters.map((l) => l.when(key)).reduce((a, b) => Math.max(a, b), 0);
  }

  forget(key: string): void {
    for (const l of this.#limiters) l.forget(key);
  }

  numRequeues(key: string): number {
    return this.#limiters.map((l) => l.numRequeues(key)).reduce((a, b) => Math.max(a, b), 0);
  }
}

/** ControllerRateLimiterOptions configures `defaultControllerRateLimiter`. */
export interface ControllerRateLimiterOptions extends ExponentialBackoffOptions {
  readonly qps?: number;
  readonly burst?: number;
}

/**
 * defaultControllerRateLimiter is per-key backoff (5 ms doubling to 5 min) combined with a global bucket
 * (10 qps, burst 100); see the file comment for why both.
 */
export function defaultControllerRateLimiter(clock: Clock, options: ControllerRateLimiterOptions = {}): RateLimiter {
  const backoff: ExponentialBackoffOptions = {
    ...(options.baseMs !== undefined && { baseMs: options.baseMs }),
    ...(options.maxMs !== undefined && { maxMs: options.maxMs }),
  };
  const bucket: TokenBucketOptions = {
    clock,
    ...(options.qps !== undefined && { qps: options.qps }),
    ...(options.burst !== undefined && { burst: options.burst }),
  };
  return new MaxOf(new ExponentialBackoff(backoff), new TokenBucket(bucket));
}
