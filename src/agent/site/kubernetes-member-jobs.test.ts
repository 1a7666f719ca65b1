import { afterEach, describe, expect, it } from 'vitest';
import { LABEL_EPOCH, LABEL_MANAGED_BY, LABEL_NAMESPACE, LABEL_OWNER_UID, LABEL_WORKLOAD, MANAGED_BY } from '../../api/names.ts';
import { ApiError } from '../../runtime/errors.ts';
import { FakeApiserver, json, status } from '../kube/testing.ts';
import { kubernetesMemberJobs, MEMBER_JOB_SELECTOR } from './kubernetes-member-jobs.ts';

let fake: FakeApiserver;
afterEach(async () => {
  await fake.stop();
});

const job = (name: string, labels: Record<string, string>, deleting = false): unknown => ({
  metadata: { name, namespace: 'ml', labels, managedFields: [{}], ...(deleting && { deletionTimestamp: '2026-01-01T00:00:00Z' }) },
  spec: { template: {} },
});

describe("the fence's member Jobs at the site's apiserver", () => {
  it('lists the labelled Jobs of every namespace and reads their workload, epoch and owner', async () => {
    fake = new FakeApiserver();
    fake.handler = (_s, res) =>
      json(res, {
        metadata: { resourceVersion: '9' },
        items: [
          job('train-0', { [LABEL_MANAGED_BY]: MANAGED_BY, [LABEL_NAMESPACE]: 'team', [LABEL_WORKLOAD]: 'train', [LABEL_EPOCH]: '3', [LABEL_OWNER_UID]: 'u-1' }, true),
          job('odd', { [LABEL_MANAGED_BY]: MANAGED_BY, [LABEL_WORKLOAD]: 'odd', [LABEL_EPOCH]: 'x' }),
        ],
      });
    const jobs = kubernetesMemberJobs(await fake.api());
    expect(await jobs.list()).toEqual([
      { namespace: 'ml', name: 'train-0', deleting: true, workload: { namespace: 'team', name: 'train' }, epoch: 3, ownerUid: 'u-1' },
      { namespace: 'ml', name: 'odd', deleting: false, workload: { namespace: '', name: 'odd' }, epoch: undefined, ownerUid: undefined },
    ]);
    expect(fake.seen).toMatchObject([{ method: 'GET', path: '/apis/batch/v1/jobs', query: { labelSelector: MEMBER_JOB_SELECTOR } }]);
  });

  it('deletes in the foreground, takes a Job already gone as done, and throws other failures as ApiError', async () => {
    fake = new FakeApiserver();
    fake.handler = (seen, res) => (seen.path.endsWith('/gone') ? status(res, 404, 'NotFound') : seen.path.endsWith('/locked') ? status(res, 403, 'Forbidden') : json(res, { kind: 'Status', status: 'Success' }));
    const jobs = kubernetesMemberJobs(await fake.api());
    await jobs.remove('ml', 'train-0');
    await jobs.remove('ml', 'gone');
    const err = await jobs.remove('ml', 'locked').then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe('Forbidden');
    expect(fake.seen[0]).toMatchObject({ method: 'DELETE', path: '/apis/batch/v1/namespaces/ml/jobs/train-0', query: { propagationPolicy: 'Foreground' } });
  });
});
