// What one site can cost the operator (issue 11, point 4), over loopback with real certificates: the size of one
// message, a stream that never says hello, streams per site, the per-site message rate, and a flooding site next to a
// well-behaved one.
import * as http2 from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AgentClient } from './client.ts';
import { loadAgentProtocol } from './load.ts';
import type { AgentMessage, NodePool } from './messages.ts';
import type { Cadence, OperatorServer } from './server.ts';
import {
  captureLogger,
  eventually,
  mintPki,
  newAgent,
  RawClients,
  site,
  sleep,
  startServer,
  within,
  type LabPki,
  type RecordingHandler,
} from './test-helpers.ts';
import type { WireLimits } from './limits.ts';

const MIB = 2 ** 20;

let pki: LabPki;
const cleanups: (() => void | Promise<void>)[] = [];

beforeAll(async () => {
  pki = await mintPki(['alpha', 'beta']);
});

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Served {
  readonly server: OperatorServer;
  readonly handler: RecordingHandler;
  readonly port: number;
  readonly logs: Record<string, unknown>[];
  readonly raw: RawClients;
}

async function serve(limits?: Partial<WireLimits>, cadence?: Cadence): Promise<Served> {
  const { logger, lines } = captureLogger();
  const s = await startServer(pki, { logger, ...(limits && { limits }), ...(cadence && { cadence }) });
  cleanups.push(() => s.server.stop(0));
  const raw = new RawClients(pki, s.port);
  cleanups.push(() => raw.closeAll());
  return { ...s, logs: lines, raw };
}

/** encodedSize is what one AgentMessage weighs on the wire (the gRPC length prefix counts these bytes). */
function encodedSize(m: AgentMessage): number {
  return loadAgentProtocol().SiteAgent.service.Session.requestSerialize(m).length;
}

/**
 * largestLegitimateSnapshot is the biggest report a real site should send (src/wire/README.md, "Limits"): 5,000 nodes
 * with 8 accelerators each in 250 pools, every field the agent's pool builder fills (src/agent/site/pool-builder.ts)
 * at realistic lengths — node names of 30 characters, GPU UUIDs, the reported node labels, three resource maps.
 */
function largestLegitimateSnapshot(): AgentMessage {
  const POOLS = 250;
  const NODES = 5000;
  const pools: NodePool[] = Array.from({ length: POOLS }, (_, p) => ({
    name: `h100-pool-${String(p).padStart(3, '0')}`,
    vendor: 'nvidia',
    acceleratorModel: 'NVIDIA-H100-80GB-HBM3',
    resources: {
      capacity: { cpu: '3840', memory: '42278584320Ki', 'nvidia.com/gpu': '160' },
      allocatable: { cpu: '3830', memory: '42068869120Ki', 'nvidia.com/gpu': '160' },
      allocated: { cpu: '1920', memory: '21990232555520', 'nvidia.com/gpu': '80' },
    },
    nodes: [],
    devices: [],
    deviceHealth: { healthy: 150, degraded: 5, unhealthy: 3, unknown: 2 },
  }));
  for (let i = 0; i < NODES; i++) {
    const pool = pools[i % POOLS] as NodePool & { nodes: unknown[]; devices: unknown[] };
    const name = `gpu-h100-rack${String(Math.floor(i / 16)).padStart(3, '0')}-node${String(i % 16).padStart(2, '0')}.bj1`;
    pool.nodes.push({
      name,
      ready: true,
      unschedulable: false,
      resources: {
        capacity: { cpu: '192', memory: '2113929216Ki', 'nvidia.com/gpu': '8' },
        allocatable: { cpu: '191500m', memory: '2103443456Ki', 'nvidia.com/gpu': '8' },
        allocated: { cpu: '96', memory: '1099511627776', 'nvidia.com/gpu': '8' },
      },
      labels: {
        'kubernetes.io/arch': 'amd64',
        'kubernetes.io/os': 'linux',
        'node.kubernetes.io/instance-type': 'h100-8x-sxm5',
        'nvidia.com/gpu.count': '8',
        'nvidia.com/gpu.memory': '81559',
        'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3',
        'nvidia.com/gpu.replicas': '1',
        'nvidia.com/mig.strategy': 'single',
        'suanwang.io/pool': pool.name ?? '',
        'suanwang.io/precisions': 'fp64.fp32.tf32.bf16.fp16.fp8.int8',
        'topology.kubernetes.io/region': 'cn-north-1',
        'topology.kubernetes.io/zone': 'cn-north-1a',
      },
    });
    for (let d = 0; d < 8; d++) {
      pool.devices.push({
        id: `GPU-${(i * 8 + d).toString(16).padStart(8, '0')}-3d5a-4b6c-9e7f-0a1b2c3d4e5f`,
        nodeName: name,
        model: 'NVIDIA H100 80GB HBM3',
        index: d,
        health: { status: 'HEALTH_STATUS_HEALTHY', reasons: [] },
        telemetry: { memoryTotalBytes: 85520809984 },
        dataSource: 'node-reporter/nvidia-smi',
      });
    }
  }
  return { seq: 1, snapshot: { site: 'alpha', generation: 1, nodePools: pools } };
}

