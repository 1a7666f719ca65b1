import type { KubernetesObject } from '@kubernetes/client-node';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../runtime/clock.ts';
import { MemoryCache } from '../../runtime/memory-cache.ts';
import type { MemberReport } from '../../wire/messages.ts';
import { memberKey, type MemberId } from './member-kinds.ts';
import { APPLY_REJECTED, type MemberRefusal } from './member-plan.ts';
import { objectJson } from './member-report.ts';
import { heldObject } from './member-testing.ts';
import { MemberWatch } from './member-watch.ts';
import { RefusalReason } from './site-policy.ts';

function setup() {
  const clock = new FakeClock();
  const caches = { Job: new MemoryCache<KubernetesObject>(), Service: new MemoryCache<KubernetesObject>(), Deployment: new MemoryCache<KubernetesObject>() };
  const refusals = new Map<string, MemberRefusal>();
  const gone: string[] = [];
  let generation = 0;
  const watch = new MemberWatch({
    caches,
    refusals: () => refusals,
    appliedGeneration: () => generation,
    gone: (id) => gone.push(memberKey(id)),
    clock,
    logger: pino({ level: 'silent' }),
    debounceMs: 500,
  });
  const sent: MemberReport[] = [];
  watch.start();
  watch.attach((r) => sent.push(r));
  return { clock, caches, refusals, gone, watch, sent, setGeneration: (g: number) => void (generation = g) };
}

const withStatus = (obj: KubernetesObject, status: unknown): KubernetesObject => Object.assign(obj, { status });
const refusal = (id: MemberId, hash: string): MemberRefusal => ({ id, hash, reason: RefusalReason.ImageNotAllowed, message: `${id.kind} ${id.namespace}/${id.name}: no` });

describe('MemberWatch', () => {
  it('reports in full every member held or refused: the object without managedFields, with its hash; a refusal without one', () => {
    const { caches, refusals, watch, setGeneration } = setup();
    const job = { ...heldObject('Job', 'a', 'h-a'), status: { active: 2 } };
    caches.Job.set(job);
    caches.Service.set(heldObject('Service', 'a', 'h-s'));
    caches.Deployment.set(heldObject('Deployment', 'old-copy', 'h-1'));
    const refusedHeld = { kind: 'Deployment', namespace: 'ml', name: 'old-copy' };
    const refusedNew = { kind: 'Job', namespace: 'ml', name: 'new' };
    refusals.set(memberKey(refusedHeld), refusal(refusedHeld, 'h-2'));
    refusals.set(memberKey(refusedNew), { ...refusal(refusedNew, 'h-n'), reason: APPLY_REJECTED });
    setGeneration(7);
    const report = watch.fullReport();
    expect(report.appliedGeneration).toBe(7);
    expect(report.gone).toEqual([]);
    expect(report.states).toEqual([
      { ref: { kind: 'Job', namespace: 'ml', name: 'a' }, objectJson: objectJson(job), appliedHash: 'h-a' },
      { ref: { kind: 'Service', namespace: 'ml', name: 'a' }, objectJson: expect.any(String), appliedHash: 'h-s' },
      { ref: refusedHeld, appliedHash: 'h-2', refusalReason: 'ImageNotAllowed', refusalMessage: 'Deployment ml/old-copy: no' },
      { ref: refusedNew, appliedHash: 'h-n', refusalReason: 'ApplyRejected', refusalMessage: 'Job ml/new: no' },
    ]);
    const reported = JSON.parse(report.states?.[0]?.objectJson ?? '{}') as KubernetesObject & { status: unknown };
    expect(reported.metadata).not.toHaveProperty('managedFields');
    expect(reported.metadata?.uid).toBe('uid-a');
    expect(reported.status).toEqual({ active: 2 });
  });

  it('sends, after the debounce, the members that changed since they were last told, and those that are gone', async () => {
    const { clock, caches, gone, watch, sent } = setup();
    caches.Job.set(heldObject('Job', 'a', 'h1'));
    caches.Job.set(heldObject('Job', 'b', 'h1'));
    watch.fullReport();
    expect(sent).toEqual([]);

    caches.Job.set(withStatus(heldObject('Job', 'a', 'h1'), { succeeded: 1 }));
    caches.Job.set(heldObject('Job', 'b', 'h1')); // the same as told: not repeated
    caches.Job.remove('ml', 'b');
    caches.Job.set(heldObject('Job', 'c', 'h1'));
    caches.Job.remove('ml', 'c'); // came and went between two reports: the operator never needs to hear of it
    clock.advance(499);
    expect(sent).toEqual([]);
    clock.advance(1);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.full).toBe(false);
    expect(sent[0]?.states?.map((s) => [s.ref?.name, JSON.parse(s.objectJson ?? '{}').status])).toEqual([['a', { succeeded: 1 }]]);
    expect(sent[0]?.gone).toEqual([{ kind: 'Job', namespace: 'ml', name: 'b' }]);
    expect(gone).toEqual(['Job/ml/b', 'Job/ml/c']);

    // Nothing new: nothing sent.
    caches.Job.set(withStatus(heldObject('Job', 'a', 'h1'), { succeeded: 1 }));
    clock.advance(500);
    expect(sent).toHaveLength(1);
  });

  it('tells the processed generation and the applier\'s refusals, and repeats nothing the full report said', () => {
    const { clock, refusals, watch, sent, setGeneration } = setup();
    watch.fullReport();
    setGeneration(2);
    watch.changed([]);
    clock.advance(500);
    expect(sent).toEqual([{ full: false, states: [], gone: [], appliedGeneration: 2 }]);
    const id = { kind: 'Job', namespace: 'ml', name: 'x' };
    refusals.set(memberKey(id), refusal(id, 'h'));
    watch.changed([id]);
    clock.advance(500);
    expect(sent[1]?.states).toEqual([{ ref: id, appliedHash: 'h', refusalReason: 'ImageNotAllowed', refusalMessage: 'Job ml/x: no' }]);
    // The refusal is lifted and nothing is held: gone.
    refusals.delete(memberKey(id));
    watch.changed([id]);
    clock.advance(500);
    expect(sent[2]).toEqual({ full: false, states: [], gone: [id], appliedGeneration: 2 });
  });

  it('sends nothing before it has a session, and nothing after stop', () => {
    const clock = new FakeClock();
    const caches = { Job: new MemoryCache<KubernetesObject>(), Service: new MemoryCache<KubernetesObject>(), Deployment: new MemoryCache<KubernetesObject>() };
    const watch = new MemberWatch({ caches, refusals: () => new Map(), appliedGeneration: () => 0, clock, logger: pino({ level: 'silent' }) });
    watch.start();
    caches.Job.set(heldObject('Job', 'a', 'h'));
    clock.advance(1000);
    const sent: MemberReport[] = [];
    watch.attach((r) => sent.push(r));
    watch.stop();
    caches.Job.set(heldObject('Job', 'b', 'h'));
    clock.advance(1000);
    expect(sent).toEqual([]);
    expect(clock.pending()).toBe(0);
  });
});
