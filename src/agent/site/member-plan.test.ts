import { describe, expect, it } from 'vitest';
import { parseImagePrefix, type ImagePrefix } from './image-reference.ts';
import { memberKey, type MemberId } from './member-kinds.ts';
import { planMemberSync, type DesiredEntry, type HeldMember, type MemberPlan, type PlanInput, type SyncChange } from './member-plan.ts';
import { desired, jobManifest, serviceManifest, workloadLabels } from './member-testing.ts';
import { DEFAULT_SITE_POLICY, RefusalReason, type SitePolicy } from './site-policy.ts';

const held = (kind: string, name: string, appliedHash: string | undefined, opts: Partial<HeldMember> & { namespace?: string } = {}): HeldMember => ({
  id: { kind, namespace: opts.namespace ?? 'ml', name },
  appliedHash,
  deleting: opts.deleting ?? false,
  managed: opts.managed ?? true,
});

const full = (...apply: SyncChange['apply']): SyncChange => ({ full: true, apply, remove: [] });
const change = (apply: SyncChange['apply'], remove: SyncChange['remove'] = []): SyncChange => ({ full: false, apply, remove });

function plan(sync: SyncChange, opts: Partial<Omit<PlanInput, 'sync'>> = {}): MemberPlan {
  return planMemberSync({ sync, desired: opts.desired ?? new Map(), held: opts.held ?? [], policy: opts.policy ?? DEFAULT_SITE_POLICY, ...(opts.context ? { context: opts.context } : {}) });
}

const names = (ids: readonly MemberId[]): string[] => ids.map((i) => `${i.kind} ${i.namespace}/${i.name}`).sort();

function imagesOnly(...prefixes: string[]): SitePolicy {
  const images: ImagePrefix[] = prefixes.map((p) => {
    const parsed = parseImagePrefix(p);
    if (!parsed.ok) throw new Error(parsed.error);
    return parsed.value;
  });
  return { ...DEFAULT_SITE_POLICY, images };
}

describe('planMemberSync: a full set against what the site holds', () => {
  it('applies what differs, skips what is held with the same hash, deletes only what is named in remove, and never anything unlabelled', () => {
    const sync = full(desired(jobManifest('train'), 'h-job'), desired(serviceManifest('train'), 'h-svc'), desired(jobManifest('eval'), 'h-eval-2'));
    const p = plan({ ...sync, remove: [{ kind: 'Job', namespace: 'ml', name: 'old' }, { kind: 'Job', namespace: 'ml', name: 'users-own' }] }, {
      held: [
        held('Job', 'train', 'h-job'), // same content: unchanged
        held('Job', 'eval', 'h-eval-1'), // older content: applied again
        held('Job', 'old', 'h-old'), // labelled, named in remove: deleted
        held('Deployment', 'serve', undefined), // labelled, left out of the full set: kept (the operator names what goes)
        held('Job', 'stopping', 'h', { deleting: true }), // already being deleted: left to finish
        held('Job', 'users-own', undefined, { managed: false }), // unlabelled: never touched, even when named
      ],
    });
    expect(names(p.apply.map((a) => a.id))).toEqual(['Job ml/eval', 'Service ml/train']);
    expect(names(p.unchanged)).toEqual(['Job ml/train']);
    expect(names(p.delete)).toEqual(['Job ml/old']);
    expect(p.refuse).toEqual([]);
    expect(p.deferred).toEqual([]);
    expect(p.namespaces).toEqual(['ml']);
    expect([...p.desired.keys()].sort()).toEqual(['Job/ml/eval', 'Job/ml/train', 'Service/ml/train']);
    // Each apply knows whether the site holds a labelled object of the name, or it must look for someone else's first.
    expect(p.apply.map((a) => `${a.id.kind} ${a.id.name} held=${a.held}`).sort()).toEqual(['Job eval held=true', 'Service train held=false']);
  });

  it('applies the manifest labelled as Suanwang\'s and annotated with its hash, without the fields the apiserver owns', () => {
    const m = jobManifest('train', { labels: { 'suanwang.io/workload': 'train' } });
    m['metadata']['resourceVersion'] = '42';
    m['metadata']['uid'] = 'u';
    m['status'] = { active: 1 };
    const [step] = plan(full(desired(m, 'h1'))).apply;
    expect(step?.object.metadata).toEqual({
      name: 'train',
      namespace: 'ml',
      labels: { 'suanwang.io/workload': 'train', 'app.kubernetes.io/managed-by': 'suanwang' },
      annotations: { 'suanwang.io/applied-hash': 'h1' },
    });
    expect(step?.object).not.toHaveProperty('status');
    expect((step?.object as { spec?: unknown }).spec).toEqual(m['spec']);
  });

  it('lets a member whose copy is being deleted wait for it, and an empty full set (a new operator) deletes nothing', () => {
    const p = plan(full(desired(jobManifest('train'), 'h2')), { held: [held('Job', 'train', 'h1', { deleting: true })] });
    expect(names(p.deferred)).toEqual(['Job ml/train']);
    expect(p.apply).toEqual([]);
    expect(p.delete).toEqual([]);
    const empty = plan(full(), { held: [held('Job', 'a', 'x'), held('Service', 'a', 'y'), held('Job', 'mine', undefined, { managed: false })] });
    expect(empty.delete).toEqual([]);
  });
});

