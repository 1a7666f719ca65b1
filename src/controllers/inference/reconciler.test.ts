import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { FINALIZER_CLEANUP } from '../../api/names.ts';
import { PushMemberPort } from '../../clusters/push-member-port.ts';
import type { SiteClient } from '../../clusters/site-clients.ts';
import { FakeClock } from '../../runtime/clock.ts';
import { PromisedCapacityTracker } from '../framework/promised-capacity.ts';
import { inferenceServiceKey } from './controller.ts';
import type { HubPatcher as InferenceServicePatcher } from '../framework/hub-writer.ts';
import { InferenceServiceReconciler } from './reconciler.ts';
import { labSites, makeService, variant } from './testing.ts';

/** emptySite is a site client whose site holds nothing of the service. */
const emptySite = {
  site: 'shanghai',
  call: (_what: string, fn: (apis: unknown) => Promise<unknown>) =>
    fn({
      apps: { listNamespacedDeployment: async () => ({ items: [] }) },
      core: { listNamespacedService: async () => ({ items: [] }) },
    }),
} as unknown as SiteClient;

/** conflicting answers every write as the apiserver answers a stale resourceVersion. */
const conflicting = (() => {
  const write = async (): Promise<never> => {
    throw Object.assign(new Error('HTTP-Code: 409'), {
      code: 409,
      body: JSON.stringify({ kind: 'Status', reason: 'Conflict', message: 'the object has been modified' }),
    });
  };
  return { patchNamespacedCustomObject: write, patchNamespacedCustomObjectStatus: write } as unknown as InferenceServicePatcher;
})();

describe('InferenceServiceReconciler and promised capacity', () => {
  it('keeps the recorded decision’s promise when a pass on a stale cache fails to record a second one', async () => {
    const key = inferenceServiceKey('default', 'chat');
    const recorded = { shanghai: { h100: { 'nvidia.com/gpu': 2 } } };
    const promised = new PromisedCapacityTracker();
    promised.hold(key, recorded); // the decision an earlier pass wrote; the cache does not show it yet
    const stale = makeService('chat')
      .replicas(2)
      .variant(variant('gpu').nvidia(undefined, 1))
      .edit((svc) => {
        svc.metadata.resourceVersion = '3';
        svc.metadata.finalizers = [FINALIZER_CLEANUP];
      })
      .obj();
    const r = new InferenceServiceReconciler({
      hub: conflicting,
      inferenceServices: () => stale,
      sites: () => [labSites().shanghai.obj()],
      sitePorts: { forSite: () => new PushMemberPort(emptySite) },
      clock: new FakeClock(),
      logger: pino({ level: 'silent' }),
      promised,
    });
    await expect(r.reconcile(key)).rejects.toMatchObject({ code: 'Conflict' });
    expect(promised.total()).toEqual(recorded);
  });
});
