/**
 * The two Helm charts rendered by the real helm: `helm lint --strict` with the defaults and every values file under
 * values-examples/, the objects and fields each set of values produces (security context, flags, mounted
 * certificate files, exact RBAC rules, CRDs equal to crds/), the schema refusing misspelled and malformed values,
 * and every value documented in values.yaml, values.schema.json and docs/install.md. Installing into the lab is
 * charts-install.test.ts.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeLabCertificates } from '../../src/wire/certs.ts';
import { parseSiteName } from '../../src/wire/identity.ts';
import { parseRevokedCertificates } from '../../src/operator/revoked-certificates.ts';
import { REPO_ROOT } from '../../src/lab/binaries.ts';
import { parseSitePolicy } from '../../src/agent/site/site-policy-file.ts';
import { DEFAULT_SITE_POLICY } from '../../src/agent/site/site-policy.ts';
import { AGENT_CHART, at, helm, HUB_CHART, kindsAndNames, KUBE_VERSION, only, template, templateError, type K8sObject } from './fixtures/charts/helm.ts';

type Json = Record<string, unknown>;

const APP_VERSION = (load(readFileSync(join(HUB_CHART, 'Chart.yaml'), 'utf8')) as { appVersion: string }).appVersion;
const VENDOR_TOOLS = { nvidia: 'nvidia-smi', huawei: 'npu-smi', amd: 'amd-smi', cambricon: 'cnmon', hygon: 'hy-smi' } as const;
const ACCELERATOR_TAINTS = ['nvidia.com/gpu', 'huawei.com/Ascend910', 'amd.com/gpu', 'cambricon.com/mlu', 'hygon.com/dcu'];
const AGENT_REQUIRED = ['--set', 'site=shanghai', '--set', 'operator.address=hub.example.org:7443'];

function examples(chart: string): string[] {
  const dir = join(chart, 'values-examples');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => join(dir, f));
}

/** podSpec returns the pod template spec of a Deployment or DaemonSet. */
function podSpec(o: K8sObject): Json {
  return at(o, 'spec', 'template', 'spec') as Json;
}

function container(o: K8sObject): Json {
  const c = at(podSpec(o), 'containers', 0);
  if (c === undefined) throw new Error(`${o.kind}/${o.metadata.name} has no container`);
  return c as Json;
}

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

/** grants flattens RBAC rules into sorted "group/resource:verb" strings, so a test states the whole grant at once. */
function grants(role: K8sObject): string[] {
  const out: string[] = [];
  for (const r of (role['rules'] ?? []) as Rule[]) {
    for (const g of r.apiGroups) for (const res of r.resources) for (const v of r.verbs) out.push(`${g === '' ? 'core' : g}/${res}:${v}`);
  }
  return out.sort();
}

function expandGrants(group: string, resources: readonly string[], verbs: readonly string[]): string[] {
  return resources.flatMap((r) => verbs.map((v) => `${group}/${r}:${v}`));
}

function lint(chart: string, args: readonly string[]): { code: number; output: string } {
  const r = helm(['lint', '--strict', '--kube-version', KUBE_VERSION, chart, ...args]);
  return { code: r.code, output: r.stdout + r.stderr };
}