describe('planMemberSync: the site policy', () => {
  it('refuses a whole workload when one member breaks a rule, each with its reason, and leaves its running copies alone', () => {
    const labels = workloadLabels('train', 3);
    const p = plan(
      {
        ...full(
          desired(jobManifest('train-3', { labels, image: 'evil.io/miner:1' }), 'h-job'),
          desired(serviceManifest('train', { labels }), 'h-svc'),
          desired(jobManifest('other', { image: 'registry.example.com/llm/eval:2' }), 'h-other'),
        ),
        remove: [{ kind: 'Job', namespace: 'ml', name: 'train-2' }],
      },
      { policy: imagesOnly('registry.example.com/llm'), held: [held('Service', 'train', 'h-svc-old'), held('Job', 'train-2', 'h-old')] },
    );
    expect(names(p.apply.map((a) => a.id))).toEqual(['Job ml/other']);
    expect(p.refuse.map((r) => [r.id.kind, r.id.name, r.hash, r.reason])).toEqual([
      ['Job', 'train-3', 'h-job', RefusalReason.ImageNotAllowed],
      ['Service', 'train', 'h-svc', RefusalReason.ImageNotAllowed],
    ]);
    expect(p.refuse[0]?.message).toMatch(/^Job ml\/train-3: spec\.template\.spec\.containers\[0\]\.image: image "evil\.io\/miner:1"/);
    expect(p.refuse[1]?.message).toMatch(/^not applied with the rest of its workload: Job ml\/train-3: /);
    // The refused Service's running copy is desired, so it stays; the old epoch's Job is removed by the operator, so it goes.
    expect(names(p.delete)).toEqual(['Job ml/train-2']);
  });

  it('counts devices over the workload: two Jobs of one epoch together over the limit are both refused', () => {
    const labels = workloadLabels('big', 1);
    const policy = { ...DEFAULT_SITE_POLICY, maxDevicesPerWorkload: 12 };
    const members = [desired(jobManifest('big-a', { labels, gpus: 8 }), 'a'), desired(jobManifest('big-b', { labels, gpus: 8 }), 'b')];
    const p = plan(full(...members), { policy });
    expect(p.refuse.map((r) => r.reason)).toEqual([RefusalReason.TooManyDevices, RefusalReason.TooManyDevices]);
    expect(p.refuse[0]?.message).toContain('16 accelerator devices');
    // Another epoch is another workload: each Job alone fits.
    const split = plan(full(members[0]!, desired(jobManifest('big-b', { labels: workloadLabels('big', 2), gpus: 8 }), 'b')), { policy });
    expect(split.refuse).toEqual([]);
    expect(split.apply).toHaveLength(2);
  });

  it('refuses a namespace the policy does not allow and the agent\'s own, and creates no namespace for them', () => {
    const policy = { ...DEFAULT_SITE_POLICY, namespaces: ['team-*', 'suanwang-agent'] };
    const p = plan(
      full(
        desired(jobManifest('a', { namespace: 'team-x', labels: workloadLabels('a', 1, 'team-x') }), 'a'),
        desired(jobManifest('b', { namespace: 'kube-system', labels: workloadLabels('b', 1, 'kube-system') }), 'b'),
        desired(jobManifest('c', { namespace: 'suanwang-agent', labels: workloadLabels('c', 1, 'suanwang-agent') }), 'c'),
      ),
      { policy, context: { agentNamespace: 'suanwang-agent' } },
    );
    expect(p.namespaces).toEqual(['team-x']);
    expect(p.refuse.map((r) => [r.id.name, r.reason])).toEqual([
      ['b', RefusalReason.NamespaceNotAllowed],
      ['c', RefusalReason.NamespaceNotAllowed],
    ]);
  });

  it('refuses members it cannot read: another kind, another API version, bad JSON, a name that disagrees, no hash', () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: 'ml' } };
    const oldJob = { ...jobManifest('old-api'), apiVersion: 'batch/v1beta1' };
    const p = plan(
      full(
        desired(cm, 'h'),
        desired(oldJob, 'h'),
        { ref: { kind: 'Job', namespace: 'ml', name: 'garbled' }, manifestJson: '{"kind":', contentHash: 'h' },
        { ref: { kind: 'Job', namespace: 'ml', name: 'alias' }, manifestJson: JSON.stringify(jobManifest('real')), contentHash: 'h' },
        desired(jobManifest('unhashed'), ''),
      ),
    );
    expect(p.apply).toEqual([]);
    expect(p.refuse.map((r) => [r.id.name, r.reason, r.message])).toEqual([
      ['cm', RefusalReason.KindNotAllowed, 'ConfigMap ml/cm: kind "ConfigMap" is not a member kind the site applies (Job, Service, Deployment)'],
      ['old-api', RefusalReason.KindNotAllowed, 'Job ml/old-api: the manifest is batch/v1beta1 Job, not batch/v1 Job'],
      ['garbled', RefusalReason.InvalidObject, expect.stringMatching(/^Job ml\/garbled: the manifest is not JSON \(/)],
      ['alias', RefusalReason.InvalidObject, 'Job ml/alias: the manifest names ml/real, not ml/alias'],
      ['unhashed', RefusalReason.InvalidObject, 'Job ml/unhashed: the member came without a content hash'],
    ]);
  });
});

