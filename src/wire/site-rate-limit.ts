/**
 * Each site's message budget: a token bucket per site, kept across its streams (a reconnect does not refill it), and
 * the count of messages refused. What is over the budget is dropped, not delayed: a site that floods loses its own
 * messages, while the operator's time and the other sites' sessions are not spent on it.
 *
 * Not src/runtime/rate-limiter.ts's TokenBucket: that one reserves future tokens and answers "how long to wait",
 * which is right for retries that will happen anyway. Here a refused message costs no token; otherwise a site that
 * kept flooding would dig a debt it could never climb out of, and would stay mute long after it stopped.
 */
import type { Clock } from '../runtime/clock.ts';
import type { SiteName } from './identity.ts';
import type { MessageRate } from './limits.ts';

interface Bucket {
  tokens: number;
  at: number;
  dropped: number;
}

/** SiteRateLimit admits or refuses each message of a site against that site's bucket. */
export class SiteRateLimit {
  readonly #clock: Pick<Clock, 'now'>;
  readonly #rate: MessageRate;
  // One entry per site that ever sent something: sites are named by certificates the operator's CA signed.
  readonly #buckets = new Map<SiteName, Bucket>();

  constructor(clock: Pick<Clock, 'now'>, rate: MessageRate) {
    this.#clock = clock;
    this.#rate = rate;
  }

  /** take spends one token of the site's bucket; false (and one more drop counted) when it has none. */
  take(site: SiteName): boolean {
    const now = this.#clock.now();
    const b = this.#buckets.get(site) ?? { tokens: this.#rate.burst, at: now, dropped: 0 };
    this.#buckets.set(site, b);
    b.tokens = Math.min(this.#rate.burst, b.tokens + (Math.max(0, now - b.at) * this.#rate.perSecond) / 1000);
    b.at = now;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return true;
    }
    b.dropped += 1;
    return false;
  }

  /** dropped is how many of the site's messages were refused since the server started. */
  dropped(site: SiteName): number {
    return this.#buckets.get(site)?.dropped ?? 0;
  }
}