describe('hub chart (charts/suanwang)', () => {
  it.each([['defaults', [] as string[]], ...examples(HUB_CHART).map((f) => [f.slice(REPO_ROOT.length + 1), ['-f', f]] as [string, string[]])])(
    'passes helm lint --strict with %s',
    (_name, args) => {
      const r = lint(HUB_CHART, args);
      expect(r.output).toContain('1 chart(s) linted, 0 chart(s) failed');
      expect(r.code).toBe(0);
    },
  );

  describe('with the defaults', () => {
    let objects: K8sObject[];
    beforeAll(() => {
      objects = template(HUB_CHART, [], 'hub');
    });

    it('renders the operator, its RBAC, the gRPC Service and the four CRDs', () => {
      expect(kindsAndNames(objects)).toEqual(
        [
          'ClusterRole/hub-suanwang-suanwang-system',
          'ClusterRoleBinding/hub-suanwang-suanwang-system',
          'ConfigMap/hub-suanwang-revoked-agent-certificates',
          'CustomResourceDefinition/inferenceservices.suanwang.io',
          'CustomResourceDefinition/queues.suanwang.io',
          'CustomResourceDefinition/sites.suanwang.io',
          'CustomResourceDefinition/trainingjobs.suanwang.io',
          'Deployment/hub-suanwang',
          'Role/hub-suanwang',
          'RoleBinding/hub-suanwang',
          'Service/hub-suanwang',
          'ServiceAccount/hub-suanwang',
        ].sort(),
      );
      for (const o of objects.filter((x) => x.kind !== 'ClusterRole' && x.kind !== 'ClusterRoleBinding' && x.kind !== 'CustomResourceDefinition')) {
        expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe('suanwang-system');
      }
    });

    it('runs the operator non-root on a read-only root filesystem with every capability dropped', () => {
      const d = only(objects, 'Deployment');
      expect(at(podSpec(d), 'securityContext')).toEqual({ runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } });
      expect(container(d)['securityContext']).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } });
      expect(at(podSpec(d), 'serviceAccountName')).toBe('hub-suanwang');
      // Writable scratch space only where Node may want it.
      expect(at(podSpec(d), 'volumes')).toContainEqual({ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } });
      expect(container(d)['volumeMounts']).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
    });

    it('starts `suanwang operator` with the listen address, TLS folder, timing, log level, leader election and health endpoint', () => {
      const c = container(only(objects, 'Deployment'));
      expect(c['image']).toBe(`suanwang:${APP_VERSION}`);
      expect(c['args']).toEqual([
        'operator',
        '--listen=0.0.0.0:7443',
        '--tls-dir=/etc/suanwang/tls',
        '--revoked-agent-certificates=/etc/suanwang/revoked/revoked.txt',
        '--lease=40s',
        '--heartbeat-interval=10s',
        '--log-level=info',
        '--leader-elect',
        '--leader-elect-lease-name=hub-suanwang',
        '--health-listen=0.0.0.0:8081',
      ]);
      expect(c['ports']).toEqual([
        { name: 'grpc', containerPort: 7443, protocol: 'TCP' },
        { name: 'health', containerPort: 8081, protocol: 'TCP' },
      ]);
      // Liveness asks /healthz, which a standby answers; readiness is the gRPC port, which only the leader opens.
      expect(at(c, 'livenessProbe', 'httpGet')).toEqual({ path: '/healthz', port: 'health' });
      expect(at(c, 'livenessProbe', 'tcpSocket')).toBeUndefined();
      expect(at(c, 'readinessProbe', 'tcpSocket')).toEqual({ port: 'grpc' });
      // Old pods go (the leader releases the Lease) before new ones come: a standby never turns Ready to let a rolling update on.
      expect(at(only(objects, 'Deployment'), 'spec', 'strategy')).toEqual({ type: 'Recreate' });
      expect(at(c, 'resources', 'requests')).toEqual({ cpu: '100m', memory: '256Mi' });
      expect(at(c, 'resources', 'limits')).toEqual({ memory: '512Mi' });
      expect(c['env']).toEqual([
        { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      ]);
    });

    it('mounts the serving certificate from the TLS Secret and the agents\' CA from a Secret of its own, group-readable only', () => {
      const d = only(objects, 'Deployment');
      expect(container(d)['volumeMounts']).toContainEqual({ name: 'tls', mountPath: '/etc/suanwang/tls', readOnly: true });
      const tls = (at(podSpec(d), 'volumes') as Json[]).find((v) => v['name'] === 'tls');
      // Agents are verified against a CA of their own, not the server certificate's issuer: the TLS Secret's ca.crt
      // is not mounted.
      expect(tls).toEqual({
        name: 'tls',
        projected: {
          defaultMode: 0o440,
          sources: [
            {
              secret: {
                name: 'hub-suanwang-tls',
                items: [
                  { key: 'tls.crt', path: 'server.crt' },
                  { key: 'tls.key', path: 'server.key' },
                ],
              },
            },
            { secret: { name: 'hub-suanwang-agent-ca', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
          ],
        },
      });
    });

    it('mounts the revoked agent certificates from a ConfigMap the operator re-reads, empty by default', () => {
      const d = only(objects, 'Deployment');
      expect(container(d)['volumeMounts']).toContainEqual({ name: 'revoked-agent-certificates', mountPath: '/etc/suanwang/revoked', readOnly: true });
      expect((at(podSpec(d), 'volumes') as Json[]).find((v) => v['name'] === 'revoked-agent-certificates')).toEqual({
        name: 'revoked-agent-certificates',
        configMap: { name: 'hub-suanwang-revoked-agent-certificates', items: [{ key: 'revoked.txt', path: 'revoked.txt' }] },
      });
      const list = String(at(only(objects, 'ConfigMap'), 'data', 'revoked.txt'));
      expect(list.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'))).toEqual([]);
    });

    it('grants exactly the Suanwang kinds, their status and finalizers, Events and Namespaces get cluster-wide', () => {
      const kinds = ['sites', 'trainingjobs', 'inferenceservices', 'queues'];
      expect(grants(only(objects, 'ClusterRole'))).toEqual(
        [
          ...expandGrants('suanwang.io', kinds, ['get', 'list', 'watch', 'patch', 'update']),
          ...expandGrants('suanwang.io', kinds.map((k) => `${k}/status`), ['get', 'patch', 'update']),
          ...expandGrants('suanwang.io', ['trainingjobs/finalizers', 'inferenceservices/finalizers'], ['update', 'patch']),
          ...expandGrants('core', ['events'], ['create', 'patch']),
          'core/namespaces:get',
        ].sort(),
      );
      const binding = only(objects, 'ClusterRoleBinding');
      expect(binding['roleRef']).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'hub-suanwang-suanwang-system' });
      expect(binding['subjects']).toEqual([{ kind: 'ServiceAccount', name: 'hub-suanwang', namespace: 'suanwang-system' }]);
    });

    it('grants Secrets (read only) and Leases in the release namespace only', () => {
      const role = only(objects, 'Role');
      expect(role.metadata.namespace).toBe('suanwang-system');
      expect(grants(role)).toEqual(
        [...expandGrants('core', ['secrets'], ['get', 'list', 'watch']), ...expandGrants('coordination.k8s.io', ['leases'], ['get', 'list', 'watch', 'create', 'update', 'patch'])].sort(),
      );
      expect(only(objects, 'RoleBinding')['subjects']).toEqual([{ kind: 'ServiceAccount', name: 'hub-suanwang', namespace: 'suanwang-system' }]);
    });

    it('exposes the gRPC port on a ClusterIP Service that selects the operator pods', () => {
      const svc = only(objects, 'Service');
      expect(at(svc, 'spec', 'type')).toBe('ClusterIP');
      expect(at(svc, 'spec', 'ports')).toEqual([{ name: 'grpc', port: 7443, targetPort: 'grpc', protocol: 'TCP' }]);
      const podLabels = at(only(objects, 'Deployment'), 'spec', 'template', 'metadata', 'labels') as Json;
      for (const [k, v] of Object.entries(at(svc, 'spec', 'selector') as Json)) expect(podLabels[k], k).toBe(v);
    });

    it('renders each CRD of crds/ unchanged, labelled for the release and kept on uninstall', () => {
      const crds = objects.filter((o) => o.kind === 'CustomResourceDefinition');
      const files = readdirSync(join(REPO_ROOT, 'crds')).filter((f) => f.endsWith('.yaml'));
      expect(crds.map((c) => `${c.metadata.name}.yaml`).sort()).toEqual(files.sort());
      for (const f of files) {
        const source = load(readFileSync(join(REPO_ROOT, 'crds', f), 'utf8')) as K8sObject;
        const rendered = only(crds, 'CustomResourceDefinition', source.metadata.name);
        expect(rendered['spec'], f).toEqual(source['spec']);
        expect(rendered.metadata.labels).toMatchObject({ ...source.metadata.labels, 'app.kubernetes.io/managed-by': 'Helm', 'app.kubernetes.io/instance': 'hub' });
        expect(rendered.metadata.annotations).toEqual({ 'helm.sh/resource-policy': 'keep' });
      }
    });
  });

  it('leaves the CRDs out with crds.enabled=false, and lets uninstall delete them with crds.keep=false', () => {
    expect(template(HUB_CHART, ['--set', 'crds.enabled=false']).filter((o) => o.kind === 'CustomResourceDefinition')).toEqual([]);
    const notKept = template(HUB_CHART, ['--set', 'crds.keep=false']).filter((o) => o.kind === 'CustomResourceDefinition');
    expect(notKept).toHaveLength(4);
    for (const c of notKept) expect(c.metadata.annotations).toBeUndefined();
  });

  it('values-examples/cert-manager-loadbalancer.yaml: Certificates write the Secrets the Deployment mounts', () => {
    const objects = template(HUB_CHART, ['-f', join(HUB_CHART, 'values-examples/cert-manager-loadbalancer.yaml')], 'hub');
    const cert = only(objects, 'Certificate', 'hub-suanwang');
    expect(cert.apiVersion).toBe('cert-manager.io/v1');
    expect(at(cert, 'spec', 'secretName')).toBe('hub-suanwang-tls');
    expect(at(cert, 'spec', 'dnsNames')).toEqual([
      'hub-suanwang',
      'hub-suanwang.suanwang-system',
      'hub-suanwang.suanwang-system.svc',
      'hub-suanwang.suanwang-system.svc.cluster.local',
      'hub.example.org',
    ]);
    expect(at(cert, 'spec', 'issuerRef')).toEqual({ name: 'suanwang-ca', kind: 'ClusterIssuer', group: 'cert-manager.io' });
    expect(at(cert, 'spec', 'usages')).toEqual(['digital signature', 'server auth']);
    expect(at(cert, 'spec', 'duration')).toBe('720h');
    const mounted = at(podSpec(only(objects, 'Deployment')), 'volumes', 0, 'projected', 'sources', 0, 'secret', 'name');
    expect(mounted).toBe(at(cert, 'spec', 'secretName'));
    // Agents get a CA of their own, not the ClusterIssuer that signs the server.
    const agentCa = only(objects, 'Certificate', 'hub-suanwang-agent-ca');
    expect(at(agentCa, 'spec', 'issuerRef', 'name')).toBe('hub-suanwang-agent-ca-selfsigned');
    expect(at(podSpec(only(objects, 'Deployment')), 'volumes', 0, 'projected', 'sources', 1, 'secret', 'name')).toBe(at(agentCa, 'spec', 'secretName'));
    const revoked = String(at(only(objects, 'ConfigMap'), 'data', 'revoked.txt'));
    expect(revoked.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'))).toEqual([
      '5E:1A:0C:33:8B:7D:41:F2:96:0E:AA:17:C4:58:2B:D9:70:31:6F:8E:A2:4C:19:B5:E3:07:D6:92:48:1F:CB:60',
      'serial:7f3a9c01d2e4b56a',
    ]);
    const svc = only(objects, 'Service');
    expect(at(svc, 'spec', 'type')).toBe('LoadBalancer');
    expect(at(svc, 'spec', 'loadBalancerSourceRanges')).toEqual(['203.0.113.0/24', '198.51.100.0/24']);
    expect(svc.metadata.annotations).toEqual({ 'service.beta.kubernetes.io/load-balancer-type': 'network' });
  });

  it('values-examples/external-crds-pinned.yaml: no CRDs, a pinned image, agents trusted from their own CA', () => {
    const objects = template(HUB_CHART, ['-f', join(HUB_CHART, 'values-examples/external-crds-pinned.yaml')], 'hub');
    expect(objects.filter((o) => o.kind === 'CustomResourceDefinition')).toEqual([]);
    const d = only(objects, 'Deployment');
    expect(at(d, 'spec', 'replicas')).toBe(1);
    expect(container(d)['image']).toBe('registry.example.org/suanwang/suanwang@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef');
    expect(container(d)['args']).toContain('--log-level=debug');
    expect(container(d)['args']).toContain('--lease=1m');
    expect(at(podSpec(d), 'volumes', 0, 'projected', 'sources')).toEqual([
      {
        secret: {
          name: 'operator-serving-cert',
          items: [
            { key: 'tls.crt', path: 'server.crt' },
            { key: 'tls.key', path: 'server.key' },
          ],
        },
      },
      { secret: { name: 'site-agents-ca', items: [{ key: 'bundle.pem', path: 'ca.crt' }] } },
    ]);
    expect(at(podSpec(d), 'priorityClassName')).toBe('system-cluster-critical');
    expect(at(podSpec(d), 'imagePullSecrets')).toEqual([{ name: 'registry-example-org' }]);
    expect(at(podSpec(d), 'affinity', 'nodeAffinity', 'preferredDuringSchedulingIgnoredDuringExecution', 0, 'weight')).toBe(50);
    expect(at(podSpec(d), 'tolerations')).toEqual([{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' }]);
  });

  it('values-examples/nodeport-platform-uid.yaml: a fixed node port, platform-assigned ids, an existing ServiceAccount', () => {
    const objects = template(HUB_CHART, ['-f', join(HUB_CHART, 'values-examples/nodeport-platform-uid.yaml')], 'hub');
    expect(objects.filter((o) => o.kind === 'ServiceAccount')).toEqual([]);
    const d = only(objects, 'Deployment');
    expect(at(podSpec(d), 'serviceAccountName')).toBe('suanwang-operator');
    expect(at(podSpec(d), 'securityContext')).toEqual({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(container(d)['livenessProbe']).toBeUndefined();
    expect(container(d)['readinessProbe']).toBeDefined();
    expect(at(only(objects, 'Service'), 'spec', 'ports', 0, 'nodePort')).toBe(30443);
    expect(only(objects, 'ClusterRoleBinding')['subjects']).toEqual([{ kind: 'ServiceAccount', name: 'suanwang-operator', namespace: 'suanwang-system' }]);
    expect(grants(only(objects, 'ClusterRole'))).not.toContain('core/namespaces:get');
    for (const c of objects.filter((o) => o.kind === 'CustomResourceDefinition')) expect(c.metadata.annotations).toBeUndefined();
  });

  it('passes --lost-after and --success-threshold only when set', () => {
    const d = only(template(HUB_CHART, ['--set', 'operator.lostAfter=15m', '--set', 'operator.successThreshold=3']), 'Deployment');
    expect(container(d)['args']).toEqual(expect.arrayContaining(['--lost-after=15m', '--success-threshold=3']));
    const plain = container(only(template(HUB_CHART), 'Deployment'))['args'] as string[];
    expect(plain.filter((a) => a.startsWith('--lost-after') || a.startsWith('--success-threshold'))).toEqual([]);
  });

  it('runs several replicas, each in the election for one Lease per release, with its pod name and namespace', () => {
    const d = only(template(HUB_CHART, ['--set', 'replicaCount=3'], 'edge'), 'Deployment');
    expect(at(d, 'spec', 'replicas')).toBe(3);
    expect(container(d)['args']).toEqual(expect.arrayContaining(['--leader-elect', '--leader-elect-lease-name=edge-suanwang']));
    // The identity and the Lease's namespace come from the pod, so the flags leave them to the operator's defaults.
    expect((container(d)['args'] as string[]).filter((a) => a.startsWith('--leader-elect-identity') || a.startsWith('--leader-elect-namespace'))).toEqual([]);
    expect((container(d)['env'] as Json[]).map((e) => e['name'])).toEqual(['POD_NAME', 'POD_NAMESPACE']);
  });

  it('moves the health endpoint with probes.healthPort, and refuses it on the gRPC port', () => {
    const c = container(only(template(HUB_CHART, ['--set', 'probes.healthPort=9090']), 'Deployment'));
    expect(c['args']).toContain('--health-listen=0.0.0.0:9090');
    expect(c['ports']).toContainEqual({ name: 'health', containerPort: 9090, protocol: 'TCP' });
    expect(templateError(HUB_CHART, ['--set', 'probes.healthPort=7443'])).toContain('probes.healthPort must differ from service.port');
  });

  it.each([
    { name: 'a misspelled top-level value', args: ['--set', 'replicaCont=1'], want: "additional properties 'replicaCont' not allowed" },
    { name: 'a negative replica count', args: ['--set', 'replicaCount=-1'], want: "at '/replicaCount'" },
    { name: 'a health port out of range', args: ['--set', 'probes.healthPort=0'], want: "at '/probes/healthPort'" },
    { name: 'a misspelled nested value', args: ['--set', 'crds.enable=false'], want: "at '/crds': additional properties 'enable' not allowed" },
    { name: 'a misspelled toleration field', args: ['--set', 'tolerations[0].efect=NoSchedule'], want: "additional properties 'efect' not allowed" },
    { name: 'an unknown Service type', args: ['--set', 'service.type=Ingress'], want: "at '/service/type'" },
    { name: 'a duration without a unit', args: ['--set', 'operator.lease=40'], want: "at '/operator/lease'" },
    { name: 'an unknown log level', args: ['--set', 'operator.logLevel=verbose'], want: "at '/operator/logLevel'" },
    { name: 'running as root', args: ['--set', 'podSecurityContext.runAsUser=0'], want: "at '/podSecurityContext/runAsUser'" },
    { name: 'a port out of range', args: ['--set', 'service.port=70000'], want: "at '/service/port'" },
    { name: 'a malformed digest', args: ['--set', 'image.digest=latest'], want: "at '/image/digest'" },
  ])('rejects $name', ({ args, want }) => {
    expect(templateError(HUB_CHART, args)).toContain(want);
  });

  it('asks for an issuer when cert-manager is on', () => {
    expect(templateError(HUB_CHART, ['--set', 'tls.certManager.enabled=true'])).toContain('tls.certManager.issuerRef.name is required');
  });

  it('values-examples/single-ca-trial.yaml: verifies agents against the server certificate\'s issuer only when asked to (tls.clientCa.useServerCa)', () => {
    const d = only(template(HUB_CHART, ['-f', join(HUB_CHART, 'values-examples/single-ca-trial.yaml'), '--set', 'tls.keys.ca=bundle.pem'], 'hub'), 'Deployment');
    expect(at(podSpec(d), 'volumes', 0, 'projected', 'sources')).toEqual([
      {
        secret: {
          name: 'suanwang-tls',
          items: [
            { key: 'tls.crt', path: 'server.crt' },
            { key: 'tls.key', path: 'server.key' },
            { key: 'bundle.pem', path: 'ca.crt' },
          ],
        },
      },
    ]);
    expect(templateError(HUB_CHART, ['--set', 'tls.clientCa.useServerCa=true', '--set', 'tls.clientCa.certManager.enabled=true'])).toContain(
      'tls.clientCa.useServerCa and tls.clientCa.certManager.enabled exclude each other',
    );
  });

  it('tls.clientCa.certManager.enabled: a self-signed agent CA whose Certificate writes the Secret the Deployment mounts, and an Issuer for agent certificates', () => {
    const objects = template(HUB_CHART, ['--set', 'tls.clientCa.certManager.enabled=true'], 'hub');
    expect(kindsAndNames(objects).filter((n) => n.startsWith('Issuer/') || n.startsWith('Certificate/'))).toEqual([
      'Certificate/hub-suanwang-agent-ca',
      'Issuer/hub-suanwang-agent-ca',
      'Issuer/hub-suanwang-agent-ca-selfsigned',
    ]);
    expect(at(only(objects, 'Issuer', 'hub-suanwang-agent-ca-selfsigned'), 'spec')).toEqual({ selfSigned: {} });
    const ca = only(objects, 'Certificate', 'hub-suanwang-agent-ca');
    expect(ca.metadata.namespace).toBe('suanwang-system');
    expect(at(ca, 'spec')).toEqual({
      isCA: true,
      commonName: 'hub-suanwang agent CA',
      secretName: 'hub-suanwang-agent-ca',
      duration: '87600h',
      renewBefore: '8760h',
      // Renewal keeps the key, so the agent certificates it signed stay valid under the renewed CA certificate.
      privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Never' },
      issuerRef: { name: 'hub-suanwang-agent-ca-selfsigned', kind: 'Issuer', group: 'cert-manager.io' },
    });
    expect(at(only(objects, 'Issuer', 'hub-suanwang-agent-ca'), 'spec')).toEqual({ ca: { secretName: 'hub-suanwang-agent-ca' } });
    const sources = at(podSpec(only(objects, 'Deployment')), 'volumes', 0, 'projected', 'sources') as Json[];
    expect(sources[1]).toEqual({ secret: { name: 'hub-suanwang-agent-ca', items: [{ key: 'ca.crt', path: 'ca.crt' }] } });
    // The serving certificate does not come from this CA: without tls.certManager it is still the TLS Secret's.
    expect(objects.filter((o) => o.kind === 'Certificate')).toHaveLength(1);
  });

  it('writes tls.revokedAgentCertificates into the ConfigMap, one a line, and refuses entries the operator could not read', () => {
    const fp = Array.from({ length: 32 }, () => 'AB').join(':');
    const objects = template(HUB_CHART, ['--set', `tls.revokedAgentCertificates[0]=${fp}`, '--set', 'tls.revokedAgentCertificates[1]=serial:0a1b'], 'hub');
    const list = String(at(only(objects, 'ConfigMap'), 'data', 'revoked.txt'));
    expect(list.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'))).toEqual([fp, 'serial:0a1b']);
    // What the chart writes is what the operator reads.
    const parsed = parseRevokedCertificates(list, 'revoked.txt');
    expect(parsed.ok && [...parsed.value.sha256.keys(), ...parsed.value.serials.keys()]).toEqual(['ab'.repeat(32), 'a1b']);
    expect(templateError(HUB_CHART, ['--set', 'tls.revokedAgentCertificates[0]=not-a-fingerprint'])).toContain("at '/tls/revokedAgentCertificates/0'");
  });
});

describe('site chart (charts/suanwang-agent)', () => {
  it.each([['site and operator set', AGENT_REQUIRED], ...examples(AGENT_CHART).map((f) => [f.slice(REPO_ROOT.length + 1), ['-f', f]] as [string, string[]])])(
    'passes helm lint --strict with %s',
    (_name, args) => {
      const r = lint(AGENT_CHART, args);
      expect(r.output).toContain('1 chart(s) linted, 0 chart(s) failed');
      expect(r.code).toBe(0);
    },
  );

  it('lints with the defaults but refuses to render without a site and an operator address', () => {
    const r = lint(AGENT_CHART, []);
    expect(r.code).toBe(0);
    expect(r.output).toContain('site is required');
    expect(templateError(AGENT_CHART, [])).toContain('site is required: the Site\'s name on the hub, e.g. --set site=shanghai');
    expect(templateError(AGENT_CHART, ['--set', 'site=shanghai'])).toContain('operator.address is required');
  });

  describe('with a site and an operator address', () => {
    let objects: K8sObject[];
    beforeAll(() => {
      objects = template(AGENT_CHART, AGENT_REQUIRED, 'site');
    });

    it('renders the agent, one node reporter DaemonSet per vendor, their RBAC and the admission policy', () => {
      expect(kindsAndNames(objects)).toEqual(
        [
          'ClusterRole/site-suanwang-agent-suanwang-system-agent',
          'ClusterRole/site-suanwang-agent-suanwang-system-node-reporter',
          'ClusterRoleBinding/site-suanwang-agent-suanwang-system-agent',
          'ClusterRoleBinding/site-suanwang-agent-suanwang-system-node-reporter',
          'DaemonSet/site-suanwang-agent-node-reporter-amd',
          'DaemonSet/site-suanwang-agent-node-reporter-cambricon',
          'DaemonSet/site-suanwang-agent-node-reporter-huawei',
          'DaemonSet/site-suanwang-agent-node-reporter-hygon',
          'DaemonSet/site-suanwang-agent-node-reporter-nvidia',
          'Deployment/site-suanwang-agent',
          'ServiceAccount/site-suanwang-agent',
          'ServiceAccount/site-suanwang-agent-node-reporter',
          'ValidatingAdmissionPolicy/site-suanwang-agent-suanwang-system-agent-fence',
          'ValidatingAdmissionPolicy/site-suanwang-agent-suanwang-system-node-reporter',
          'ValidatingAdmissionPolicyBinding/site-suanwang-agent-suanwang-system-agent-fence',
          'ValidatingAdmissionPolicyBinding/site-suanwang-agent-suanwang-system-node-reporter',
        ].sort(),
      );
    });

    it('starts one `suanwang agent` for the site, non-root, read-only, with the client certificate as <site>.crt/.key', () => {
      const d = only(objects, 'Deployment');
      expect(at(d, 'spec', 'replicas')).toBe(1);
      expect(at(d, 'spec', 'strategy')).toEqual({ type: 'Recreate' });
      const c = container(d);
      expect(c['args']).toEqual(['agent', '--site=shanghai', '--operator=hub.example.org:7443', '--tls-dir=/etc/suanwang/tls', '--log-level=info', '--fence-after=45s']);
      expect(c['securityContext']).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } });
      expect(at(podSpec(d), 'securityContext')).toEqual({ runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } });
      expect(at(podSpec(d), 'serviceAccountName')).toBe('site-suanwang-agent');
      expect((at(podSpec(d), 'volumes') as Json[]).find((v) => v['name'] === 'tls')).toEqual({
        name: 'tls',
        secret: {
          secretName: 'site-suanwang-agent-tls',
          defaultMode: 0o440,
          items: [
            { key: 'tls.crt', path: 'shanghai.crt' },
            { key: 'tls.key', path: 'shanghai.key' },
            { key: 'ca.crt', path: 'ca.crt' },
          ],
        },
      });
      expect(c['volumeMounts']).toContainEqual({ name: 'tls', mountPath: '/etc/suanwang/tls', readOnly: true });
    });

    it.each(Object.entries(VENDOR_TOOLS))('runs the %s reporter with its tool on its nodes, tolerating accelerator taints', (vendor, tool) => {
      const ds = only(objects, 'DaemonSet', `site-suanwang-agent-node-reporter-${vendor}`);
      const spec = podSpec(ds);
      const c = container(ds);
      const args = c['args'] as string[];
      expect(args.slice(0, 3)).toEqual(['node-reporter', '--node=$(NODE_NAME)', `--provider=${tool}`]);
      expect(args).toEqual(expect.arrayContaining(['--interval=30s', '--tool-timeout=10s', '--log-level=info']));
      expect(c['env']).toContainEqual({ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } });
      expect(spec['serviceAccountName']).toBe('site-suanwang-agent-node-reporter');
      expect(Object.keys(spec['nodeSelector'] as Json)).toHaveLength(1);
      const tolerations = spec['tolerations'] as Json[];
      for (const key of ACCELERATOR_TAINTS) expect(tolerations).toContainEqual({ key, operator: 'Exists', effect: 'NoSchedule' });
      expect(at(c, 'securityContext', 'readOnlyRootFilesystem')).toBe(true);
      // Every host path is mounted read-only.
      const hostVolumes = (spec['volumes'] as Json[]).filter((v) => v['hostPath'] !== undefined).map((v) => v['name']);
      const mounts = (c['volumeMounts'] as Json[]).filter((m) => hostVolumes.includes(m['name']));
      expect(mounts).toHaveLength(hostVolumes.length);
      for (const m of mounts) expect(m['readOnly'], String(m['name'])).toBe(true);
    });

    it('runs the NVIDIA reporter unprivileged through the NVIDIA runtime, the others privileged with the host tool', () => {
      const nvidia = only(objects, 'DaemonSet', 'site-suanwang-agent-node-reporter-nvidia');
      expect(podSpec(nvidia)['runtimeClassName']).toBe('nvidia');
      expect(podSpec(nvidia)['nodeSelector']).toEqual({ 'nvidia.com/gpu.present': 'true' });
      expect(container(nvidia)['securityContext']).toEqual({
        readOnlyRootFilesystem: true,
        runAsUser: 1000,
        runAsNonRoot: true,
        privileged: false,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
      });
      expect(container(nvidia)['env']).toContainEqual({ name: 'NVIDIA_VISIBLE_DEVICES', value: 'all' });
      expect((container(nvidia)['args'] as string[]).some((a) => a.startsWith('--tool-path'))).toBe(false);

      const huawei = only(objects, 'DaemonSet', 'site-suanwang-agent-node-reporter-huawei');
      expect(at(container(huawei), 'securityContext', 'privileged')).toBe(true);
      expect(container(huawei)['args']).toContain('--tool-path=/usr/local/sbin/npu-smi');
      expect(podSpec(huawei)['volumes']).toContainEqual({ name: 'host-npu-smi', hostPath: { path: '/usr/local/sbin/npu-smi', type: 'File' } });
      expect(podSpec(huawei)['nodeSelector']).toEqual({ 'feature.node.kubernetes.io/pci-19e5.present': 'true' });
    });

    it('grants the agent read access to Nodes and Pods, and list and delete on Jobs for its fence, and nothing else', () => {
      const role = only(objects, 'ClusterRole', 'site-suanwang-agent-suanwang-system-agent');
      expect(grants(role)).toEqual([...expandGrants('batch', ['jobs'], ['list', 'delete']), ...expandGrants('core', ['nodes', 'pods'], ['get', 'list', 'watch'])].sort());
      expect(container(only(objects, 'Deployment'))['args']).toContain('--fence-after=45s');
      expect(only(objects, 'ClusterRoleBinding', 'site-suanwang-agent-suanwang-system-agent')['subjects']).toEqual([
        { kind: 'ServiceAccount', name: 'site-suanwang-agent', namespace: 'suanwang-system' },
      ]);
    });

    it('grants the node reporters get and patch on Nodes and patch on nodes/status, and nothing else', () => {
      const role = only(objects, 'ClusterRole', 'site-suanwang-agent-suanwang-system-node-reporter');
      expect(grants(role)).toEqual(['core/nodes/status:patch', 'core/nodes:get', 'core/nodes:patch']);
      expect(only(objects, 'ClusterRoleBinding', 'site-suanwang-agent-suanwang-system-node-reporter')['subjects']).toEqual([
        { kind: 'ServiceAccount', name: 'site-suanwang-agent-node-reporter', namespace: 'suanwang-system' },
      ]);
    });

    it('scopes the fence policy to the agent\'s ServiceAccount and Job deletes of Suanwang\'s training members', () => {
      const name = 'site-suanwang-agent-suanwang-system-agent-fence';
      const policy = only(objects, 'ValidatingAdmissionPolicy', name);
      expect(at(policy, 'spec', 'matchConditions')).toEqual([
        { name: 'is-agent', expression: 'request.userInfo.username == "system:serviceaccount:suanwang-system:site-suanwang-agent"' },
      ]);
      expect(at(policy, 'spec', 'matchConstraints', 'resourceRules')).toEqual([{ apiGroups: ['batch'], apiVersions: ['v1'], operations: ['DELETE'], resources: ['jobs'] }]);
      expect(at(only(objects, 'ValidatingAdmissionPolicyBinding', name), 'spec')).toEqual({ policyName: name, validationActions: ['Deny'] });
    });

    it('drops the Job grant and the fence policy with agent.fence.after=0', () => {
      const off = template(AGENT_CHART, [...AGENT_REQUIRED, '--set-string', 'agent.fence.after=0'], 'site');
      expect(grants(only(off, 'ClusterRole', 'site-suanwang-agent-suanwang-system-agent'))).toEqual(expandGrants('core', ['nodes', 'pods'], ['get', 'list', 'watch']).sort());
      expect(kindsAndNames(off).filter((n) => n.includes('agent-fence'))).toEqual([]);
      expect(container(only(off, 'Deployment'))['args']).toContain('--fence-after=0');
    });

    it('scopes the admission policy to the reporters\' ServiceAccount and Node updates', () => {
      const policy = only(objects, 'ValidatingAdmissionPolicy', 'site-suanwang-agent-suanwang-system-node-reporter');
      expect(at(policy, 'spec', 'matchConditions')).toEqual([
        { name: 'is-node-reporter', expression: 'request.userInfo.username == "system:serviceaccount:suanwang-system:site-suanwang-agent-node-reporter"' },
      ]);
      expect(at(policy, 'spec', 'matchConstraints', 'resourceRules')).toEqual([{ apiGroups: [''], apiVersions: ['v1'], operations: ['UPDATE'], resources: ['nodes', 'nodes/status'] }]);
      expect(at(only(objects, 'ValidatingAdmissionPolicyBinding', policy.metadata.name), 'spec')).toEqual({ policyName: policy.metadata.name, validationActions: ['Deny'] });
    });
  });

  it('makes tool paths, models and node selectors configurable per vendor, and drops disabled vendors', () => {
    const objects = template(AGENT_CHART, [
      ...AGENT_REQUIRED,
      '--set', 'nodeReporter.providers.huawei.toolPath=/opt/ascend/npu-smi',
      '--set', 'nodeReporter.providers.hygon.model=K100_AI',
      '--set-json', 'nodeReporter.providers.nvidia.nodeSelector={"example.org/gpu":"nvidia"}',
      '--set', 'nodeReporter.providers.amd.enabled=false',
      '--set', 'nodeReporter.providers.cambricon.enabled=false',
    ]);
    expect(objects.filter((o) => o.kind === 'DaemonSet').map((o) => o.metadata.name).sort()).toEqual([
      'test-suanwang-agent-node-reporter-huawei',
      'test-suanwang-agent-node-reporter-hygon',
      'test-suanwang-agent-node-reporter-nvidia',
    ]);
    expect(container(only(objects, 'DaemonSet', 'test-suanwang-agent-node-reporter-huawei'))['args']).toContain('--tool-path=/opt/ascend/npu-smi');
    expect(container(only(objects, 'DaemonSet', 'test-suanwang-agent-node-reporter-hygon'))['args']).toContain('--model=K100_AI');
    // Helm merges maps: the default GFD label stays unless set to null.
    expect(podSpec(only(objects, 'DaemonSet', 'test-suanwang-agent-node-reporter-nvidia'))['nodeSelector']).toEqual({ 'nvidia.com/gpu.present': 'true', 'example.org/gpu': 'nvidia' });
  });

  it('values-examples/nvidia-site.yaml: only the NVIDIA reporter, an existing client Secret', () => {
    const objects = template(AGENT_CHART, ['-f', join(AGENT_CHART, 'values-examples/nvidia-site.yaml')], 'site');
    expect(objects.filter((o) => o.kind === 'DaemonSet').map((o) => o.metadata.name)).toEqual(['site-suanwang-agent-node-reporter-nvidia']);
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
    const d = only(objects, 'Deployment');
    expect(at(podSpec(d), 'volumes', 0, 'secret', 'secretName')).toBe('suanwang-agent-client');
    expect(container(d)['image']).toBe('registry.example.org/suanwang/suanwang:0.1.0');
    expect(at(podSpec(only(objects, 'DaemonSet')), 'priorityClassName')).toBe('system-node-critical');
    expect(container(only(objects, 'DaemonSet'))['args']).toContain('--interval=1m');
  });

  it('values-examples/ascend-site.yaml: own key names, a server name, and the policy without the own-node rule', () => {
    const objects = template(AGENT_CHART, ['-f', join(AGENT_CHART, 'values-examples/ascend-site.yaml')], 'site');
    const d = only(objects, 'Deployment');
    expect(container(d)['args']).toEqual(['agent', '--site=guizhou', '--operator=203.0.113.10:7443', '--tls-dir=/etc/suanwang/tls', '--server-name=hub.example.org', '--log-level=debug', '--fence-after=45s']);
    expect(at(podSpec(d), 'volumes', 0, 'secret', 'items')).toEqual([
      { key: 'client.pem', path: 'guizhou.crt' },
      { key: 'client-key.pem', path: 'guizhou.key' },
      { key: 'hub-ca.pem', path: 'ca.crt' },
    ]);
    const ds = only(objects, 'DaemonSet');
    expect(container(ds)['args']).toContain('--tool-path=/usr/local/bin/npu-smi');
    expect(podSpec(ds)['tolerations']).toContainEqual({ key: 'example.org/npu-only', operator: 'Exists', effect: 'NoSchedule' });
    const reporterPolicy = objects.find((o) => o.kind === 'ValidatingAdmissionPolicy' && o.metadata.name.endsWith('-node-reporter')) as K8sObject;
    const messages = (at(reporterPolicy, 'spec', 'validations') as Json[]).map((v) => v['message']);
    expect(messages).not.toContain('the node reporter may only write the Node its pod runs on');
    expect(messages).toContain('the node reporter may not change Node labels');
  });

  it('values-examples/dcu-amd-reporters.yaml: reporters only, a per-vendor image', () => {
    const objects = template(AGENT_CHART, ['-f', join(AGENT_CHART, 'values-examples/dcu-amd-reporters.yaml')], 'site');
    expect(kindsAndNames(objects).filter((n) => n.startsWith('Deployment') || n.includes('-agent-suanwang-system-agent'))).toEqual([]);
    expect(container(only(objects, 'DaemonSet', 'site-suanwang-agent-node-reporter-amd'))['image']).toBe('registry.example.org/suanwang/suanwang-rocm:0.1.0-rocm6.4');
    expect(container(only(objects, 'DaemonSet', 'site-suanwang-agent-node-reporter-hygon'))['image']).toBe(`suanwang:${APP_VERSION}`);
    expect(only(objects, 'ServiceAccount').metadata.name).toBe('dcu-amd-node-reporter');
    expect(at(only(objects, 'DaemonSet', 'site-suanwang-agent-node-reporter-amd'), 'spec', 'updateStrategy', 'rollingUpdate', 'maxUnavailable')).toBe('25%');
  });

  describe('tls.create', () => {
    let dir: string;
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'chart-certs-'));
      const site = parseSiteName('shanghai');
      if (site === undefined) throw new Error('bad site name');
      await writeLabCertificates(dir, { sites: [site], serverNames: ['hub.example.org'], now: new Date() });
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('writes the client certificate Secret from --set-file values, as a kubernetes.io/tls Secret the agent mounts', () => {
      const objects = template(AGENT_CHART, [
        ...AGENT_REQUIRED,
        '--set', 'tls.create=true',
        '--set-file', `tls.cert=${join(dir, 'shanghai.crt')}`,
        '--set-file', `tls.key=${join(dir, 'shanghai.key')}`,
        '--set-file', `tls.ca=${join(dir, 'ca.crt')}`,
      ]);
      const secret = only(objects, 'Secret');
      expect(secret['type']).toBe('kubernetes.io/tls');
      const data = secret['data'] as Record<string, string>;
      const decode = (k: string): string => Buffer.from(data[k] ?? '', 'base64').toString('utf8');
      expect(decode('tls.crt')).toBe(readFileSync(join(dir, 'shanghai.crt'), 'utf8'));
      expect(decode('tls.key')).toBe(readFileSync(join(dir, 'shanghai.key'), 'utf8'));
      expect(decode('ca.crt')).toBe(readFileSync(join(dir, 'ca.crt'), 'utf8'));
      expect(at(podSpec(only(objects, 'Deployment')), 'volumes', 0, 'secret', 'secretName')).toBe(secret.metadata.name);
    });

    it('asks for the PEM files when they are missing, and refuses text that is not PEM', () => {
      expect(templateError(AGENT_CHART, [...AGENT_REQUIRED, '--set', 'tls.create=true'])).toContain('tls.cert is required when tls.create is true');
      expect(templateError(AGENT_CHART, [...AGENT_REQUIRED, '--set', 'tls.cert=not-a-certificate'])).toContain("at '/tls/cert'");
    });
  });

  describe('pullMode', () => {
    const PULL = [...AGENT_REQUIRED, '--set', 'pullMode.enabled=true'];
    const MEMBER_WRITES = ['batch/jobs', 'core/services', 'apps/deployments'].flatMap((r) => ['get', 'create', 'patch', 'delete'].map((v) => `${r}:${v}`)).sort();
    const agentRole = (objects: K8sObject[]): string[] => grants(only(objects, 'ClusterRole', 'site-suanwang-agent-suanwang-system-agent'));
    /** policyOf reads the rendered policy document with the agent's own parser, as `--site-policy` will. */
    const policyOf = (objects: K8sObject[]): ReturnType<typeof parseSitePolicy> => {
      const cm = only(objects, 'ConfigMap', 'site-suanwang-agent-site-policy');
      return parseSitePolicy(String(at(cm, 'data', 'site-policy.yaml')), 'site-policy.yaml');
    };

    it('is off by default: push mode, no policy, no member grants', () => {
      const objects = template(AGENT_CHART, AGENT_REQUIRED, 'site');
      expect(objects.filter((o) => o.kind === 'ConfigMap' || o.metadata.name.includes('agent-members'))).toEqual([]);
      expect((container(only(objects, 'Deployment'))['args'] as string[]).filter((a) => a.includes('members') || a.includes('policy'))).toEqual([]);
    });

    it('passes --apply-members and the mounted policy file, restarting the agent when the policy changes', () => {
      const objects = template(AGENT_CHART, PULL, 'site');
      const d = only(objects, 'Deployment');
      const c = container(d);
      expect(c['args']).toEqual([
        'agent', '--site=shanghai', '--operator=hub.example.org:7443', '--tls-dir=/etc/suanwang/tls', '--log-level=info', '--fence-after=45s',
        '--apply-members', '--site-policy=/etc/suanwang/site-policy/site-policy.yaml',
      ]);
      expect(c['volumeMounts']).toContainEqual({ name: 'site-policy', mountPath: '/etc/suanwang/site-policy', readOnly: true });
      expect(at(podSpec(d), 'volumes')).toContainEqual({ name: 'site-policy', configMap: { name: 'site-suanwang-agent-site-policy' } });
      expect(only(objects, 'ConfigMap').metadata.namespace).toBe('suanwang-system');
      // POD_NAMESPACE is how the agent knows its own namespace, which it never applies into.
      expect(c['env']).toContainEqual({ name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } });
      const checksum = (o: K8sObject[]): unknown => at(only(o, 'Deployment'), 'spec', 'template', 'metadata', 'annotations', 'checksum/site-policy');
      expect(checksum(objects)).toMatch(/^[0-9a-f]{64}$/);
      expect(checksum(template(AGENT_CHART, [...PULL, '--set', 'pullMode.policy.maxDevicesPerWorkload=8'], 'site'))).not.toBe(checksum(objects));
      expect(checksum(template(AGENT_CHART, [...PULL, '--set', 'agent.podAnnotations.team=ml'], 'site'))).toBe(checksum(objects));
    });

    it('renders the default policy as the agent\'s own default', () => {
      expect(policyOf(template(AGENT_CHART, PULL, 'site'))).toEqual(DEFAULT_SITE_POLICY);
    });

    it('maps every policy value 1:1 onto the document the agent reads', () => {
      const objects = template(AGENT_CHART, [
        ...PULL,
        '--set-json', 'pullMode.policy.namespaces=["ml","team-*"]',
        '--set-json', 'pullMode.policy.images=["registry.example.com/llm","nginx","localhost:5000"]',
        '--set', 'pullMode.policy.maxDevicesPerWorkload=1000000',
        '--set', 'pullMode.policy.pods.privileged=true',
        '--set', 'pullMode.policy.pods.hostPath=true',
        '--set', 'pullMode.policy.pods.hostNamespaces=true',
        '--set', 'pullMode.policy.pods.hostPorts=true',
        '--set-json', 'pullMode.policy.pods.capabilities=["NET_ADMIN","cap_sys_ptrace"]',
      ], 'site');
      expect(policyOf(objects)).toEqual({
        namespaces: ['ml', 'team-*'],
        images: [
          { registry: 'registry.example.com', path: 'llm' },
          { registry: 'docker.io', path: 'library/nginx' },
          { registry: 'localhost:5000', path: '' },
        ],
        // Written as an integer, never 1e+06.
        maxDevicesPerWorkload: 1_000_000,
        pods: { privileged: true, hostPath: true, hostNamespaces: true, hostPorts: true, capabilities: ['NET_ADMIN', 'SYS_PTRACE'] },
      });
      const zero = template(AGENT_CHART, [...PULL, '--set', 'pullMode.policy.maxDevicesPerWorkload=0', '--set-json', 'pullMode.policy.images=[]'], 'site');
      expect(policyOf(zero)).toMatchObject({ images: [], maxDevicesPerWorkload: 0 });
    });

    it('with a namespace pattern: list and watch of the member kinds, member writes and Namespace creation cluster-wide', () => {
      const objects = template(AGENT_CHART, PULL, 'site');
      expect(agentRole(objects)).toEqual([
        ...expandGrants('core', ['nodes', 'pods'], ['get', 'list', 'watch']),
        ...expandGrants('batch', ['jobs'], ['list', 'watch', 'delete']),
        ...expandGrants('core', ['services'], ['list', 'watch']),
        ...expandGrants('apps', ['deployments'], ['list', 'watch']),
        ...expandGrants('core', ['namespaces'], ['get', 'create']),
      ].sort());
      expect(grants(only(objects, 'ClusterRole', 'site-suanwang-agent-suanwang-system-agent-members'))).toEqual(MEMBER_WRITES);
      const binding = only(objects, 'ClusterRoleBinding', 'site-suanwang-agent-suanwang-system-agent-members');
      expect(binding['roleRef']).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'site-suanwang-agent-suanwang-system-agent-members' });
      expect(binding['subjects']).toEqual([{ kind: 'ServiceAccount', name: 'site-suanwang-agent', namespace: 'suanwang-system' }]);
      expect(objects.filter((o) => o.kind === 'RoleBinding' || o.kind === 'Role')).toEqual([]);
    });

    it('with exact namespaces: member writes bound in exactly those namespaces, Namespaces only read, by name', () => {
      const objects = template(AGENT_CHART, [...PULL, '--set-json', 'pullMode.policy.namespaces=["ml","team-a"]'], 'site');
      const bindings = objects.filter((o) => o.kind === 'RoleBinding');
      expect(bindings.map((b) => `${b.metadata.namespace}/${b.metadata.name}`)).toEqual(['ml', 'team-a'].map((ns) => `${ns}/site-suanwang-agent-suanwang-system-agent-members`));
      for (const b of bindings) {
        expect(b['roleRef']).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'site-suanwang-agent-suanwang-system-agent-members' });
        expect(b['subjects']).toEqual([{ kind: 'ServiceAccount', name: 'site-suanwang-agent', namespace: 'suanwang-system' }]);
      }
      expect(kindsAndNames(objects)).not.toContain('ClusterRoleBinding/site-suanwang-agent-suanwang-system-agent-members');
      expect(agentRole(objects)).toContain('core/namespaces:get');
      expect(agentRole(objects)).not.toContain('core/namespaces:create');
      const rules = only(objects, 'ClusterRole', 'site-suanwang-agent-suanwang-system-agent')['rules'] as Json[];
      expect(rules.find((r) => (r['resources'] as string[]).includes('namespaces'))).toEqual({ apiGroups: [''], resources: ['namespaces'], resourceNames: ['ml', 'team-a'], verbs: ['get'] });
    });

    it('with no namespace allowed: no member writes anywhere', () => {
      const objects = template(AGENT_CHART, [...PULL, '--set-json', 'pullMode.policy.namespaces=[]'], 'site');
      expect(objects.filter((o) => o.kind === 'RoleBinding' || (o.kind === 'ClusterRoleBinding' && o.metadata.name.endsWith('-members')))).toEqual([]);
      expect(agentRole(objects).filter((g) => g.startsWith('core/namespaces'))).toEqual([]);
      expect(policyOf(objects).namespaces).toEqual([]);
    });

    it('keeps list and watch of Jobs for the caches when the fence is off', () => {
      const objects = template(AGENT_CHART, [...PULL, '--set-string', 'agent.fence.after=0'], 'site');
      expect(agentRole(objects).filter((g) => g.startsWith('batch/'))).toEqual(['batch/jobs:list', 'batch/jobs:watch']);
    });

    it('confines the agent\'s writes to Suanwang\'s objects in the allowed namespaces with an admission policy', () => {
      const objects = template(AGENT_CHART, [...PULL, '--set-json', 'pullMode.policy.namespaces=["ml","kube-system","team-*"]'], 'site');
      const name = 'site-suanwang-agent-suanwang-system-agent-members';
      const policy = only(objects, 'ValidatingAdmissionPolicy', name);
      expect(at(policy, 'spec', 'failurePolicy')).toBe('Fail');
      expect(at(policy, 'spec', 'matchConditions')).toEqual([
        { name: 'is-agent', expression: 'request.userInfo.username == "system:serviceaccount:suanwang-system:site-suanwang-agent"' },
      ]);
      const writes = ['CREATE', 'UPDATE', 'DELETE'];
      expect(at(policy, 'spec', 'matchConstraints', 'resourceRules')).toEqual([
        { apiGroups: ['batch'], apiVersions: ['v1'], operations: writes, resources: ['jobs'] },
        { apiGroups: ['apps'], apiVersions: ['v1'], operations: writes, resources: ['deployments'] },
        { apiGroups: [''], apiVersions: ['v1'], operations: writes, resources: ['services'] },
        { apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['namespaces'] },
      ]);
      // The agent's own rule (namespaceAllowed): exact names as listed, patterns never kube-*, never its own namespace.
      expect((at(policy, 'spec', 'variables') as Json[]).find((v) => v['name'] === 'allowed')?.['expression']).toBe(
        "variables.target != 'suanwang-system' && (variables.target in ['ml', 'kube-system'] || (!variables.target.startsWith('kube-') && ['team-'].exists(p, variables.target.startsWith(p))))",
      );
      const any = only(template(AGENT_CHART, PULL, 'site'), 'ValidatingAdmissionPolicy', name);
      expect((at(any, 'spec', 'variables') as Json[]).find((v) => v['name'] === 'allowed')?.['expression']).toBe("variables.target != 'suanwang-system' && (!variables.target.startsWith('kube-'))");
      expect(at(only(objects, 'ValidatingAdmissionPolicyBinding', name), 'spec')).toEqual({ policyName: name, validationActions: ['Deny'] });
      const off = template(AGENT_CHART, [...PULL, '--set', 'pullMode.admissionPolicy=false'], 'site');
      expect(kindsAndNames(off).filter((n) => n.startsWith('ValidatingAdmissionPolicy') && n.endsWith('-members'))).toEqual([]);
    });

    it('values-examples/pull-mode-site.yaml: two tenant namespaces, the site\'s registry, 16 devices', () => {
      const objects = template(AGENT_CHART, ['-f', join(AGENT_CHART, 'values-examples/pull-mode-site.yaml')], 'site');
      expect(policyOf(objects)).toEqual({
        ...DEFAULT_SITE_POLICY,
        namespaces: ['llm-training', 'llm-serving'],
        images: [
          { registry: 'registry.wuhan.example.org', path: 'llm' },
          { registry: 'registry.wuhan.example.org', path: 'serving' },
        ],
        maxDevicesPerWorkload: 16,
      });
      expect(objects.filter((o) => o.kind === 'RoleBinding').map((b) => b.metadata.namespace)).toEqual(['llm-training', 'llm-serving']);
    });

    it('renders nothing of its own without the agent', () => {
      const objects = template(AGENT_CHART, [...PULL, '--set', 'agent.enabled=false'], 'site');
      expect(kindsAndNames(objects).filter((n) => n.startsWith('ConfigMap/') || n.startsWith('Deployment/') || n.endsWith('-members') || n.startsWith('RoleBinding/'))).toEqual([]);
    });

    it.each([
      { name: 'the release namespace', args: ['--set-json', 'pullMode.policy.namespaces=["ml","suanwang-system"]'], want: 'pullMode.policy.namespaces lists "suanwang-system", the release namespace' },
      { name: 'a namespace that is not a DNS label', args: ['--set-json', 'pullMode.policy.namespaces=["Team_A"]'], want: "at '/pullMode/policy/namespaces/0'" },
      { name: 'a pattern with the star inside', args: ['--set-json', 'pullMode.policy.namespaces=["te*am"]'], want: "at '/pullMode/policy/namespaces/0'" },
      { name: 'a namespace listed twice', args: ['--set-json', 'pullMode.policy.namespaces=["ml","ml"]'], want: "at '/pullMode/policy/namespaces'" },
      { name: 'an image entry with a tag', args: ['--set-json', 'pullMode.policy.images=["registry.example.com/llm:1.0"]'], want: "at '/pullMode/policy/images/0'" },
      { name: 'an image entry with a digest', args: ['--set-json', `pullMode.policy.images=["nginx@sha256:${'a'.repeat(64)}"]`], want: "at '/pullMode/policy/images/0'" },
      { name: 'an image entry with an uppercase path', args: ['--set-json', 'pullMode.policy.images=["registry.example.com/LLM"]'], want: "at '/pullMode/policy/images/0'" },
      { name: 'an image entry ending in a star', args: ['--set-json', 'pullMode.policy.images=["registry.example.com/*"]'], want: "at '/pullMode/policy/images/0'" },
      { name: 'a negative device limit', args: ['--set', 'pullMode.policy.maxDevicesPerWorkload=-1'], want: "at '/pullMode/policy/maxDevicesPerWorkload'" },
      { name: 'a fractional device limit', args: ['--set', 'pullMode.policy.maxDevicesPerWorkload=1.5'], want: "at '/pullMode/policy/maxDevicesPerWorkload'" },
      { name: 'a flag that is not a boolean', args: ['--set-string', 'pullMode.policy.pods.privileged=no'], want: "at '/pullMode/policy/pods/privileged'" },
      { name: 'a capability that is not a name', args: ['--set-json', 'pullMode.policy.pods.capabilities=["NET ADMIN"]'], want: "at '/pullMode/policy/pods/capabilities/0'" },
      { name: 'a misspelled pod field', args: ['--set', 'pullMode.policy.pods.hostpath=true'], want: "additional properties 'hostpath' not allowed" },
      { name: 'a policy field the agent does not know', args: ['--set', 'pullMode.policy.maxDevices=4'], want: "additional properties 'maxDevices' not allowed" },
    ])('rejects $name', ({ args, want }) => {
      expect(templateError(AGENT_CHART, [...PULL, ...args])).toContain(want);
    });
  });

  it.each([
    { name: 'a misspelled vendor', args: ['--set', 'nodeReporter.providers.nvida.enabled=true'], want: "at '/nodeReporter/providers': additional properties 'nvida' not allowed" },
    { name: 'a misspelled provider field', args: ['--set', 'nodeReporter.providers.nvidia.toolpath=/x'], want: "additional properties 'toolpath' not allowed" },
    { name: 'a misspelled top-level value', args: ['--set', 'operator.adress=hub:7443'], want: "additional properties 'adress' not allowed" },
    { name: 'a site name that is not a DNS label', args: ['--set', 'site=Shang_Hai'], want: "at '/site'" },
    { name: 'an address without a port', args: ['--set', 'operator.address=hub.example.org'], want: "at '/operator/address'" },
    { name: 'an interval without a unit', args: ['--set', 'nodeReporter.interval=30'], want: "at '/nodeReporter/interval'" },
    { name: 'a relative host path', args: ['--set', 'nodeReporter.providers.hygon.hostPaths[0].hostPath=opt/hyhal'], want: "at '/nodeReporter/providers/hygon/hostPaths/0/hostPath'" },
    { name: 'a non-root agent turned root', args: ['--set', 'agent.podSecurityContext.runAsUser=0'], want: "at '/agent/podSecurityContext/runAsUser'" },
  ])('rejects $name', ({ args, want }) => {
    // A later --set wins, so the cases that break site or operator.address override the valid ones.
    expect(templateError(AGENT_CHART, [...AGENT_REQUIRED, ...args])).toContain(want);
  });
});

