/**
 * Capped exponential backoff with optional jitter: the one delay policy of every retry loop (the work queue's per-key
 * backoff, the informer supervisor's restarts, the agent's reconnects). Jitter keeps many retriers that failed
 * together — N operators after an apiserver outage, every agent of a federation after an operator restart — from
 * retrying in lock-step. Pure: the caller supplies the attempt number and the random number (see `Random`).
 */

/**
 * JitterDirection says where the random spread goes: `both` spreads each delay ±jitter around its base (the agent's
 * reconnects); `down` only takes up to `jitter` off it (the informer's restarts, so its documented delays are the
 * longest it waits). Either way no delay exceeds maxMs.
 */
export type JitterDirection = 'both' | 'down';

/** BackoffPolicy shapes the delays: initialMs × multiplier^attempt, capped at maxMs, then spread by the jitter. */
export interface BackoffPolicy {
  /** initialMs is the delay before the first retry. */
  readonly initialMs: number;
  /** maxMs caps every delay, jitter included. */
  readonly maxMs: number;
  /** multiplier grows the delay per failed attempt (≥ 1). */
  readonly multiplier: number;
  /** jitter is the relative spread in [0, 1]: 0.2 means ±20 % (−20 % with `jitterDirection: 'down'`); 0 means none. */
  readonly jitter: number;
  /** jitterDirection is `both` unless given. */
  readonly jitterDirection?: JitterDirection;
}

/** validateBackoffPolicy returns the problems of a policy; empty when it is usable. */
export function validateBackoffPolicy(p: BackoffPolicy): string[] {
  const errors: string[] = [];
  if (!(Number.isFinite(p.initialMs) && p.initialMs > 0)) errors.push('initialMs must be > 0');
  if (!(Number.isFinite(p.maxMs) && p.maxMs >= p.initialMs)) errors.push('maxMs must be >= initialMs');
  if (!(Number.isFinite(p.multiplier) && p.multiplier >= 1)) errors.push('multiplier must be >= 1');
  if (!(p.jitter >= 0 && p.jitter <= 1)) errors.push('jitter must be within [0, 1]');
  return errors;
}

/** backoffBounds returns the least and greatest delay backoffDelay can return for this attempt (0-based). */
export function backoffBounds(p: BackoffPolicy, attempt: number): { readonly min: number; readonly max: number } {
  const base = baseDelay(p, attempt);
  const up = p.jitterDirection === 'down' ? 0 : p.jitter;
  return { min: Math.min(p.maxMs, base * (1 - p.jitter)), max: Math.min(p.maxMs, base * (1 + up)) };
}

/**
 * backoffDelay returns the delay in milliseconds before retry number `attempt` (0 for the first retry), given a
 * uniform random number in [0, 1): 0 picks the least delay of backoffBounds, values towards 1 the greatest. Without
 * jitter the random number does not matter. The result never exceeds maxMs.
 */
export function backoffDelay(p: BackoffPolicy, attempt: number, random: number): number {
  const { min, max } = backoffBounds(p, attempt);
  const r = Math.min(Math.max(random, 0), 1);
  return min + (max - min) * r;
}

function baseDelay(p: BackoffPolicy, attempt: number): number {
  // Clamp the exponent so that a long outage cannot overflow to Infinity before the cap applies.
  const n = Math.max(0, Math.min(Math.floor(attempt), 64));
  return Math.min(p.maxMs, p.initialMs * p.multiplier ** n);
}
