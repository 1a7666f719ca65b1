/**
 * The hub chart's RBAC suffices: the operator, run as a local process with the chart's ServiceAccount token (from
 * `kubectl create token`) instead of the lab's admin credentials, keeps every Site Ready and takes a TrainingJob
 * from placement to Succeeded without a single Forbidden answer from the hub.
 *
 * The site chart's pull mode grants the agent what applying member objects needs, where the site policy allows it:
 * `kubectl auth can-i` as its ServiceAccount in a lab site, with exact namespaces and with a pattern, and the
 * admission policy's answer to server-side dry-run writes made as that ServiceAccount.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUANWANG_BIN } from '../../src/lab/federation.ts';
import { controlComponent } from '../../src/lab/lab.ts';
import { readState } from '../../src/lab/state.ts';
import { AGENT_CHART, helm, HUB_CHART, mustHelm } from './fixtures/charts/helm.ts';
import { REPO_ROOT } from '../../src/lab/binaries.ts';
import { applyYaml, conditionOf, getSite, getTrainingJob } from './support/hub.ts';
import { eventually, kubectl, sharedLab, type SharedLab } from './support/shared-lab.ts';
import { serviceAccountKubeconfig } from './support/service-account.ts';
import { TEST_TIMING } from './support/timing.ts';

const suffix = randomBytes(3).toString('hex');
const release = `rbac-${suffix}`;
const systemNs = 'suanwang-system';
const ns = `rbac-e2e-${suffix}`;
let lab: SharedLab;
let hub: string;
let work: string;
let operator: ChildProcess | undefined;
let operatorLog = '';

beforeAll(async () => {
  lab = await sharedLab();
  hub = lab.kubeconfig('hub');
  work = mkdtempSync(join(tmpdir(), 'suanwang-rbac-'));
  // The release goes where the lab keeps the site kubeconfig Secrets, which the chart's Role lets the operator read.
  mustHelm(['install', release, HUB_CHART, '-n', systemNs, '--set', 'crds.enabled=false'], { kubeconfig: hub });
  expect(kubectl(hub, ['create', 'namespace', ns]).code).toBe(0);
});

afterAll(async () => {
  // The lab's operator takes back the same address: start it only once this one has let go of the port, or it
  // fails to bind (an error swallowed here) and every later test file runs without an operator.
  if (operator !== undefined) await stopProcess(operator);
  await controlComponent(lab.dir, 'start', 'operator', 'hub').catch(() => undefined);
  kubectl(hub, ['delete', 'trainingjobs', '--all', '-n', ns, '--wait=true', '--timeout=60s']);
  helm(['uninstall', release, '-n', systemNs, '--wait'], { kubeconfig: hub });
  rmSync(work, { recursive: true, force: true });
});

/** stopProcess sends SIGTERM and resolves once the process has exited (SIGKILL after 20 s). */
async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}