// ---- every value documented -------------------------------------------------------------------------------------

/**
 * FREE_MAP matches values that are maps of free keys (node selectors, annotations, labels, affinity, resource lists):
 * each is documented as one value.
 */
const FREE_MAP = /(^|\.)(nodeSelector|annotations|podAnnotations|podLabels|affinity|requests|limits)$/;

/** valuePaths lists the dotted paths of values.yaml's values: scalars, lists, empty maps and free maps. */
function valuePaths(v: unknown, prefix = ''): string[] {
  if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length > 0 && !FREE_MAP.test(prefix)) {
    return Object.entries(v as Json).flatMap(([k, child]) => valuePaths(child, prefix === '' ? k : `${prefix}.${k}`));
  }
  return [prefix];
}

interface SchemaNode {
  $ref?: string;
  description?: string;
  type?: string | string[];
  properties?: Record<string, SchemaNode>;
  additionalProperties?: boolean | SchemaNode;
  items?: SchemaNode;
  anyOf?: SchemaNode[];
  definitions?: Record<string, SchemaNode>;
}

function resolve(root: SchemaNode, node: SchemaNode): SchemaNode {
  if (node.$ref === undefined) return node;
  const name = node.$ref.replace('#/definitions/', '');
  const target = root.definitions?.[name];
  if (target === undefined) throw new Error(`dangling $ref ${node.$ref}`);
  return resolve(root, target);
}

