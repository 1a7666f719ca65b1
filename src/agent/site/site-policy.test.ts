import { describe, expect, it } from 'vitest';
import { parseImagePrefix, type ImagePrefix } from './image-reference.ts';
import { checkSitePolicy, DEFAULT_SITE_POLICY, namespaceAllowed, RefusalReason, type CheckContext, type Refusal, type SitePolicy } from './site-policy.ts';

/*
 * The fixtures are what the real renderers produce: the output of renderMembers (training) and
 * renderInferenceMembers (inference) in src/controllers/*\/member-objects.ts, captured as JSON. Agent tests may not
 * import controllers (test/unit/architecture/layers.ts), so they are copied here as plain objects, as the agent will
 * receive them over the wire.
 */
// `any`: the fixtures are deep plain objects that the cases reach into and mutate freely.
type Obj = Record<string, any>;

const LABELS = { 'app.kubernetes.io/managed-by': 'suanwang', 'suanwang.io/workload': 'llama-pretrain', 'suanwang.io/namespace': 'ml', 'suanwang.io/site': 'shanghai', 'suanwang.io/epoch': '3', 'suanwang.io/owner-uid': 'uid-1' };

/** trainingMembers: a 4-worker TrainingJob of 8 H100s per worker, placed in epoch 3 (Namespace, Service, Job). */
function trainingMembers(): Obj[] {
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ml', labels: { 'app.kubernetes.io/managed-by': 'suanwang' } } },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'llama-pretrain-7f815b90', namespace: 'ml', labels: { ...LABELS } },
      spec: {
        clusterIP: 'None',
        publishNotReadyAddresses: true,
        selector: { 'suanwang.io/workload': 'llama-pretrain', 'suanwang.io/namespace': 'ml', 'suanwang.io/epoch': '3' },
        ports: [{ name: 'rendezvous', port: 29500, targetPort: 29500, protocol: 'TCP' }],
      },
    },
    {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'llama-pretrain-7f815b90', namespace: 'ml', labels: { ...LABELS, 'suanwang.io/variant': 'h100' } },
      spec: {
        completionMode: 'Indexed',
        completions: 4,
        parallelism: 4,
        backoffLimit: 3,
        template: {
          metadata: { labels: { ...LABELS, 'suanwang.io/role': 'worker' } },
          spec: {
            subdomain: 'llama-pretrain-7f815b90',
            restartPolicy: 'Never',
            nodeSelector: { 'suanwang.io/pool': 'h100-pool' },
            tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
            containers: [
              {
                name: 'worker',
                image: 'registry.example.com/llm/pretrain:2.1.0',
                command: ['torchrun'],
                args: ['train.py'],
                env: [
                  { name: 'SUANWANG_WORKER_RANK', valueFrom: { fieldRef: { fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" } } },
                  { name: 'SUANWANG_WORLD_SIZE', value: '4' },
                  { name: 'SUANWANG_RENDEZVOUS', value: 'llama-pretrain-7f815b90-0.llama-pretrain-7f815b90.ml.svc:29500' },
                ],
                resources: {
                  requests: { cpu: '48', memory: '384Gi', 'nvidia.com/gpu': '8' },
                  limits: { cpu: '48', memory: '384Gi', 'nvidia.com/gpu': '8' },
                },
              },
            ],
          },
        },
      },
    },
  ];
}

const ISVC_SELECTOR = { 'suanwang.io/workload': 'chat-7b', 'suanwang.io/namespace': 'serving' };
const ISVC_LABELS = { 'app.kubernetes.io/managed-by': 'suanwang', ...ISVC_SELECTOR, 'suanwang.io/site': 'shanghai', 'suanwang.io/epoch': '2', 'suanwang.io/variant': 'gpu', 'suanwang.io/owner-uid': 'uid-2' };