describe('the hub chart’s RBAC', () => {
  it('is enough for the operator to run the training scenario, with no Forbidden answer', async () => {
    const kubeconfig = serviceAccountKubeconfig(hub, systemNs, `${release}-suanwang`, work);
    const st = readState(lab.dir);
    expect(st?.operator).toBeDefined();
    // Take the lab operator's place on the same address, so the agents reconnect to this one.
    await controlComponent(lab.dir, 'stop', 'operator', 'hub');
    operator = spawn(
      process.execPath,
      [SUANWANG_BIN, 'operator', `--kubeconfig=${kubeconfig}`, `--listen=${st?.operator}`, `--tls-dir=${join(lab.dir, 'certs')}`, `--lease=${TEST_TIMING.leaseMs}ms`, `--heartbeat-interval=${TEST_TIMING.heartbeatIntervalMs}ms`],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    operator.stdout?.on('data', (d: Buffer) => (operatorLog += d.toString()));
    operator.stderr?.on('data', (d: Buffer) => (operatorLog += d.toString()));
    await eventually(() => expect(operatorLog).toMatch(/operator ready: grpc listening on/), { timeoutMs: 30_000, intervalMs: 200 });

    applyYaml(hub, `apiVersion: suanwang.io/v1alpha1
kind: TrainingJob
metadata: { name: rbac-check }
spec:
  workers: 2
  resources: { cpu: "16", memory: 64Gi }
  variants:
    - name: ascend
      accelerator: { vendor: huawei, count: 4 }
      image: registry.example.com/train:1.0
`, ns);
    const done = await eventually(() => {
      const tj = getTrainingJob(hub, ns, 'rbac-check');
      expect(tj.status?.phase, tj.status?.placement?.message).toBe('Succeeded');
      return tj;
    }, { timeoutMs: 90_000, intervalMs: 500 });
    expect(done.status?.site).toBe('guizhou');
    // Site status is written by this operator too: heartbeats keep every site Ready.
    await new Promise((r) => setTimeout(r, TEST_TIMING.leaseMs));
    for (const site of lab.sites) expect(conditionOf(getSite(hub, site), 'Ready')?.status, site).toBe('True');
    const events = kubectl(hub, ['get', 'events', '-n', ns, '--field-selector', 'involvedObject.name=rbac-check', '-o', 'name']).stdout;
    expect(events.trim().split('\n').length).toBeGreaterThanOrEqual(2);
    expect(operatorLog).not.toMatch(/Forbidden|forbidden/);
  });

  it('does not let that ServiceAccount read Secrets outside its namespace or touch Nodes', () => {
    const sa = `system:serviceaccount:${systemNs}:${release}-suanwang`;
    const ask = (...args: string[]) => kubectl(hub, ['auth', 'can-i', `--as=${sa}`, ...args]).stdout.trim();
    expect(ask('get', 'secrets', '-n', systemNs)).toBe('yes');
    expect(ask('get', 'secrets', '-n', 'default')).toBe('no');
    expect(ask('list', 'secrets', '--all-namespaces')).toBe('no');
    expect(ask('delete', 'nodes')).toBe('no');
    expect(ask('patch', 'trainingjobs.suanwang.io/status', '-n', ns)).toBe('yes');
  });
});

describe('the site chart’s pull-mode RBAC', () => {
  const release = `pull-${suffix}`;
  const agentNs = `suanwang-pull-${suffix}`;
  const full = `${release}-suanwang-agent`;
  const sa = `system:serviceaccount:${agentNs}:${full}`;
  // Two tenant namespaces the policy names, one it does not.
  const tenantA = `pull-${suffix}-a`;
  const tenantB = `pull-${suffix}-b`;
  const other = `other-${suffix}`;
  let site: string;
  let kc: string;
  const values = (namespaces: string[]): string[] => [
    AGENT_CHART, '-n', agentNs, '-f', join(REPO_ROOT, 'test/lab/fixtures/charts/agent-lab.yaml'),
    '--set', `site=${site}`,
    '--set', 'nodeReporter.enabled=false',
    // kwok fakes the agent's pod: the Secret it would mount need not exist.
    '--set', 'tls.secretName=unused',
    '--set', 'pullMode.enabled=true',
    '--set-json', `pullMode.policy.namespaces=${JSON.stringify(namespaces)}`,
  ];
  const canI = (verb: string, resource: string, ...args: string[]): string => kubectl(kc, ['auth', 'can-i', `--as=${sa}`, verb, resource, ...args]).stdout.trim();

  beforeAll(() => {
    site = lab.sites[0] ?? '';
    kc = lab.kubeconfig(site);
    for (const ns of [tenantA, tenantB, other]) expect(kubectl(kc, ['create', 'namespace', ns]).code, ns).toBe(0);
  });
  afterAll(() => {
    helm(['uninstall', release, '-n', agentNs, '--wait'], { kubeconfig: kc });
    for (const ns of [tenantA, tenantB, other, agentNs]) kubectl(kc, ['delete', 'namespace', ns, '--wait=false']);
  });

  it('with exact namespaces: writes member kinds in exactly those, reads the rest cluster-wide, creates no namespace', () => {
    mustHelm(['install', release, ...values([tenantA, tenantB]), '--create-namespace'], { kubeconfig: kc });
    const table: Array<[string, string, string[], string]> = [];
    for (const resource of ['jobs.batch', 'services', 'deployments.apps']) {
      for (const verb of ['get', 'create', 'patch', 'delete']) {
        table.push([verb, resource, ['-n', tenantA], 'yes'], [verb, resource, ['-n', tenantB], 'yes']);
        // The fence's cluster-wide Job delete stays; every other write stays out of other namespaces.
        const elsewhere = resource === 'jobs.batch' && verb === 'delete' ? 'yes' : 'no';
        table.push([verb, resource, ['-n', other], elsewhere], [verb, resource, ['-n', agentNs], elsewhere], [verb, resource, ['-n', 'kube-system'], elsewhere]);
      }
      for (const verb of ['list', 'watch']) table.push([verb, resource, ['--all-namespaces'], 'yes']);
    }
    table.push(
      ['get', `namespaces/${tenantA}`, [], 'yes'],
      ['get', `namespaces/${other}`, [], 'no'],
      ['create', 'namespaces', [], 'no'],
      ['delete', `namespaces/${tenantA}`, [], 'no'],
      ['create', 'pods', ['-n', tenantA], 'no'],
      ['create', 'configmaps', ['-n', tenantA], 'no'],
      ['get', 'secrets', ['-n', tenantA], 'no'],
      ['create', 'rolebindings.rbac.authorization.k8s.io', ['-n', tenantA], 'no'],
    );
    const wrong = table.filter(([verb, res, args, want]) => canI(verb, res, ...args) !== want).map(([verb, res, args, want]) => `${verb} ${res} ${args.join(' ')}: want ${want}`);
    expect(wrong).toEqual([]);
  });

  it('with a pattern: writes and creates namespaces cluster-wide, the admission policy keeps them to Suanwang\'s objects in allowed namespaces', async () => {
    mustHelm(['upgrade', release, ...values([`pull-${suffix}-*`])], { kubeconfig: kc });
    const service = (ns: string, labelled: boolean): string => `apiVersion: v1
kind: Service
metadata:
  name: pull-check
  namespace: ${ns}
${labelled ? '  labels: { app.kubernetes.io/managed-by: suanwang }\n' : ''}spec:
  clusterIP: None
  ports: [{ port: 80 }]
`;
    const namespace = (name: string): string => `apiVersion: v1
kind: Namespace
metadata:
  name: ${name}
  labels: { app.kubernetes.io/managed-by: suanwang }
`;
    const dryRun = (yaml: string): { code: number; stderr: string } => kubectl(kc, ['create', '--dry-run=server', `--as=${sa}`, '-f', '-'], { input: yaml });
    // RBAC and the changed admission policy take a moment to reach the apiserver: a namespace the pattern allows is
    // the first thing the exact list refused on both counts.
    await eventually(() => expect(dryRun(namespace(`pull-${suffix}-new`))).toMatchObject({ code: 0 }), { timeoutMs: 20_000, intervalMs: 250 });
    // RBAC alone would now let the agent write anywhere; the admission policy is what says no.
    expect(canI('create', 'jobs.batch', '-n', other)).toBe('yes');
    expect(canI('create', 'services', '-n', agentNs)).toBe('yes');
    expect(dryRun(service(other, true)).stderr).toMatch(/does not allow namespace/);
    expect(dryRun(service(tenantA, true)).code).toBe(0);
    expect(dryRun(service(tenantA, false)).stderr).toMatch(/only objects labelled app.kubernetes.io\/managed-by=suanwang/);
    expect(dryRun(service(agentNs, true)).stderr).toMatch(/does not allow namespace/);
    expect(dryRun(namespace(`other-${suffix}-new`)).stderr).toMatch(/does not allow namespace/);
  });
});
