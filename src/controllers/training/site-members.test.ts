import type { V1Job, V1Service } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { LABEL_EPOCH, LABEL_NAMESPACE, LABEL_WORKLOAD } from '../../api/names.ts';
import { desiredMemberOf } from '../../clusters/pull-desired-member.ts';
import type { MemberSync } from '../../clusters/pull-member-messages.ts';
import { PullSiteMembers } from '../../clusters/pull-site-members.ts';
import { memberKeyOf } from '../../clusters/site-member-port.ts';
import { FakeClock } from '../../runtime/clock.ts';
import { deleteMembers, readMembers } from './site-members.ts';

const SITE = 'shanghai';
const NAME = 'default-train';
const REFUSAL = { reason: 'ImageNotAllowed', message: 'Job default/default-train: image "evil.io/x:1" is not under an allowed prefix' };
const labels = { [LABEL_WORKLOAD]: 'train', [LABEL_NAMESPACE]: 'default', [LABEL_EPOCH]: '1' };
const JOB: V1Job = { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: NAME, namespace: 'default', labels }, spec: { template: {} } };
const SERVICE: V1Service = { apiVersion: 'v1', kind: 'Service', metadata: { name: NAME, namespace: 'default', labels }, spec: { clusterIP: 'None' } };

describe('deleteMembers at a pull site', () => {
  it('withdraws the refusal of members the site refused, so later reads find nothing refused and no sync repeats them', async () => {
    const sent: MemberSync[] = [];
    const store = new PullSiteMembers({ send: (_site, sync) => sent.push(structuredClone(sync)) > 0, clock: new FakeClock(0) });
    const port = store.port(SITE);
    store.sessionOpened(SITE);
    store.report(SITE, { full: true, states: [], gone: [] });
    await port.apply(SERVICE);
    await port.apply(JOB);
    store.report(SITE, {
      full: false,
      states: [JOB, SERVICE].map((o) => ({ key: memberKeyOf(o), appliedHash: desiredMemberOf(o).hash, refusal: REFUSAL })),
      gone: [],
    });
    expect((await readMembers(port, 'default', NAME)).refusal).toEqual(REFUSAL);
    sent.length = 0;

    expect(await deleteMembers(port, 'default', NAME, 'train')).toBe(true);
    expect(await readMembers(port, 'default', NAME)).toEqual({ job: undefined, service: undefined });
    store.sessionOpened(SITE);
    expect(sent.at(-1)).toEqual({ full: true, apply: [], remove: [memberKeyOf(JOB), memberKeyOf(SERVICE)] });
  });
});
