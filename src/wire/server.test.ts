// The operator server against hand-driven clients on 127.0.0.1: identity checks of mTLS, the hello rules, and the
// sequence/ack/resync protocol message by message.
import * as grpc from '@grpc/grpc-js';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadAgentProtocol } from './load.ts';
import type { AgentMessage, OperatorMessageOut, RegisterRequest, RegisterResponseOut, SiteAgentClient } from './messages.ts';
import type { OperatorServer } from './server.ts';
import { captureLogger, eventually, mintPki, site, startServer, type LabPki } from './test-helpers.ts';

let pki: LabPki;
let otherPki: LabPki;
const cleanups: (() => void | Promise<void>)[] = [];

beforeAll(async () => {
  pki = await mintPki(['alpha', 'beta']);
  otherPki = await mintPki(['alpha']);
});

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function serve(): Promise<{ server: OperatorServer; handler: Awaited<ReturnType<typeof startServer>>['handler']; port: number; logs: Record<string, unknown>[] }> {
  const { logger, lines } = captureLogger();
  const s = await startServer(pki, { logger });
  cleanups.push(() => s.server.stop(0));
  return { ...s, logs: lines };
}

/** dial makes a raw typed client; without `certSite` it presents no client certificate. */
function dial(port: number, certSite?: string, from: LabPki = pki): SiteAgentClient {
  const pair = certSite === undefined ? undefined : from.sites.get(certSite);
  const ca = Buffer.from(pki.ca.certPem);
  const creds = pair ? grpc.credentials.createSsl(ca, Buffer.from(pair.keyPem), Buffer.from(pair.certPem)) : grpc.credentials.createSsl(ca);
  const client = new (loadAgentProtocol().SiteAgent)(`127.0.0.1:${port}`, creds, { 'grpc.ssl_target_name_override': 'localhost' });
  cleanups.push(() => client.close());
  return client;
}

function register(client: SiteAgentClient, req: RegisterRequest): Promise<RegisterResponseOut> {
  return new Promise((resolve, reject) =>
    client.Register(req, { deadline: Date.now() + 5000 }, (err, res) => (err || !res ? reject(err ?? new Error('no response')) : resolve(res))),
  );
}

interface OpenSession {
  write(m: AgentMessage): void;
  readonly received: OperatorMessageOut[];
  readonly status: Promise<grpc.StatusObject>;
}

function session(client: SiteAgentClient): OpenSession {
  const stream = client.Session();
  const received: OperatorMessageOut[] = [];
  stream.on('data', (m: OperatorMessageOut) => received.push(m));
  stream.on('error', () => {}); // the status event below carries the code
  const status = new Promise<grpc.StatusObject>((resolve) => stream.on('status', resolve));
  cleanups.push(() => stream.cancel());
  return { write: (m) => void stream.write(m), received, status };
}

async function registerAndHello(client: SiteAgentClient, name: string, lastAckedSeq = 0): Promise<OpenSession> {
  const res = await register(client, { site: name, agentInstanceId: `i-${name}`, agentVersion: 't', protocolVersion: 1 });
  const s = session(client);
  s.write({ seq: 0, hello: { sessionId: res.sessionId ?? '', site: name, lastAckedSeq } });
  return s;
}

