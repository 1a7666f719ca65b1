// A new leader holds again what a service's not-yet-ready replicas were promised, pool by pool.
import { describe, expect, it } from 'vitest';
import { recordedPromise } from './recorded-promise.ts';
import { labSites, makeService, variant } from './testing.ts';

describe('recordedPromise (InferenceService)', () => {
  const sites = Object.values(labSites()).map((b) => b.obj());
  const shanghaiGpuPool = sites.find((s) => s.metadata.name === 'shanghai')?.status?.nodePools?.find((p) => p.accelerator !== undefined);

  it('holds the replicas that are not ready yet on their recorded pool, devices by the Site pool’s resource name', () => {
    const svc = makeService('chat')
      .replicas(3)
      .variant(variant('gpu').nvidia(undefined, 1))
      .edit((s) => {
        s.status = { sites: [{ site: 'shanghai', variant: 'gpu', pool: shanghaiGpuPool?.name ?? '', replicas: 3, readyReplicas: 1 }] };
      })
      .obj();
    const held = recordedPromise(svc, sites);
    const resource = shanghaiGpuPool?.accelerator?.resourceName ?? '';
    expect(held.shanghai?.[shanghaiGpuPool?.name ?? '']?.[resource]).toBe(2);
  });

  it('holds nothing once every replica is ready, or where no pool was recorded', () => {
    const ready = makeService('chat').replicas(2).variant(variant('gpu').nvidia(undefined, 1)).edit((s) => {
      s.status = { sites: [{ site: 'shanghai', variant: 'gpu', pool: 'h100', replicas: 2, readyReplicas: 2 }, { site: 'beijing', variant: 'gpu', replicas: 2, readyReplicas: 0 }] };
    });
    expect(recordedPromise(ready.obj(), sites)).toEqual({});
  });
});
