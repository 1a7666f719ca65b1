// An InferenceService's GitOps health in every state, through the same status code the controller runs: below its
// minimum in progress, at or above it current, never placeable failed.
import { describe, expect, it } from 'vitest';
import type { InferenceService, InferenceServiceStatus, PlacementRecord } from '../../api/generated/types.ts';
import { DEFAULT_PLACEMENT_CONFIG } from '../../placement/config.ts';
import type { Assignment } from '../../placement/distribute.ts';
import { inferenceWorkload } from '../../placement/workload.ts';
import { findCondition } from '../../runtime/conditions.ts';
import { admittedStatus, waitingStatus } from './admission-status.ts';
import { placeInferenceService } from './placing.ts';
import { invalidSpecStatus, nextInferenceStatus, type RecordedDecision, type SiteObservation } from './status.ts';
import { gpuPool, makeService, makeSite, memberDeployment, memberService, variant } from './testing.ts';

const T0 = Date.UTC(2026, 0, 1, 8, 0, 0);
const at = (s: number): Date => new Date(T0 + s * 1000);
const record: PlacementRecord = { epoch: 1, message: 'placed 3/3 replicas on 1 site: a 3 (gpu)' };
const three: Assignment[] = [{ site: 'a', variant: 'gpu', replicas: 3 }];

/** svc: min 2, max 3 replicas of one H100 each. */
function svc(): InferenceService {
  return makeService('chat').replicas(2, 3).generation(1).variant(variant('gpu').nvidia(undefined, 1)).obj();
}
function decision(more: Partial<RecordedDecision> = {}): RecordedDecision {
  return { assignments: three, placement: record, short: 0, sitesShort: 0, ...more };
}
function readyAt(s: InferenceService, ready: number): Map<string, SiteObservation> {
  return new Map([['a', { deployment: memberDeployment(s, 'a').ready(ready).obj(), service: memberService(s, 'a') }]]);
}

function health(status: InferenceServiceStatus) {
  const brief = (type: string) => {
    const c = findCondition(status.conditions, type);
    return c === undefined ? undefined : `${c.status}/${c.reason}`;
  };
  return { ready: brief('Ready'), reconciling: brief('Reconciling'), stalled: brief('Stalled') };
}

describe('InferenceService health', () => {
  const cases: ReadonlyArray<{ name: string; status: () => InferenceServiceStatus; wantReady?: string; wantReconciling?: string; wantStalled?: string }> = [
    {
      name: 'placed, none ready yet: in progress',
      status: () => nextInferenceStatus(svc(), decision(), readyAt(svc(), 0), at(0)),
      wantReady: 'False/ReplicasNotReady',
      wantReconciling: 'True/ReplicasNotReady',
    },
    {
      name: 'one of a minimum of two ready: in progress',
      status: () => nextInferenceStatus(svc(), decision(), readyAt(svc(), 1), at(0)),
      wantReady: 'False/ReplicasNotReady',
      wantReconciling: 'True/ReplicasNotReady',
    },
    {
      name: 'the minimum ready, one more desired still starting: current (Degraded says the rest)',
      status: () => nextInferenceStatus(svc(), decision(), readyAt(svc(), 2), at(0)),
      wantReady: 'True/MinReplicasReady',
    },
    { name: 'all ready: current', status: () => nextInferenceStatus(svc(), decision(), readyAt(svc(), 3), at(0)), wantReady: 'True/MinReplicasReady' },
    {
      name: 'the minimum could never fit the federation as built: failed',
      status: () => nextInferenceStatus(svc(), decision({ assignments: [], short: 3, neverFits: '0 of 2 replicas fit: no site fits' }), new Map(), at(0)),
      wantReady: 'False/ReplicasNotReady',
      wantStalled: 'True/NeverFits',
    },
    {
      name: 'waiting for its queue: in progress',
      status: () => waitingStatus(svc(), { kind: 'Wait', reason: 'QuotaExceeded', message: 'needs 2 nvidia.com/gpu, queue has 1 left' }, at(0)),
      wantReady: 'False/QuotaExceeded',
      wantReconciling: 'True/QuotaExceeded',
    },
    {
      name: 'its queue could never admit it: failed',
      status: () => waitingStatus(svc(), { kind: 'Wait', reason: 'QuotaExceeded', message: 'needs 2 nvidia.com/gpu, quota 1', never: true }, at(0)),
      wantReady: 'False/QuotaExceeded',
      wantStalled: 'True/NeverFits',
    },
    {
      name: 'admitted, not placed yet: in progress',
      status: () => admittedStatus(svc(), { kind: 'Admit', queue: 'default', charge: { 'nvidia.com/gpu': 2 }, borrowed: {} }, at(0)),
      wantReconciling: 'True/QuotaReserved',
    },
    {
      name: 'a spec placement cannot read, while the old one still serves: failed',
      status: () => {
        const serving = { ...svc(), status: nextInferenceStatus(svc(), decision(), readyAt(svc(), 3), at(0)) };
        return invalidSpecStatus(serving, 'invalid spec: spec.variants[0].resources.memory: "lots" is not a quantity', at(1));
      },
      wantReady: 'True/MinReplicasReady',
      wantStalled: 'True/NeverFits',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(health(c.status())).toEqual({ ready: c.wantReady, reconciling: c.wantReconciling, stalled: c.wantStalled });
    });
  }

  it('from in progress to current: Reconciling goes, and recomputing the same state changes nothing', () => {
    const starting = { ...svc(), status: nextInferenceStatus(svc(), decision(), readyAt(svc(), 1), at(0)) };
    const serving = { ...starting, status: nextInferenceStatus(starting, decision(), readyAt(svc(), 2), at(10)) };
    expect(health(serving.status)).toEqual({ ready: 'True/MinReplicasReady', reconciling: undefined, stalled: undefined });
    expect(nextInferenceStatus(serving, decision(), readyAt(svc(), 2), at(20))).toEqual(serving.status);
  });
});

describe('placeInferenceService: not now, or never', () => {
  // One site of 1 node × 8 H100, all in use now.
  const busy = makeSite('a').pool(gpuPool('h100').nvidia('NVIDIA-H100-80GB-HBM3', 8).nodes(1).allocated({ 'nvidia.com/gpu': '8' })).obj();
  const decide = (min: number) => {
    const s = makeService('chat').replicas(min).variant(variant('gpu').nvidia(undefined, 1)).obj();
    const workload = inferenceWorkload(s);
    if (!workload.ok) throw new Error(workload.errors.join('; '));
    return placeInferenceService({ svc: s, workload: workload.value, sites: [busy], reads: new Map(), promised: {}, config: DEFAULT_PLACEMENT_CONFIG, graceMs: 60_000, now: at(0) });
  };
  it('2 replicas on a busy site of 8 devices: not now', () => {
    expect(decide(2).neverFits).toBeUndefined();
  });
  it('9 replicas where the whole federation has 8 devices: never, and why', () => {
    expect(decide(9).neverFits).toMatch(/^8 of 9 replicas fit: /);
  });
});
