import { describe, expect, it } from 'vitest';
import type { EventRecorder, EventSubject } from '../../controllers/framework/events.ts';
import { parseSamples, type Sample } from '../../runtime/metrics-exposition.ts';
import { newMetricsRegistry } from '../../runtime/metrics-registry.ts';
import type { SiteName } from '../../wire/identity.ts';
import type { SiteAgentHandler } from '../../wire/site-agent-handler.ts';
import { placementOutcome } from './admission-metrics.ts';
import { OperatorMetrics } from './operator-metrics.ts';

function get(samples: readonly Sample[], name: string, labels: Record<string, string>): number | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

function fresh(): OperatorMetrics {
  return new OperatorMetrics(newMetricsRegistry({ processMetrics: false }));
}

describe('failover and preemption counters', () => {
  it('count the events the controllers record, once per event, and pass every call on', async () => {
    const metrics = fresh();
    const passed: string[] = [];
    const inner: EventRecorder = { record: (_s, _t, reason) => void passed.push(reason), forget: () => passed.push('forget') };
    const training = metrics.events.recorder('TrainingJob', inner);
    const inference = metrics.events.recorder('InferenceService', inner);
    const tj = { apiVersion: 'suanwang.io/v1alpha1', kind: 'TrainingJob', metadata: { namespace: 'ml', name: 'a', uid: '1' }, spec: { queue: 'research' } } as EventSubject;
    const svc: EventSubject = { apiVersion: 'suanwang.io/v1alpha1', kind: 'InferenceService', metadata: { namespace: 'ml', name: 's', uid: '2' } };
    training.record(tj, 'Warning', 'FailingOver', 'site east lost');
    training.record(tj, 'Warning', 'FailingOver', 'site east lost'); // a level-triggered repeat
    training.record(tj, 'Normal', 'Placed', 'placed on west');
    training.record(tj, 'Warning', 'FailingOver', 'site west lost');
    training.record(tj, 'Warning', 'Preempted', 'preempted by ml/b');
    inference.record(svc, 'Warning', 'ReplicasMoved', 'site east lost: moving 2 replicas');
    training.forget('ml', 'a');
    training.record(tj, 'Warning', 'Preempted', 'preempted by ml/b'); // after forget: a new object's event

    const s = parseSamples(await metrics.registry.metrics());
    expect(get(s, 'suanwang_failovers_total', { kind: 'TrainingJob' })).toBe(2);
    expect(get(s, 'suanwang_failovers_total', { kind: 'InferenceService' })).toBe(1);
    expect(get(s, 'suanwang_preemptions_total', { queue: 'research' })).toBe(2);
    expect(passed).toEqual(['FailingOver', 'FailingOver', 'Placed', 'FailingOver', 'Preempted', 'ReplicasMoved', 'forget', 'Preempted']);
  });
});

describe('agent message counters', () => {
  it('count accepted messages by type and refused ones by reason, per site, and pass each on', async () => {
    const metrics = fresh();
    const calls: string[] = [];
    const inner = new Proxy({} as SiteAgentHandler, { get: (_t, name) => () => calls.push(String(name)) });
    const h = metrics.messages.counting(inner);
    const east = 'east' as SiteName;
    const meta = { sessionId: 's', agentInstanceId: 'i', seq: 1, receivedAt: 0 };
    h.onRegister(east, { sessionId: 's', agentInstanceId: 'i', agentVersion: '1', protocolVersion: 1, capabilities: [], peer: 'x' });
    h.onHeartbeat(east, {} as never, meta);
    h.onHeartbeat(east, {} as never, meta);
    h.onSnapshot(east, {} as never, meta);
    h.onRateLimited(east, { dropped: 1, kind: 'heartbeat' });
    h.onCertificateRefused(east, { reason: 'CertificateRevoked', message: 'm', sha256: 'x' });
    h.onDisconnect(east, { sessionId: 's', agentInstanceId: 'i', reason: 'gone' });

    const s = parseSamples(await metrics.registry.metrics());
    expect(get(s, 'suanwang_agent_messages_total', { site: 'east', type: 'heartbeat' })).toBe(2);
    expect(get(s, 'suanwang_agent_messages_total', { site: 'east', type: 'register' })).toBe(1);
    expect(get(s, 'suanwang_agent_messages_total', { site: 'east', type: 'snapshot' })).toBe(1);
    expect(get(s, 'suanwang_agent_messages_dropped_total', { site: 'east', reason: 'RateLimited' })).toBe(1);
    expect(get(s, 'suanwang_agent_messages_dropped_total', { site: 'east', reason: 'CertificateRevoked' })).toBe(1);
    expect(calls).toEqual(['onRegister', 'onHeartbeat', 'onHeartbeat', 'onSnapshot', 'onRateLimited', 'onCertificateRefused', 'onDisconnect']);
  });
});

describe('placement decisions', () => {
  it.each([
    { verdict: { kind: 'Wait', reason: 'QuotaExceeded', message: '' }, want: 'QuotaExceeded' },
    { verdict: { kind: 'Preempt', by: 'ml/b', message: '' }, want: 'Preempted' },
    { verdict: { kind: 'Admit', queue: 'q', charge: {}, borrowed: {} }, want: 'Admitted' },
    { verdict: { kind: 'Admit', queue: 'q', charge: {}, borrowed: {}, placement: { site: 'east' } }, want: 'Placed' },
  ] as const)('$want', async ({ verdict, want }) => {
    expect(placementOutcome(verdict as never)).toBe(want);
    const metrics = fresh();
    metrics.admission.decided('TrainingJob', verdict as never);
    expect(get(parseSamples(await metrics.registry.metrics()), 'suanwang_placement_decisions_total', { kind: 'TrainingJob', outcome: want })).toBe(1);
  });

  it('times placements by kind', async () => {
    const metrics = fresh();
    const end = metrics.placementTimer('InferenceService')();
    end();
    const s = parseSamples(await metrics.registry.metrics());
    expect(get(s, 'suanwang_placement_duration_seconds_count', { kind: 'InferenceService' })).toBe(1);
    expect(get(s, 'suanwang_placement_duration_seconds_count', { kind: 'TrainingJob' })).toBe(0);
  });
});
