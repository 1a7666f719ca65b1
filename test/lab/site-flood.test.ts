/**
 * One site cannot exhaust the operator (issue 11, point 4), across processes. beijing's agent is stopped and the test
 * takes its place with beijing's own certificate from the lab's certs folder: it floods the lab's operator with
 * health events for 13 s, aiming at 5,000 a second against a budget of 100 (as fast as the operator reads, on a
 * loaded machine), then sends one message over the size limit. Meanwhile shanghai and
 * guizhou must stay Ready without a transition, the heartbeat time the operator writes for them must keep advancing,
 * and the operator process must stay up. The flood's missing acks and the operator's own log show that the flood was
 * throttled, so the test cannot pass because nothing reached the operator. The flood starts on a quiet federation
 * (SiteWatch.quiet), so a lag left by an earlier test is not blamed on it.
 *
 * The lab's operator runs without --leader-elect (src/lab/federation.ts, operatorArgs), so there is no Lease to watch
 * here; leader-election.test.ts covers the Lease.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Site } from '../../src/api/generated/types.ts';
import { controlComponent } from '../../src/lab/lab.ts';
import { readState } from '../../src/lab/state.ts';
import { DEFAULT_WIRE_LIMITS } from '../../src/wire/limits.ts';
import { loadAgentProtocol } from '../../src/wire/load.ts';
import type { AgentMessage, OperatorMessageOut, SiteAgentClient } from '../../src/wire/messages.ts';
import { conditionOf, getSite } from './support/hub.ts';
import { eventually, sharedLab, type SharedLab } from './support/shared-lab.ts';
import { TEST_TIMING } from './support/timing.ts';

const FLOODER = 'beijing';
const OTHERS = ['shanghai', 'guizhou'] as const;
/** Long enough for the operator's second drop log line (it logs a flooding stream's drops at most every 10 s). */
const FLOOD_MS = 13_000;
const FLOOD_PER_SECOND = 5_000;
/** How long the other sites are watched after the oversized message. */
const AFTER_MS = 4_000;
const MIB = 2 ** 20;
/**
 * The written heartbeat's age on a keeping-up operator: the write rule's refresh (half the lease), one heartbeat
 * interval, and a second for the write and the poll (site-status.ts).
 */
const QUIET_AGE_MS = TEST_TIMING.leaseMs / 2 + TEST_TIMING.heartbeatIntervalMs + 1000;

const runFile = promisify(execFile);

let lab: SharedLab;
beforeAll(async () => {
  lab = await sharedLab();
});

/** FakeAgent is a misbehaving agent: the site's real certificate, plain typed gRPC calls, no manners. */
class FakeAgent {
  readonly #client: SiteAgentClient;

  constructor(labDir: string, site: string, address: string) {
    const certs = join(labDir, 'certs');
    const creds = grpc.credentials.createSsl(
      readFileSync(join(certs, 'ca.crt')),
      readFileSync(join(certs, `${site}.key`)),
      readFileSync(join(certs, `${site}.crt`)),
    );
    // The server certificate names localhost; Node warns about an IP address as TLS SNI.
    this.#client = new (loadAgentProtocol().SiteAgent)(address, creds, { 'grpc.ssl_target_name_override': 'localhost' });
  }

  /** open registers and opens a Session stream with its hello; resolves once Register answered. */
  async open(site: string, instance: string): Promise<FakeStream> {
    const sessionId = await new Promise<string>((resolve, reject) =>
      this.#client.Register({ site, agentInstanceId: instance, agentVersion: 'flood', protocolVersion: 1 }, { deadline: Date.now() + 10_000 }, (err, res) =>
        err || !res ? reject(err ?? new Error('Register answered nothing')) : resolve(res.sessionId ?? ''),
      ),
    );
    const call = this.#client.Session();
    const s: FakeStream = {
      call,
      sent: 0,
      acks: 0,
      highestAck: 0,
      resyncs: 0,
      ended: undefined,
      status: new Promise((resolve) => call.on('status', resolve)),
    };
    call.on('data', (m: OperatorMessageOut) => {
      if (m.payload === 'ack') {
        s.acks += 1;
        s.highestAck = Math.max(s.highestAck, m.ack?.seq ?? 0);
      }
      if (m.payload === 'resyncRequest') s.resyncs += 1;
    });
    call.on('error', () => {}); // the status carries the code
    void s.status.then((st) => (s.ended = st));
    call.write({ seq: 0, hello: { sessionId, site, lastAckedSeq: 0 } });
    return s;
  }

  close(): void {
    this.#client.close();
  }
}

