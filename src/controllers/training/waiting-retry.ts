/**
 * How long a job that waits for admission goes before it is looked at again on its own. The admission ledger wakes a
 * waiting job whenever its verdict means something new (admitted, or waiting for another reason); the job's own retry
 * only brings the numbers in its explanation up to date ("8 of 32 left"). A fixed retry of 10 s each is a reconcile
 * a second per ten jobs waiting: in the many-sites benchmark 3,200 jobs waiting for room asked 320 reconciles a
 * second of a work queue that did 16, which stayed 10,000 deep, so a job just admitted, or whose members had finished,
 * waited ten minutes for its turn. The retry stretches with the number waiting, so that all of them together are
 * looked at no more than WAITING_LOOKS_PER_SECOND times a second.
 */

/** WAITING_LOOKS_PER_SECOND bounds the retries of all waiting jobs together. */
export const WAITING_LOOKS_PER_SECOND = 20;

/** waitingRetryMs is the retry of one waiting job when `waiting` wait (the last admission cycle's count). */
export function waitingRetryMs(baseMs: number, waiting: number): number {
  return Math.max(baseMs, Math.ceil((Math.max(0, waiting) / WAITING_LOOKS_PER_SECOND) * 1000));
}
