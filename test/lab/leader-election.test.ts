/**
 * Leader election between real operator processes on the lab's hub, each running with the hub chart's ServiceAccount
 * token (so the chart's Role is what lets them take the Lease). The lab's own operator is stopped, and two operators
 * with `--leader-elect` and a 4 s Lease take its place on the SAME agent address — as replicas behind one Service
 * do. That only works because a standby never binds the address: a standby that did would fail with EADDRINUSE. The leader is killed with SIGKILL (no release): the standby takes over once the Lease has stayed
 * unchanged for a lease duration, binds the address, and the sites' agents reconnect to it. SIGTERM then releases the
 * Lease. A third operator shows the other way out: when someone else takes its Lease it stops and exits 1; a fourth,
 * standing by behind that Lease, stops on SIGTERM without writing it.
 * afterAll restarts the lab's operator and waits until every Site is Ready again.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUANWANG_BIN } from '../../src/lab/federation.ts';
import { freePort } from '../../src/lab/ports.ts';
import { controlComponent } from '../../src/lab/lab.ts';
import { readState } from '../../src/lab/state.ts';
import { helm, HUB_CHART, mustHelm } from './fixtures/charts/helm.ts';
import { conditionOf, getSite } from './support/hub.ts';
import { eventually, kubectl, kubectlJson, sharedLab, type SharedLab } from './support/shared-lab.ts';
import { serviceAccountKubeconfig } from './support/service-account.ts';
import { TEST_TIMING } from './support/timing.ts';

const suffix = randomBytes(3).toString('hex');
/** The chart's release goes where the lab keeps the site kubeconfig Secrets; its Role grants Leases there. */
const ns = 'suanwang-system';
const release = `le-${suffix}`;
const LEASE_S = 4;
const RETRY_S = 1;
let lab: SharedLab;
let hub: string;
let work: string;
let operatorKubeconfig: string;
let address: string; // the lab operator's agent address, host:port
let labOperatorStopped = false;
const running: Operator[] = [];
const leases: string[] = [];

interface Operator {
  readonly name: string;
  readonly child: ChildProcess;
  readonly healthPort: number;
  stdout: string;
  stderr: string;
  exit: Promise<number | null>;
}