interface FakeStream {
  readonly call: grpc.ClientDuplexStream<AgentMessage, OperatorMessageOut>;
  sent: number;
  acks: number;
  highestAck: number;
  resyncs: number;
  ended: grpc.StatusObject | undefined;
  readonly status: Promise<grpc.StatusObject>;
}

/** flood writes health events at `perSecond` for `ms`, holding back while the stream's buffer is full. */
async function flood(s: FakeStream, ms: number, perSecond: number): Promise<number> {
  let paused = false;
  s.call.on('drain', () => (paused = false));
  const start = performance.now();
  while (performance.now() - start < ms && s.ended === undefined) {
    const due = Math.floor(((performance.now() - start) * perSecond) / 1000) - s.sent;
    for (let i = 0; i < due && !paused; i++) {
      s.sent += 1;
      const healthEvent = { eventId: `flood-${s.sent}`, pool: 'a100', code: 'nvidia.xid.79', message: `GPU ${s.sent % 8} has fallen off the bus`.padEnd(200, '.') };
      paused = !s.call.write({ seq: s.sent, healthEvent });
    }
    await sleep(5);
  }
  return performance.now() - start;
}

/** Seen is one site as one poll of the hub saw it. */
interface Seen {
  readonly at: number;
  readonly ready: string | undefined;
  readonly since: string | undefined;
  readonly heartbeat: string | undefined;
}

/**
 * SiteWatch polls the hub's Sites (kubectl run asynchronously, so the flood goes on meanwhile) and checks that the
 * operator's process is alive at each poll.
 */
class SiteWatch {
  readonly seen = new Map<string, Seen[]>(OTHERS.map((s) => [s, []]));
  readonly operatorDownAt: number[] = [];
  readonly errors: string[] = [];
  #running = true;
  readonly #done: Promise<void>;

  constructor(hub: string, operatorPid: number) {
    this.#done = this.#loop(hub, operatorPid);
  }

  async #loop(hub: string, operatorPid: number): Promise<void> {
    while (this.#running) {
      const at = Date.now();
      if (!alive(operatorPid)) this.operatorDownAt.push(at);
      try {
        const { stdout } = await runFile('kubectl', ['--kubeconfig', hub, 'get', 'sites', '-o', 'json'], { maxBuffer: 64 * MIB, timeout: 30_000 });
        for (const site of (JSON.parse(stdout) as { items: Site[] }).items) {
          const ready = site.status?.conditions?.find((c) => c.type === 'Ready');
          this.seen.get(site.metadata.name ?? '')?.push({ at, ready: ready?.status, since: ready?.lastTransitionTime, heartbeat: site.status?.lastHeartbeatTime });
        }
      } catch (err: unknown) {
        this.errors.push(err instanceof Error ? err.message : String(err));
      }
      await sleep(250);
    }
  }

  /**
   * quiet waits until the last `polls` polls of every watched site saw a written heartbeat at most `maxAgeMs` old,
   * and returns when the first of those polls was made; fails naming the ages seen after `timeoutMs`.
   */
  async quiet(maxAgeMs: number, polls: number, timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const tails = [...this.seen.values()].map((seen) => seen.slice(-polls));
      if (tails.every((t) => t.length === polls && t.every((x) => x.at - Date.parse(x.heartbeat ?? '') <= maxAgeMs))) {
        return Math.min(...tails.map((t) => (t[0] as Seen).at));
      }
      if (Date.now() > deadline) {
        const ages = [...this.seen].map(([s, seen]) => `${s}: ${seen.slice(-polls).map((x) => x.at - Date.parse(x.heartbeat ?? '')).join(', ')}`);
        throw new Error(`the other sites' written heartbeats did not settle within ${timeoutMs} ms before the flood (ages in ms: ${ages.join('; ')})`);
      }
      await sleep(100);
    }
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#done;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function operatorComponent(dir: string): { pid: number; log: string } {
  const c = readState(dir)?.components.find((x) => x.name === 'operator');
  if (!c) throw new Error(`the lab in ${dir} records no operator component`);
  return { pid: c.pid, log: c.log };
}

