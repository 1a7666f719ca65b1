/**
 * Hands memory the agent no longer uses back to the system. V8 keeps the pages its heap frees in a pool for reuse and
 * returns them only on a memory-reducing collection, which its memory reducer runs when allocation stops, and the
 * agent's never stops for long (every pod change rebuilds the pools). So the heap's high-water mark stays resident:
 * the initial list of a large site, or a burst of changes, leaves the process holding pages it will not use again
 * (at 1,000 nodes and 10,000 pods, over 100 MiB resident beside a heap of 60; bench/agent-footprint.bench.ts).
 *
 * HeapRelease asks for that collection (the `gc` function --expose-gc installs, in its `last-resort` flavour) once the
 * caches have synced, and then every `everyMs`. One costs a full collection of the agent's heap (tens of
 * milliseconds at that size). Without --expose-gc (AGENT_NODE_OPTIONS sets it) it does nothing.
 */
import type { Cancel, Clock } from '../../runtime/clock.ts';

/** DEFAULT_HEAP_RELEASE_MS is how often the agent hands freed heap pages back. */
export const DEFAULT_HEAP_RELEASE_MS = 60_000;

/** GcFunction is the shape of the `gc` global that --expose-gc installs (only the options used here). */
export type GcFunction = (options?: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;

/** exposedGc is the `gc` global when the process was started with --expose-gc. */
export function exposedGc(): GcFunction | undefined {
  const gc = (globalThis as { gc?: unknown }).gc;
  return typeof gc === 'function' ? (gc as GcFunction) : undefined;
}

/** HeapReleaseOptions configures a HeapRelease. */
export interface HeapReleaseOptions {
  readonly clock: Clock;
  readonly gc: GcFunction | undefined;
  readonly everyMs?: number;
}

/** HeapRelease runs a memory-reducing collection now and then (module comment). */
export class HeapRelease {
  readonly #clock: Clock;
  readonly #gc: GcFunction | undefined;
  readonly #everyMs: number;
  #timer: Cancel | undefined;
  #runs = 0;

  constructor(o: HeapReleaseOptions) {
    this.#clock = o.clock;
    this.#gc = o.gc;
    this.#everyMs = o.everyMs ?? DEFAULT_HEAP_RELEASE_MS;
    if (!(this.#everyMs > 0)) throw new RangeError(`heap release interval must be positive, got ${this.#everyMs}`);
  }

  /** available is false when there is no exposed gc: then nothing is ever released. */
  get available(): boolean {
    return this.#gc !== undefined;
  }

  /** runs counts the collections asked for so far. */
  get runs(): number {
    return this.#runs;
  }

  /** start releases now (call it once the caches have synced) and every everyMs after. */
  start(): void {
    if (this.#gc === undefined || this.#timer !== undefined) return;
    this.#release();
  }

  stop(): void {
    this.#timer?.();
    this.#timer = undefined;
  }

  #release(): void {
    this.#runs += 1;
    this.#gc?.({ type: 'major', execution: 'sync', flavor: 'last-resort' });
    this.#timer = this.#clock.after(this.#everyMs, () => this.#release());
  }
}
