/**
 * The reconcile contract, after controller-runtime's `reconcile.go`: a reconciler is handed only a key, reads the
 * current state itself, and either returns (optionally asking to be looked at again later) or throws.
 *
 * - return `{}`: done; the key's failure history is forgotten.
 * - return `{ requeueAfter: ms }`: done for now, look again after `ms` (polling something with no watch).
 * - throw `TerminalError`: give up on this key until something changes it again; logged, not retried.
 * - throw anything else: retry with per-key exponential backoff under the global rate limit.
 *
 * Reconcilers never learn whether the object was added, changed or deleted (level-triggered): a missed or
 * coalesced event then costs nothing, because the next reconcile reads the whole current state anyway.
 */

/** Result is what a successful reconcile returns. */
export interface Result {
  /** Look at the key again after this many milliseconds (ignored when 0 or less). */
  readonly requeueAfter?: number;
}

/** Reconciler brings the world in line with the object behind `key` (`kind/namespace/name`). */
export interface Reconciler {
  reconcile(key: string): Promise<Result>;
}

/** ReconcileFn is a reconciler as a plain function, the form the work queue's workers call. */
export type ReconcileFn = (key: string) => Promise<Result>;

/**
 * TerminalError marks a failure that retrying cannot fix (an invalid spec, an unknown site): the key is not
 * requeued, only logged. The next change to the object enqueues it again.
 */
export class TerminalError extends Error {
  override readonly name = 'TerminalError';

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}
