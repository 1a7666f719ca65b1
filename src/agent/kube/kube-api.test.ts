import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { toApiError } from '../../runtime/errors.ts';
import { endpointAuthority, KubeApi, kubeConfigAuthority, LIST_PAGE_SIZE, type RequestOptions } from './kube-api.ts';
import { FakeApiserver, json, status } from './testing.ts';

let fake: FakeApiserver;
afterEach(async () => {
  await fake.stop();
});

describe("the agent's Kubernetes API client", () => {
  it('reads a collection in pages of one snapshot, projecting each item as it comes', async () => {
    fake = new FakeApiserver();
    const pages: Record<string, { items: unknown[]; next?: string }> = {
      '': { items: [{ n: 1 }, { n: 2 }], next: 'p2' },
      p2: { items: [{ n: 3 }], next: 'p3' },
      p3: { items: [] },
    };
    fake.handler = (seen, res) => {
      const page = pages[seen.query['continue'] ?? ''];
      if (page === undefined) return status(res, 410, 'Expired');
      json(res, { kind: 'PodList', metadata: { resourceVersion: '77', ...(page.next !== undefined && { continue: page.next }) }, items: page.items });
    };
    const api = await fake.api();
    const list = await api.list('/api/v1/pods', { fieldSelector: 'spec.nodeName!=', labelSelector: undefined }, (raw) => (raw as { n: number }).n * 10);
    expect(list).toEqual({ items: [10, 20, 30], resourceVersion: '77' });
    expect(fake.seen.map((s) => s.query)).toEqual([
      { fieldSelector: 'spec.nodeName!=', limit: String(LIST_PAGE_SIZE) },
      { fieldSelector: 'spec.nodeName!=', limit: String(LIST_PAGE_SIZE), continue: 'p2' },
      { fieldSelector: 'spec.nodeName!=', limit: String(LIST_PAGE_SIZE), continue: 'p3' },
    ]);
    expect(fake.seen[0]?.headers['authorization']).toBe('Bearer secret');
    expect(fake.seen[0]?.headers['accept']).toBe('application/json');
  });

  it('fails a request the way toApiError reads client-node failures', async () => {
    fake = new FakeApiserver();
    const answers: Record<string, (res: Parameters<typeof status>[0]) => void> = {
      '/gone': (res) => status(res, 410, 'Expired', 'too old resource version'),
      '/missing': (res) => status(res, 404, 'NotFound', 'jobs.batch "x" not found'),
      '/forbidden': (res) => status(res, 403, 'Forbidden'),
      '/busy': (res) => {
        res.writeHead(429, { 'Retry-After': '3', 'Content-Type': 'text/plain' });
        res.end('slow down');
      },
      '/no-route': (res) => {
        res.writeHead(404, { 'Content-Type': 'text/plain' });
        res.end('404 page not found');
      },
    };
    fake.handler = (seen, res) => answers[seen.path]?.(res);
    const api = await fake.api();
    const failure = async (path: string): Promise<ReturnType<typeof toApiError>> => toApiError(await api.getJson(path).then(() => undefined, (err: unknown) => err));
    expect((await failure('/gone')).code).toBe('Gone');
    expect(await failure('/missing')).toMatchObject({ code: 'NotFound', status: 404, message: 'NotFound (HTTP 404): jobs.batch "x" not found' });
    expect((await failure('/forbidden')).code).toBe('Forbidden');
    expect(await failure('/busy')).toMatchObject({ code: 'TooManyRequests', retryAfterMs: 3000 });
    // A 404 without a Status body is a path the server does not serve, not a missing object.
    expect((await failure('/no-route')).code).toBe('Unknown');
  });

  it('gives up on a server that sends nothing, and names a refused connection Unavailable', async () => {
    fake = new FakeApiserver();
    fake.handler = () => {}; // never answers
    const api = await fake.api();
    const silent = await api.request('GET', '/slow', { idleTimeoutMs: 100 }).then(() => undefined, (err: unknown) => err);
    expect(toApiError(silent).code).toBe('Timeout');
    const refused = new KubeApi({ server: 'http://127.0.0.1:1', apply: async () => {} });
    expect(toApiError(await refused.getJson('/x').then(() => undefined, (err: unknown) => err)).code).toBe('Unavailable');
  });

  it('deletes with the query it is given and reads the answer', async () => {
    fake = new FakeApiserver();
    fake.handler = (_s, res) => json(res, { kind: 'Status', status: 'Success' });
    const api = await fake.api();
    await api.delete('/apis/batch/v1/namespaces/ml/jobs/a%2Fb', { propagationPolicy: 'Foreground' });
    expect(fake.seen).toMatchObject([{ method: 'DELETE', path: '/apis/batch/v1/namespaces/ml/jobs/a%2Fb', query: { propagationPolicy: 'Foreground' } }]);
  });
});

describe('credentials from a kubeconfig endpoint', () => {
  it('re-reads a token file once it is older than its refresh interval, and files on every request', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kube-api-test-'));
    try {
      writeFileSync(join(dir, 'token'), 'one');
      writeFileSync(join(dir, 'ca.crt'), 'CA-1');
      let now = 0;
      const authority = endpointAuthority(
        { server: 'https://h:1', ca: { file: join(dir, 'ca.crt') }, clientKey: { base64: Buffer.from('KEY').toString('base64') }, insecureSkipTlsVerify: true, tlsServerName: 'api', token: { file: join(dir, 'token'), refreshMs: 60_000 }, source: 'test' },
        () => now,
      );
      const apply = async (): Promise<RequestOptions> => {
        const o: RequestOptions = { headers: {} };
        await authority.apply(o);
        return o;
      };
      const first = await apply();
      expect(first.headers['Authorization']).toBe('Bearer one');
      expect(String(first.ca)).toBe('CA-1');
      expect(String(first.key)).toBe('KEY');
      expect(first.rejectUnauthorized).toBe(false);
      expect(first.servername).toBe('api');
      writeFileSync(join(dir, 'token'), 'two');
      writeFileSync(join(dir, 'ca.crt'), 'CA-2');
      now = 60_000;
      const second = await apply();
      expect(second.headers['Authorization']).toBe('Bearer one');
      expect(String(second.ca)).toBe('CA-2');
      now = 60_001;
      expect((await apply()).headers['Authorization']).toBe('Bearer two');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("lets a client-node KubeConfig apply what only it implements", async () => {
    const calls: unknown[] = [];
    const authority = kubeConfigAuthority({
      getCurrentCluster: () => ({ server: 'https://h:2' }),
      applyToHTTPSOptions: async (o) => {
        calls.push(o);
        (o.headers as Record<string, string>)['Authorization'] = 'Bearer from-exec';
      },
    });
    const o: RequestOptions = { headers: {} };
    await authority.apply(o);
    expect(authority.server).toBe('https://h:2');
    expect(o.headers['Authorization']).toBe('Bearer from-exec');
    expect(() => kubeConfigAuthority({ getCurrentCluster: () => null, applyToHTTPSOptions: async () => {} })).toThrow(/no current cluster/);
  });
});
