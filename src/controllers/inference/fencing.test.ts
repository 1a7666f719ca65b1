import type { V1Service } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { joinBlocks, planSites, runningPool, type SiteRead } from './fencing.ts';
import { inferenceMemberName, renderInferenceMembers } from './member-objects.ts';
import { deploymentNeedsApply, needsApply } from './site-actions.ts';
import { makeService, memberDeployment, memberService, variant, type MemberDeploymentBuilder } from './testing.ts';

const svc = makeService('chat').namespace('team-a').variant(variant('gpu').nvidia(undefined, 1)).obj();
const name = inferenceMemberName(svc);

function read(deployments: MemberDeploymentBuilder[], services: V1Service[] = []): SiteRead {
  return { ok: true, members: { deployments: deployments.map((d) => d.obj()), services } };
}
const empty: SiteRead = { ok: true, members: { deployments: [], services: [] } };
const failed: SiteRead = { ok: false, error: 'Timeout: site beijing did not answer' };

describe('planSites', () => {
  it('deletes everything at a site that is no longer assigned, whatever its epoch (a returning site is fenced off)', () => {
    const reads = new Map<string, SiteRead>([
      ['beijing', read([memberDeployment(svc, 'beijing').epoch(1)], [memberService(svc, 'beijing', '10.2.0.1', 8080, 1)])],
      ['shanghai', read([memberDeployment(svc, 'shanghai').epoch(1)], [memberService(svc, 'shanghai')])],
    ]);
    const plan = planSites(name, [{ site: 'shanghai', variant: 'gpu', replicas: 3, pool: 'h100' }], 2, reads);
    expect(plan).toEqual({
      kind: 'Act',
      sites: [
        {
          site: 'beijing',
          apply: undefined,
          deletes: [
            { kind: 'Deployment', name, epoch: 1 },
            { kind: 'Service', name, epoch: 1 },
          ],
        },
        { site: 'shanghai', apply: { site: 'shanghai', variant: 'gpu', replicas: 3, pool: 'h100' }, deletes: [] },
      ],
    });
  });

  it('keeps only the deterministic name at an assigned site; objects already being deleted are left alone', () => {
    const stray = memberDeployment(svc, 'shanghai').name('chat-old').epoch(1);
    const going = memberDeployment(svc, 'beijing').epoch(1).obj();
    going.metadata = { ...going.metadata, deletionTimestamp: new Date(0) };
    const reads = new Map<string, SiteRead>([
      ['shanghai', read([memberDeployment(svc, 'shanghai').epoch(2), stray])],
      ['beijing', { ok: true, members: { deployments: [going], services: [] } }],
    ]);
    const plan = planSites(name, [{ site: 'shanghai', variant: 'gpu', replicas: 3 }], 2, reads);
    expect(plan.kind === 'Act' && plan.sites).toEqual([
      { site: 'shanghai', apply: { site: 'shanghai', variant: 'gpu', replicas: 3 }, deletes: [{ kind: 'Deployment', name: 'chat-old', epoch: 1 }] },
    ]);
  });

  it('waits when a site holds a newer epoch than the recorded one (the hub cache is behind)', () => {
    const reads = new Map<string, SiteRead>([['beijing', read([memberDeployment(svc, 'beijing').epoch(3)])]]);
    const plan = planSites(name, [], 2, reads);
    expect(plan).toEqual({ kind: 'Wait', reason: `Deployment ${name} at beijing has epoch 3, newer than the recorded 2` });
  });

  it('never waits on objects of an earlier service of the same name: they are deleted, or applied over', () => {
    const current = { ...svc, metadata: { ...svc.metadata, uid: 'new-uid' } };
    const earlier = (site: string) => memberDeployment(svc, site).epoch(7).edit((d) => (d.metadata = { ...d.metadata, labels: { ...d.metadata?.labels, 'suanwang.io/owner-uid': 'old-uid' } }));
    const reads = new Map<string, SiteRead>([
      ['beijing', read([earlier('beijing')])],
      ['shanghai', read([earlier('shanghai')])],
    ]);
    const plan = planSites(name, [{ site: 'shanghai', variant: 'gpu', replicas: 1 }], 1, reads, current.metadata.uid);
    expect(plan).toEqual({
      kind: 'Act',
      sites: [
        { site: 'beijing', apply: undefined, deletes: [{ kind: 'Deployment', name, epoch: 7 }] },
        { site: 'shanghai', apply: { site: 'shanghai', variant: 'gpu', replicas: 1 }, deletes: [] },
      ],
    });
    expect([...joinBlocks(reads, [], 1, 'new-uid').keys()]).toEqual(['beijing', 'shanghai']);
    expect(planSites(name, [], 1, reads).kind).toBe('Wait');
  });

  it('does nothing at a site that could not be read, assigned or not', () => {
    const reads = new Map<string, SiteRead>([['beijing', failed]]);
    expect(planSites(name, [{ site: 'beijing', variant: 'gpu', replicas: 1 }], 1, reads)).toEqual({ kind: 'Act', sites: [] });
  });
});

describe('joinBlocks', () => {
  it('blocks unreadable sites and sites holding objects older than the recorded epoch; kept sites never', () => {
    const reads = new Map<string, SiteRead>([
      ['beijing', read([memberDeployment(svc, 'beijing').epoch(1)])],
      ['guizhou', failed],
      ['shanghai', read([memberDeployment(svc, 'shanghai').epoch(1)])],
      ['wuhan', empty],
      // Objects of the recorded epoch: a site re-decided in this pass (its pool failed, say); it may be re-used.
      ['xian', read([memberDeployment(svc, 'xian').epoch(2)])],
    ]);
    const blocks = joinBlocks(reads, [{ site: 'shanghai', variant: 'gpu', replicas: 2 }], 2, undefined);
    expect([...blocks]).toEqual([
      ['beijing', 'holds member objects of an earlier placement; deleting them first'],
      ['guizhou', 'member objects could not be read: Timeout: site beijing did not answer'],
    ]);
  });
});

describe('runningPool', () => {
  it("reads the variant and pool of the site's Deployment", () => {
    const r = read([memberDeployment(svc, 'shanghai').variant('gpu').pool('h100')]);
    expect(r.ok && runningPool(r.members, name)).toEqual({ variant: 'gpu', pool: 'h100' });
    expect(r.ok && runningPool(r.members, 'other')).toBeUndefined();
  });
});

describe('needsApply', () => {
  const rendered = renderInferenceMembers(svc, { site: 'shanghai', variant: 'gpu', replicas: 2 }, 1);
  it('skips what the site already holds as rendered; applies what is missing, different, or rescaled by hand', () => {
    const held = structuredClone(rendered.deployment);
    expect(deploymentNeedsApply(held, rendered.deployment)).toBe(false);
    expect(needsApply(rendered.service, rendered.service)).toBe(false);
    expect(deploymentNeedsApply(undefined, rendered.deployment)).toBe(true);
    expect(deploymentNeedsApply({ ...held, spec: { ...held.spec, selector: {}, template: {}, replicas: 5 } }, rendered.deployment)).toBe(true);
    const next = renderInferenceMembers(svc, { site: 'shanghai', variant: 'gpu', replicas: 2 }, 2);
    expect(deploymentNeedsApply(held, next.deployment)).toBe(true);
  });
});