/** inferenceMembers: an InferenceService's share at one site, 3 replicas of 1 GPU (Namespace, Service, Deployment). */
function inferenceMembers(): Obj[] {
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'serving', labels: { 'app.kubernetes.io/managed-by': 'suanwang' } } },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'chat-7b-bfb08615', namespace: 'serving', labels: { ...ISVC_LABELS }, annotations: { 'suanwang.io/rendered-hash': 'dc94406ba953f868' } },
      spec: { type: 'ClusterIP', selector: { ...ISVC_SELECTOR }, ports: [{ name: 'http', port: 8080, targetPort: 'http', protocol: 'TCP' }] },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'chat-7b-bfb08615', namespace: 'serving', labels: { ...ISVC_LABELS }, annotations: { 'suanwang.io/rendered-hash': 'da4a4d606250f5db' } },
      spec: {
        replicas: 3,
        selector: { matchLabels: { ...ISVC_SELECTOR } },
        template: {
          metadata: { labels: { 'app.kubernetes.io/managed-by': 'suanwang', ...ISVC_SELECTOR, 'suanwang.io/site': 'shanghai', 'suanwang.io/variant': 'gpu', 'suanwang.io/role': 'replica' } },
          spec: {
            nodeSelector: { 'suanwang.io/pool': 'h100-pool' },
            tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
            containers: [
              {
                name: 'server',
                image: 'registry.example.com/serving/vllm:0.6.3-cuda12.4',
                args: ['--port=8080'],
                env: [
                  { name: 'SUANWANG_SITE', value: 'shanghai' },
                  { name: 'SUANWANG_VARIANT', value: 'gpu' },
                  { name: 'SUANWANG_PORT', value: '8080' },
                ],
                ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
                resources: { requests: { cpu: '8', memory: '64Gi', 'nvidia.com/gpu': '1' }, limits: { cpu: '8', memory: '64Gi', 'nvidia.com/gpu': '1' } },
                readinessProbe: { tcpSocket: { port: 'http' }, periodSeconds: 10 },
              },
            ],
          },
        },
      },
    },
  ];
}

function prefixes(...entries: string[]): ImagePrefix[] {
  return entries.map((e) => {
    const p = parseImagePrefix(e);
    if (!p.ok) throw new Error(`bad fixture prefix ${e}: ${p.error}`);
    return p.value;
  });
}

/** SITE is a site that knows what it wants: two namespaces, two repositories, 32 devices per workload. */
const SITE: SitePolicy = {
  namespaces: ['ml', 'serving'],
  images: prefixes('registry.example.com/llm', 'registry.example.com/serving'),
  maxDevicesPerWorkload: 32,
  pods: DEFAULT_SITE_POLICY.pods,
};

type Members = 'training' | 'inference';
const JOB = 2; // index of the Job / Deployment in either fixture
const POD = 'spec.template.spec';
const C0 = `${POD}.containers[0]`;

function pod(objs: Obj[]): Obj {
  return objs[JOB]?.spec.template.spec;
}

interface Case {
  name: string;
  members?: Members;
  policy?: Partial<SitePolicy>;
  ctx?: CheckContext;
  mutate?: (objs: Obj[]) => void;
  /** reason, object and path of each refusal, in order; [] means allowed */
  want: Pick<Refusal, 'reason' | 'object' | 'path'>[];
  /** substrings the refusals' messages must contain, in the same order */
  wantMessages?: string[];
}

const TJ = 'Job ml/llama-pretrain-7f815b90';
const DEP = 'Deployment serving/chat-7b-bfb08615';

