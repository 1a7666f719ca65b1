import type { KubernetesObject, V1Node, V1Pod } from '@kubernetes/client-node';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../runtime/clock.ts';
import { MemoryCache } from '../../runtime/memory-cache.ts';
import type { MemberReport } from '../../wire/messages.ts';
import { memberKey, type MemberId } from './member-kinds.ts';
import { APPLY_REJECTED, type MemberRefusal } from './member-plan.ts';
import { objectJson } from './member-report.ts';
import { acceleratorNode, heldObject, workerPod } from './member-testing.ts';
import { MemberWatch } from './member-watch.ts';
import { ObservedObjects } from './observed-objects.ts';
import { nodeProjection, podProjection } from './observed-projection.ts';
import { RefusalReason } from './site-policy.ts';

function setup() {
  const clock = new FakeClock();
  const caches = { Job: new MemoryCache<KubernetesObject>(), Service: new MemoryCache<KubernetesObject>(), Deployment: new MemoryCache<KubernetesObject>() };
  const refusals = new Map<string, MemberRefusal>();
  const gone: string[] = [];
  const pods = new MemoryCache<V1Pod>();
  const nodes = new MemoryCache<V1Node>();
  let generation = 0;
  const watch = new MemberWatch({
    caches,
    observed: new ObservedObjects({ pods, nodes }),
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
  return { clock, caches, pods, nodes, refusals, gone, watch, sent, setGeneration: (g: number) => void (generation = g) };
}

const podState = (pod: V1Pod) => ({ ref: { kind: 'Pod', namespace: 'ml', name: pod.metadata?.name }, objectJson: JSON.stringify(podProjection(pod)) });
const nodeState = (node: V1Node) => ({ ref: { kind: 'Node', namespace: '', name: node.metadata?.name }, objectJson: JSON.stringify(nodeProjection(node)) });

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

  it('reports in full, after the members, the member Jobs\' unfinished pods and the nodes their live ones are on, trimmed', () => {
    const { caches, pods, nodes, watch } = setup();
    caches.Job.set(heldObject('Job', 'train', 'h'));
    const bound = workerPod('w-0', { node: 'n-1' });
    const pending = workerPod('w-1');
    const leaving = workerPod('w-3', { node: 'n-3', deleting: true });
    for (const p of [bound, pending, leaving, workerPod('w-2', { node: 'n-2', phase: 'Failed' }), workerPod('r-0', { node: 'n-4', owner: 'ReplicaSet' })]) pods.set(p);
    for (const n of ['n-1', 'n-2', 'n-3', 'n-4', 'n-5']) nodes.set(acceleratorNode(n, n === 'n-1' ? 'False' : 'True'));
    const states = watch.fullReport().states;
    expect(states?.map((st) => `${st.ref?.kind} ${st.ref?.name}`)).toEqual(['Job train', 'Pod w-0', 'Pod w-1', 'Pod w-3', 'Node n-1']);
    expect(states?.slice(1)).toEqual([podState(bound), podState(pending), podState(leaving), nodeState(acceleratorNode('n-1', 'False'))]);
  });

  it('re-reports only the pod that changed in what the hub reads, and a node with the pods on it', () => {
    const { clock, pods, nodes, watch, sent } = setup();
    pods.set(workerPod('w-0', { node: 'n-1' }));
    pods.set(workerPod('w-1'));
    nodes.set(acceleratorNode('n-1', 'True'));
    nodes.set(acceleratorNode('n-2', 'True'));
    watch.fullReport();

    // w-1 binds to n-2: the pod and, now in use, its node.
    pods.set(workerPod('w-1', { node: 'n-2' }));
    clock.advance(500);
    expect(sent.at(-1)?.states).toEqual([podState(workerPod('w-1', { node: 'n-2' })), nodeState(acceleratorNode('n-2', 'True'))]);

    // What the hub does not read changes: nothing is sent.
    const restarted = workerPod('w-0', { node: 'n-1' });
    restarted.status!.containerStatuses![0]!.restartCount = 1;
    restarted.metadata!.resourceVersion = '99';
    pods.set(restarted);
    nodes.set(acceleratorNode('n-1', 'True', '2026-01-01T00:05:00Z'));
    nodes.set(acceleratorNode('n-9', 'False')); // no worker on it
    clock.advance(500);
    expect(sent).toHaveLength(1);

    // A device fails under w-0: that node only.
    nodes.set(acceleratorNode('n-1', 'False'));
    clock.advance(500);
    expect(sent.at(-1)?.states).toEqual([nodeState(acceleratorNode('n-1', 'False'))]);

    // w-1 finishes (its watch drops it): the pod and its node are gone.
    pods.remove('ml', 'w-1');
    clock.advance(500);
    expect(sent.at(-1)).toMatchObject({ states: [], gone: [{ kind: 'Pod', namespace: 'ml', name: 'w-1' }, { kind: 'Node', namespace: '', name: 'n-2' }] });
    expect(sent).toHaveLength(3);
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