describe('mTLS identity', () => {
  it('refuses Register claiming another site with PERMISSION_DENIED, logs it, and records nothing for either site', async () => {
    const { handler, port, logs } = await serve();
    const err = await register(dial(port, 'alpha'), { site: 'beta', agentInstanceId: 'i', protocolVersion: 1 }).catch((e: grpc.ServiceError) => e);
    expect((err as grpc.ServiceError).code).toBe(grpc.status.PERMISSION_DENIED);
    expect(handler.events).toEqual([]);
    expect(logs.some((l) => l['level'] === 40 && l['site'] === 'alpha' && l['claimedSite'] === 'beta')).toBe(true);
  });

  it('accepts Register when the claim matches the certificate', async () => {
    const { handler, port } = await serve();
    const res = await register(dial(port, 'alpha'), { site: 'alpha', agentInstanceId: 'i', protocolVersion: 1, capabilities: ['deltas', 'teleport'] });
    expect(res).toMatchObject({ heartbeatIntervalMs: 50, protocolVersion: 1, capabilities: ['deltas'] });
    expect(handler.of('register').map((e) => e.site)).toEqual(['alpha']);
  });

  it('refuses a hello claiming another site', async () => {
    const { handler, port, logs } = await serve();
    const client = dial(port, 'alpha');
    const res = await register(client, { site: 'alpha', agentInstanceId: 'i', protocolVersion: 1 });
    const s = session(client);
    s.write({ seq: 0, hello: { sessionId: res.sessionId ?? '', site: 'beta' } });
    expect((await s.status).code).toBe(grpc.status.PERMISSION_DENIED);
    expect(handler.events.filter((e) => e.kind !== 'register')).toEqual([]);
    expect(logs.some((l) => l['level'] === 40 && l['claimedSite'] === 'beta')).toBe(true);
  });

  it("refuses a hello that presents another site's session id", async () => {
    const { port } = await serve();
    const betaRes = await register(dial(port, 'beta'), { site: 'beta', agentInstanceId: 'ib', protocolVersion: 1 });
    const s = session(dial(port, 'alpha'));
    s.write({ seq: 0, hello: { sessionId: betaRes.sessionId ?? '', site: 'alpha' } });
    expect((await s.status).code).toBe(grpc.status.PERMISSION_DENIED);
  });

  it('refuses a snapshot claiming another site and delivers nothing of it', async () => {
    const { handler, port } = await serve();
    const s = await registerAndHello(dial(port, 'alpha'), 'alpha');
    s.write({ seq: 1, snapshot: { site: 'beta', generation: 1 } });
    expect((await s.status).code).toBe(grpc.status.PERMISSION_DENIED);
    expect(handler.of('snapshot')).toEqual([]);
    await eventually(() => handler.of('disconnect').length === 1, { timeoutMs: 2000, what: 'disconnect' });
    expect(handler.of('disconnect')[0]?.site).toBe('alpha');
  });

  it('does not let a client without a client certificate connect', async () => {
    const { handler, port } = await serve();
    const err = await register(dial(port), { site: 'alpha', agentInstanceId: 'i' }).catch((e: grpc.ServiceError) => e);
    expect((err as grpc.ServiceError).code).toBe(grpc.status.UNAVAILABLE);
    expect(handler.events).toEqual([]);
  });

  it('does not let a client with a certificate from another CA connect', async () => {
    const { handler, port } = await serve();
    const err = await register(dial(port, 'alpha', otherPki), { site: 'alpha', agentInstanceId: 'i' }).catch((e: grpc.ServiceError) => e);
    expect((err as grpc.ServiceError).code).toBe(grpc.status.UNAVAILABLE);
    expect(handler.events).toEqual([]);
  });
});

