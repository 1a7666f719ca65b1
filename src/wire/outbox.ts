/**
 * The agent's side of the session's sequence numbers: it numbers outgoing messages and keeps each one until the
 * operator's cumulative ack covers it, so whatever was in flight when a connection broke is resent on the next one.
 * Pure (no I/O). Bounded: when the operator is away so long that the outbox fills, the oldest messages are dropped;
 * the operator then sees a gap and asks for a resync, and the snapshot that answers it restores the state (see
 * sequence.ts). Heartbeats are sequenced too, which keeps one rule for everything on the stream.
 */
import type { AgentMessage, HealthEvent, Heartbeat, MemberReport, SiteDelta, SiteSnapshot } from './messages.ts';
import type { PayloadKind } from './sequence.ts';

/** SequencedPayload is one of the payloads that carry a seq (everything but hello). */
export type SequencedPayload =
  | { readonly heartbeat: Heartbeat }
  | { readonly snapshot: SiteSnapshot }
  | { readonly delta: SiteDelta }
  | { readonly healthEvent: HealthEvent }
  | { readonly memberReport: MemberReport };

/** SequencedMessage is an outgoing message with its seq and kind. */
export interface SequencedMessage {
  readonly seq: number;
  readonly kind: PayloadKind;
  readonly message: AgentMessage;
}

/** payloadKind names the payload of a SequencedPayload. */
export function payloadKind(p: SequencedPayload): PayloadKind {
  if ('heartbeat' in p) return 'heartbeat';
  if ('snapshot' in p) return 'snapshot';
  if ('delta' in p) return 'delta';
  if ('memberReport' in p) return 'memberReport';
  return 'healthEvent';
}

/** Outbox numbers outgoing messages and holds them until acked. */
export class Outbox {
  readonly #limit: number;
  #entries: SequencedMessage[] = [];
  #nextSeq = 1;
  #lastAcked = 0;
  #dropped = 0;

  /** limit is the most unacked messages kept; older ones are dropped first. */
  constructor(limit: number) {
    if (!(Number.isInteger(limit) && limit > 0)) throw new RangeError(`outbox limit must be a positive integer, got ${limit}`);
    this.#limit = limit;
  }

  /** lastAcked is the highest seq the operator acknowledged (0 before the first ack). */
  get lastAcked(): number {
    return this.#lastAcked;
  }

  /** lastSeq is the seq of the newest message (0 before the first). */
  get lastSeq(): number {
    return this.#nextSeq - 1;
  }

  /** size is the number of unacked messages held. */
  get size(): number {
    return this.#entries.length;
  }

  /** dropped counts messages discarded unacked because the outbox was full. */
  get dropped(): number {
    return this.#dropped;
  }

  /** push numbers a payload and keeps it until acked. */
  push(payload: SequencedPayload): SequencedMessage {
    const seq = this.#nextSeq++;
    const entry: SequencedMessage = { seq, kind: payloadKind(payload), message: { seq, ...payload } };
    this.#entries.push(entry);
    if (this.#entries.length > this.#limit) {
      const excess = this.#entries.length - this.#limit;
      this.#entries.splice(0, excess);
      this.#dropped += excess;
    }
    return entry;
  }

  /**
   * ack forgets every message up to and including seq and returns how many it forgot. An ack below the last one
   * (reordered or repeated) changes nothing; an ack beyond the newest seq is a protocol error reported by returning
   * -1 without forgetting anything, because trusting it would drop messages the operator never saw.
   */
  ack(seq: number): number {
    if (seq > this.lastSeq) return -1;
    if (seq <= this.#lastAcked) return 0;
    this.#lastAcked = seq;
    const before = this.#entries.length;
    this.#entries = this.#entries.filter((e) => e.seq > seq);
    return before - this.#entries.length;
  }

  /** after returns the unacked messages with a seq above `seq`, oldest first. */
  after(seq: number): readonly SequencedMessage[] {
    return this.#entries.filter((e) => e.seq > seq);
  }

  /** hasSnapshotFrom is true when an unacked snapshot with seq ≥ `seq` is held: it will close a gap at `seq`. */
  hasSnapshotFrom(seq: number): boolean {
    return this.#entries.some((e) => e.kind === 'snapshot' && e.seq >= seq);
  }
}
