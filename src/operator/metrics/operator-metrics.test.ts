import { describe, expect, it } from 'vitest';
import type { InferenceService, Queue, Site, TrainingJob } from '../../api/generated/types.ts';
import { exposedMetricNames, newMetricsRegistry } from '../../runtime/metrics-registry.ts';
import { parseSamples, type Sample } from '../../runtime/metrics-exposition.ts';
import type { AgentSessionsView } from './federation-metrics.ts';
import { OperatorMetrics, type CacheSources } from './operator-metrics.ts';
import { inferencePhase } from './workload-metrics.ts';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);

function site(name: string, ready: boolean, extra: Partial<NonNullable<Site['status']>> = {}): Site {
  const cond = (type: string, status: boolean) => ({ type, status: status ? ('True' as const) : ('False' as const), lastTransitionTime: '2026-01-01T00:00:00Z', reason: 'R', message: '' });
  return {
    apiVersion: 'suanwang.io/v1alpha1',
    kind: 'Site',
    metadata: { name },
    spec: {} as Site['spec'],
    status: { conditions: [cond('Ready', ready), cond('AgentConnected', ready)], ...extra },
  };
}

function trainingJob(i: number, phase: NonNullable<TrainingJob['status']>['phase'], queue = 'research'): TrainingJob {
  return {
    apiVersion: 'suanwang.io/v1alpha1',
    kind: 'TrainingJob',
    metadata: { name: `job-${i}`, namespace: `team-${i}` },
    spec: { queue } as TrainingJob['spec'],
    status: {
      ...(phase !== undefined && { phase }),
      ...(phase === 'Running' && {
        attempts: [
          { site: 'east', variant: 'h100', startTime: '2026-01-01T10:00:00Z', endTime: '2026-01-01T11:00:00Z', outcome: 'SiteLost' as const, pricePerHour: 100, currency: 'CNY', queue },
          { site: 'west', variant: 'h100', startTime: '2026-01-01T11:00:00Z', outcome: 'Running' as const, pricePerHour: 12.5, currency: 'CNY', queue },
        ],
      }),
    },
  };
}

