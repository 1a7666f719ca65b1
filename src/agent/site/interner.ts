/**
 * Interner keeps one copy of values that many cached objects repeat. At 10,000 pods the agent's Pod cache holds the
 * same few container resource blocks, namespaces, phases and node names thousands of times over, each a separate
 * copy as JSON.parse made it; one shared copy of each cuts the cache by about half (bench/agent-footprint.bench.ts).
 *
 * Bounded: once `max` distinct keys are held, new ones are handed back as they came, not kept, so a stream of
 * values that never repeat (or a hostile one) cannot grow the table past its bound. Shared values must not be
 * changed by anyone; the agent's cached objects are only read (site-objects.ts).
 */
export class Interner<T> {
  readonly #max: number;
  readonly #values = new Map<string, T>();

  constructor(max: number) {
    if (!(max >= 0)) throw new RangeError(`interner bound must be at least 0, got ${max}`);
    this.#max = max;
  }

  /** of returns the value held under `key`, holding `value` there first when there is room. */
  of(key: string, value: T): T {
    const held = this.#values.get(key);
    if (held !== undefined) return held;
    if (this.#values.size < this.#max) this.#values.set(key, value);
    return value;
  }

  /** size is how many values are held. */
  get size(): number {
    return this.#values.size;
  }
}