const cases: Case[] = [
  // Real renderer output.
  { name: 'a rendered training job within the limits', members: 'training', want: [] },
  { name: 'a rendered inference service within the limits', members: 'inference', want: [] },
  { name: 'a rendered training job under the defaults', members: 'training', policy: DEFAULT_SITE_POLICY, want: [] },
  { name: 'a rendered inference service under the defaults', members: 'inference', policy: DEFAULT_SITE_POLICY, want: [] },

  // Namespaces.
  {
    name: 'a namespace the site does not allow',
    policy: { namespaces: ['serving'] },
    want: [
      { reason: 'NamespaceNotAllowed', object: 'Namespace ml', path: 'metadata.name' },
      { reason: 'NamespaceNotAllowed', object: 'Service ml/llama-pretrain-7f815b90', path: 'metadata.namespace' },
      { reason: 'NamespaceNotAllowed', object: TJ, path: 'metadata.namespace' },
    ],
    wantMessages: ['Namespace ml: metadata.name: namespace "ml" is not allowed at this site (allowed: serving;'],
  },
  { name: 'an empty namespace list allows none', policy: { namespaces: [] }, mutate: (o) => o.splice(0, 2), want: [{ reason: 'NamespaceNotAllowed', object: TJ, path: 'metadata.namespace' }], wantMessages: ['(allowed: none;'] },
  { name: 'a pattern allows a prefix', policy: { namespaces: ['m*'] }, want: [] },
  {
    name: 'a pattern does not allow another prefix',
    policy: { namespaces: ['ml-*'] },
    mutate: (o) => o.splice(0, 2),
    want: [{ reason: 'NamespaceNotAllowed', object: TJ, path: 'metadata.namespace' }],
  },
  {
    name: '"*" never matches a kube- namespace',
    policy: { namespaces: ['*'] },
    mutate: (o) => {
      o.splice(0, 2);
      o[0]!.metadata.namespace = 'kube-system';
    },
    want: [{ reason: 'NamespaceNotAllowed', object: 'Job kube-system/llama-pretrain-7f815b90', path: 'metadata.namespace' }],
    wantMessages: ['patterns never match kube-* namespaces'],
  },
  {
    name: 'an exact kube- entry allows it',
    policy: { namespaces: ['kube-system'] },
    mutate: (o) => {
      o.splice(0, 2);
      o[0]!.metadata.namespace = 'kube-system';
    },
    want: [],
  },
  {
    name: "the agent's own namespace, even listed",
    policy: { namespaces: ['*', 'ml'] },
    ctx: { agentNamespace: 'ml' },
    mutate: (o) => o.splice(0, 2),
    want: [{ reason: 'NamespaceNotAllowed', object: TJ, path: 'metadata.namespace' }],
    wantMessages: ["it is the agent's own namespace"],
  },
  { name: 'a namespaced object without a namespace', mutate: (o) => delete o[JOB]!.metadata.namespace, want: [{ reason: 'NamespaceNotAllowed', object: 'Job /llama-pretrain-7f815b90', path: 'metadata.namespace' }] },

  // Images.
  {
    name: 'an image from another registry',
    mutate: (o) => (pod(o).containers[0].image = 'evil.io/llm/pretrain:2.1.0'),
    want: [{ reason: 'ImageNotAllowed', object: TJ, path: `${C0}.image` }],
    wantMessages: [`${TJ}: ${C0}.image: image "evil.io/llm/pretrain:2.1.0" (evil.io/llm/pretrain) is not from a registry or repository this site allows (allowed: registry.example.com/llm, registry.example.com/serving)`],
  },
  { name: 'an image from a sibling path that shares the prefix', mutate: (o) => (pod(o).containers[0].image = 'registry.example.com/llm-evil/x'), want: [{ reason: 'ImageNotAllowed', object: TJ, path: `${C0}.image` }] },
  { name: 'an image pinned by digest under the prefix', mutate: (o) => (pod(o).containers[0].image = `registry.example.com/llm/pretrain@sha256:${'0'.repeat(64)}`), want: [] },
  { name: 'an image whose registry differs only in case', mutate: (o) => (pod(o).containers[0].image = 'Registry.Example.COM/llm/pretrain:2'), want: [] },
  { name: 'a Docker Hub short name against a Docker Hub prefix', policy: { images: prefixes('nginx') }, mutate: (o) => (pod(o).containers[0].image = 'docker.io/library/nginx:1.25'), want: [] },
  { name: 'an empty image list allows none', policy: { images: [] }, want: [{ reason: 'ImageNotAllowed', object: TJ, path: `${C0}.image` }], wantMessages: ['(allowed: none)'] },
  { name: 'an image that is not a reference', mutate: (o) => (pod(o).containers[0].image = 'registry.example.com/llm/Pretrain'), want: [{ reason: 'InvalidImageReference', object: TJ, path: `${C0}.image` }] },
  { name: 'a container without an image', mutate: (o) => delete pod(o).containers[0].image, want: [{ reason: 'InvalidImageReference', object: TJ, path: `${C0}.image` }] },
  {
    name: 'an init container from another registry',
    mutate: (o) => (pod(o).initContainers = [{ name: 'fetch', image: 'busybox' }]),
    want: [{ reason: 'ImageNotAllowed', object: TJ, path: `${POD}.initContainers[0].image` }],
    wantMessages: ['(docker.io/library/busybox)'],
  },

  // Pod security.
  {
    name: 'a privileged container',
    mutate: (o) => (pod(o).containers[0].securityContext = { privileged: true }),
    want: [{ reason: 'PrivilegedNotAllowed', object: TJ, path: `${C0}.securityContext.privileged` }],
    wantMessages: ['container "worker" is privileged'],
  },
  { name: 'a privileged container where the site allows it', policy: { pods: { ...DEFAULT_SITE_POLICY.pods, privileged: true } }, mutate: (o) => (pod(o).containers[0].securityContext = { privileged: true }), want: [] },
  { name: 'privileged: false is fine', mutate: (o) => (pod(o).containers[0].securityContext = { privileged: false }), want: [] },
  {
    name: 'a privileged init container',
    mutate: (o) => (pod(o).initContainers = [{ name: 'setup', image: 'registry.example.com/llm/setup', securityContext: { privileged: true } }]),
    want: [{ reason: 'PrivilegedNotAllowed', object: TJ, path: `${POD}.initContainers[0].securityContext.privileged` }],
  },
  {
    name: 'a Windows host process pod',
    mutate: (o) => (pod(o).securityContext = { windowsOptions: { hostProcess: true } }),
    want: [{ reason: 'PrivilegedNotAllowed', object: TJ, path: `${POD}.securityContext.windowsOptions.hostProcess` }],
  },
  {
    name: 'a hostPath volume',
    mutate: (o) => (pod(o).volumes = [{ name: 'scratch', emptyDir: {} }, { name: 'root', hostPath: { path: '/' } }]),
    want: [{ reason: 'HostPathNotAllowed', object: TJ, path: `${POD}.volumes[1].hostPath` }],
    wantMessages: ['hostPath volume "root" (/) is not allowed'],
  },
  { name: 'a hostPath volume where the site allows it', policy: { pods: { ...DEFAULT_SITE_POLICY.pods, hostPath: true } }, mutate: (o) => (pod(o).volumes = [{ name: 'root', hostPath: { path: '/' } }]), want: [] },
  {
    name: 'host namespaces',
    members: 'inference',
    mutate: (o) => Object.assign(pod(o), { hostNetwork: true, hostPID: true, hostIPC: true }),
    want: [
      { reason: 'HostNamespaceNotAllowed', object: DEP, path: `${POD}.hostNetwork` },
      { reason: 'HostNamespaceNotAllowed', object: DEP, path: `${POD}.hostPID` },
      { reason: 'HostNamespaceNotAllowed', object: DEP, path: `${POD}.hostIPC` },
    ],
  },
  { name: 'host namespaces where the site allows them', members: 'inference', policy: { pods: { ...DEFAULT_SITE_POLICY.pods, hostNamespaces: true } }, mutate: (o) => Object.assign(pod(o), { hostNetwork: true }), want: [] },
  {
    name: 'a host port',
    members: 'inference',
    mutate: (o) => (pod(o).containers[0].ports[0].hostPort = 8080),
    want: [{ reason: 'HostPortNotAllowed', object: DEP, path: `${C0}.ports[0].hostPort` }],
  },
  {
    name: 'an added capability, spelt either way',
    policy: { pods: { ...DEFAULT_SITE_POLICY.pods, capabilities: ['NET_BIND_SERVICE'] } },
    mutate: (o) => (pod(o).containers[0].securityContext = { capabilities: { add: ['cap_net_bind_service', 'SYS_ADMIN'], drop: ['ALL'] } }),
    want: [{ reason: 'CapabilityNotAllowed', object: TJ, path: `${C0}.securityContext.capabilities.add[1]` }],
    wantMessages: ['adds capability SYS_ADMIN; allowed: NET_BIND_SERVICE'],
  },
  {
    name: 'any added capability by default',
    mutate: (o) => (pod(o).containers[0].securityContext = { capabilities: { add: ['NET_RAW'] } }),
    want: [{ reason: 'CapabilityNotAllowed', object: TJ, path: `${C0}.securityContext.capabilities.add[0]` }],
    wantMessages: ['allowed: none'],
  },
  { name: 'ALL allows every capability', policy: { pods: { ...DEFAULT_SITE_POLICY.pods, capabilities: ['ALL'] } }, mutate: (o) => (pod(o).containers[0].securityContext = { capabilities: { add: ['SYS_ADMIN'] } }), want: [] },

  // Services.
  {
    name: 'a LoadBalancer Service with external IPs',
    members: 'inference',
    mutate: (o) => Object.assign(o[1]!.spec, { type: 'LoadBalancer', externalIPs: ['203.0.113.9'] }),
    want: [
      { reason: 'ServiceExposureNotAllowed', object: 'Service serving/chat-7b-bfb08615', path: 'spec.type' },
      { reason: 'ServiceExposureNotAllowed', object: 'Service serving/chat-7b-bfb08615', path: 'spec.externalIPs' },
    ],
  },

  // Kinds and shapes.
  {
    name: 'a kind the federation never renders',
    mutate: (o) => o.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'ml' } }, { apiVersion: 'batch/v1beta1', kind: 'Job', metadata: { name: 'y', namespace: 'ml' } }),
    want: [
      { reason: 'KindNotAllowed', object: 'ConfigMap ml/x', path: '' },
      { reason: 'KindNotAllowed', object: 'Job ml/y', path: '' },
    ],
    wantMessages: ['v1/ConfigMap is not a kind the federation renders', 'batch/v1beta1/Job is not a kind'],
  },
  { name: 'an object that is not one', mutate: (o) => (o as unknown[]).push('Job'), want: [{ reason: 'InvalidObject', object: 'objects[3]', path: '' }] },
  { name: 'an object without a name', mutate: (o) => delete o[JOB]!.metadata.name, want: [{ reason: 'InvalidObject', object: 'objects[2]', path: 'metadata.name' }] },
  { name: 'a containers field that is not a list', mutate: (o) => (pod(o).containers = { worker: {} }), want: [{ reason: 'InvalidObject', object: TJ, path: `${POD}.containers` }] },
  { name: 'a Job without a pod template', mutate: (o) => delete o[JOB]!.spec.template, want: [{ reason: 'InvalidObject', object: TJ, path: POD }] },
  { name: 'a device count that is not a quantity', mutate: (o) => (pod(o).containers[0].resources.limits['nvidia.com/gpu'] = 'lots'), want: [{ reason: 'InvalidObject', object: TJ, path: `${C0}.resources.limits["nvidia.com/gpu"]` }] },
  { name: 'a negative replica count', members: 'inference', mutate: (o) => (o[JOB]!.spec.replicas = -1), want: [{ reason: 'InvalidObject', object: DEP, path: 'spec.replicas' }] },
];

