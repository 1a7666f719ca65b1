/**
 * The charts installed with the real helm into the shared lab: the hub chart into the hub (the lab applied the CRDs
 * itself, so the release leaves them out, and the test shows why Helm must), the site chart into a site. Each
 * release creates the expected objects, `kubectl auth can-i` as its ServiceAccounts shows what they may and may not
 * do, the node reporters land on their vendor's nodes (tainted ones included, thanks to the tolerations), and the
 * admission policy, exercised with a real pod-bound token through the program's own Node writer, confines the
 * reporters to their annotation and condition on their own Node. Uninstalling removes the cluster-scoped objects.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCa, writeLabCertificates } from '../../src/wire/certs.ts';
import type { NodeConditionPatch } from '../../src/agent/site/node-reporter.ts';
import { KubernetesNodeWriter } from '../../src/agent/site/node-writer.ts';
import { parseSiteName } from '../../src/wire/identity.ts';
import { ANNOTATION_DEVICES, NODE_CONDITION_ACCELERATORS } from '../../src/api/names.ts';
import { REPO_ROOT } from '../../src/lab/binaries.ts';
import { AGENT_CHART, helm, HUB_CHART, KUBE_VERSION, mustHelm } from './fixtures/charts/helm.ts';
import { eventually, kubectl, kubectlJson, sharedLab, type SharedLab } from './support/shared-lab.ts';

const suffix = randomBytes(3).toString('hex');
let lab: SharedLab;
let certDir: string;

beforeAll(async () => {
  lab = await sharedLab();
  certDir = mkdtempSync(join(tmpdir(), 'chart-install-certs-'));
  const sites = ['beijing'].map((s) => parseSiteName(s)).filter((s) => s !== undefined);
  await writeLabCertificates(certDir, { sites, serverNames: ['localhost'], now: new Date() });
  // The hub chart verifies agents against a CA of their own, not the server certificate's.
  writeFileSync(join(certDir, 'agent-ca.crt'), (await createCa({ now: new Date(), commonName: 'chart test agent CA' })).certPem);
});
afterAll(() => rmSync(certDir, { recursive: true, force: true }));

/** run runs kubectl and throws with its stderr on failure. */
function run(kubeconfig: string, args: string[], input?: string): string {
  const r = kubectl(kubeconfig, args, input === undefined ? {} : { input });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}:\n${r.stderr}`);
  return r.stdout;
}

/** canI asks the apiserver whether `user` may do verb on resource; args are kubectl's (`-n`, `--all-namespaces`, …). */
function canI(kubeconfig: string, user: string, verb: string, resource: string, ...args: string[]): boolean {
  const r = kubectl(kubeconfig, ['auth', 'can-i', `--as=${user}`, verb, resource, ...args]);
  if (r.code !== 0 && r.stdout.trim() !== 'no') throw new Error(`kubectl auth can-i ${verb} ${resource} failed: ${r.stderr}`);
  return r.stdout.trim() === 'yes';
}

interface Permission {
  readonly verb: string;
  readonly resource: string;
  readonly args?: string[];
  readonly want: boolean;
}

/** checkPermissions returns the rows whose answer differs from `want`, so one failure lists every wrong permission. */
function checkPermissions(kubeconfig: string, user: string, table: readonly Permission[]): string[] {
  return table
    .filter((p) => canI(kubeconfig, user, p.verb, p.resource, ...(p.args ?? [])) !== p.want)
    .map((p) => `${p.want ? 'cannot' : 'can'} ${p.verb} ${p.resource} ${(p.args ?? []).join(' ')}`.trim());
}

describe('hub chart in the lab hub', () => {
  const ns = `suanwang-chart-${suffix}`;
  const release = `hub-${suffix}`;
  const full = `${release}-suanwang`;
  const sa = `system:serviceaccount:${ns}:${full}`;
  let hub: string;

  beforeAll(() => {
    hub = lab.kubeconfig('hub');
    run(hub, ['create', 'namespace', ns]);
    run(hub, [
      '-n', ns, 'create', 'secret', 'generic', `${full}-tls`,
      `--from-file=tls.crt=${join(certDir, 'server.crt')}`,
      `--from-file=tls.key=${join(certDir, 'server.key')}`,
    ]);
    run(hub, ['-n', ns, 'create', 'secret', 'generic', `${full}-agent-ca`, `--from-file=ca.crt=${join(certDir, 'agent-ca.crt')}`]);
  });
  afterAll(() => {
    helm(['uninstall', release, '-n', ns, '--wait'], { kubeconfig: hub });
    kubectl(hub, ['delete', 'namespace', ns, '--wait=false']);
  });

  it('cannot take over CRDs it did not create: the lab applied them, so the release needs crds.enabled=false', () => {
    const r = helm(['install', release, HUB_CHART, '-n', ns, '--dry-run=server'], { kubeconfig: hub });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/CustomResourceDefinition "\w+\.suanwang\.io" in namespace "" exists and cannot be imported into the current release: invalid ownership metadata/);
  });

  it('renders CRDs the apiserver accepts as they are (server-side dry run against the installed ones)', () => {
    const crds = mustHelm(['template', release, HUB_CHART, '-n', ns, '--kube-version', KUBE_VERSION, '--show-only', 'templates/crds/sites.suanwang.io.yaml', '--show-only', 'templates/crds/trainingjobs.suanwang.io.yaml', '--show-only', 'templates/crds/inferenceservices.suanwang.io.yaml', '--show-only', 'templates/crds/queues.suanwang.io.yaml']);
    const out = run(hub, ['apply', '--server-side', '--dry-run=server', '--force-conflicts', '--field-manager=chart-test', '-f', '-'], crds);
    expect(out.match(/customresourcedefinition\.apiextensions\.k8s\.io\/\w+\.suanwang\.io serverside-applied \(server dry run\)/g)).toHaveLength(4);
  });

  it('installs the operator, its ServiceAccount, RBAC and Service', () => {
    const out = mustHelm(['install', release, HUB_CHART, '-n', ns, '--set', 'crds.enabled=false'], { kubeconfig: hub });
    expect(out).toContain('STATUS: deployed');
    expect(out).toContain(`kubectl -n ${ns} rollout status deployment/${full}`);
    expect(out).not.toContain('It does not exist yet'); // NOTES saw the TLS Secret and the agent CA Secret
    const names = (kind: string, scope: string[]): string[] =>
      kubectlJson<{ items: Array<{ metadata: { name: string } }> }>(hub, ['get', kind, ...scope, '-l', `app.kubernetes.io/instance=${release}`]).items.map((i) => i.metadata.name);
    expect(names('deployments', ['-n', ns])).toEqual([full]);
    expect(names('serviceaccounts', ['-n', ns])).toEqual([full]);
    expect(names('roles', ['-n', ns])).toEqual([full]);
    expect(names('rolebindings', ['-n', ns])).toEqual([full]);
    expect(names('services', ['-n', ns])).toEqual([full]);
    expect(names('configmaps', ['-n', ns])).toEqual([`${full}-revoked-agent-certificates`]);
    expect(names('clusterroles', [])).toEqual([`${full}-${ns}`]);
    expect(names('clusterrolebindings', [])).toEqual([`${full}-${ns}`]);
    const svc = kubectlJson<{ spec: { ports: Array<{ port: number }>; selector: Record<string, string> } }>(hub, ['-n', ns, 'get', 'service', full]);
    expect(svc.spec.ports.map((p) => p.port)).toEqual([7443]);
    // The apiserver validated the pod template with the Deployment; whether a pod appears depends on the hub's
    // controllers (and it would stay Pending: the hub has no nodes), so the test stops at the objects.
  });

  it('takes more than one replica, and then points at the Lease instead of a rollout that cannot finish', () => {
    const out = mustHelm(['upgrade', release, HUB_CHART, '-n', ns, '--set', 'crds.enabled=false', '--set', 'replicaCount=2', '--dry-run=server'], { kubeconfig: hub });
    expect(out).toMatch(/^\s+replicas: 2$/m);
    expect(out).toContain(`kubectl -n ${ns} get lease ${full}`);
    expect(out).not.toContain(`rollout status deployment/${full}`);
  });

  it('lets the operator do its work and nothing else', () => {
    const table: Permission[] = [
      { verb: 'watch', resource: 'sites.suanwang.io', want: true },
      { verb: 'list', resource: 'trainingjobs.suanwang.io', args: ['--all-namespaces'], want: true },
      { verb: 'patch', resource: 'trainingjobs.suanwang.io', args: ['-n', 'default', '--subresource=status'], want: true },
      { verb: 'update', resource: 'inferenceservices.suanwang.io', args: ['-n', 'team-a', '--subresource=finalizers'], want: true },
      { verb: 'patch', resource: 'queues.suanwang.io', args: ['--subresource=status'], want: true },
      { verb: 'create', resource: 'events', args: ['-n', 'team-a'], want: true },
      { verb: 'get', resource: 'secrets', args: ['-n', ns], want: true },
      { verb: 'watch', resource: 'secrets', args: ['-n', ns], want: true },
      // Leader election: read, create and take over (update) the Lease in its own namespace.
      { verb: 'get', resource: 'leases.coordination.k8s.io', args: ['-n', ns], want: true },
      { verb: 'create', resource: 'leases.coordination.k8s.io', args: ['-n', ns], want: true },
      { verb: 'update', resource: 'leases.coordination.k8s.io', args: ['-n', ns], want: true },
      { verb: 'get', resource: 'namespaces', want: true },
      // What it has no business with.
      { verb: 'get', resource: 'secrets', args: ['-n', 'suanwang-system'], want: false },
      { verb: 'list', resource: 'secrets', args: ['--all-namespaces'], want: false },
      { verb: 'create', resource: 'secrets', args: ['-n', ns], want: false },
      { verb: 'delete', resource: 'secrets', args: ['-n', ns], want: false },
      { verb: 'create', resource: 'leases.coordination.k8s.io', args: ['-n', 'kube-system'], want: false },
      { verb: 'delete', resource: 'nodes', want: false },
      { verb: 'list', resource: 'nodes', want: false },
      { verb: 'list', resource: 'pods', args: ['--all-namespaces'], want: false },
      { verb: 'create', resource: 'pods', args: ['-n', ns], want: false },
      { verb: 'create', resource: 'trainingjobs.suanwang.io', args: ['-n', 'default'], want: false },
      { verb: 'delete', resource: 'trainingjobs.suanwang.io', args: ['-n', 'default'], want: false },
      { verb: 'delete', resource: 'sites.suanwang.io', want: false },
      { verb: 'update', resource: 'customresourcedefinitions.apiextensions.k8s.io', want: false },
      { verb: 'list', resource: 'namespaces', want: false },
      { verb: 'create', resource: 'clusterrolebindings', want: false },
    ];
    expect(checkPermissions(hub, sa, table)).toEqual([]);
  });

  it('removes its cluster-scoped objects on uninstall', () => {
    mustHelm(['uninstall', release, '-n', ns, '--wait'], { kubeconfig: hub });
    expect(kubectl(hub, ['get', 'clusterrole', `${full}-${ns}`]).code).not.toBe(0);
    expect(kubectl(hub, ['get', 'clusterrolebinding', `${full}-${ns}`]).code).not.toBe(0);
    // The lab's CRDs were never the release's and are untouched.
    expect(kubectl(hub, ['get', 'crd', 'sites.suanwang.io']).code).toBe(0);
  });
});

interface NodeList {
  items: Array<{ metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: { taints?: unknown[] } }>;
}
interface DaemonSetStatus {
  status: { desiredNumberScheduled?: number };
}
interface PodList {
  items: Array<{ metadata: { name: string; uid: string; deletionTimestamp?: string }; spec: { nodeName?: string } }>;
}
interface NodeCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastHeartbeatTime?: string;
  lastTransitionTime?: string;
}
interface NodeObject {
  metadata: { name: string; annotations?: Record<string, string> };
  status: { conditions?: NodeCondition[] };
}

describe('site chart in a lab site', () => {
  const site = 'beijing';
  const ns = `suanwang-agent-${suffix}`;
  const release = `site-${suffix}`;
  const full = `${release}-suanwang-agent`;
  const agentSa = `system:serviceaccount:${ns}:${full}`;
  const reporterSa = `system:serviceaccount:${ns}:${full}-node-reporter`;
  const values = join(REPO_ROOT, 'test/lab/fixtures/charts/agent-lab.yaml');
  const installArgs = (): string[] => [
    AGENT_CHART, '-n', ns, '-f', values,
    '--set', `site=${site}`,
    '--set', 'tls.create=true',
    '--set-file', `tls.cert=${join(certDir, `${site}.crt`)}`,
    '--set-file', `tls.key=${join(certDir, `${site}.key`)}`,
    '--set-file', `tls.ca=${join(certDir, 'ca.crt')}`,
  ];
  let kc: string;
  let nvidiaNodes: string[];
  let hygonNodes: string[];
  let taintedNode: string;

  beforeAll(() => {
    kc = lab.kubeconfig(site);
    const nodes = (selector: string): string[] => kubectlJson<NodeList>(kc, ['get', 'nodes', '-l', selector]).items.map((n) => n.metadata.name).sort();
    nvidiaNodes = nodes('nvidia.com/gpu.present=true');
    hygonNodes = nodes('feature.node.kubernetes.io/pci-1d94.present=true');
    expect(nvidiaNodes.length, 'the lab site has NVIDIA nodes').toBeGreaterThanOrEqual(2);
    expect(hygonNodes.length, 'the lab site has Hygon nodes').toBeGreaterThanOrEqual(1);
    // Accelerator nodes are often tainted: taint one NVIDIA node the way operators do; the reporter must still go there.
    taintedNode = nvidiaNodes[0] ?? '';
    run(kc, ['taint', 'node', taintedNode, `nvidia.com/gpu=present:NoSchedule`]);
  });
  afterAll(() => {
    kubectl(kc, ['taint', 'node', taintedNode, 'nvidia.com/gpu=present:NoSchedule-']);
    helm(['uninstall', release, '-n', ns, '--wait'], { kubeconfig: kc });
    kubectl(kc, ['delete', 'namespace', ns, '--wait=false']);
  });

  const daemonSetPods = (vendor: string): PodList['items'] =>
    kubectlJson<PodList>(kc, ['-n', ns, 'get', 'pods', '-l', `app.kubernetes.io/instance=${release},app.kubernetes.io/component=node-reporter-${vendor}`]).items;

  it('installs the agent, the node reporters, their RBAC, the client certificate Secret and the admission policy', () => {
    const out = mustHelm(['install', release, ...installArgs(), '--create-namespace'], { kubeconfig: kc });
    expect(out).toContain('STATUS: deployed');
    const names = (kind: string, scope: string[]): string[] =>
      kubectlJson<{ items: Array<{ metadata: { name: string } }> }>(kc, ['get', kind, ...scope, '-l', `app.kubernetes.io/instance=${release}`]).items.map((i) => i.metadata.name).sort();
    expect(names('deployments', ['-n', ns])).toEqual([full]);
    expect(names('daemonsets', ['-n', ns])).toEqual(['amd', 'cambricon', 'huawei', 'hygon', 'nvidia'].map((v) => `${full}-node-reporter-${v}`));
    expect(names('serviceaccounts', ['-n', ns])).toEqual([full, `${full}-node-reporter`]);
    expect(names('secrets', ['-n', ns])).toEqual([`${full}-tls`]);
    expect(names('clusterroles', [])).toEqual([`${full}-${ns}-agent`, `${full}-${ns}-node-reporter`]);
    expect(names('clusterrolebindings', [])).toEqual([`${full}-${ns}-agent`, `${full}-${ns}-node-reporter`]);
    expect(names('validatingadmissionpolicies', [])).toEqual([`${full}-${ns}-agent-fence`, `${full}-${ns}-node-reporter`]);
    expect(names('validatingadmissionpolicybindings', [])).toEqual([`${full}-${ns}-agent-fence`, `${full}-${ns}-node-reporter`]);
    const secret = kubectlJson<{ type: string; data: Record<string, string> }>(kc, ['-n', ns, 'get', 'secret', `${full}-tls`]);
    expect(secret.type).toBe('kubernetes.io/tls');
    expect(Buffer.from(secret.data['tls.crt'] ?? '', 'base64').toString()).toBe(readFileSync(join(certDir, `${site}.crt`), 'utf8'));
  });

  it('runs one reporter on every node of its vendor, tainted ones included, and none elsewhere', async () => {
    const desired = (vendor: string): number =>
      kubectlJson<DaemonSetStatus>(kc, ['-n', ns, 'get', 'daemonset', `${full}-node-reporter-${vendor}`]).status.desiredNumberScheduled ?? -1;
    await eventually(() => {
      expect(desired('nvidia')).toBe(nvidiaNodes.length);
      expect(desired('hygon')).toBe(hygonNodes.length);
      for (const v of ['huawei', 'amd', 'cambricon']) expect(desired(v), v).toBe(0);
      expect(daemonSetPods('nvidia').map((p) => p.spec.nodeName).sort()).toEqual(nvidiaNodes);
      expect(daemonSetPods('hygon').map((p) => p.spec.nodeName).sort()).toEqual(hygonNodes);
    }, { timeoutMs: 60_000, intervalMs: 250 });
  });

  it('loses the tainted node without the default tolerations (so they are what put the reporter there)', async () => {
    mustHelm(['upgrade', release, ...installArgs(), '--set-json', 'nodeReporter.tolerations=[]'], { kubeconfig: kc });
    await eventually(() => {
      expect(kubectlJson<DaemonSetStatus>(kc, ['-n', ns, 'get', 'daemonset', `${full}-node-reporter-nvidia`]).status.desiredNumberScheduled).toBe(nvidiaNodes.length - 1);
    }, { timeoutMs: 60_000, intervalMs: 250 });
    mustHelm(['upgrade', release, ...installArgs()], { kubeconfig: kc });
    await eventually(() => {
      expect(daemonSetPods('nvidia').map((p) => p.spec.nodeName).sort()).toEqual(nvidiaNodes);
    }, { timeoutMs: 60_000, intervalMs: 250 });
  });

  it('lets the agent read Nodes and Pods, list and delete Jobs (its fence), and nothing else', () => {
    const table: Permission[] = [
      { verb: 'list', resource: 'jobs.batch', args: ['--all-namespaces'], want: true },
      { verb: 'delete', resource: 'jobs.batch', args: ['-n', 'default'], want: true },
      { verb: 'create', resource: 'jobs.batch', args: ['-n', 'default'], want: false },
      { verb: 'patch', resource: 'jobs.batch', args: ['-n', 'default'], want: false },
      { verb: 'delete', resource: 'deployments.apps', args: ['-n', 'default'], want: false },
      { verb: 'list', resource: 'nodes', want: true },
      { verb: 'watch', resource: 'nodes', want: true },
      { verb: 'list', resource: 'pods', args: ['--all-namespaces'], want: true },
      { verb: 'watch', resource: 'pods', args: ['--all-namespaces'], want: true },
      { verb: 'get', resource: 'secrets', args: ['-n', ns], want: false },
      { verb: 'list', resource: 'secrets', args: ['--all-namespaces'], want: false },
      { verb: 'list', resource: 'configmaps', args: ['--all-namespaces'], want: false },
      { verb: 'patch', resource: 'nodes', want: false },
      { verb: 'delete', resource: 'nodes', want: false },
      { verb: 'create', resource: 'pods', args: ['-n', ns], want: false },
      { verb: 'delete', resource: 'pods', args: ['-n', 'default'], want: false },
      { verb: 'create', resource: 'pods/exec', args: ['-n', 'default'], want: false },
    ];
    expect(checkPermissions(kc, agentSa, table)).toEqual([]);
  });

  it('lets the agent delete only Suanwang\'s training member Jobs (the fence policy)', async () => {
    const job = (name: string, labels: Record<string, string>): string =>
      JSON.stringify({
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name, namespace: 'default', labels },
        spec: { suspend: true, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } },
      });
    for (const [name, labels] of [
      ['not-ours', {}],
      ['a-member', { 'app.kubernetes.io/managed-by': 'suanwang', 'suanwang.io/workload': 'train' }],
    ] as const) {
      const r = kubectl(kc, ['apply', '-f', '-'], { input: job(name, labels) });
      expect(r.code, r.stderr).toBe(0);
    }
    try {
      // The policy takes a moment to be enforced after install.
      await eventually(() => {
        // Until it is, a delete goes through: put the Job back each try.
        expect(kubectl(kc, ['apply', '-f', '-'], { input: job('not-ours', {}) }).code).toBe(0);
        const denied = kubectl(kc, ['delete', 'job', 'not-ours', '-n', 'default', `--as=${agentSa}`, '--wait=false']);
        expect(denied.code).not.toBe(0);
        expect(denied.stderr).toContain('may delete only');
      }, { timeoutMs: 30_000, intervalMs: 500 });
      const allowed = kubectl(kc, ['delete', 'job', 'a-member', '-n', 'default', `--as=${agentSa}`, '--wait=false']);
      expect(allowed.code, allowed.stderr).toBe(0);
    } finally {
      kubectl(kc, ['delete', 'job', 'not-ours', 'a-member', '-n', 'default', '--ignore-not-found', '--wait=false']);
    }
  });

  it('lets the node reporters get and patch Nodes and their status, and nothing else', () => {
    const table: Permission[] = [
      { verb: 'get', resource: 'nodes', want: true },
      { verb: 'patch', resource: 'nodes', want: true },
      { verb: 'patch', resource: 'nodes', args: ['--subresource=status'], want: true },
      { verb: 'list', resource: 'nodes', want: false },
      { verb: 'update', resource: 'nodes', want: false },
      { verb: 'delete', resource: 'nodes', want: false },
      { verb: 'create', resource: 'nodes', want: false },
      { verb: 'list', resource: 'pods', args: ['--all-namespaces'], want: false },
      { verb: 'get', resource: 'secrets', args: ['-n', ns], want: false },
      { verb: 'list', resource: 'secrets', args: ['--all-namespaces'], want: false },
      { verb: 'create', resource: 'pods/eviction', args: ['-n', 'default'], want: false },
    ];
    expect(checkPermissions(kc, reporterSa, table)).toEqual([]);
  });

  describe('the admission policy, with a token bound to a reporter pod', () => {
    let ownNode: string;
    let otherNode: string;
    let reporterKc: KubeConfig;
    let core: CoreV1Api;
    // What the node carried before: the lab's own node reporter may keep it, and the test must leave it as it was.
    let original: { annotation?: string; condition?: NodeCondition };

    beforeAll(() => {
      const pod = daemonSetPods('nvidia').find((p) => p.spec.nodeName !== undefined && p.metadata.deletionTimestamp === undefined);
      if (pod?.spec.nodeName === undefined) throw new Error('no scheduled NVIDIA reporter pod');
      ownNode = pod.spec.nodeName;
      otherNode = [...nvidiaNodes, ...hygonNodes].find((n) => n !== ownNode) ?? '';
      const node = kubectlJson<NodeObject>(kc, ['get', 'node', ownNode]);
      const annotation = node.metadata.annotations?.[ANNOTATION_DEVICES];
      const condition = node.status.conditions?.find((c) => c.type === NODE_CONDITION_ACCELERATORS);
      original = { ...(annotation === undefined ? {} : { annotation }), ...(condition === undefined ? {} : { condition }) };
      // What the kubelet mounts into the pod: a token bound to the pod, which names its node.
      const token = run(kc, ['-n', ns, 'create', 'token', `${full}-node-reporter`, '--bound-object-kind=Pod', `--bound-object-name=${pod.metadata.name}`, `--bound-object-uid=${pod.metadata.uid}`]).trim();
      const admin = new KubeConfig();
      admin.loadFromFile(kc);
      const cluster = admin.getCurrentCluster();
      if (cluster === null) throw new Error('no cluster in the site kubeconfig');
      reporterKc = new KubeConfig();
      reporterKc.loadFromOptions({
        clusters: [cluster],
        users: [{ name: 'reporter', token }],
        contexts: [{ name: 'reporter', cluster: cluster.name, user: 'reporter' }],
        currentContext: 'reporter',
      });
      core = reporterKc.makeApiClient(CoreV1Api);
    });
    afterAll(() => {
      if (original.annotation === undefined) kubectl(kc, ['annotate', 'node', ownNode, `${ANNOTATION_DEVICES}-`]);
      if (original.condition === undefined) {
        const drop = JSON.stringify({ status: { conditions: [{ type: NODE_CONDITION_ACCELERATORS, $patch: 'delete' }] } });
        kubectl(kc, ['patch', 'node', ownNode, '--subresource=status', '--type=strategic', '-p', drop]);
      }
    });

    it("admits the reporter's own writes on its own Node, made by the program's Node writer", async () => {
      const writer = KubernetesNodeWriter.forKubeConfig(reporterKc);
      const now = new Date().toISOString();
      const annotation = original.annotation ?? '{"provider":"nvidia-smi","chartTest":true}';
      const c = original.condition;
      // Values read back from the Node are the reporter's own, so they fit its types.
      const condition = {
        type: NODE_CONDITION_ACCELERATORS,
        status: c?.status ?? 'True',
        reason: c?.reason ?? 'AllDevicesHealthy',
        message: c?.message ?? 'chart test',
        lastHeartbeatTime: c?.lastHeartbeatTime ?? now,
        lastTransitionTime: c?.lastTransitionTime ?? now,
      } as NodeConditionPatch;
      await writer.writeAnnotation(ownNode, annotation);
      await writer.writeCondition(ownNode, condition);
      const node = kubectlJson<NodeObject>(kc, ['get', 'node', ownNode]);
      expect(node.metadata.annotations?.[ANNOTATION_DEVICES]).toBeDefined();
      expect(node.status.conditions?.some((x) => x.type === NODE_CONDITION_ACCELERATORS)).toBe(true);
    });

    it('denies the same writes on another Node', async () => {
      const writer = KubernetesNodeWriter.forKubeConfig(reporterKc);
      const now = new Date().toISOString();
      await expect(writer.writeAnnotation(otherNode, '{}')).rejects.toThrow(/may only write the Node its pod runs on/);
      await expect(
        writer.writeCondition(otherNode, { type: NODE_CONDITION_ACCELERATORS, status: 'False', reason: 'DevicesUnhealthy', message: 'chart test', lastHeartbeatTime: now, lastTransitionTime: now }),
      ).rejects.toThrow(/may only write the Node its pod runs on/);
    });

    it.each([
      { name: 'a label', status: false, body: { metadata: { labels: { 'example.org/steer': 'here' } } }, want: /may not change Node labels/ },
      { name: 'another annotation', status: false, body: { metadata: { annotations: { 'example.org/x': 'y' } } }, want: /no Node annotation but suanwang\.io\/devices/ },
      { name: 'a taint', status: false, body: { spec: { taints: [{ key: 'example.org/steer', effect: 'NoSchedule' }] } }, want: /may not change the Node's spec/ },
      { name: 'unschedulable', status: false, body: { spec: { unschedulable: true } }, want: /may not change the Node's spec/ },
      { name: 'capacity', status: true, body: { status: { capacity: { 'nvidia.com/gpu': '64' } } }, want: /no Node status but the AcceleratorHealthy condition/ },
      { name: 'the Ready condition', status: true, body: { status: { conditions: [{ type: 'Ready', status: 'False', reason: 'ChartTest', message: 'x' }] } }, want: /no Node status but the AcceleratorHealthy condition/ },
    ])('denies changing $name on its own Node', async ({ status, body, want }) => {
      const options = setHeaderOptions('Content-Type', status ? PatchStrategy.StrategicMergePatch : PatchStrategy.MergePatch);
      const call = status ? core.patchNodeStatus({ name: ownNode, body }, options) : core.patchNode({ name: ownNode, body }, options);
      await expect(call).rejects.toThrow(want);
    });
  });

  it('removes its cluster-scoped objects on uninstall', () => {
    mustHelm(['uninstall', release, '-n', ns, '--wait'], { kubeconfig: kc });
    for (const kind of ['clusterroles', 'clusterrolebindings', 'validatingadmissionpolicies', 'validatingadmissionpolicybindings']) {
      expect(kubectlJson<{ items: unknown[] }>(kc, ['get', kind, '-l', `app.kubernetes.io/instance=${release}`]).items, kind).toEqual([]);
    }
  });
});