/** operatorLog returns the operator's JSON log lines written since `since` (epoch ms). */
function operatorLog(path: string, since: number): Record<string, unknown>[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => typeof l['time'] === 'number' && l['time'] >= since);
}

describe('a flooding site', () => {
  it('leaves the other sites Ready and the operator working, and is throttled', { timeout: 150_000 }, async () => {
    const hub = lab.kubeconfig('hub');
    const address = readState(lab.dir)?.operator;
    if (address === undefined) throw new Error(`the lab in ${lab.dir} records no operator address`);
    const operator = operatorComponent(lab.dir);
    for (const s of [...OTHERS, FLOODER]) {
      await eventually(() => expect(conditionOf(getSite(hub, s), 'Ready')?.status).toBe('True'), { timeoutMs: 60_000, intervalMs: 500, what: `${s} Ready` });
    }

    await controlComponent(lab.dir, 'stop', 'agent', FLOODER);
    const agent = new FakeAgent(lab.dir, FLOODER, address);
    const watch = new SiteWatch(hub, operator.pid);
    let floodStream: FakeStream | undefined;
    let bigStream: FakeStream | undefined;
    try {
      // A quiet baseline before the flood: work a previous test left (deleted namespaces, re-placements) can hold the
      // operator's status writes back for seconds on a loaded machine, and that lag is not the flood's. The flood
      // starts once every other site's written heartbeat has been fresh for a few polls in a row.
      const quietFrom = await watch.quiet(QUIET_AGE_MS, 4, 60_000);
      await sleep(1000);
      const floodStart = Date.now();
      floodStream = await agent.open(FLOODER, `flood-${floodStart}`);
      const floodMs = await flood(floodStream, FLOOD_MS, FLOOD_PER_SECOND);
      const floodEnd = Date.now();
      // The excess was dropped, not the session ended.
      expect(floodStream.ended, 'the flooding stream was ended by the operator').toBeUndefined();
      const { sent, acks, highestAck, resyncs } = floodStream;
      floodStream.call.cancel();

      // One message over the size limit, once the bucket has refilled enough for Register and the stream.
      await sleep(1000);
      bigStream = await agent.open(FLOODER, `big-${floodEnd}`);
      bigStream.call.write({ seq: 1, healthEvent: { eventId: 'huge', message: 'x'.repeat(13 * MIB) } });
      const bigStatus = await Promise.race([bigStream.status, sleep(20_000).then(() => undefined)]);
      await sleep(AFTER_MS);
      await watch.stop();

      // 1. The flood happened and was throttled: tens of thousands sent, at most the bucket's worth acked.
      const { perSecond, burst } = DEFAULT_WIRE_LIMITS.messageRate;
      const floodSeconds = floodMs / 1000;
      const log = operatorLog(operator.log, floodStart);
      const drops = log.filter((l) => l['msg'] === 'messages over the site rate limit dropped');
      const dropped = Math.max(0, ...drops.filter((l) => l['site'] === FLOODER).map((l) => Number(l['dropped'])));
      process.stderr.write(
        `[site-flood] ${FLOODER} sent ${sent} health events in ${floodSeconds.toFixed(1)} s (${Math.round(sent / floodSeconds)}/s); ` +
          `the operator acked up to seq ${highestAck} (${acks} acks), asked for ${resyncs} resync(s), logged ${dropped} dropped\n`,
      );
      // At least three times what the bucket lets through in the flood's time, or the throttle is not tested.
      expect(sent).toBeGreaterThanOrEqual(10_000);
      expect(highestAck).toBeGreaterThan(0);
      expect(highestAck).toBeLessThanOrEqual(burst + perSecond * floodSeconds);
      expect(resyncs).toBeGreaterThanOrEqual(1);
      expect(dropped, `drop lines: ${JSON.stringify(drops)}`).toBeGreaterThanOrEqual(sent / 2);
      expect(drops.filter((l) => l['site'] !== FLOODER)).toEqual([]);

      // 2. The oversized message ended only its own stream, and the operator said why.
      process.stderr.write(`[site-flood] the 13 MiB message ended its stream with ${grpc.status[bigStatus?.code ?? -1] ?? 'nothing'}: ${bigStatus?.details ?? ''}\n`);
      expect(bigStatus?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
      const limit = `larger than the limit of ${DEFAULT_WIRE_LIMITS.maxMessageBytes} bytes`;
      expect(operatorLog(operator.log, floodEnd).some((l) => l['site'] === FLOODER && String(l['reason']).includes(limit))).toBe(true);

      // 3. The operator stayed up: the same process, alive at every poll.
      expect(watch.operatorDownAt).toEqual([]);
      expect(operatorComponent(lab.dir).pid).toBe(operator.pid);

      // 4. The other sites stayed Ready with no transition, and their written heartbeat kept advancing.
      const maxLagMs = TEST_TIMING.leaseMs + TEST_TIMING.heartbeatIntervalMs;
      const watchEnd = Date.now();
      for (const s of OTHERS) {
        const seen = (watch.seen.get(s) ?? []).filter((x) => x.at >= quietFrom);
        const first = seen[0];
        expect(seen.length, `polls of ${s} (kubectl errors: ${watch.errors.join('; ')})`).toBeGreaterThanOrEqual(10);
        expect(first?.at ?? Infinity).toBeLessThan(floodStart);
        expect(seen.at(-1)?.at ?? 0).toBeGreaterThan(watchEnd - 3000);
        const beats = [...new Set(seen.map((x) => x.heartbeat))].map((h) => Date.parse(h ?? ''));
        const gaps = beats.slice(1).map((b, i) => (b - (beats[i] as number)) / 1000);
        const lags = seen.map((x) => x.at - Date.parse(x.heartbeat ?? ''));
        process.stderr.write(
          `[site-flood] ${s}: ${seen.length} polls, Ready=True since ${first?.since}; heartbeat written ${beats.length} times, ` +
            `gaps ${gaps.join(', ')} s; largest age seen ${(Math.max(...lags) / 1000).toFixed(1)} s\n`,
        );
        for (const x of seen) {
          expect(x.ready, `${s} at ${new Date(x.at).toISOString()}`).toBe('True');
          expect(x.since, `${s}'s Ready transition at ${new Date(x.at).toISOString()}`).toBe(first?.since);
        }
        expect(Math.max(...lags), `${s}'s written heartbeat age at each poll (ms): ${lags.join(', ')}`).toBeLessThanOrEqual(maxLagMs);
        expect(beats.filter((b) => b > floodStart).length, `${s}'s heartbeats written during the flood`).toBeGreaterThanOrEqual(2);
      }
    } finally {
      await watch.stop();
      floodStream?.call.cancel();
      bigStream?.call.cancel();
      agent.close();
      await controlComponent(lab.dir, 'start', 'agent', FLOODER);
      await eventually(() => expect(conditionOf(getSite(hub, FLOODER), 'Ready')?.status).toBe('True'), { timeoutMs: 60_000, intervalMs: 500, what: `${FLOODER} Ready again` });
    }
  });
});
