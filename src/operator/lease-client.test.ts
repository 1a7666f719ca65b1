import { ApiException, HttpMethod, RequestContext, type ConfigurationOptions, type V1Lease, type V1LeaseSpec } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { KubernetesLeaseClient, toSpec, type LeaseApi } from './lease-client.ts';
import type { LeaseRecord } from './leader-election.ts';

interface Call {
  readonly method: string;
  readonly param: { namespace: string; name?: string; body?: V1Lease };
  readonly signal: AbortSignal | undefined;
}

/** signalOf runs the call's middleware on a request the way client-node does, and reads the signal it carries. */
async function signalOf(options: ConfigurationOptions | undefined): Promise<AbortSignal | undefined> {
  const req = new RequestContext('https://example/apis/coordination.k8s.io/v1/namespaces/ns/leases/l', HttpMethod.GET);
  for (const m of options?.middleware ?? []) await m.pre(req).toPromise();
  return req.getSignal();
}

function status(code: number, reason: string): ApiException<string> {
  return new ApiException(code, reason, JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, code, message: reason }), {});
}

/** fakeApi answers every call with `answer` (JSON-shaped, as client-node 2.0.1 returns Leases) and records it. */
function fakeApi(answer: (method: string, param: Call['param']) => V1Lease): { api: LeaseApi; calls: Call[] } {
  const calls: Call[] = [];
  const call = async (method: string, param: Call['param'], options?: ConfigurationOptions): Promise<V1Lease> => {
    calls.push({ method, param, signal: await signalOf(options) });
    return answer(method, param);
  };
  const api = {
    readNamespacedLease: (p: Call['param'], o?: ConfigurationOptions) => call('read', p, o),
    createNamespacedLease: (p: Call['param'], o?: ConfigurationOptions) => call('create', p, o),
    replaceNamespacedLease: (p: Call['param'], o?: ConfigurationOptions) => call('replace', p, o),
  } as unknown as LeaseApi;
  return { api, calls };
}

const RECORD: LeaseRecord = { holderIdentity: 'op-1', leaseDurationSeconds: 15, acquireTime: Date.UTC(2026, 0, 1, 0, 0, 0, 123), renewTime: Date.UTC(2026, 0, 1, 0, 0, 5, 7), leaseTransitions: 2 };

describe('KubernetesLeaseClient', () => {
  it('writes times with the six fractional digits MicroTime needs', () => {
    expect(JSON.parse(JSON.stringify(toSpec(RECORD)))).toEqual({
      holderIdentity: 'op-1',
      leaseDurationSeconds: 15,
      leaseTransitions: 2,
      acquireTime: '2026-01-01T00:00:00.123000Z',
      renewTime: '2026-01-01T00:00:05.007000Z',
    });
  });

  it('reads the record from the JSON strings client-node hands back, and hands the signal to the request', async () => {
    const { api, calls } = fakeApi(() => ({
      metadata: { name: 'l', namespace: 'ns', resourceVersion: '41' },
      spec: { holderIdentity: 'op-1', leaseDurationSeconds: 15, leaseTransitions: 2, acquireTime: '2026-01-01T00:00:00.123456Z', renewTime: '2026-01-01T00:00:05.007000Z' } as unknown as V1LeaseSpec,
    }));
    const client = new KubernetesLeaseClient(api, 'ns', 'l');
    const signal = new AbortController().signal;
    expect(await client.get(signal)).toEqual({ resourceVersion: '41', record: RECORD });
    expect(calls[0]?.param).toEqual({ namespace: 'ns', name: 'l' });
    expect(calls[0]?.signal).toBe(signal);
  });

  it('reads a Lease without a spec as released, and a missing Lease as undefined', async () => {
    const { api } = fakeApi(() => ({ metadata: { name: 'l', resourceVersion: '1' } }));
    expect(await new KubernetesLeaseClient(api, 'ns', 'l').get(new AbortController().signal)).toEqual({
      resourceVersion: '1',
      record: { holderIdentity: '', leaseDurationSeconds: 0, acquireTime: undefined, renewTime: undefined, leaseTransitions: 0 },
    });
    const missing = fakeApi(() => {
      throw status(404, 'NotFound');
    });
    expect(await new KubernetesLeaseClient(missing.api, 'ns', 'l').get(new AbortController().signal)).toBeUndefined();
  });

  it('replaces the Lease it read with only the spec and the resourceVersion changed, keeping labels', async () => {
    const read: V1Lease = { metadata: { name: 'l', namespace: 'ns', resourceVersion: '7', labels: { team: 'fed' } }, spec: { holderIdentity: 'old' } };
    const { api, calls } = fakeApi((method, p) => (method === 'read' ? read : { ...p.body, metadata: { ...p.body?.metadata, resourceVersion: '8' } }));
    const client = new KubernetesLeaseClient(api, 'ns', 'l');
    await client.get(new AbortController().signal);
    const written = await client.update(RECORD, '7', new AbortController().signal);
    expect(written.resourceVersion).toBe('8');
    const body = calls[1]?.param.body;
    expect(calls[1]?.method).toBe('replace');
    expect(body?.metadata).toEqual({ name: 'l', namespace: 'ns', resourceVersion: '7', labels: { team: 'fed' } });
    expect(JSON.parse(JSON.stringify(body?.spec))).toEqual(JSON.parse(JSON.stringify(toSpec(RECORD))));
  });

  it('classifies 409s: a stale resourceVersion is Conflict, a lost create race AlreadyExists', async () => {
    const { api } = fakeApi((method) => {
      throw method === 'create' ? status(409, 'AlreadyExists') : status(409, 'Conflict');
    });
    const client = new KubernetesLeaseClient(api, 'ns', 'l');
    await expect(client.create(RECORD, new AbortController().signal)).rejects.toMatchObject({ code: 'AlreadyExists' });
    await expect(client.update(RECORD, '3', new AbortController().signal)).rejects.toMatchObject({ code: 'Conflict' });
  });
});