describe('checkSitePolicy', () => {
  it.each(cases)('$name', ({ members = 'training', policy = {}, ctx, mutate, want, wantMessages = [] }) => {
    const objs = members === 'training' ? trainingMembers() : inferenceMembers();
    mutate?.(objs);
    const verdict = checkSitePolicy({ ...SITE, ...policy }, objs, ctx);
    const got = verdict.allowed ? [] : verdict.refusals;
    expect(got.map(({ reason, object, path }) => ({ reason, object, path }))).toEqual(want);
    expect(verdict.allowed).toBe(want.length === 0);
    wantMessages.forEach((m, i) => expect(got[i]?.message).toContain(m));
  });

  it('reports every refusal of one object at once, with the object and path in the message', () => {
    const objs = trainingMembers();
    pod(objs).containers[0].image = 'evil.io/x';
    pod(objs).containers[0].securityContext = { privileged: true };
    pod(objs).hostNetwork = true;
    const verdict = checkSitePolicy({ ...SITE, namespaces: ['serving'] }, objs.slice(JOB));
    expect(verdict.allowed ? [] : verdict.refusals.map((r) => r.message)).toEqual([
      `${TJ}: metadata.namespace: namespace "ml" is not allowed at this site (allowed: serving; patterns never match kube-* namespaces)`,
      `${TJ}: ${POD}.hostNetwork: hostNetwork is not allowed at this site`,
      `${TJ}: ${C0}.image: image "evil.io/x" (evil.io/x) is not from a registry or repository this site allows (allowed: registry.example.com/llm, registry.example.com/serving)`,
      `${TJ}: ${C0}.securityContext.privileged: container "worker" is privileged, which this site never allows`,
    ]);
  });
});