/** startOperator runs `suanwang operator --leader-elect` on the lab's agent address, with identity `name`. */
function startOperator(name: string, lease: string, healthPort: number): Operator {
  if (!leases.includes(lease)) leases.push(lease);
  const child = spawn(
    process.execPath,
    [
      SUANWANG_BIN,
      'operator',
      `--kubeconfig=${operatorKubeconfig}`,
      `--listen=${address}`,
      `--tls-dir=${join(lab.dir, 'certs')}`,
      `--lease=${TEST_TIMING.leaseMs}ms`,
      `--heartbeat-interval=${TEST_TIMING.heartbeatIntervalMs}ms`,
      `--site-lost-grace=${TEST_TIMING.siteLostGraceMs}ms`,
      `--health-listen=127.0.0.1:${healthPort}`,
      '--leader-elect',
      `--leader-elect-namespace=${ns}`,
      `--leader-elect-lease-name=${lease}`,
      `--leader-elect-identity=${name}`,
      `--leader-elect-lease-duration=${LEASE_S}s`,
      `--leader-elect-renew-deadline=${LEASE_S - 1}s`,
      `--leader-elect-retry-period=${RETRY_S}s`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const op: Operator = { name, child, healthPort, stdout: '', stderr: '', exit: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
  child.stdout?.on('data', (d: Buffer) => (op.stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (op.stderr += d.toString()));
  running.push(op);
  return op;
}

interface LeaseObject {
  spec: { holderIdentity?: string; leaseDurationSeconds?: number; leaseTransitions?: number; renewTime?: string };
}

function lease(name: string): LeaseObject {
  return kubectlJson<LeaseObject>(hub, ['-n', ns, 'get', 'lease', name]);
}

/** accepts says whether something accepts TCP connections on host:port. */
function accepts(hostPort: string): Promise<boolean> {
  const i = hostPort.lastIndexOf(':');
  return new Promise((resolve) => {
    const s = connect({ host: hostPort.slice(0, i), port: Number(hostPort.slice(i + 1)) });
    s.setTimeout(1000, () => {
      s.destroy();
      resolve(false);
    });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** listeningPorts lists the TCP ports a process listens on, from /proc (its socket fds against /proc/net/tcp*). */
function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m?.[1] !== undefined) inodes.add(m[1]);
    } catch {
      // the fd closed while we looked
    }
  }
  const ports: number[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // local_address is HEXIP:HEXPORT; st 0A is LISTEN; the inode is the tenth field.
      if (f[3] === '0A' && f[9] !== undefined && inodes.has(f[9])) ports.push(parseInt(f[1]?.split(':')[1] ?? '', 16));
    }
  }
  return ports.sort((a, b) => a - b);
}

async function healthz(port: number): Promise<number> {
  return (await fetch(`http://127.0.0.1:${port}/healthz`)).status;
}

function portOf(hostPort: string): number {
  return Number(hostPort.slice(hostPort.lastIndexOf(':') + 1));
}

beforeAll(async () => {
  lab = await sharedLab();
  hub = lab.kubeconfig('hub');
  const st = readState(lab.dir);
  if (st?.operator === undefined) throw new Error('the shared lab runs no operator');
  address = st.operator;
  work = mkdtempSync(join(tmpdir(), 'suanwang-leader-election-'));
  mustHelm(['install', release, HUB_CHART, '-n', ns, '--set', 'crds.enabled=false'], { kubeconfig: hub });
  operatorKubeconfig = serviceAccountKubeconfig(hub, ns, `${release}-suanwang`, work);
  await controlComponent(lab.dir, 'stop', 'operator', 'hub');
  labOperatorStopped = true;
});

afterAll(async () => {
  for (const op of running) if (op.child.exitCode === null && op.child.signalCode === null) op.child.kill('SIGKILL');
  await Promise.all(running.map((op) => op.exit));
  if (labOperatorStopped) await controlComponent(lab.dir, 'start', 'operator', 'hub');
  helm(['uninstall', release, '-n', ns, '--wait'], { kubeconfig: hub });
  if (leases.length > 0) kubectl(hub, ['-n', ns, 'delete', 'lease', ...leases, '--ignore-not-found']);
  rmSync(work, { recursive: true, force: true });
  // Later test files expect the federation as the lab left it.
  await eventually(() => {
    for (const site of lab.sites) expect(conditionOf(getSite(hub, site), 'Ready')?.status, site).toBe('True');
  }, { timeoutMs: 120_000, intervalMs: 500 });
});

describe('leader election between two operators on one agent address', () => {
  const leaseName = `operator-${suffix}`;
  let a: Operator;
  let b: Operator;

  it('lets the first lead and keeps the second standing by, with the agent port unbound and /healthz answering', async () => {
    a = startOperator(`op-a-${suffix}`, leaseName, await freePort());
    await eventually(() => expect(a.stdout).toContain(`operator ready: grpc listening on ${address}`), { timeoutMs: 30_000, intervalMs: 200 });
    expect(lease(leaseName).spec).toMatchObject({ holderIdentity: `op-a-${suffix}`, leaseDurationSeconds: LEASE_S, leaseTransitions: 0 });

    b = startOperator(`op-b-${suffix}`, leaseName, await freePort());
    await eventually(() => expect(b.stdout).toContain(`operator standby: waiting for leadership (lease ${ns}/${leaseName} held by op-a-${suffix})`), { timeoutMs: 30_000, intervalMs: 200 });
    // Several retry periods later b still waits: alive (binding the address would have failed and ended it), silent
    // about readiness, listening only on its health port — and the kubelet's liveness probe would pass.
    await new Promise((r) => setTimeout(r, 3 * RETRY_S * 1000));
    expect(b.child.exitCode, b.stderr).toBeNull();
    expect(b.stdout).not.toContain('operator ready');
    expect(listeningPorts(b.child.pid ?? 0)).toEqual([b.healthPort]);
    expect(listeningPorts(a.child.pid ?? 0)).toEqual([portOf(address), a.healthPort].sort((x, y) => x - y));
    expect(await healthz(b.healthPort)).toBe(200);
    expect(lease(leaseName).spec.holderIdentity).toBe(`op-a-${suffix}`);
  });

  it('hands over to the standby once the killed leader’s Lease has stayed unrenewed for a lease duration', async () => {
    const before = lease(leaseName).spec.leaseTransitions ?? 0;
    const killedAt = performance.now();
    a.child.kill('SIGKILL');
    await a.exit;
    // Nobody serves agents until b has waited out the Lease: b did not bind the address while standing by.
    expect(await accepts(address)).toBe(false);
    await eventually(() => expect(b.stdout).toContain(`operator ready: grpc listening on ${address}`), { timeoutMs: 20_000, intervalMs: 100 });
    const tookS = (performance.now() - killedAt) / 1000;
    console.log(`leader election: the standby led ${tookS.toFixed(1)} s after the leader's SIGKILL (lease ${LEASE_S} s, retry ${RETRY_S} s)`);
    // a renewed at most one retry period before it died, and b counts a full lease from when it saw that renewal.
    expect(tookS).toBeGreaterThanOrEqual(LEASE_S - RETRY_S - 0.5);
    expect(tookS).toBeLessThanOrEqual(LEASE_S + 2 * RETRY_S + 3);
    expect(lease(leaseName).spec).toMatchObject({ holderIdentity: `op-b-${suffix}`, leaseTransitions: before + 1 });
    expect(await accepts(address)).toBe(true);
    // The agents find the new leader on the same address and keep their sites Ready through it.
    await eventually(() => {
      for (const site of lab.sites) expect(b.stderr, site).toMatch(new RegExp(`"site":"${site}".*"msg":"site agent registered"`));
      for (const site of lab.sites) expect(conditionOf(getSite(hub, site), 'Ready')?.status, site).toBe('True');
    }, { timeoutMs: 60_000, intervalMs: 500 });
  });

  it('releases the Lease when the leader stops on SIGTERM', async () => {
    b.child.kill('SIGTERM');
    expect(await b.exit).toBe(0);
    expect(lease(leaseName).spec.holderIdentity ?? '').toBe('');
    expect(b.stderr).toContain('released the lease');
    // Under the chart's ServiceAccount the hub never said no: the Role covers the Lease, and the rest of the work.
    for (const op of [a, b]) expect(op.stderr, op.name).not.toMatch(/Forbidden|forbidden/);
  });
});

describe('a leader whose Lease is taken', () => {
  it('stops and exits 1 with the reason; a standby then stops on SIGTERM without writing', async () => {
    const leaseName = `taken-${suffix}`;
    const c = startOperator(`op-c-${suffix}`, leaseName, await freePort());
    await eventually(() => expect(c.stdout).toContain(`operator ready: grpc listening on ${address}`), { timeoutMs: 30_000, intervalMs: 200 });
    // Someone else writes the Lease (an operator with a clock far off, or a person): c must not go on acting.
    const r = kubectl(hub, ['-n', ns, 'patch', 'lease', leaseName, '--type=merge', '-p', JSON.stringify({ spec: { holderIdentity: 'intruder' } })]);
    expect(r.code, r.stderr).toBe(0);
    expect(await c.exit).toBe(1);
    expect(c.stderr).toContain(`operator: lost leadership of lease ${ns}/${leaseName}: the lease is now held by intruder; exiting`);
    expect(await accepts(address)).toBe(false);
    expect(lease(leaseName).spec.holderIdentity).toBe('intruder');

    // A standby on that Lease stops on SIGTERM at once and leaves the Lease as it found it.
    const before = kubectlJson<{ metadata: { resourceVersion: string } }>(hub, ['-n', ns, 'get', 'lease', leaseName]).metadata.resourceVersion;
    const d = startOperator(`op-d-${suffix}`, leaseName, await freePort());
    await eventually(() => expect(d.stdout).toContain(`held by intruder`), { timeoutMs: 30_000, intervalMs: 100 });
    d.child.kill('SIGTERM');
    expect(await d.exit).toBe(0);
    expect(d.stdout).not.toContain('operator ready');
    expect(kubectlJson<{ metadata: { resourceVersion: string } }>(hub, ['-n', ns, 'get', 'lease', leaseName]).metadata.resourceVersion).toBe(before);
  });
});