describe('planMemberSync: changes', () => {
  function desiredOf(p: MemberPlan): Map<string, DesiredEntry> {
    return new Map(p.desired);
  }

  it('adds and removes members, deletes only labelled objects it holds, and looks at no untouched workload', () => {
    const before = plan(full(desired(jobManifest('a'), 'a1'), desired(jobManifest('b'), 'b1')));
    const p = plan(change([desired(jobManifest('c'), 'c1')], [{ kind: 'Job', namespace: 'ml', name: 'a' }, { kind: 'Job', namespace: 'ml', name: 'gone-already' }]), {
      desired: desiredOf(before),
      held: [held('Job', 'a', 'a1'), held('Job', 'b', 'b1'), held('Job', 'stray', 'x'), held('Job', 'gone-already', undefined, { managed: false })],
    });
    expect([...p.desired.keys()].sort()).toEqual(['Job/ml/b', 'Job/ml/c']);
    expect(names(p.apply.map((a) => a.id))).toEqual(['Job ml/c']);
    // A change sync deletes what it names, not what it leaves out (stray stays), and never an unlabelled object.
    expect(names(p.delete)).toEqual(['Job ml/a']);
    expect(p.unchanged).toEqual([]);
  });

  it('checks the whole workload again when one member changes: fixing the Service frees the Job', () => {
    const labels = workloadLabels('train', 1);
    const before = plan(full(desired(jobManifest('train', { labels }), 'job'), desired(serviceManifest('train', { labels, type: 'NodePort' }), 'svc-1')));
    expect(before.refuse.map((r) => [r.id.kind, r.reason])).toEqual([
      ['Job', RefusalReason.ServiceExposureNotAllowed],
      ['Service', RefusalReason.ServiceExposureNotAllowed],
    ]);
    const fixed = plan(change([desired(serviceManifest('train', { labels }), 'svc-2')]), { desired: desiredOf(before) });
    expect(fixed.refuse).toEqual([]);
    expect(names(fixed.apply.map((a) => a.id))).toEqual(['Job ml/train', 'Service ml/train']);
  });

  it('applies nothing again when the same content comes back', () => {
    const sync = full(desired(jobManifest('a'), 'a1'), desired(serviceManifest('a'), 's1'));
    const first = plan(sync);
    const again = plan(sync, { desired: desiredOf(first), held: [held('Job', 'a', 'a1'), held('Service', 'a', 's1')] });
    expect(again.apply).toEqual([]);
    expect(again.delete).toEqual([]);
    expect(names(again.unchanged)).toEqual(['Job ml/a', 'Service ml/a']);
    expect(memberKey(again.unchanged[0]!)).toBe('Job/ml/a');
  });
});