describe('devices per workload', () => {
  interface DeviceCase {
    name: string;
    members?: Members;
    max: number;
    mutate?: (objs: Obj[]) => void;
    /** the device total the refusal names, or undefined when allowed */
    wantTotal: number | undefined;
  }
  const gpus = (n: number | string, where: 'both' | 'requests' | 'limits' = 'both', resource = 'nvidia.com/gpu') => ({
    ...(where !== 'limits' && { requests: { cpu: '1', [resource]: String(n) } }),
    ...(where !== 'requests' && { limits: { cpu: '1', [resource]: String(n) } }),
  });
  const deviceCases: DeviceCase[] = [
    { name: 'a 4×8 Job at the limit', max: 32, wantTotal: undefined },
    { name: 'a 4×8 Job over the limit', max: 31, wantTotal: 32 },
    { name: 'a Job counts parallelism, not completions', max: 16, mutate: (o) => Object.assign(o[JOB]!.spec, { completions: 100, parallelism: 2 }), wantTotal: undefined },
    { name: 'a Job counts at most its completions', max: 8, mutate: (o) => Object.assign(o[JOB]!.spec, { completions: 1, parallelism: 4 }), wantTotal: undefined },
    { name: 'a Job without parallelism runs one pod', max: 8, mutate: (o) => Object.assign(o[JOB]!.spec, { completions: undefined, parallelism: undefined }), wantTotal: undefined },
    { name: 'a 3×1 Deployment over the limit', members: 'inference', max: 2, wantTotal: 3 },
    { name: 'a Deployment without replicas runs one pod', members: 'inference', max: 1, mutate: (o) => delete o[JOB]!.spec.replicas, wantTotal: undefined },
    { name: 'a maximum of 0 refuses any device', members: 'inference', max: 0, wantTotal: 3 },
    { name: 'a maximum of 0 allows CPU work', members: 'inference', max: 0, mutate: (o) => (pod(o).containers[0].resources = { requests: { cpu: '8' } }), wantTotal: undefined },
    { name: 'devices only in limits count', max: 31, mutate: (o) => (pod(o).containers[0].resources = gpus(8, 'limits')), wantTotal: 32 },
    { name: 'devices only in requests count', max: 31, mutate: (o) => (pod(o).containers[0].resources = gpus(8, 'requests')), wantTotal: 32 },
    { name: 'the larger of request and limit counts', max: 39, mutate: (o) => (pod(o).containers[0].resources = { requests: { 'nvidia.com/gpu': '8' }, limits: { 'nvidia.com/gpu': '10' } }), wantTotal: 40 },
    { name: 'every vendor resource adds up', max: 32, mutate: (o) => pod(o).containers.push({ name: 'npu', image: 'registry.example.com/llm/npu', resources: gpus(2, 'both', 'huawei.com/Ascend910') }), wantTotal: 40 },
    { name: 'a vendor resource outside the usual names (MIG) counts', max: 32, mutate: (o) => (pod(o).containers[0].resources = gpus(9, 'both', 'nvidia.com/mig-1g.10gb')), wantTotal: 36 },
    { name: 'a non-accelerator extended resource does not count', max: 32, mutate: (o) => pod(o).containers.push({ name: 'x', image: 'registry.example.com/llm/x', resources: gpus(100, 'both', 'example.com/widget') }), wantTotal: undefined },
    {
      name: 'an init container that asks for more than the app counts as the pod peak',
      max: 32,
      mutate: (o) => (pod(o).initContainers = [{ name: 'warm', image: 'registry.example.com/llm/warm', resources: gpus(9) }]),
      wantTotal: 36,
    },
    {
      name: 'an init container that asks for less does not add',
      max: 32,
      mutate: (o) => (pod(o).initContainers = [{ name: 'warm', image: 'registry.example.com/llm/warm', resources: gpus(8) }]),
      wantTotal: undefined,
    },
    {
      name: 'a sidecar init container adds to the app',
      max: 32,
      mutate: (o) => (pod(o).initContainers = [{ name: 'proxy', image: 'registry.example.com/llm/proxy', restartPolicy: 'Always', resources: gpus(1) }]),
      wantTotal: 36,
    },
  ];
  it.each(deviceCases)('$name', ({ members = 'training', max, mutate, wantTotal }) => {
    const objs = members === 'training' ? trainingMembers() : inferenceMembers();
    mutate?.(objs);
    const verdict = checkSitePolicy({ ...SITE, maxDevicesPerWorkload: max }, objs);
    const refusals = verdict.allowed ? [] : verdict.refusals;
    if (wantTotal === undefined) return expect(refusals).toEqual([]);
    expect(refusals.map((r) => r.reason)).toEqual([RefusalReason.TooManyDevices]);
    expect(refusals[0]?.message).toContain(`asks for ${wantTotal} accelerator devices at once`);
    expect(refusals[0]?.message).toContain(`the site's maximum of ${max} per workload`);
  });

  it('names the object, container path and the sum when a workload renders two pod owners', () => {
    const objs = [...trainingMembers(), ...inferenceMembers().slice(JOB)];
    objs[3]!.metadata.namespace = 'ml';
    const verdict = checkSitePolicy({ ...SITE, maxDevicesPerWorkload: 34 }, objs);
    expect(verdict.allowed ? [] : verdict.refusals).toEqual([
      {
        reason: 'TooManyDevices',
        object: TJ,
        path: `${C0}.resources`,
        message: `${TJ}: ${C0}.resources: the workload asks for 35 accelerator devices at once (${TJ}: 4 pod(s) × 8; Deployment ml/chat-7b-bfb08615: 3 pod(s) × 1), more than the site's maximum of 34 per workload`,
      },
    ]);
  });

  it('has no limit when the policy sets none', () => {
    const objs = trainingMembers();
    objs[JOB]!.spec.parallelism = 1000;
    objs[JOB]!.spec.completions = 1000;
    expect(checkSitePolicy({ ...SITE, maxDevicesPerWorkload: undefined }, objs)).toEqual({ allowed: true });
  });
});

describe('namespaceAllowed', () => {
  it.each([
    { patterns: ['*'], ns: 'anything', want: true },
    { patterns: ['*'], ns: 'kube-public', want: false },
    { patterns: ['kube-*'], ns: 'kube-system', want: false },
    { patterns: ['team-*'], ns: 'team-a', want: true },
    { patterns: ['team-*'], ns: 'team', want: false },
    { patterns: ['team'], ns: 'team-a', want: false },
    { patterns: [], ns: 'default', want: false },
  ])('$patterns allows $ns: $want', ({ patterns, ns, want }) => {
    expect(namespaceAllowed({ ...DEFAULT_SITE_POLICY, namespaces: patterns }, ns)).toBe(want);
  });
});
