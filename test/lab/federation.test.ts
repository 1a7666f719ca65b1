/**
 * The site agents over gRPC (issue: site agent): every Site turns Ready with pools matching the topology; device
 * faults travel reporter → Node → agent → operator → Site status; a silent agent turns its Site Unknown after the
 * lease; certificates decide identity.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAgentProtocol } from '../../src/wire/load.ts';
import { parseQuantity } from '../../src/api/quantity.ts';
import { REPO_ROOT } from '../../src/lab/binaries.ts';
import { clearFaults, injectFault } from '../../src/lab/faults.ts';
import { SUANWANG_BIN } from '../../src/lab/federation.ts';
import { controlComponent } from '../../src/lab/lab.ts';
import { readState } from '../../src/lab/state.ts';
import { loadTopology } from '../../src/lab/topology.ts';
import { conditionOf, getSite, poolOf } from './support/hub.ts';
import { eventually, sharedLab, type SharedLab } from './support/shared-lab.ts';
import { TEST_TIMING } from './support/timing.ts';

let lab: SharedLab;
let hub: string;
const made: string[] = [];

beforeAll(async () => {
  lab = await sharedLab();
  hub = lab.kubeconfig('hub');
});
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

const num = (q: string | number | undefined) => (q === undefined ? undefined : parseQuantity(q));

describe('site agents report to the operator', () => {
  it('shows every site Ready with pools and capacities matching the topology', () => {
    const topo = loadTopology(join(REPO_ROOT, 'examples/lab/default.yaml'));
    for (const s of topo.sites) {
      const site = getSite(hub, s.name);
      expect(conditionOf(site, 'Ready')?.status, `${s.name} Ready`).toBe('True');
      expect(conditionOf(site, 'AgentConnected')?.status).toBe('True');
      expect(site.status?.lastHeartbeatTime).toBeDefined();
      expect(site.status?.nodePools?.map((p) => p.name).sort()).toEqual(s.pools.map((p) => p.name).sort());
      for (const p of s.pools) {
        const got = poolOf(site, p.name);
        expect(got.nodes).toBe(p.nodes);
        expect(num(got.capacity?.['cpu'])).toBe(p.cpu * p.nodes);
        expect(num(got.capacity?.['memory'])).toBe(p.memory * p.nodes);
        if (p.accelerator) {
          const total = p.accelerator.count * p.nodes;
          expect(num(got.capacity?.[p.accelerator.resourceName])).toBe(total);
          expect(num(got.allocatable?.[p.accelerator.resourceName])).toBe(total);
          expect(got.healthyDevices).toBe(total);
          expect(got.unhealthyDevices ?? 0).toBe(0);
          expect(got.accelerator?.vendor).toBe(p.accelerator.vendor);
        }
      }
    }
  });

  it('lowers allocatable and raises the unhealthy count within two heartbeats of an XID 79, and restores them when cleared', async () => {
    const before = poolOf(getSite(hub, 'shanghai'), 'h100');
    const gpus = num(before.allocatable?.['nvidia.com/gpu']) as number;
    const t0 = performance.now();
    await injectFault(lab.dir, 'shanghai', { kind: 'xid', node: 'shanghai-h100-0', device: 3, xid: 79 });
    try {
      await eventually(() => {
        const p = poolOf(getSite(hub, 'shanghai'), 'h100');
        expect(num(p.allocatable?.['nvidia.com/gpu'])).toBe(gpus - 1);
        expect(p.unhealthyDevices).toBe(1);
      }, { timeoutMs: 2 * TEST_TIMING.heartbeatIntervalMs + TEST_TIMING.reporterIntervalMs + 3000, intervalMs: 200 });
      const seen = performance.now() - t0;
      console.log(`XID 79 visible in Site status after ${(seen / 1000).toFixed(1)} s (heartbeat ${TEST_TIMING.heartbeatIntervalMs / 1000} s)`);
    } finally {
      // The lab is shared: a fault left behind would fail the test files that run after this one.
      await clearFaults(lab.dir, 'shanghai');
    }
    await eventually(() => {
      const p = poolOf(getSite(hub, 'shanghai'), 'h100');
      expect(num(p.allocatable?.['nvidia.com/gpu'])).toBe(gpus);
      expect(p.unhealthyDevices ?? 0).toBe(0);
    }, { timeoutMs: 15_000, intervalMs: 200 });
  });

  it('counts an Ascend device in Critical health as unhealthy', async () => {
    await injectFault(lab.dir, 'guizhou', { kind: 'ascend-critical', node: 'guizhou-ascend910b-1', device: 2 });
    try {
      await eventually(() => expect(poolOf(getSite(hub, 'guizhou'), 'ascend910b').unhealthyDevices).toBe(1), { timeoutMs: 15_000, intervalMs: 200 });
    } finally {
      await clearFaults(lab.dir, 'guizhou');
    }
    await eventually(() => expect(poolOf(getSite(hub, 'guizhou'), 'ascend910b').unhealthyDevices ?? 0).toBe(0), { timeoutMs: 15_000, intervalMs: 200 });
  });

  it('turns a Site Unknown after the lease when its agent stops, and Ready again when it returns', async () => {
    // The clock starts before the stop: the site's last heartbeat came at most one interval before it, and stopping
    // the agent (a graceful exit) takes its own time on a loaded machine.
    const t0 = performance.now();
    await controlComponent(lab.dir, 'stop', 'agent', 'beijing');
    try {
      const unknown = await eventually(() => {
        const c = conditionOf(getSite(hub, 'beijing'), 'Ready');
        expect(c?.status).toBe('Unknown');
        return c;
      }, { timeoutMs: TEST_TIMING.leaseMs + 15_000, intervalMs: 250 });
      const after = performance.now() - t0;
      expect(unknown?.reason).toBe('LeaseExpired');
      expect(after).toBeGreaterThanOrEqual(TEST_TIMING.leaseMs - TEST_TIMING.heartbeatIntervalMs - 1000);
      expect(conditionOf(getSite(hub, 'beijing'), 'AgentConnected')?.status).toBe('False');
      // Other sites are unaffected.
      expect(conditionOf(getSite(hub, 'shanghai'), 'Ready')?.status).toBe('True');
    } finally {
      // The lab is shared: the agent comes back even when an expectation above failed.
      await controlComponent(lab.dir, 'start', 'agent', 'beijing');
    }
    await eventually(() => expect(conditionOf(getSite(hub, 'beijing'), 'Ready')?.status).toBe('True'), { timeoutMs: 30_000, intervalMs: 250 });
  });

  it('refuses an agent holding site A’s certificate that claims site B, and leaves B untouched', async () => {
    const st = readState(lab.dir);
    const certs = join(lab.dir, 'certs');
    const fake = mkdtempSync(join(tmpdir(), 'suanwang-fake-certs-'));
    made.push(fake);
    copyFileSync(join(certs, 'ca.crt'), join(fake, 'ca.crt'));
    copyFileSync(join(certs, 'shanghai.crt'), join(fake, 'guizhou.crt'));
    copyFileSync(join(certs, 'shanghai.key'), join(fake, 'guizhou.key'));
    const before = getSite(hub, 'guizhou');
    const impostor = spawn(process.execPath, [SUANWANG_BIN, 'agent', '--site=guizhou', `--operator=${st?.operator}`, `--tls-dir=${fake}`, `--kubeconfig=${lab.kubeconfig('shanghai')}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    impostor.stdout.on('data', (d: Buffer) => (out += d.toString()));
    impostor.stderr.on('data', (d: Buffer) => (out += d.toString()));
    try {
      // gRPC status 7 is PERMISSION_DENIED; the details name both identities.
      await eventually(() => expect(out).toMatch(/"code":7,"details":"certificate is for site shanghai, request claims \\"guizhou\\""/), { timeoutMs: 20_000, intervalMs: 200 });
    } finally {
      // Wait for it to go (SIGKILL if it will not), so no impostor outlives the test.
      if (impostor.exitCode === null && impostor.signalCode === null) {
        const gone = new Promise((resolve) => impostor.once('exit', resolve));
        impostor.kill('SIGTERM');
        const force = setTimeout(() => impostor.kill('SIGKILL'), 10_000);
        await gone;
        clearTimeout(force);
      }
    }
    const opLog = readFileSync(st?.components.find((c) => c.name === 'operator')?.log ?? '', 'utf8');
    expect(opLog).toMatch(/"site":"shanghai","claimedSite":"guizhou".*"msg":"register refused: claimed site differs from the client certificate"/);
    const after = getSite(hub, 'guizhou');
    expect(after.status?.nodePools).toEqual(before.status?.nodePools);
    expect(after.status?.agentVersion).toEqual(before.status?.agentVersion);
  });

  it('refuses a connection without a client certificate', async () => {
    const st = readState(lab.dir);
    const proto = loadAgentProtocol();
    const creds = grpc.credentials.createSsl(readFileSync(join(lab.dir, 'certs', 'ca.crt')));
    // Node warns when TLS SNI is an IP address (RFC 6066); the operator's certificate also names localhost.
    const client = new proto.SiteAgent(st?.operator ?? '', creds, { 'grpc.ssl_target_name_override': 'localhost' });
    const err = await new Promise<grpc.ServiceError | undefined>((resolve) => {
      client.Register({ site: 'shanghai', agentVersion: 'test', agentInstanceId: 'no-cert', protocolVersion: 1 }, { deadline: Date.now() + 5000 }, (e) => resolve(e ?? undefined));
    });
    client.close();
    expect(err).toBeDefined();
    expect([grpc.status.UNAVAILABLE, grpc.status.UNAUTHENTICATED, grpc.status.PERMISSION_DENIED]).toContain(err?.code);
  });
});
