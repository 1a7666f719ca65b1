import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../runtime/clock.ts';
import { ApiError } from '../../runtime/errors.ts';
import { flush } from '../../runtime/testing.ts';
import type { MemberSyncOut } from '../../wire/messages.ts';
import { MemberApplier } from './member-applier.ts';
import { ANNOTATION_APPLIED_HASH, memberKey } from './member-kinds.ts';
import { APPLY_REJECTED } from './member-plan.ts';
import { desired, FakeMemberSite, heldObject, jobManifest, serviceManifest, workloadLabels } from './member-testing.ts';
import { DEFAULT_SITE_POLICY, RefusalReason } from './site-policy.ts';

function setup(opts: { paused?: () => boolean; policy?: typeof DEFAULT_SITE_POLICY } = {}) {
  const site = new FakeMemberSite();
  const clock = new FakeClock();
  const changed: string[][] = [];
  const applier = new MemberApplier({
    api: site,
    held: () => site.held(),
    policy: opts.policy ?? DEFAULT_SITE_POLICY,
    clock,
    random: () => 0.5,
    logger: pino({ level: 'silent' }),
    changed: (ids) => changed.push(ids.map((i) => `${i.kind} ${i.name}`)),
    concurrency: 1,
    ...(opts.paused ? { paused: opts.paused } : {}),
  });
  return { site, clock, changed, applier };
}

const sync = (generation: number, apply: NonNullable<MemberSyncOut['apply']>, full = true, remove: NonNullable<MemberSyncOut['remove']> = []): MemberSyncOut => ({
  full,
  generation,
  apply,
  remove,
});