function inferenceService(i: number, ready: boolean): InferenceService {
  return {
    apiVersion: 'suanwang.io/v1alpha1',
    kind: 'InferenceService',
    metadata: { name: `svc-${i}`, namespace: `team-${i}` },
    spec: {} as InferenceService['spec'],
    status: {
      replicas: ready ? 2 : 0,
      conditions: ready ? [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z', reason: 'AllReplicasReady', message: '' }] : [],
    },
  };
}

const QUEUE: Queue = {
  apiVersion: 'suanwang.io/v1alpha1',
  kind: 'Queue',
  metadata: { name: 'research' },
  spec: {},
  status: { pending: 4, usage: { 'nvidia.com/gpu': '16', memory: '1Gi', cpu: '1500m' } },
};

const SITES: Site[] = [
  site('east', true, {
    lastHeartbeatTime: new Date(NOW - 30_000).toISOString(),
    nodePools: [
      {
        name: 'h100',
        accelerator: { vendor: 'nvidia', model: 'H100' },
        healthyDevices: 15,
        unhealthyDevices: 1,
        allocatable: { 'nvidia.com/gpu': '16', memory: '2Gi', cpu: '64' },
        allocated: { 'nvidia.com/gpu': '8', cpu: '500m' },
      },
      { name: 'cpu', allocatable: { cpu: '32' } },
    ],
  }),
  site('west', false),
];

function sources(trainingJobs: TrainingJob[], inferenceServices: InferenceService[], sessions?: AgentSessionsView): CacheSources {
  return {
    sites: () => SITES,
    trainingJobs: () => trainingJobs,
    inferenceServices: () => inferenceServices,
    queues: () => [QUEUE],
    sessions: () => sessions,
    now: () => NOW,
  };
}

async function scrape(metrics: OperatorMetrics): Promise<Sample[]> {
  return parseSamples(await metrics.registry.metrics());
}

function get(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

describe('OperatorMetrics gauges read from the caches', () => {
  it('reports sites, devices, capacity, sessions, phases and queues in base units', async () => {
    const metrics = new OperatorMetrics(newMetricsRegistry({ processMetrics: false }));
    const sessions: AgentSessionsView = {
      sites: () => ['east', 'west'],
      get: (s) => (s === 'east' ? { connected: true, lastHeartbeatAt: NOW - 4_000 } : { connected: false, lastHeartbeatAt: undefined }),
    };
    metrics.watchCaches(sources([trainingJob(1, 'Running'), trainingJob(2, undefined), trainingJob(3, 'Failed')], [inferenceService(1, true), inferenceService(2, false)], sessions));
    const s = await scrape(metrics);
    expect(get(s, 'suanwang_site_ready', { site: 'east' })).toBe(1);
    expect(get(s, 'suanwang_site_ready', { site: 'west' })).toBe(0);
    expect(get(s, 'suanwang_site_agent_connected', { site: 'west' })).toBe(0);
    // The session's own heartbeat wins over the written time; a site never heard from has no age.
    expect(get(s, 'suanwang_site_heartbeat_age_seconds', { site: 'east' })).toBe(4);
    expect(get(s, 'suanwang_site_heartbeat_age_seconds', { site: 'west' })).toBeUndefined();
    expect(get(s, 'suanwang_site_devices', { site: 'east', pool: 'h100', vendor: 'nvidia', health: 'unhealthy' })).toBe(1);
    expect(get(s, 'suanwang_site_devices', { site: 'east', pool: 'h100', vendor: 'nvidia', health: 'healthy' })).toBe(15);
    expect(get(s, 'suanwang_site_devices', { pool: 'cpu' })).toBeUndefined();
    expect(get(s, 'suanwang_site_allocatable', { site: 'east', pool: 'h100', resource: 'memory' })).toBe(2 * 2 ** 30);
    expect(get(s, 'suanwang_site_allocated', { site: 'east', pool: 'h100', resource: 'cpu' })).toBe(0.5);
    expect(get(s, 'suanwang_agent_sessions')).toBe(1);
    expect(get(s, 'suanwang_trainingjobs', { phase: 'Running' })).toBe(1);
    expect(get(s, 'suanwang_trainingjobs', { phase: 'Pending' })).toBe(1);
    expect(get(s, 'suanwang_trainingjobs', { phase: 'Succeeded' })).toBe(0);
    expect(get(s, 'suanwang_inferenceservices', { phase: 'Ready' })).toBe(1);
    expect(get(s, 'suanwang_inferenceservices', { phase: 'Pending' })).toBe(1);
    expect(get(s, 'suanwang_queue_waiting_workloads', { queue: 'research' })).toBe(4);
    expect(get(s, 'suanwang_queue_usage', { queue: 'research', resource: 'nvidia.com/gpu' })).toBe(16);
    expect(get(s, 'suanwang_queue_usage', { queue: 'research', resource: 'cpu' })).toBe(1.5);
    // Only the running attempt costs now.
    expect(get(s, 'suanwang_queue_cost_per_hour', { queue: 'research', currency: 'CNY' })).toBe(12.5);
  });

  it('uses the written heartbeat time on a standby, which holds no sessions', async () => {
    const metrics = new OperatorMetrics(newMetricsRegistry({ processMetrics: false }));
    metrics.watchCaches(sources([], []));
    const s = await scrape(metrics);
    expect(get(s, 'suanwang_site_heartbeat_age_seconds', { site: 'east' })).toBe(30);
    expect(get(s, 'suanwang_agent_sessions')).toBe(0);
  });

  it('keeps the series count flat however many workloads the caches hold, and never names one', async () => {
    const phases = ['Pending', 'Running', 'Failed', 'Succeeded', 'Placed'] as const;
    const workloads = (n: number): [TrainingJob[], InferenceService[]] => [
      Array.from({ length: n }, (_, i) => trainingJob(i, phases[i % phases.length])),
      Array.from({ length: n }, (_, i) => inferenceService(i, i % 2 === 0)),
    ];
    const count = async (n: number): Promise<Sample[]> => {
      const metrics = new OperatorMetrics(newMetricsRegistry({ processMetrics: false }));
      metrics.watchCaches(sources(...workloads(n)));
      return scrape(metrics);
    };
    const few = await count(5);
    const many = await count(500);
    expect(many.length).toBe(few.length);
    const values = new Set(many.flatMap((s) => Object.values(s.labels)));
    expect([...values].filter((v) => /^(job|svc|team)-\d+$/.test(v))).toEqual([]);
    // The counts do follow the workloads.
    expect(get(many, 'suanwang_trainingjobs', { phase: 'Running' })).toBe(100);
  });
});

describe('inferencePhase', () => {
  it.each([
    { name: 'waiting for its queue', svc: { replicas: 0, conditions: [{ type: 'Admitted', status: 'False' }] }, want: 'Pending' },
    { name: 'placed, not ready yet', svc: { replicas: 2, conditions: [] }, want: 'NotReady' },
    { name: 'serving as asked', svc: { replicas: 2, conditions: [{ type: 'Ready', status: 'True' }] }, want: 'Ready' },
    { name: 'serving with fewer', svc: { replicas: 1, conditions: [{ type: 'Ready', status: 'True' }, { type: 'Degraded', status: 'True' }] }, want: 'Degraded' },
  ])('$name is $want', ({ svc, want }) => {
    expect(inferencePhase({ metadata: {}, spec: {}, status: svc } as unknown as InferenceService)).toBe(want);
  });
});

describe('OperatorMetrics names', () => {
  it('exposes every metric the alerts and the dashboard are written against', async () => {
    const metrics = new OperatorMetrics(newMetricsRegistry());
    metrics.watchCaches(sources([], []));
    const names = await exposedMetricNames(metrics.registry);
    for (const name of OPERATOR_METRICS) expect(names, name).toContain(name);
    expect(names).toContain('process_resident_memory_bytes');
  });
});

/** OPERATOR_METRICS are the operator's metric names as docs/metrics.md lists them. */
const OPERATOR_METRICS = [
  'suanwang_reconcile_total',
  'suanwang_reconcile_duration_seconds',
  'suanwang_workqueue_depth',
  'suanwang_workqueue_adds_total',
  'suanwang_workqueue_retries_total',
  'suanwang_workqueue_oldest_item_age_seconds',
  'suanwang_informer_restarts_total',
  'suanwang_informer_relists_total',
  'suanwang_placement_duration_seconds',
  'suanwang_placement_decisions_total',
  'suanwang_admission_cycle_duration_seconds',
  'suanwang_queue_waiting_workloads',
  'suanwang_site_ready',
  'suanwang_site_agent_connected',
  'suanwang_site_heartbeat_age_seconds',
  'suanwang_site_devices',
  'suanwang_site_allocatable',
  'suanwang_site_allocated',
  'suanwang_agent_sessions',
  'suanwang_agent_messages_total',
  'suanwang_agent_messages_dropped_total',
  'suanwang_trainingjobs',
  'suanwang_inferenceservices',
  'suanwang_failovers_total',
  'suanwang_preemptions_total',
  'suanwang_queue_usage',
  'suanwang_queue_cost_per_hour',
];
