import { describe, expect, it } from 'vitest';
import { loadAgentProtocol } from './load.ts';
import {
  desiredMemberBytes,
  memberReportAssembler,
  memberStateBytes,
  memberSyncAssembler,
  packParts,
  splitMemberReport,
  splitMemberSync,
} from './member-parts.ts';
import type { DesiredMemberOut, MemberReport, MemberReportOut, MemberState, MemberStateOut, MemberSync, MemberSyncOut } from './messages.ts';

// Fixtures are of the decoded types, which are also valid to send.
const desired = (name: string, bytes: number): DesiredMemberOut => ({
  ref: { kind: 'Job', namespace: 'ml', name },
  manifestJson: JSON.stringify({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name, namespace: 'ml' }, pad: 'x'.repeat(bytes) }),
  contentHash: `h-${name}`,
});
const state = (name: string, bytes: number): MemberStateOut => ({ ref: { kind: 'Job', namespace: 'ml', name }, objectJson: 'y'.repeat(bytes), appliedHash: `h-${name}` });

/** encodedSync and encodedReport are the real encodings, to hold the estimates against. */
function encodedSync(sync: MemberSync): number {
  return loadAgentProtocol().SiteAgent.service.Session.responseSerialize({ memberSync: sync }).length;
}
function encodedReport(report: MemberReport): number {
  return loadAgentProtocol().SiteAgent.service.Session.requestSerialize({ seq: 1, memberReport: report }).length;
}

describe('packParts', () => {
  it('fills runs up to the budget, in order, and gives an oversized item a run of its own', () => {
    expect(packParts([3, 3, 3, 9, 1, 1], (n) => n, 6)).toEqual([[3, 3], [3], [9], [1, 1]]);
    expect(packParts([], (n: number) => n, 6)).toEqual([[]]);
    expect(() => packParts([1], (n) => n, 0)).toThrow('part budget must be positive, got 0');
  });
});

describe('size estimates', () => {
  it('never fall below the real encoding', () => {
    const m = desired('a', 1000);
    expect(desiredMemberBytes(m)).toBeGreaterThanOrEqual(encodedSync({ apply: [m] }));
    const s: MemberState = { ...state('a', 1000), refusalReason: 'ImageNotAllowed', refusalMessage: 'no' };
    expect(memberStateBytes(s)).toBeGreaterThanOrEqual(encodedReport({ states: [s] }) - 2 /* the seq field */);
    const many = Array.from({ length: 200 }, (_, i) => desired(`job-${i}`, 50));
    expect(many.reduce((n, d) => n + desiredMemberBytes(d), 0)).toBeGreaterThanOrEqual(encodedSync({ apply: many }));
  });
});

describe('splitMemberSync', () => {
  it('sends a sync that fits as one whole message', () => {
    const sync: MemberSync = { full: true, generation: 4, apply: [desired('a', 10)], remove: [{ kind: 'Job', namespace: 'ml', name: 'b' }] };
    expect(splitMemberSync(sync)).toEqual([{ ...sync, part: 0, parts: 0 }]);
  });

  it('splits a big one into numbered parts that each keep full and generation and stay within the budget', () => {
    const apply = ['a', 'b', 'c', 'd'].map((n) => desired(n, 300));
    const remove = [{ kind: 'Service', namespace: 'ml', name: 'old' }];
    const parts = splitMemberSync({ full: true, generation: 9, apply, remove }, 1000);
    expect(parts.map((p) => [p.part, p.parts, p.full, p.generation, p.apply?.map((a) => a.ref?.name), p.remove?.map((r) => r.name)])).toEqual([
      [0, 2, true, 9, ['a', 'b'], []],
      [1, 2, true, 9, ['c', 'd'], ['old']],
    ]);
    for (const p of parts) expect(encodedSync(p)).toBeLessThanOrEqual(1000 + 64);
  });
});

describe('assembling parts', () => {
  const sync = (part: number, parts: number, names: string[], generation = 1): MemberSyncOut => ({
    full: true,
    generation,
    apply: names.map((n) => desired(n, 1)),
    part,
    parts,
  });

  it('passes a whole message through and builds a split one only from all its parts', () => {
    const a = memberSyncAssembler();
    const whole: MemberSyncOut = { generation: 2, apply: [] };
    expect(a.accept(whole)).toEqual({ kind: 'whole', message: whole, abandoned: 0 });
    expect(a.accept(sync(0, 3, ['a']))).toEqual({ kind: 'partial', abandoned: 0 });
    expect(a.accept(sync(1, 3, ['b', 'c']))).toEqual({ kind: 'partial', abandoned: 0 });
    expect(a.pending).toBe(2);
    const got = a.accept(sync(2, 3, ['d']));
    expect(got.kind).toBe('whole');
    if (got.kind !== 'whole') return;
    expect(got.message).toMatchObject({ full: true, generation: 1 });
    expect(got.message.apply?.map((m) => m.ref?.name)).toEqual(['a', 'b', 'c', 'd']);
    expect(got.message).not.toHaveProperty('parts');
    expect(a.pending).toBe(0);
  });

  it('drops an unfinished message when a new one starts, and parts that do not continue it', () => {
    const a = memberSyncAssembler();
    a.accept(sync(0, 2, ['a']));
    // A new first part: the unfinished sync is abandoned.
    expect(a.accept(sync(0, 2, ['x'], 2))).toEqual({ kind: 'partial', abandoned: 1 });
    expect(a.accept(sync(1, 2, ['y'], 2))).toMatchObject({ kind: 'whole', abandoned: 0 });
    // A second part without its first (an operator that restarted after acking it), of another generation, or skipping one.
    expect(a.accept(sync(1, 2, ['z']))).toMatchObject({ kind: 'dropped' });
    a.accept(sync(0, 2, ['a'], 3));
    expect(a.accept(sync(1, 2, ['b'], 4))).toMatchObject({ kind: 'dropped' });
    expect(a.pending).toBe(0);
    a.accept(sync(0, 3, ['a']));
    expect(a.accept(sync(2, 3, ['c']))).toMatchObject({ kind: 'dropped' });
    expect(a.accept(sync(3, 3, ['c']))).toEqual({ kind: 'dropped', reason: 'part 3 of 3 is out of range' });
    // A whole message in the middle of an assembly ends it.
    a.accept(sync(0, 2, ['a']));
    expect(a.accept({ generation: 5 })).toMatchObject({ kind: 'whole', abandoned: 1 });
  });

  it('round-trips a split report through the real encoding', () => {
    const states = Array.from({ length: 10 }, (_, i) => state(`j${i}`, 300));
    const report: MemberReport = { full: true, appliedGeneration: 7, states, gone: [] };
    const parts = splitMemberReport(report, 1000);
    expect(parts.length).toBeGreaterThan(3);
    const proto = loadAgentProtocol().SiteAgent.service.Session;
    const a = memberReportAssembler();
    const results = parts.map((p) => a.accept(proto.requestDeserialize(proto.requestSerialize({ seq: 1, memberReport: p })).memberReport as MemberReportOut));
    expect(results.slice(0, -1).every((r) => r.kind === 'partial')).toBe(true);
    const last = results[results.length - 1];
    expect(last?.kind === 'whole' && last.message).toEqual({ full: true, appliedGeneration: 7, states, gone: [] });
  });
});
