/**
 * The operator's side of the session's sequence numbers, as a pure state machine (no I/O, no clock). One tracker per
 * agent instance survives that agent's reconnects, so retransmitted messages are recognised as duplicates.
 *
 * Rules (the proto's Session comment states them for the agent's side):
 *  1. seq ≤ contiguous: a duplicate (a retransmit after reconnect) — not delivered, acked again.
 *  2. seq = contiguous + 1: in order — delivered and acked.
 *  3. seq > contiguous + 1 (a gap):
 *     - a snapshot is the whole truth, so it is delivered, resets the sequence to its seq, and is acked;
 *     - a heartbeat is delivered (liveness does not depend on order) but not acked;
 *     - a delta, health event or member report is not delivered: it may build on what is missing. The first message of a gap asks
 *       for a resync; the agent answers with a snapshot, which rule 3 accepts.
 * Acks are cumulative: "everything up to and including seq". A message that is not acked stays in the agent's outbox
 * and is resent after a reconnect, so nothing the operator skipped is lost for good unless a snapshot supersedes it.
 */

/** PayloadKind names the sequenced payloads of AgentMessage. */
export type PayloadKind = 'heartbeat' | 'snapshot' | 'delta' | 'healthEvent' | 'memberReport';

/** SequenceDecision tells the server what to do with one received message. */
export interface SequenceDecision {
  /** deliver is true when the payload goes to the handler. */
  readonly deliver: boolean;
  /** ack is the seq to acknowledge now, if any. */
  readonly ack?: number;
  /** resyncFrom is set when the server must ask for a snapshot: the first seq it is missing. */
  readonly resyncFrom?: number;
  /** duplicate is true for a retransmit of something already accepted. */
  readonly duplicate: boolean;
}

/** SequenceTracker follows one agent instance's sequence across its sessions. */
export class SequenceTracker {
  #contiguous: number;
  #resyncRequested = false;

  /** The tracker starts from the last seq the agent says was acked (0 for a new agent instance). */
  constructor(lastAckedSeq: number) {
    this.#contiguous = lastAckedSeq;
  }

  /** contiguous is the highest seq accepted with nothing missing below it. */
  get contiguous(): number {
    return this.#contiguous;
  }

  /** awaitingResync is true between a detected gap and the snapshot that closes it. */
  get awaitingResync(): boolean {
    return this.#resyncRequested;
  }

  /**
   * resume starts a new session. The agent's last acked seq can only move the mark forward: when an operator lost
   * its acks in flight it knows more than the agent does, and when it restarted it knows nothing and trusts the agent.
   * A new session also forgets an unanswered resync request, because the agent sends a snapshot on every connect.
   */
  resume(lastAckedSeq: number): void {
    this.#contiguous = Math.max(this.#contiguous, lastAckedSeq);
    this.#resyncRequested = false;
  }

  /** receive decides about one message; seq must be a positive integer (the server rejects others first). */
  receive(seq: number, kind: PayloadKind): SequenceDecision {
    if (seq <= this.#contiguous) return { deliver: false, ack: this.#contiguous, duplicate: true };
    if (seq === this.#contiguous + 1 || kind === 'snapshot') {
      this.#contiguous = seq;
      if (kind === 'snapshot') this.#resyncRequested = false;
      return { deliver: true, ack: seq, duplicate: false };
    }
    const resyncFrom = this.#resyncRequested ? undefined : this.#contiguous + 1;
    this.#resyncRequested = true;
    const deliver = kind === 'heartbeat';
    return resyncFrom === undefined ? { deliver, duplicate: false } : { deliver, resyncFrom, duplicate: false };
  }
}