describe('session protocol', () => {
  it('requires hello first and a registered session', async () => {
    const { port } = await serve();
    const client = dial(port, 'alpha');
    const noHello = session(client);
    noHello.write({ seq: 1, heartbeat: {} });
    expect((await noHello.status).code).toBe(grpc.status.FAILED_PRECONDITION);
    const unknown = session(client);
    unknown.write({ seq: 0, hello: { sessionId: 'made-up', site: 'alpha' } });
    expect((await unknown.status).code).toBe(grpc.status.NOT_FOUND);
  });

  it('acks every message, drops duplicates, asks for a resync on a gap, and accepts the snapshot that closes it', async () => {
    const { handler, port } = await serve();
    const s = await registerAndHello(dial(port, 'alpha'), 'alpha');
    s.write({ seq: 1, heartbeat: { snapshotGeneration: 0 } }); // in order: delivered, ack 1
    s.write({ seq: 1, heartbeat: { snapshotGeneration: 0 } }); // duplicate: dropped, ack 1 again
    s.write({ seq: 3, delta: { baseGeneration: 0, generation: 1 } }); // gap at 2: withheld, resync from 2
    s.write({ seq: 4, healthEvent: { eventId: 'x' } }); // still in the gap: withheld, no second request
    s.write({ seq: 5, heartbeat: { snapshotGeneration: 0 } }); // liveness counts even in a gap: delivered, not acked
    s.write({ seq: 6, snapshot: { site: 'alpha', generation: 2 } }); // closes the gap: delivered, ack 6
    s.write({ seq: 7, delta: { baseGeneration: 2, generation: 3 } }); // in order again
    await eventually(() => s.received.length >= 5, { timeoutMs: 3000, what: 'operator replies' });
    expect(s.received).toEqual([
      { ack: { seq: 1 }, payload: 'ack' },
      { ack: { seq: 1 }, payload: 'ack' },
      { resyncRequest: { reason: 'gap', fromSeq: 2 }, payload: 'resyncRequest' },
      { ack: { seq: 6 }, payload: 'ack' },
      { ack: { seq: 7 }, payload: 'ack' },
    ]);
    expect(handler.events.filter((e) => 'meta' in e).map((e) => `${e.kind}@${'meta' in e ? e.meta.seq : ''}`)).toEqual([
      'heartbeat@1',
      'heartbeat@5',
      'snapshot@6',
      'delta@7',
    ]);
  });

  it("continues from the agent's last acked seq when it has no state (operator restart)", async () => {
    const { handler, port } = await serve();
    const s = await registerAndHello(dial(port, 'alpha'), 'alpha', 10);
    s.write({ seq: 11, healthEvent: { eventId: 'after-restart' } });
    await eventually(() => s.received.length >= 1, { timeoutMs: 2000, what: 'ack' });
    expect(s.received[0]).toEqual({ ack: { seq: 11 }, payload: 'ack' });
    expect(handler.of('healthEvent').map((e) => e.meta.seq)).toEqual([11]);
  });

  it('lets a newer stream of the same site replace an older one', async () => {
    const { server, port } = await serve();
    const client = dial(port, 'alpha');
    const first = await registerAndHello(client, 'alpha');
    await eventually(() => server.connectedSites().length === 1, { timeoutMs: 2000, what: 'first stream attached' });
    const second = await registerAndHello(client, 'alpha');
    expect((await first.status).code).toBe(grpc.status.ABORTED);
    second.write({ seq: 1, heartbeat: {} });
    await eventually(() => second.received.length === 1, { timeoutMs: 2000, what: 'ack on the new stream' });
    expect(server.connectedSites()).toEqual([site('alpha')]);
  });

  it('pushes config updates and resync requests to a connected site', async () => {
    const { server, port } = await serve();
    const s = await registerAndHello(dial(port, 'alpha'), 'alpha');
    await eventually(() => server.connectedSites().length === 1, { timeoutMs: 2000, what: 'stream attached' });
    expect(server.pushConfig(site('alpha'), { heartbeatIntervalMs: 5000 })).toBe(true);
    expect(server.requestResync(site('alpha'), 'operator-restarted-controller')).toBe(true);
    expect(server.pushConfig(site('beta'), { heartbeatIntervalMs: 5000 })).toBe(false);
    await eventually(() => s.received.length >= 2, { timeoutMs: 2000, what: 'operator messages' });
    expect(s.received).toEqual([
      { configUpdate: { heartbeatIntervalMs: 5000, _heartbeatIntervalMs: 'heartbeatIntervalMs' }, payload: 'configUpdate' },
      { resyncRequest: { reason: 'operator-restarted-controller', fromSeq: 1 }, payload: 'resyncRequest' },
    ]);
  });
});
