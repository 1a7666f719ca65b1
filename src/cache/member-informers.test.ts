// MemberInformers follows the Sites: one informer per site and kind, restarted on new credentials, stopped with the
// site; the feeds carry every site's changes and never hold a controller back.
import type { V1Secret } from '@kubernetes/client-node';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Site } from '../api/generated/types.ts';
import type { SiteClient } from '../clusters/site-clients.ts';
import { FakeClock } from '../runtime/clock.ts';
import { MemoryCache } from '../runtime/memory-cache.ts';
import type { LabelledObject } from '../runtime/object-cache.ts';
import { MAX_LIST_WAIT_MS, MemberInformers, type MemberKind } from './member-informers.ts';

interface Member extends LabelledObject {
  readonly metadata: { readonly name: string; readonly namespace: string; readonly labels?: Record<string, string> };
}

function world(clock = new FakeClock()) {
  const sites = new MemoryCache<Site>([site('shanghai'), site('guizhou')]);
  const secrets = new MemoryCache<V1Secret>();
  /** The client each site gets now; a new object stands for rotated credentials, undefined for none. */
  const clients = new Map<string, SiteClient | undefined>([
    ['shanghai', { site: 'shanghai' } as SiteClient],
    ['guizhou', { site: 'guizhou' } as SiteClient],
  ]);
  const built: { site: string; kind: MemberKind; selector: string; cache: MemoryCache<Member> }[] = [];
  const members = new MemberInformers({
    sites,
    secrets,
    siteClients: {
      forSite: (s) => {
        const c = clients.get(s.metadata.name ?? '');
        if (c === undefined) throw new Error('Secret not found');
        return c;
      },
    },
    labelSelector: 'app.kubernetes.io/managed-by=suanwang',
    clock,
    logger: pino({ level: 'silent' }),
    factory: (client, kind, selector) => {
      const cache = new MemoryCache<Member>();
      if (client.site === 'guizhou') cache.holdSync(new Promise(() => {})); // its API never answers
      built.push({ site: client.site, kind, selector, cache });
      return cache;
    },
  });
  const running = (site: string, kind: MemberKind) => built.filter((b) => b.site === site && b.kind === kind && b.cache.started && !b.cache.stopped);
  return { sites, secrets, clients, built, members, running };
}

/** site is a Site as far as MemberInformers reads one: its name (the clients come from the test's map). */
const site = (name: string): Site => ({ apiVersion: 'suanwang.io/v1alpha1', kind: 'Site', metadata: { name }, spec: {} }) as unknown as Site;

const job = (name: string, workload: string): Member => ({ metadata: { name, namespace: 'team-a', labels: { 'suanwang.io/workload': workload } } });