describe('MemberApplier', () => {
  it('creates the namespace first, applies, deletes what the sync removes (Jobs in the foreground), and applies nothing twice', async () => {
    const { site, applier, changed } = setup();
    site.hold(heldObject('Job', 'old', 'h'));
    site.hold(heldObject('Service', 'old', 'h'));
    site.hold(heldObject('Job', 'users-job', undefined, { managed: false }));
    const labels = workloadLabels('a', 1, 'team');
    const members = [desired(jobManifest('a', { namespace: 'team', labels }), 'job-1'), desired(serviceManifest('a', { namespace: 'team', labels }), 'svc-1')];
    await applier.accept(sync(3, members, true, [{ kind: 'Job', namespace: 'ml', name: 'old' }, { kind: 'Service', namespace: 'ml', name: 'old' }, { kind: 'Job', namespace: 'ml', name: 'users-job' }]));
    expect(site.calls).toEqual([
      'namespace team',
      'read Job team/a',
      'apply Job team/a',
      'read Service team/a',
      'apply Service team/a',
      'delete Job ml/old foreground',
      'delete Service ml/old',
    ]);
    expect(applier.appliedGeneration).toBe(3);
    expect(changed).toEqual([[]]);
    expect(site.objects.get('Job/team/a')?.metadata?.annotations?.[ANNOTATION_APPLIED_HASH]).toBe('job-1');
    expect(site.objects.has('Job/ml/users-job')).toBe(true);

    // The operator's next session sends the same set again: nothing to do, but the generation moves.
    site.calls.length = 0;
    await applier.accept(sync(4, members));
    expect(site.calls).toEqual([]);
    expect(applier.appliedGeneration).toBe(4);
  });

  it('takes over no unlabelled object of the same name, and turns an apply the apiserver refuses into ApplyRejected', async () => {
    const { site, applier, changed } = setup();
    site.hold(heldObject('Job', 'taken', undefined, { managed: false }));
    site.failApply = (obj) => (obj.metadata?.name === 'bad' ? new ApiError({ code: 'Invalid', status: 422, message: 'spec.template: Required value' }) : undefined);
    await applier.accept(sync(1, [desired(jobManifest('taken'), 't'), desired(jobManifest('bad'), 'b'), desired(jobManifest('fine'), 'f')]));
    expect(site.calls).toEqual(['namespace ml', 'read Job ml/taken', 'read Job ml/bad', 'apply Job ml/bad (fails)', 'read Job ml/fine', 'apply Job ml/fine']);
    expect([...applier.refusals.values()].map((r) => [r.id.name, r.hash, r.reason, r.message])).toEqual([
      ['taken', 't', APPLY_REJECTED, expect.stringContaining('Job ml/taken: the site already has an object of this name that is not Suanwang\'s')],
      ['bad', 'b', APPLY_REJECTED, "Job ml/bad: the site's apiserver refused it (Invalid 422): spec.template: Required value"],
    ]);
    expect(changed).toEqual([['Job taken', 'Job bad']]);
    expect(site.objects.get('Job/ml/taken')?.metadata?.labels).toEqual({ app: 'taken' });
  });

  it('records policy refusals and drops them when the member leaves the desired set', async () => {
    const { applier, site, changed } = setup({ policy: { ...DEFAULT_SITE_POLICY, namespaces: ['ml'] } });
    await applier.accept(sync(1, [desired(jobManifest('x', { namespace: 'other', labels: workloadLabels('x', 1, 'other') }), 'x1')]));
    expect([...applier.refusals.values()].map((r) => [memberKey(r.id), r.reason])).toEqual([['Job/other/x', RefusalReason.NamespaceNotAllowed]]);
    expect(site.calls).toEqual([]);
    await applier.accept(sync(2, []));
    expect(applier.refusals.size).toBe(0);
    expect(changed).toEqual([['Job x'], ['Job x']]);
  });

  it('tries a failure that may pass again with backoff, and applies nothing while paused', async () => {
    let paused = false;
    const { site, applier, clock } = setup({ paused: () => paused });
    let failures = 1;
    site.failApply = () => (failures-- > 0 ? new ApiError({ code: 'Unavailable', status: 503, message: 'etcd leader changed' }) : undefined);
    await applier.accept(sync(1, [desired(jobManifest('a'), 'a1')]));
    expect(site.calls.filter((c) => c.startsWith('apply'))).toEqual(['apply Job ml/a (fails)']);
    expect(applier.refusals.size).toBe(0);
    paused = true;
    clock.advance(1000); // the first retry, at 1 s (random 0.5 is the middle of ±20 %)
    await flush();
    expect(site.calls.filter((c) => c.startsWith('apply'))).toEqual(['apply Job ml/a (fails)']);
    paused = false;
    clock.advance(2000); // the second retry, doubled
    await flush();
    expect(site.calls.filter((c) => c.startsWith('apply'))).toEqual(['apply Job ml/a (fails)', 'apply Job ml/a']);
    expect(clock.pending()).toBe(0);
  });

  it('lets a member wait while its old copy is deleted, and applies it once the watch says the copy is gone', async () => {
    const { site, applier } = setup();
    site.hold(heldObject('Job', 'a', 'a1', { deleting: true }));
    await applier.accept(sync(1, [desired(jobManifest('a'), 'a2')]));
    expect(site.calls).toEqual([]);
    site.objects.delete('Job/ml/a');
    applier.heldGone({ kind: 'Job', namespace: 'ml', name: 'a' });
    await flush();
    expect(site.calls).toEqual(['namespace ml', 'read Job ml/a', 'apply Job ml/a']);
    expect(site.objects.get('Job/ml/a')?.metadata?.annotations?.[ANNOTATION_APPLIED_HASH]).toBe('a2');
    // A copy that goes away when nothing waits for it is not brought back.
    applier.heldGone({ kind: 'Job', namespace: 'ml', name: 'a' });
    await flush();
    expect(site.calls).toHaveLength(3);
  });

  it('deletes what a change sync removes, and keeps the desired set across change syncs', async () => {
    const { site, applier } = setup();
    await applier.accept(sync(1, [desired(jobManifest('a'), 'a1'), desired(jobManifest('b'), 'b1')]));
    await applier.accept(sync(2, [desired(jobManifest('c'), 'c1')], false, [{ kind: 'Job', namespace: 'ml', name: 'a' }]));
    expect(applier.desiredCount).toBe(2);
    expect([...site.objects.keys()].sort()).toEqual(['Job/ml/b', 'Job/ml/c']);
    expect(site.calls.filter((c) => c.startsWith('delete'))).toEqual(['delete Job ml/a foreground']);
  });
});