/** schemaAt finds the schema node of a dotted values path, or undefined. */
function schemaAt(root: SchemaNode, path: string): SchemaNode | undefined {
  let node: SchemaNode | undefined = root;
  for (const key of path.split('.')) {
    if (node === undefined) return undefined;
    node = resolve(root, node).properties?.[key];
  }
  return node;
}

/** openObjects lists schema locations that are objects without additionalProperties: false or a value schema. */
function openObjects(root: SchemaNode): string[] {
  const open: string[] = [];
  const visit = (n: SchemaNode, where: string): void => {
    const isObject = n.type === 'object' || n.properties !== undefined;
    if (isObject && n.properties !== undefined && n.additionalProperties !== false) open.push(`${where} (has properties)`);
    if (isObject && n.properties === undefined && n.additionalProperties === undefined && !/\.(nodeAffinity|podAffinity|podAntiAffinity)$/.test(where)) open.push(where);
    for (const [k, c] of Object.entries(n.properties ?? {})) visit(c, `${where}.${k}`);
    for (const [k, c] of Object.entries(n.definitions ?? {})) visit(c, `#${k}`);
    if (n.items) visit(n.items, `${where}[]`);
    if (typeof n.additionalProperties === 'object') visit(n.additionalProperties, `${where}{}`);
    for (const [i, c] of (n.anyOf ?? []).entries()) visit(c, `${where}|${i}`);
  };
  visit(root, '');
  return open;
}

