import type { V1Job, V1Service } from '@kubernetes/client-node';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { TrainingJob, TrainingJobStatus } from '../../api/generated/types.ts';
import { FINALIZER_CLEANUP, LABEL_EPOCH, LABEL_NAMESPACE, LABEL_WORKLOAD } from '../../api/names.ts';
import { PushMemberPort } from '../../clusters/push-member-port.ts';
import type { SiteClient } from '../../clusters/site-clients.ts';
import { labSites } from '../../placement/testing.ts';
import { FakeClock } from '../../runtime/clock.ts';
import { trainingJobKey } from './controller.ts';
import type { HubPatcher as TrainingJobPatcher } from '../framework/hub-writer.ts';
import { memberName } from '../framework/member-names.ts';
import { PromisedCapacityTracker } from '../framework/promised-capacity.ts';
import { TrainingJobReconciler } from './reconciler.ts';
import { makeTrainingJob, memberJob, variant } from './testing.ts';

const KEY = trainingJobKey('default', 'train');
const GANG = { shanghai: { h100: { 'nvidia.com/gpu': 16, cpu: 32, memory: 2 * 64 * 2 ** 30 } } };

/** job is a 2 × 8 H100 gang, finalizer in place, with `status`. */
function job(status?: TrainingJobStatus): TrainingJob {
  return makeTrainingJob('train')
    .workers(2)
    .resources('16', '64Gi')
    .variant(variant('h100').nvidia('H100', 8))
    .edit((tj) => {
      tj.metadata.resourceVersion = '7';
      tj.metadata.finalizers = [FINALIZER_CLEANUP];
      if (status !== undefined) tj.status = structuredClone(status);
    })
    .obj();
}

/** patcher answers every write as the apiserver would a stale resourceVersion, or echoes `tj` back. */
function patcher(answer: 'conflict' | TrainingJob): TrainingJobPatcher {
  const write = async (): Promise<unknown> => {
    if (answer !== 'conflict') return structuredClone(answer);
    throw Object.assign(new Error('HTTP-Code: 409'), {
      code: 409,
      body: JSON.stringify({ kind: 'Status', reason: 'Conflict', message: 'the object has been modified' }),
    });
  };
  return { patchNamespacedCustomObject: write, patchNamespacedCustomObjectStatus: write } as unknown as TrainingJobPatcher;
}

/** siteHolding is a site client whose site holds `job` (and a Service of the same epoch) under the member name. */
function siteHolding(job: V1Job): SiteClient {
  const name = memberName('default', 'train');
  const service: V1Service = { metadata: { name, namespace: 'default', labels: { [LABEL_EPOCH]: '1' } } };
  const apis = {
    batch: { readNamespacedJob: async () => structuredClone(job) },
    core: { readNamespacedService: async () => service },
  };
  return { site: 'shanghai', call: (_what: string, fn: (a: typeof apis) => Promise<unknown>) => fn(apis) } as unknown as SiteClient;
}

function reconciler(o: { tj: TrainingJob; hub: TrainingJobPatcher; promised: PromisedCapacityTracker; clock?: FakeClock; site?: SiteClient }) {
  return new TrainingJobReconciler({
    hub: o.hub,
    trainingJobs: () => o.tj,
    sites: () => [labSites().shanghai.obj()],
    sitePorts: {
      forSite: () => {
        if (o.site === undefined) throw new Error('no site call expected');
        return new PushMemberPort(o.site);
      },
    },
    clock: o.clock ?? new FakeClock(),
    logger: pino({ level: 'silent' }),
    promised: o.promised,
    findMemberJobs: () => [], // every site watched and holding nothing of the job
  });
}

describe('TrainingJobReconciler and promised capacity', () => {
  it('keeps the recorded decision’s promise when a pass on a stale cache fails to record a second one', async () => {
    const promised = new PromisedCapacityTracker();
    promised.hold(KEY, GANG); // the decision an earlier pass wrote; the cache does not show it yet
    const r = reconciler({ tj: job(), hub: patcher('conflict'), promised });
    await expect(r.reconcile(KEY)).rejects.toMatchObject({ code: 'Conflict' });
    expect(promised.total()).toEqual(GANG);
  });

  it('holds a gang’s promise while only part of it runs, and lets it go once all of it has run for the settle time', async () => {
    const clock = new FakeClock();
    const promised = new PromisedCapacityTracker({ settleMs: 5000 });
    promised.hold(KEY, GANG);
    const tj = job({ phase: 'Placed', site: 'shanghai', variant: 'h100', placement: { epoch: 1 } });
    const labels = { [LABEL_WORKLOAD]: 'train', [LABEL_NAMESPACE]: 'default', [LABEL_EPOCH]: '1' };
    const half = siteHolding(memberJob(memberName('default', 'train')).labels(labels).active(2).ready(1).obj());
    const whole = siteHolding(memberJob(memberName('default', 'train')).labels(labels).active(2).ready(2).obj());

    await reconciler({ tj, hub: patcher(tj), promised, clock, site: half }).reconcile(KEY);
    clock.advance(10_000);
    await reconciler({ tj, hub: patcher(tj), promised, clock, site: half }).reconcile(KEY);
    expect(promised.total()).toEqual(GANG);

    await reconciler({ tj, hub: patcher(tj), promised, clock, site: whole }).reconcile(KEY);
    expect(promised.holds(KEY)).toBe(true);
    clock.advance(5000);
    await reconciler({ tj, hub: patcher(tj), promised, clock, site: whole }).reconcile(KEY);
    expect(promised.holds(KEY)).toBe(false);
  });
});
