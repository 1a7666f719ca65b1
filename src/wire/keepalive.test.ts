import * as grpc from '@grpc/grpc-js';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_AGENT_KEEPALIVE, DEFAULT_OPERATOR_PING_POLICY, agentChannelOptions, keepaliveProblems, operatorServerOptions, type AgentKeepalive, type OperatorPingPolicy } from './keepalive.ts';
import { TEST_KEEPALIVE, eventually, mintPki, newAgent, startServer, type LabPki } from './test-helpers.ts';

describe('keepaliveProblems', () => {
  const server = (minPingIntervalMs: number, permitWithoutCalls = true): OperatorPingPolicy => ({ ...DEFAULT_OPERATOR_PING_POLICY, minPingIntervalMs, permitWithoutCalls });
  const agent = (timeMs: number, permitWithoutCalls = true): AgentKeepalive => ({ timeMs, timeoutMs: 10_000, permitWithoutCalls });
  const cases: { name: string; agent: AgentKeepalive; server: OperatorPingPolicy; wantProblems: number }[] = [
    { name: 'the shipped defaults', agent: DEFAULT_AGENT_KEEPALIVE, server: DEFAULT_OPERATOR_PING_POLICY, wantProblems: 0 },
    { name: 'server minimum well below the agent interval', agent: agent(30_000), server: server(20_000), wantProblems: 0 },
    { name: 'equal intervals (timer jitter would earn strikes)', agent: agent(30_000), server: server(30_000), wantProblems: 1 },
    { name: 'server minimum just under the agent interval', agent: agent(30_000), server: server(29_000), wantProblems: 1 },
    { name: 'C-core/Go default minimum of 5 min', agent: agent(30_000), server: server(300_000), wantProblems: 1 },
    { name: 'agent pings idle connections the server does not allow', agent: agent(30_000, true), server: server(20_000, false), wantProblems: 1 },
    { name: 'keepalive disabled on the agent', agent: agent(0), server: server(20_000), wantProblems: 2 },
  ];
  it.each(cases)('$name', ({ agent: a, server: s, wantProblems }) => {
    expect(keepaliveProblems(a, s)).toHaveLength(wantProblems);
  });

  it('renders both ends as grpc options', () => {
    expect(agentChannelOptions(DEFAULT_AGENT_KEEPALIVE)).toEqual({
      'grpc.keepalive_time_ms': 30_000,
      'grpc.keepalive_timeout_ms': 10_000,
      'grpc.keepalive_permit_without_calls': 1,
    });
    expect(operatorServerOptions(DEFAULT_OPERATOR_PING_POLICY)).toMatchObject({
      'grpc.http2.min_ping_interval_without_data_ms': 20_000,
      'grpc.keepalive_permit_without_calls': 1,
    });
  });
});

/** clientKeepalivesTo sums the keepalive pings channelz counted on client sockets whose channel targets the port. */
async function clientKeepalivesTo(port: number): Promise<number> {
  // channelz's handlers are plain functions over its in-process registry; calling them directly avoids serving it.
  const h = grpc.getChannelzHandlers() as unknown as Record<string, (call: { request: unknown }, cb: (err: unknown, res: unknown) => void) => void>;
  const ask = <T,>(method: string, request: unknown): Promise<T> =>
    new Promise((resolve, reject) => h[method]?.({ request }, (err, res) => (err ? reject(err) : resolve(res as T))));
  type Ref = { channel_id?: string; subchannel_id?: string; socket_id?: string };
  const top = await ask<{ channel: { data: { target: string }; subchannel_ref: Ref[] }[] }>('GetTopChannels', { start_channel_id: 0 });
  let total = 0;
  for (const ch of top.channel.filter((c) => String(c.data.target).endsWith(`:${port}`))) {
    for (const sub of ch.subchannel_ref) {
      const s = await ask<{ subchannel: { socket_ref: Ref[] } }>('GetSubchannel', { subchannel_id: sub.subchannel_id });
      for (const sock of s.subchannel.socket_ref) {
        const info = await ask<{ socket: { data: { keep_alives_sent: number } } }>('GetSocket', { socket_id: sock.socket_id });
        total += Number(info.socket.data.keep_alives_sent);
      }
    }
  }
  return total;
}

describe('keepalive over loopback', () => {
  let pki: LabPki;
  const cleanups: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    pki = await mintPki(['alpha']);
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('keeps one connection with frequent pings and short heartbeats: no GOAWAY, no reconnect', async () => {
    const policy: OperatorPingPolicy = { minPingIntervalMs: 100, permitWithoutCalls: true, timeMs: 60_000, timeoutMs: 20_000 };
    expect(keepaliveProblems(TEST_KEEPALIVE, policy)).toEqual([]);
    const { server, handler, port } = await startServer(pki, { pingPolicy: policy });
    cleanups.push(() => server.stop(0));
    const disconnects: string[] = [];
    const agent = newAgent(pki, port, 'alpha', { observer: { onDisconnected: (code, details) => disconnects.push(`${code}: ${details}`) } });
    cleanups.push(() => agent.stop(0));
    agent.start();
    await eventually(() => agent.connected, { timeoutMs: 5000, what: 'connected' });

    // The agent really pinged (keepalive every 200 ms) and heartbeats every 50 ms kept flowing: waited for by polling,
    // not a fixed sleep, so a loaded machine that runs timers late only makes the test take longer ...
    await eventually(
      async () => {
        expect(await clientKeepalivesTo(port)).toBeGreaterThanOrEqual(4);
        expect(handler.of('heartbeat').length).toBeGreaterThanOrEqual(15);
      },
      { timeoutMs: 10_000, intervalMs: 100, what: 'four keepalive pings and fifteen heartbeats' },
    );
    // ... and the connection never broke: one session, no disconnect, heartbeats acked.
    expect(disconnects).toEqual([]);
    expect(agent.sessions).toBe(1);
    expect(handler.of('register')).toHaveLength(1);
    expect(handler.of('disconnect')).toEqual([]);
    expect(handler.of('heartbeat').length).toBeGreaterThanOrEqual(15);
    expect(agent.pending).toBeLessThanOrEqual(2);
  });
});
