/**
 * Capped exponential backoff with jitter for re-opening the agent's session. grpc-js re-establishes a *channel* on
 * its own, but a broken stream has to be reopened by the application; without jitter every agent of a federation
 * would hammer a restarted operator in lock-step. Pure: the caller supplies the random number.
 */

/** BackoffPolicy shapes the delays: initialMs × multiplier^attempt, capped at maxMs, then spread by ±jitter. */
export interface BackoffPolicy {
  /** initialMs is the delay before the first retry. */
  readonly initialMs: number;
  /** maxMs caps every delay, jitter included. */
  readonly maxMs: number;
  /** multiplier grows the delay per failed attempt (≥ 1). */
  readonly multiplier: number;
  /** jitter is the relative spread in [0, 1]: 0.2 means ±20 %. */
  readonly jitter: number;
}

/**
 * DEFAULT_BACKOFF: 1 s doubling to a 60 s cap with ±20 % jitter. The cap is half of grpc-js's channel cap (120 s)
 * because a site that is back should report within a minute; the operator's lease (40 s) already tolerates the gap.
 */
export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 1000, maxMs: 60_000, multiplier: 2, jitter: 0.2 };

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
  return { min: Math.min(p.maxMs, base * (1 - p.jitter)), max: Math.min(p.maxMs, base * (1 + p.jitter)) };
}

/**
 * backoffDelay returns the delay in milliseconds before retry number `attempt` (0 for the first retry), given a
 * uniform random number in [0, 1). The result lies within backoffBounds and never exceeds maxMs.
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