describe('message size', () => {
  it('refuses a message over the limit with RESOURCE_EXHAUSTED, ends only that session and says why', async () => {
    const { server, handler, logs, raw } = await serve({ maxMessageBytes: 64 * 1024 });
    const alpha = await raw.registerAndHello(raw.dial('alpha'), 'alpha');
    const beta = await raw.registerAndHello(raw.dial('beta'), 'beta');
    await eventually(() => server.connectedSites().length === 2, { timeoutMs: 2000, what: 'both streams attached' });

    alpha.write({ seq: 1, healthEvent: { eventId: 'big', message: 'x'.repeat(100 * 1024) } });
    const status = await within(alpha.status, 3000);
    expect(status?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(handler.of('healthEvent')).toEqual([]);
    const ended = await eventually(() => handler.of('disconnect')[0] ?? false, { timeoutMs: 2000, what: "alpha's session to end" });
    expect(ended.site).toBe('alpha');
    expect(ended.info.reason).toMatch(/larger than the limit of 65536 bytes/);
    expect(logs.some((l) => l['site'] === 'alpha' && l['msg'] === 'session closed' && /larger than the limit/.test(String(l['reason'])))).toBe(true);
    expect(server.connectedSites()).toEqual([site('beta')]);

    // The other site's session goes on.
    beta.write({ seq: 1, heartbeat: {} });
    await eventually(() => beta.received.length === 1, { timeoutMs: 2000, what: "beta's ack" });
    expect(handler.of('heartbeat').map((e) => e.site)).toEqual(['beta']);
  });

  it('by default refuses a 13 MiB message, which the old 16 MiB limit let through', { timeout: 20_000 }, async () => {
    const { handler, raw } = await serve();
    const s = await raw.registerAndHello(raw.dial('alpha'), 'alpha');
    const big: AgentMessage = { seq: 1, healthEvent: { eventId: 'huge', message: 'x'.repeat(13 * MIB) } };
    expect(encodedSize(big)).toBeGreaterThan(13 * MIB);
    s.write(big);
    const status = await within(s.status, 10_000);
    expect(status?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(handler.of('healthEvent')).toEqual([]);
  });

  it('by default accepts the largest legitimate snapshot (5,000 nodes, 40,000 accelerators)', { timeout: 20_000 }, async () => {
    const snapshot = largestLegitimateSnapshot();
    const bytes = encodedSize(snapshot);
    // The figure README.md derives the limit from; if the report grows, revisit the limit, not this number.
    expect(bytes).toBeGreaterThan(8 * MIB);
    expect(bytes).toBeLessThan(9 * MIB);
    const { handler, raw } = await serve();
    const s = await raw.registerAndHello(raw.dial('alpha'), 'alpha');
    s.write(snapshot);
    const got = await eventually(() => handler.of('snapshot')[0] ?? false, { timeoutMs: 10_000, what: 'the snapshot' });
    expect(got.snapshot.nodePools).toHaveLength(250);
  });
});

describe('hello deadline', () => {
  it('closes a stream that never says hello, and logs why', async () => {
    const { logs, raw } = await serve({ helloTimeoutMs: 200 });
    const client = raw.dial('alpha');
    await raw.register(client, { site: 'alpha', agentInstanceId: 'i', protocolVersion: 1 });
    const silent = raw.session(client);
    const status = await within(silent.status, 3000);
    expect(status?.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    expect(status?.details).toBe('no hello within 200 ms');
    expect(logs.some((l) => l['site'] === 'alpha' && l['msg'] === 'session refused: no hello in time')).toBe(true);
  });

  it('leaves a stream that said hello in time alone', async () => {
    const { server, raw } = await serve({ helloTimeoutMs: 200 });
    const s = await raw.registerAndHello(raw.dial('alpha'), 'alpha');
    await sleep(400);
    s.write({ seq: 1, heartbeat: {} });
    await eventually(() => s.received.length === 1, { timeoutMs: 2000, what: 'an ack after the deadline passed' });
    expect(server.connectedSites()).toEqual([site('alpha')]);
  });
});

describe('one stream per site', () => {
  it('ends an older stream of a site that has not said hello when a newer one opens', async () => {
    const { raw } = await serve();
    const client = raw.dial('alpha');
    const first = raw.session(client);
    await sleep(100); // let the first stream reach the server before the second
    const second = await raw.registerAndHello(client, 'alpha');
    const status = await within(first.status, 3000);
    expect(status?.code).toBe(grpc.status.ABORTED);
    second.write({ seq: 1, heartbeat: {} });
    await eventually(() => second.received.length === 1, { timeoutMs: 2000, what: 'the newer stream works' });
  });

  it('does not let another site end a stream', async () => {
    const { raw } = await serve();
    const alpha = await raw.registerAndHello(raw.dial('alpha'), 'alpha');
    raw.session(raw.dial('beta'));
    await sleep(200);
    alpha.write({ seq: 1, heartbeat: {} });
    await eventually(() => alpha.received.length === 1, { timeoutMs: 2000, what: "alpha's ack" });
  });
});

describe('per-site message rate', () => {
  it('drops what exceeds the bucket, counts it per site, tells the handler and logs it', async () => {
    const { handler, logs, raw } = await serve({ messageRate: { perSecond: 1, burst: 10 } });
    const alpha = await raw.registerAndHello(raw.dial('alpha'), 'alpha');
    // Register and opening the stream took a token each; the hello is free (one per stream).
    for (let seq = 1; seq <= 30; seq++) alpha.write({ seq, heartbeat: {} });
    await eventually(() => handler.of('rateLimited').at(-1)?.info.dropped === 30 - handler.of('heartbeat').length, {
      timeoutMs: 3000,
      what: 'every heartbeat delivered or dropped',
    });
    const delivered = handler.of('heartbeat').length;
    expect(delivered).toBeGreaterThanOrEqual(8);
    expect(delivered).toBeLessThanOrEqual(9);
    expect(handler.of('heartbeat').map((e) => e.meta.seq)).toEqual(Array.from({ length: delivered }, (_, i) => i + 1));
    expect(handler.of('rateLimited').every((e) => e.site === 'alpha')).toBe(true);
    expect(logs.some((l) => l['level'] === 40 && l['site'] === 'alpha' && l['msg'] === 'messages over the site rate limit dropped')).toBe(true);
  });

  it('refuses a stream over the rate with RESOURCE_EXHAUSTED', async () => {
    const { handler, raw } = await serve({ messageRate: { perSecond: 0.01, burst: 2 } });
    const client = raw.dial('alpha');
    await raw.register(client, { site: 'alpha', agentInstanceId: 'i', protocolVersion: 1 });
    const first = raw.session(client);
    await sleep(100);
    const second = raw.session(client);
    expect((await within(second.status, 3000))?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(handler.of('rateLimited').map((e) => e.info)).toEqual([{ dropped: 1, kind: 'session' }]);
    // The refused stream did not replace the one waiting for its hello.
    expect(await within(first.status, 200)).toBeUndefined();
  });

  it('refuses Register over the rate with RESOURCE_EXHAUSTED', async () => {
    const { handler, raw } = await serve({ messageRate: { perSecond: 0.01, burst: 3 } });
    const client = raw.dial('alpha');
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) {
      codes.push(
        await raw.register(client, { site: 'alpha', agentInstanceId: 'i', protocolVersion: 1 }).then(
          () => grpc.status.OK,
          (e: grpc.ServiceError) => e.code,
        ),
      );
    }
    expect(codes).toEqual([0, 0, 0, grpc.status.RESOURCE_EXHAUSTED, grpc.status.RESOURCE_EXHAUSTED]);
    expect(handler.of('register')).toHaveLength(3);
  });
});

describe('a site that does not read', () => {
  it('costs the operator at most the latest ack while its stream is backed up: acks are cumulative', { timeout: 20_000 }, async () => {
    const N = 20_000;
    const { handler, port } = await serve({ messageRate: { perSecond: 1, burst: 2 * N } });
    const pair = pki.sites.get('alpha');
    if (!pair) throw new Error('no certificate for alpha');
    const register = new RawClients(pki, port);
    cleanups.push(() => register.closeAll());
    const res = await register.register(register.dial('alpha'), { site: 'alpha', agentInstanceId: 'i', protocolVersion: 1 });

    // A hand-made gRPC client on plain HTTP/2 that stops reading: its window fills and the operator's writes back up
    // (grpc-js's own client would keep reading into its memory).
    const session = http2.connect(`https://127.0.0.1:${port}`, {
      ca: pki.ca.certPem,
      cert: pair.certPem,
      key: pair.keyPem,
      servername: 'localhost',
      settings: { initialWindowSize: 1024 },
    });
    cleanups.push(() => void session.destroy());
    const stream = session.request({
      ':method': 'POST',
      ':path': '/suanwang.agent.v1.SiteAgent/Session',
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    stream.pause();
    const frame = (m: AgentMessage): Buffer => {
      const body = loadAgentProtocol().SiteAgent.service.Session.requestSerialize(m);
      const head = Buffer.alloc(5);
      head.writeUInt32BE(body.length, 1);
      return Buffer.concat([head, body]);
    };
    stream.write(frame({ seq: 0, hello: { sessionId: res.sessionId ?? '', site: 'alpha' } }));
    for (let seq = 1; seq <= N; seq++) stream.write(frame({ seq, heartbeat: {} }));
    await eventually(() => handler.of('heartbeat').length === N, { timeoutMs: 15_000, what: 'every heartbeat delivered' });

    // Now read what the operator sent: every ack it held while the stream was backed up arrives now.
    const decode = loadAgentProtocol().SiteAgent.service.Session.responseDeserialize;
    const acks: number[] = [];
    let pending = Buffer.alloc(0);
    stream.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 5 && pending.length >= 5 + pending.readUInt32BE(1)) {
        const len = pending.readUInt32BE(1);
        acks.push(decode(pending.subarray(5, 5 + len)).ack?.seq ?? -1);
        pending = pending.subarray(5 + len);
      }
    });
    stream.resume();
    await eventually(() => acks.at(-1) === N, { timeoutMs: 5000, what: 'the last ack' });
    expect(acks).toEqual([...acks].sort((a, b) => a - b));
    expect(acks.length, 'acks the operator buffered for a site that did not read').toBeLessThan(N / 10);
  });
});

describe('a flooding site', () => {
  it("does not keep another site's heartbeats from arriving", { timeout: 20_000 }, async () => {
    // Heartbeats every 100 ms; a lease of 2 s leaves room for a loaded test machine (the flood's own encoding runs in
    // this process too), and is still 20 heartbeat intervals.
    const cadence = { heartbeatIntervalMs: 100, snapshotIntervalMs: 60_000, leaseDurationMs: 2000 };
    const { handler, port } = await serve({ messageRate: { perSecond: 50, burst: 100 } }, cadence);
    const flooder = newAgent(pki, port, 'alpha');
    const normal = newAgent(pki, port, 'beta');
    const stops: AgentClient[] = [flooder, normal];
    cleanups.push(async () => {
      for (const a of stops) await a.stop(0);
    });
    flooder.start();
    normal.start();
    await eventually(() => handler.of('snapshot').length === 2, { timeoutMs: 5000, what: 'both sites connected' });

    // alpha sends 200 health events every 10 ms for 1.5 s: 30,000 messages, 400 times its rate.
    const floodStart = Date.now();
    const betaBefore = handler.of('heartbeat').filter((e) => e.site === 'beta').length;
    let sent = 0;
    while (Date.now() - floodStart < 1500) {
      for (let i = 0; i < 200; i++) flooder.sendHealthEvent({ eventId: `flood-${sent++}`, code: 'nvidia.xid.79', message: 'x'.repeat(200) });
      await sleep(10);
    }
    const floodEnd = Date.now();
    await sleep(300);

    const betaBeats = handler.of('heartbeat').filter((e) => e.site === 'beta' && e.meta.receivedAt >= floodStart);
    // beta stays live: heartbeats kept coming, never further apart than its lease.
    expect(betaBeats.length).toBeGreaterThanOrEqual(5);
    const times = [floodStart, ...betaBeats.map((e) => e.meta.receivedAt)];
    const gaps = times.slice(1).map((t, i) => t - (times[i] as number));
    expect(Math.max(...gaps), `gaps between beta's heartbeats: ${gaps.join(', ')} ms`).toBeLessThan(cadence.leaseDurationMs);
    expect(handler.of('heartbeat').filter((e) => e.site === 'beta').length).toBeGreaterThan(betaBefore);
    // alpha got no more than its burst and its rate through, and the rest was counted.
    const alphaEvents = handler.of('healthEvent').filter((e) => e.site === 'alpha').length;
    const seconds = (floodEnd - floodStart + 300) / 1000;
    expect(alphaEvents, `alpha's health events delivered in ${seconds} s`).toBeLessThanOrEqual(100 + Math.ceil(50 * seconds) + 10);
    const alphaDropped = handler.of('rateLimited').filter((e) => e.site === 'alpha').at(-1)?.info.dropped ?? 0;
    expect(alphaDropped, `alpha sent ${sent} health events`).toBeGreaterThan(1000);
    expect(handler.of('rateLimited').filter((e) => e.site === 'beta')).toEqual([]);
  });
});
