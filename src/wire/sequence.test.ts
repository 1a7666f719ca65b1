import { describe, expect, it } from 'vitest';
import { SequenceTracker, type PayloadKind, type SequenceDecision } from './sequence.ts';

type Step = readonly [seq: number, kind: PayloadKind, want: SequenceDecision];

describe('SequenceTracker', () => {
  const cases: { name: string; start: number; steps: Step[]; wantContiguous: number }[] = [
    {
      name: 'in order from a new agent',
      start: 0,
      steps: [
        [1, 'heartbeat', { deliver: true, ack: 1, duplicate: false }],
        [2, 'snapshot', { deliver: true, ack: 2, duplicate: false }],
        [3, 'delta', { deliver: true, ack: 3, duplicate: false }],
      ],
      wantContiguous: 3,
    },
    {
      name: 'retransmits after a reconnect are acked again but not delivered',
      start: 0,
      steps: [
        [1, 'healthEvent', { deliver: true, ack: 1, duplicate: false }],
        [2, 'healthEvent', { deliver: true, ack: 2, duplicate: false }],
        [1, 'healthEvent', { deliver: false, ack: 2, duplicate: true }],
        [2, 'healthEvent', { deliver: false, ack: 2, duplicate: true }],
        [3, 'healthEvent', { deliver: true, ack: 3, duplicate: false }],
      ],
      wantContiguous: 3,
    },
    {
      name: 'a gap withholds deltas, events and member reports, asks for a resync once, and a snapshot closes it',
      start: 0,
      steps: [
        [1, 'delta', { deliver: true, ack: 1, duplicate: false }],
        [3, 'delta', { deliver: false, resyncFrom: 2, duplicate: false }],
        [4, 'healthEvent', { deliver: false, duplicate: false }],
        [5, 'heartbeat', { deliver: true, duplicate: false }],
        [6, 'memberReport', { deliver: false, duplicate: false }],
        [7, 'snapshot', { deliver: true, ack: 7, duplicate: false }],
        [8, 'memberReport', { deliver: true, ack: 8, duplicate: false }],
        [4, 'healthEvent', { deliver: false, ack: 8, duplicate: true }],
      ],
      wantContiguous: 8,
    },
    {
      name: 'a second gap after a resync asks again',
      start: 0,
      steps: [
        [2, 'delta', { deliver: false, resyncFrom: 1, duplicate: false }],
        [3, 'snapshot', { deliver: true, ack: 3, duplicate: false }],
        [5, 'delta', { deliver: false, resyncFrom: 4, duplicate: false }],
      ],
      wantContiguous: 3,
    },
    {
      name: "an operator without state continues from the agent's last ack",
      start: 41,
      steps: [[42, 'healthEvent', { deliver: true, ack: 42, duplicate: false }]],
      wantContiguous: 42,
    },
  ];
  it.each(cases)('$name', ({ start, steps, wantContiguous }) => {
    const t = new SequenceTracker(start);
    for (const [seq, kind, want] of steps) expect({ seq, kind, got: t.receive(seq, kind) }).toEqual({ seq, kind, got: want });
    expect(t.contiguous).toBe(wantContiguous);
  });

  it('resume only moves forward and forgets an unanswered resync request', () => {
    const t = new SequenceTracker(0);
    t.receive(1, 'delta');
    t.receive(5, 'delta'); // gap: resync requested
    expect(t.awaitingResync).toBe(true);
    t.resume(0); // the agent lost our ack of 1: we still know 1
    expect(t.contiguous).toBe(1);
    expect(t.awaitingResync).toBe(false);
    t.resume(9); // an agent that saw acks we forgot (we restarted and it reconnected to us): trust it
    expect(t.contiguous).toBe(9);
    expect(t.receive(11, 'delta').resyncFrom).toBe(10);
  });
});
