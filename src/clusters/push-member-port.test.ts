import { describe, expect, it } from 'vitest';
import { FIELD_MANAGER } from '../runtime/apply.ts';
import { PushMemberPort } from './push-member-port.ts';
import type { SiteClient } from './site-clients.ts';

function notFound(): Error {
  return Object.assign(new Error('HTTP-Code: 404'), { code: 404, body: JSON.stringify({ kind: 'Status', reason: 'NotFound', code: 404 }) });
}

function forbidden(): Error {
  return Object.assign(new Error('HTTP-Code: 403'), { code: 403, body: JSON.stringify({ kind: 'Status', reason: 'Forbidden', code: 403 }) });
}

/** fakeSite answers every call by recording it as `api.method name (extra)`; `answer` decides what comes back. */
function fakeSite(answer: (call: string) => unknown = () => ({})): { port: PushMemberPort; calls: string[]; whats: string[] } {
  const calls: string[] = [];
  const whats: string[] = [];
  const api = (group: string) =>
    new Proxy(
      {},
      {
        get: (_t, method: string) => async (p: Record<string, unknown>) => {
          const extra = [p['labelSelector'], p['propagationPolicy']].filter((x) => x !== undefined).join(' ');
          const call = `${group}.${method} ${String(p['namespace'] ?? '')}/${String(p['name'] ?? '')}${extra === '' ? '' : ` (${extra})`}`;
          calls.push(call);
          const a = answer(call);
          if (a instanceof Error) throw a;
          return a;
        },
      },
    );
  const apis = {
    batch: api('batch'),
    core: api('core'),
    apps: api('apps'),
    objects: {
      patch: async (obj: { kind: string }, _pretty: unknown, _dry: unknown, manager: string, force: boolean) => {
        calls.push(`objects.patch ${obj.kind} as ${manager}${force ? ' forced' : ''}`);
        return { ...obj, status: { applied: true } };
      },
    },
  };
  const client = {
    site: 'shanghai',
    call: async (what: string, fn: (a: typeof apis) => Promise<unknown>) => {
      whats.push(what);
      return fn(apis);
    },
  } as unknown as SiteClient;
  return { port: new PushMemberPort(client), calls, whats };
}

describe('PushMemberPort', () => {
  it('reads each kind through its own API, and says undefined for NotFound only', async () => {
    const site = fakeSite((call) => (call.startsWith('apps.') ? notFound() : { metadata: { name: 'm' } }));
    expect(await site.port.read({ kind: 'Job', namespace: 'ns', name: 'm' })).toEqual({ metadata: { name: 'm' } });
    expect(await site.port.read({ kind: 'Service', namespace: 'ns', name: 'm' })).toEqual({ metadata: { name: 'm' } });
    expect(await site.port.read({ kind: 'Deployment', namespace: 'ns', name: 'm' })).toBeUndefined();
    expect(site.calls).toEqual(['batch.readNamespacedJob ns/m', 'core.readNamespacedService ns/m', 'apps.readNamespacedDeployment ns/m']);
    expect(site.whats).toEqual(['read member Job', 'read member Service', 'read member Deployment']);

    const refusing = fakeSite(() => forbidden());
    await expect(refusing.port.read({ kind: 'Job', namespace: 'ns', name: 'm' })).rejects.toThrow(/403/);
  });

  it('lists each kind by label selector and returns the items', async () => {
    const site = fakeSite(() => ({ items: [{ metadata: { name: 'a' } }] }));
    for (const kind of ['Job', 'Service', 'Deployment'] as const) {
      expect(await site.port.list(kind, 'ns', 'w=x')).toEqual([{ metadata: { name: 'a' } }]);
    }
    expect(site.calls).toEqual(['batch.listNamespacedJob ns/ (w=x)', 'core.listNamespacedService ns/ (w=x)', 'apps.listNamespacedDeployment ns/ (w=x)']);
  });

  it('applies server-side as the operator, forcing its fields, and returns what the site stored', async () => {
    const site = fakeSite();
    const stored = await site.port.apply({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'm', namespace: 'ns' } });
    expect(stored).toMatchObject({ kind: 'Job', status: { applied: true } });
    expect(site.calls).toEqual([`objects.patch Job as ${FIELD_MANAGER} forced`]);
    expect(site.whats).toEqual(['apply member Job']);
  });

  it('deletes Jobs and Deployments in the foreground, ignores NotFound and throws anything else', async () => {
    const site = fakeSite(() => notFound());
    await site.port.delete({ kind: 'Job', namespace: 'ns', name: 'm' });
    await site.port.delete({ kind: 'Deployment', namespace: 'ns', name: 'm' });
    await site.port.delete({ kind: 'Service', namespace: 'ns', name: 'm' });
    expect(site.calls).toEqual([
      'batch.deleteNamespacedJob ns/m (Foreground)',
      'apps.deleteNamespacedDeployment ns/m (Foreground)',
      'core.deleteNamespacedService ns/m',
    ]);
    const refusing = fakeSite(() => forbidden());
    await expect(refusing.port.delete({ kind: 'Service', namespace: 'ns', name: 'm' })).rejects.toThrow(/403/);
  });

  it('creates a missing namespace, and leaves an existing one alone', async () => {
    const missing = fakeSite((call) => (call.startsWith('core.readNamespace') ? notFound() : {}));
    await missing.port.ensureNamespace({ metadata: { name: 'ns' } });
    expect(missing.calls).toEqual(['core.readNamespace /ns', 'core.createNamespace /']);
    const present = fakeSite();
    await present.port.ensureNamespace({ metadata: { name: 'ns' } });
    expect(present.calls).toEqual(['core.readNamespace /ns']);
  });

  it('shows pods and nodes, called detached as the worker reads call them', async () => {
    const site = fakeSite((call) => (call.startsWith('core.readNode /gone') ? notFound() : call.startsWith('core.listNamespacedPod') ? { items: [{ metadata: { name: 'p' } }] } : { metadata: { name: 'n' } }));
    const { pods, node } = site.port;
    expect(await pods('ns', 'e=1')).toEqual([{ metadata: { name: 'p' } }]);
    expect(await node('n')).toEqual({ metadata: { name: 'n' } });
    expect(await node('gone')).toBeUndefined();
    expect(site.whats).toEqual(['list worker pods', 'read worker node', 'read worker node']);
  });
});