/**
 * undocumentedKeys lists the keys of values.yaml that hold a value without a comment line right above them. Maps of
 * further keys are documented by their keys, and keys inside lists and free maps (FREE_MAP) by the value holding them.
 */
function undocumentedKeys(text: string): string[] {
  const lines = text.split('\n');
  const indentOf = (l: string): number => l.length - l.trimStart().length;
  const nextSignificant = (i: number): string => {
    for (let j = i; j < lines.length; j++) {
      const t = (lines[j] ?? '').trim();
      if (t !== '' && !t.startsWith('#')) return lines[j] ?? '';
    }
    return '';
  };
  const missing: string[] = [];
  const parents: Array<{ indent: number; key: string }> = [];
  let listIndent = -1;
  for (const [i, line] of lines.entries()) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const indent = indentOf(line);
    if (listIndent >= 0 && (indent > listIndent || (indent === listIndent && trimmed.startsWith('- ')))) continue;
    listIndent = -1;
    if (trimmed.startsWith('- ')) {
      listIndent = indent;
      continue;
    }
    const key = /^([^\s:#][^:#]*):/.exec(trimmed)?.[1];
    if (key === undefined) continue;
    while (parents.length > 0 && (parents[parents.length - 1]?.indent ?? -1) >= indent) parents.pop();
    const path = [...parents.map((p) => p.key), key].join('.');
    if (parents.some((_, n) => FREE_MAP.test(parents.slice(0, n + 1).map((p) => p.key).join('.')))) continue;
    const next = nextSignificant(i + 1);
    if (/:\s*$/.test(trimmed) && indentOf(next) > indent && !next.trim().startsWith('- ')) {
      parents.push({ indent, key });
      if (!FREE_MAP.test(path)) continue;
    }
    if (!(lines[i - 1] ?? '').trim().startsWith('#')) missing.push(`line ${i + 1}: ${path}`);
  }
  return missing;
}

const CHARTS = [
  { name: 'suanwang', dir: HUB_CHART, heading: '### Hub values' },
  { name: 'suanwang-agent', dir: AGENT_CHART, heading: '### Site values' },
];

describe('every value is documented', () => {
  const docs = readFileSync(join(REPO_ROOT, 'docs/install.md'), 'utf8');

  it.each(CHARTS)('$name: values.yaml comments every key', ({ dir }) => {
    expect(undocumentedKeys(readFileSync(join(dir, 'values.yaml'), 'utf8'))).toEqual([]);
  });

  it.each(CHARTS)('$name: values.schema.json closes every object and describes every value', ({ dir }) => {
    const schema = JSON.parse(readFileSync(join(dir, 'values.schema.json'), 'utf8')) as SchemaNode;
    expect(openObjects(schema)).toEqual([]);
    const values = load(readFileSync(join(dir, 'values.yaml'), 'utf8'));
    expect(valuePaths(values).filter((p) => schemaAt(schema, p)?.description === undefined)).toEqual([]);
  });

  it.each(CHARTS)('$name: docs/install.md has a row for every value, and none for values that do not exist', ({ dir, heading }) => {
    const values = load(readFileSync(join(dir, 'values.yaml'), 'utf8'));
    const generic = (p: string): string => p.replace(/^nodeReporter\.providers\.(nvidia|huawei|amd|cambricon|hygon)\./, 'nodeReporter.providers.<vendor>.');
    const want = new Set(valuePaths(values).map(generic));
    const start = docs.indexOf(heading);
    expect(start, `docs/install.md has a "${heading}" section`).toBeGreaterThanOrEqual(0);
    const rest = docs.slice(start + heading.length);
    const end = /\n#{1,3} /.exec(rest)?.index;
    const section = end === undefined ? rest : rest.slice(0, end);
    const rows = new Set([...section.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1] ?? ''));
    expect([...want].filter((p) => !rows.has(p)), 'values without a row').toEqual([]);
    expect([...rows].filter((p) => !want.has(p)), 'rows without a value').toEqual([]);
  });
});