describe('MemberInformers', () => {
  it('runs a Job and a Deployment informer per listed site, with the member selector', () => {
    const w = world();
    w.members.start();
    expect(w.members.sites()).toEqual(['guizhou', 'shanghai']);
    expect(w.built.map((b) => `${b.site}/${b.kind}`).sort()).toEqual(['guizhou/Deployment', 'guizhou/Job', 'shanghai/Deployment', 'shanghai/Job']);
    expect(new Set(w.built.map((b) => b.selector))).toEqual(new Set(['app.kubernetes.io/managed-by=suanwang']));
    expect(w.built.every((b) => b.cache.started)).toBe(true);
  });

  it('carries every site’s changes in one feed per kind, and lists them all', () => {
    const w = world();
    w.members.start();
    const seen: string[] = [];
    w.members.jobs.onChange((obj) => seen.push(obj.metadata?.labels?.['suanwang.io/workload'] ?? ''));
    w.running('shanghai', 'Job')[0]?.cache.set(job('a', 'train-a'));
    w.running('guizhou', 'Job')[0]?.cache.set(job('b', 'train-b'));
    w.running('guizhou', 'Deployment')[0]?.cache.set(job('c', 'serve-c'));
    expect(seen).toEqual(['train-a', 'train-b']);
    expect(w.members.jobs.list()).toHaveLength(2);
    expect(w.members.deployments.list()).toHaveLength(1);
  });

  it('never waits for a site: the feeds count as synced at once', async () => {
    const w = world();
    w.members.start();
    await expect(w.members.jobs.waitForSync()).resolves.toBeUndefined();
  });

  it('restarts a site’s informers when its credentials change, and stops those of a removed site', () => {
    const w = world();
    w.members.start();
    w.clients.set('shanghai', { site: 'shanghai' } as SiteClient); // a rotated kubeconfig: a new client
    w.secrets.set({ metadata: { name: 'site-shanghai-kubeconfig', namespace: 'suanwang-system' } });
    expect(w.running('shanghai', 'Job')).toHaveLength(1);
    expect(w.built.filter((b) => b.site === 'shanghai' && b.kind === 'Job')).toHaveLength(2);
    expect(w.built.filter((b) => b.site === 'guizhou')).toHaveLength(2); // unchanged: not restarted
    w.sites.remove(undefined, 'guizhou');
    expect(w.members.sites()).toEqual(['shanghai']);
    expect(w.running('guizhou', 'Job')).toHaveLength(0);
  });

  it('asks no client of a pull site, however often Sites change: the agent’s stream carries its members', () => {
    const w = world();
    const asked: string[] = [];
    const pull = { ...site('far'), spec: { connection: { mode: 'Pull' } } } as unknown as Site;
    w.sites.set(pull);
    const members = new MemberInformers({
      sites: w.sites,
      secrets: w.secrets,
      siteClients: {
        forSite: (s) => {
          asked.push(s.metadata.name ?? '');
          const c = w.clients.get(s.metadata.name ?? '');
          if (c === undefined) throw new Error('Secret not found');
          return c;
        },
      },
      labelSelector: 'app.kubernetes.io/managed-by=suanwang',
      clock: new FakeClock(),
      logger: pino({ level: 'silent' }),
      factory: () => new MemoryCache<Member>(),
    });
    members.start();
    for (let i = 0; i < 3; i++) w.sites.set({ ...pull, status: { lastHeartbeatTime: String(i) } } as unknown as Site);
    expect(asked.filter((n) => n === 'far')).toEqual([]);
    expect(members.sites()).toEqual(['guizhou', 'shanghai']);
  });

  it('watches nothing at a site without usable credentials, and starts once they come', () => {
    const w = world();
    w.clients.set('guizhou', undefined);
    w.members.start();
    expect(w.members.sites()).toEqual(['shanghai']);
    w.clients.set('guizhou', { site: 'guizhou' } as SiteClient);
    w.secrets.set({ metadata: { name: 'site-guizhou-kubeconfig', namespace: 'suanwang-system' } });
    expect(w.members.sites()).toEqual(['guizhou', 'shanghai']);
  });

  it('stops every informer on stop, and follows nothing after', async () => {
    const w = world();
    w.members.start();
    await w.members.stop();
    expect(w.built.every((b) => b.cache.stopped)).toBe(true);
    w.sites.set(site('beijing'));
    expect(w.members.sites()).toEqual([]);
  });
});

describe('MemberInformers.find', () => {
  const labels = { namespaceLabel: 'suanwang.io/namespace', nameLabel: 'suanwang.io/workload' };
  const member = (name: string): Member => ({ metadata: { name, namespace: 'team-a', labels: { 'suanwang.io/namespace': 'team-a', 'suanwang.io/workload': name } } });

  it('finds a workload’s members per site, and says which site has not listed yet', () => {
    const w = world();
    w.members.start();
    w.running('shanghai', 'Job')[0]?.cache.set(member('train'));
    w.running('shanghai', 'Job')[0]?.cache.set(member('other'));
    expect(w.members.find('Job', labels, 'team-a', 'train')).toEqual([
      { site: 'guizhou', synced: false, members: [] },
      { site: 'shanghai', synced: true, members: [member('train')] },
    ]);
  });

  it('stops waiting for a site whose first list has not come within MAX_LIST_WAIT_MS: one site cannot hold every placement', () => {
    const clock = new FakeClock();
    const w = world(clock);
    w.members.start();
    clock.advance(MAX_LIST_WAIT_MS);
    expect(w.members.find('Job', labels, 'team-a', 'train').map((s) => [s.site, s.synced])).toEqual([
      ['guizhou', true],
      ['shanghai', true],
    ]);
  });
});
