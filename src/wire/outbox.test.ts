import { describe, expect, it } from 'vitest';
import { Outbox, payloadKind } from './outbox.ts';

describe('Outbox', () => {
  it('numbers messages from 1 and keeps them until a cumulative ack', () => {
    const o = new Outbox(10);
    expect(o.push({ heartbeat: {} }).seq).toBe(1);
    expect(o.push({ snapshot: { site: 'a', generation: 1 } }).message).toEqual({ seq: 2, snapshot: { site: 'a', generation: 1 } });
    expect(o.push({ delta: {} }).seq).toBe(3);
    expect(o.size).toBe(3);
    expect(o.ack(2)).toBe(2);
    expect(o.after(0).map((e) => e.seq)).toEqual([3]);
    expect(o.lastAcked).toBe(2);
  });

  it('ignores stale acks and refuses acks of seqs never sent', () => {
    const o = new Outbox(10);
    o.push({ heartbeat: {} });
    o.push({ heartbeat: {} });
    expect(o.ack(2)).toBe(2);
    expect(o.ack(1)).toBe(0);
    expect(o.lastAcked).toBe(2);
    o.push({ heartbeat: {} });
    expect(o.ack(7)).toBe(-1);
    expect(o.size).toBe(1);
  });

  it('after() yields what a new stream still has to carry, oldest first', () => {
    const o = new Outbox(10);
    for (let i = 0; i < 5; i++) o.push({ healthEvent: { eventId: `e${i}` } });
    o.ack(2);
    expect(o.after(0).map((e) => e.seq)).toEqual([3, 4, 5]);
    expect(o.after(4).map((e) => e.seq)).toEqual([5]);
  });

  it('drops the oldest messages when full, leaving a gap the operator will resync', () => {
    const o = new Outbox(3);
    for (let i = 0; i < 5; i++) o.push({ healthEvent: { eventId: `e${i}` } });
    expect(o.after(0).map((e) => e.seq)).toEqual([3, 4, 5]);
    expect(o.dropped).toBe(2);
    expect(o.lastSeq).toBe(5);
  });

  it('knows whether a queued snapshot already answers a resync', () => {
    const o = new Outbox(10);
    o.push({ delta: {} });
    o.push({ snapshot: { site: 'a' } });
    o.push({ delta: {} });
    expect(o.hasSnapshotFrom(2)).toBe(true);
    expect(o.hasSnapshotFrom(3)).toBe(false);
    o.ack(2);
    expect(o.hasSnapshotFrom(1)).toBe(false);
  });

  it('names payload kinds', () => {
    expect([{ heartbeat: {} }, { snapshot: {} }, { delta: {} }, { healthEvent: {} }, { memberReport: {} }].map(payloadKind)).toEqual([
      'heartbeat',
      'snapshot',
      'delta',
      'healthEvent',
      'memberReport',
    ]);
  });

  it('rejects a useless limit', () => {
    expect(() => new Outbox(0)).toThrow(RangeError);
  });
});
