/**
 * The Suanwang CRDs against the hub's real kube-apiserver: every example applies (client-side, then server-side),
 * invalid manifests are rejected with an error that names the offending field, defaults appear on read-back, status
 * is only writable through its subresource, and kubectl's discovery (category, short names, columns, explain) works.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadAll } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crdName, GROUP, Kind, Plural, type KindName } from '../../src/api/names.ts';
import { TRAINING_JOB } from '../../src/api/schema/training-job.ts';
import { VENDORS } from '../../src/api/vendors.ts';
import { eventually, kubectl, sharedLab, type SharedLab } from './support/shared-lab.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLUSTER_SCOPED: ReadonlySet<string> = new Set([Kind.Site, Kind.Queue]);
const ALL_KINDS = Object.values(Kind);

type Json = Record<string, unknown>;
interface Manifest {
  apiVersion: string;
  kind: KindName;
  metadata: { name: string; namespace?: string };
  spec?: Json;
  status?: Json;
}

let lab: SharedLab;
let hub: string;
const suffix = randomBytes(3).toString('hex');
const ns = `api-crds-${suffix}`;
/** Cluster-scoped objects this file created, deleted in afterAll (namespaced ones are deleted with their namespace). */
const created: Array<{ kind: KindName; name: string }> = [];

/** run runs kubectl against the hub and fails the test with kubectl's stderr when it does not exit 0. */
function run(args: string[], input?: string): string {
  const r = kubectl(hub, args, input === undefined ? {} : { input });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}:\n${r.stderr}`);
  return r.stdout;
}

/** resource names a kind for kubectl without ambiguity (another project may also define an InferenceService). */
function resource(kind: KindName): string {
  return `${Plural[kind]}.${GROUP}`;
}

function getJson(kind: KindName, name: string): Manifest {
  const scope = CLUSTER_SCOPED.has(kind) ? [] : ['-n', ns];
  return JSON.parse(run(['get', resource(kind), name, ...scope, '-o', 'json'])) as Manifest;
}

function exists(kind: KindName, name: string): boolean {
  return kubectl(hub, ['get', resource(kind), name, '-o', 'name']).code === 0;
}

/** retry repeats fn until it passes: the apiserver publishes discovery and OpenAPI a little after a CRD is Established. */
function retry<T>(fn: () => T): Promise<Awaited<T>> {
  return eventually(fn, { timeoutMs: 60_000, intervalMs: 500, what: 'discovery and OpenAPI to catch up' });
}

/** expectSubset checks every field given in want is in got with the same value (the apiserver pruned nothing). */
function expectSubset(got: unknown, want: unknown, path: string): void {
  if (Array.isArray(want)) {
    expect(Array.isArray(got), `${path} is a list`).toBe(true);
    const list = got as unknown[];
    expect(list.length, `${path} length`).toBe(want.length);
    want.forEach((w, i) => expectSubset(list[i], w, `${path}[${i}]`));
  } else if (typeof want === 'object' && want !== null) {
    expect(typeof got === 'object' && got !== null, `${path} is an object`).toBe(true);
    for (const [k, v] of Object.entries(want)) expectSubset((got as Json)[k], v, `${path}.${k}`);
  } else {
    expect(got, path).toEqual(want);
  }
}

beforeAll(async () => {
  lab = await sharedLab();
  hub = lab.kubeconfig('hub');
  run(['apply', '--server-side', '--force-conflicts', '-f', join(ROOT, 'crds')]);
  run(['wait', '--for=condition=Established', '--timeout=60s', ...ALL_KINDS.map((k) => `crd/${crdName(k)}`)]);
  run(['create', 'namespace', ns]);
});

afterAll(() => {
  if (hub === undefined) return;
  for (const { kind, name } of created) kubectl(hub, ['delete', resource(kind), name, '--ignore-not-found', '--wait=false']);
  // Delete the workloads explicitly: the hub may run no namespace controller to empty the namespace.
  const workloads = [resource(Kind.TrainingJob), resource(Kind.InferenceService)].join(',');
  kubectl(hub, ['delete', workloads, '--all', '-n', ns, '--ignore-not-found', '--wait=false']);
  kubectl(hub, ['delete', 'namespace', ns, '--ignore-not-found', '--wait=false']);
});

describe('examples', () => {
  const files = [
    ...readdirSync(join(ROOT, 'examples'))
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => join('examples', f)),
    ...readdirSync(join(ROOT, 'examples/sites'))
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => join('examples/sites', f)),
  ].sort();

  it('cover every kind', () => {
    const kinds = new Set(files.flatMap((f) => docs(f).map((d) => d.kind)));
    expect([...kinds].sort()).toEqual([...ALL_KINDS].sort());
  });

  function docs(file: string): Manifest[] {
    return loadAll(readFileSync(join(ROOT, file), 'utf8')).filter((d): d is Manifest => d !== null && d !== undefined);
  }

  it.each(files)('%s applies with kubectl apply, then with --server-side', (file) => {
    const manifests = docs(file);
    expect(manifests.length).toBeGreaterThan(0);
    for (const m of manifests) expect(m.apiVersion).toBe(`${GROUP}/v1alpha1`);
    // The lab registers its own Sites (and perhaps Queues) under the same names as the examples; leave those as
    // they are and let the apiserver validate and merge the example without storing it.
    const preexisting = manifests.some((m) => CLUSTER_SCOPED.has(m.kind) && exists(m.kind, m.metadata.name));
    const dryRun = preexisting ? ['--dry-run=server'] : [];
    const path = join(ROOT, file);

    run(['apply', '-n', ns, ...dryRun, '-f', path]);
    if (!preexisting) {
      for (const m of manifests) {
        if (CLUSTER_SCOPED.has(m.kind)) created.push({ kind: m.kind, name: m.metadata.name });
        expectSubset(getJson(m.kind, m.metadata.name).spec, m.spec, `${m.kind}/${m.metadata.name} spec`);
      }
    }

    run(['apply', '--server-side', '--force-conflicts', '-n', ns, ...dryRun, '-f', path]);
    if (!preexisting) {
      for (const m of manifests) {
        expectSubset(getJson(m.kind, m.metadata.name).spec, m.spec, `${m.kind}/${m.metadata.name} spec`);
      }
    }
  });
});

// Minimal valid objects; each invalid case below changes one thing in one of them.

const TJ_SPEC = `
  resources: { cpu: "1", memory: 1Gi }
  variants:
    - { name: cpu, cpuOnly: true, image: registry.example.com/t:1 }`;

const ISVC_SPEC = `
  resources: { cpu: "1", memory: 1Gi }
  variants:
    - { name: cpu, cpuOnly: true, minMemory: 4Gi, image: registry.example.com/s:1 }`;

const SITE_SPEC = `
  region: cn-east
  connection:
    kubeconfigSecretRef: { name: site-x-kubeconfig }`;

const QUEUE_SPEC = `
  quota: { cpu: "8" }`;

function manifest(kind: KindName, spec: string, name: string): string {
  return `apiVersion: ${GROUP}/v1alpha1\nkind: ${kind}\nmetadata:\n  name: ${name}\nspec:${spec}\n`;
}

const tj = (spec: string, name = 'bad-job'): string => manifest(Kind.TrainingJob, spec, name);
const isvc = (spec: string, name = 'bad-service'): string => manifest(Kind.InferenceService, spec, name);
const site = (spec: string, name = `bad-site-${suffix}`): string => manifest(Kind.Site, spec, name);
const queue = (spec: string, name = `bad-queue-${suffix}`): string => manifest(Kind.Queue, spec, name);

interface InvalidCase {
  readonly name: string;
  readonly kind: KindName;
  readonly yaml: string;
  /** wantField must appear in kubectl's error output: the path of the offending field. */
  readonly wantField: string;
  /** wantMessage, when set, must appear too (for CEL rules, whose message is ours). */
  readonly wantMessage?: string;
}

const INVALID: readonly InvalidCase[] = [
  // TrainingJob
  {
    name: 'no workers',
    kind: Kind.TrainingJob,
    yaml: tj(`${TJ_SPEC}\n  workers: 0`),
    wantField: 'spec.workers',
  },
  {
    name: 'more workers than 4096',
    kind: Kind.TrainingJob,
    yaml: tj(`${TJ_SPEC}\n  workers: 5000`),
    wantField: 'spec.workers',
  },
  {
    name: 'no variants',
    kind: Kind.TrainingJob,
    yaml: tj(`\n  resources: { cpu: "1", memory: 1Gi }\n  variants: []`),
    wantField: 'spec.variants',
  },
  {
    name: 'variants missing',
    kind: Kind.TrainingJob,
    yaml: tj(`\n  resources: { cpu: "1", memory: 1Gi }`),
    wantField: 'spec.variants',
  },
  {
    name: 'accelerator count without a vendor',
    kind: Kind.TrainingJob,
    yaml: tj(`
  resources: { cpu: "1", memory: 1Gi }
  variants:
    - { name: gpu, accelerator: { count: 8 }, image: registry.example.com/t:1 }`),
    wantField: 'spec.variants[0].accelerator.vendor',
  },
  {
    name: 'unknown vendor',
    kind: Kind.TrainingJob,
    yaml: tj(`
  resources: { cpu: "1", memory: 1Gi }
  variants:
    - { name: gpu, accelerator: { vendor: intel, count: 8 }, image: registry.example.com/t:1 }`),
    wantField: 'spec.variants[0].accelerator.vendor',
  },
  {
    name: 'zero accelerators per worker',
    kind: Kind.TrainingJob,
    yaml: tj(`
  resources: { cpu: "1", memory: 1Gi }
  variants:
    - { name: gpu, accelerator: { vendor: nvidia, count: 0 }, image: registry.example.com/t:1 }`),
    wantField: 'spec.variants[0].accelerator.count',
  },
  {
    name: 'unknown precision',
    kind: Kind.TrainingJob,
    yaml: tj(`
  resources: { cpu: "1", memory: 1Gi }
  variants:
    - { name: gpu, accelerator: { vendor: nvidia, precision: fp7 }, image: registry.example.com/t:1 }`),
    wantField: 'spec.variants[0].accelerator.precision',
  },
  {
    name: 'accelerator and cpuOnly together',
    kind: Kind.TrainingJob,
    yaml: tj(`
  resources: { cpu: "1", memory: 1Gi }
  variants:
    - { name: gpu, cpuOnly: true, accelerator: { vendor: nvidia }, image: registry.example.com/t:1 }`),
    wantField: 'spec.variants[0]',
    wantMessage: 'either an accelerator or cpuOnly',
  },
  {
    name: 'neither accelerator nor cpuOnly',
    kind: Kind.TrainingJob,
    yaml: tj(`
  resources: { cpu: "1", memory: 1Gi }
  variants:
    - { name: plain, image: registry.example.com/t:1 }`),
    wantField: 'spec.variants[0]',
    wantMessage: 'either an accelerator or cpuOnly',
  },
  {
    name: 'two variants with one name',
    kind: Kind.TrainingJob,
    yaml: tj(`
  resources: { cpu: "1", memory: 1Gi }
  variants:
    - { name: cpu, cpuOnly: true, image: registry.example.com/t:1 }
    - { name: cpu, cpuOnly: true, image: registry.example.com/t:2 }`),
    wantField: 'spec.variants[1]',
    wantMessage: 'Duplicate value',
  },
  {
    name: 'variant name not a DNS label',
    kind: Kind.TrainingJob,
    yaml: tj(`
  resources: { cpu: "1", memory: 1Gi }
  variants:
    - { name: H100_Big, cpuOnly: true, image: registry.example.com/t:1 }`),
    wantField: 'spec.variants[0].name',
  },
  {
    name: 'variant without an image',
    kind: Kind.TrainingJob,
    yaml: tj(`
  resources: { cpu: "1", memory: 1Gi }
  variants:
    - { name: cpu, cpuOnly: true }`),
    wantField: 'spec.variants[0].image',
  },
  {
    name: 'memory that is not a quantity',
    kind: Kind.TrainingJob,
    yaml: tj(`
  resources: { cpu: "1", memory: lots }
  variants:
    - { name: cpu, cpuOnly: true, image: registry.example.com/t:1 }`),
    wantField: 'spec.resources.memory',
  },
  {
    name: 'negative cpu',
    kind: Kind.TrainingJob,
    yaml: tj(`
  resources: { cpu: "-4", memory: 1Gi }
  variants:
    - { name: cpu, cpuOnly: true, image: registry.example.com/t:1 }`),
    wantField: 'spec.resources.cpu',
  },
  {
    name: 'cpu of 1e400 (Infinity as a double)',
    kind: Kind.TrainingJob,
    yaml: tj(`
  resources: { cpu: "1e400", memory: 1Gi }
  variants:
    - { name: cpu, cpuOnly: true, image: registry.example.com/t:1 }`),
    wantField: 'spec.resources.cpu',
  },
  {
    name: 'memory with an exponent beyond e18',
    kind: Kind.InferenceService,
    yaml: isvc(`
  resources: { cpu: "1", memory: "1e19" }
  variants:
    - { name: cpu, cpuOnly: true, minMemory: 4Gi, image: registry.example.com/s:1 }`),
    wantField: 'spec.resources.memory',
  },
  {
    name: 'resources without cpu',
    kind: Kind.TrainingJob,
    yaml: tj(`
  resources: { memory: 1Gi }
  variants:
    - { name: cpu, cpuOnly: true, image: registry.example.com/t:1 }`),
    wantField: 'spec.resources.cpu',
  },
  {
    name: 'environment variable name that is not one',
    kind: Kind.TrainingJob,
    yaml: tj(`
  resources: { cpu: "1", memory: 1Gi }
  variants:
    - name: cpu
      cpuOnly: true
      image: registry.example.com/t:1
      env: [{ name: 1BAD, value: x }]`),
    wantField: 'spec.variants[0].env[0].name',
  },
  {
    name: 'a site both allowed and excluded',
    kind: Kind.TrainingJob,
    yaml: tj(`${TJ_SPEC}\n  placement: { sites: [shanghai, beijing], excludedSites: [beijing] }`),
    wantField: 'spec.placement.excludedSites',
    wantMessage: 'both allowed (sites) and excluded',
  },
  {
    name: 'negative price ceiling',
    kind: Kind.TrainingJob,
    yaml: tj(`${TJ_SPEC}\n  placement: { maxPricePerHour: -1 }`),
    wantField: 'spec.placement.maxPricePerHour',
  },
  {
    name: 'siteSelector key that is not a label key',
    kind: Kind.TrainingJob,
    yaml: tj(`${TJ_SPEC}\n  placement: { siteSelector: { "bad key!": cn } }`),
    wantField: 'spec.placement.siteSelector',
    wantMessage: 'siteSelector keys must be label keys',
  },
  {
    name: 'negative backoff limit',
    kind: Kind.TrainingJob,
    yaml: tj(`${TJ_SPEC}\n  failurePolicy: { backoffLimit: -1 }`),
    wantField: 'spec.failurePolicy.backoffLimit',
  },
  {
    name: 'checkpoint without a path',
    kind: Kind.TrainingJob,
    yaml: tj(`${TJ_SPEC}\n  checkpoint: { resume: { env: RESUME } }`),
    wantField: 'spec.checkpoint.path',
  },
  {
    name: 'queue name not a DNS label',
    kind: Kind.TrainingJob,
    yaml: tj(`${TJ_SPEC}\n  queue: Research`),
    wantField: 'spec.queue',
  },
  {
    name: 'unknown field',
    kind: Kind.TrainingJob,
    yaml: tj(`${TJ_SPEC}\n  gpus: 8`),
    wantField: 'spec.gpus',
  },
  {
    name: 'name that cannot become a Service name',
    kind: Kind.TrainingJob,
    yaml: tj(TJ_SPEC, '9-lives'),
    wantField: 'metadata.name',
  },
  // InferenceService
  {
    name: 'replicas.max below replicas.min',
    kind: Kind.InferenceService,
    yaml: isvc(`${ISVC_SPEC}\n  replicas: { min: 4, max: 2 }`),
    wantField: 'spec.replicas.max',
    wantMessage: 'replicas.max must be at least replicas.min',
  },
  {
    name: 'zero replicas',
    kind: Kind.InferenceService,
    yaml: isvc(`${ISVC_SPEC}\n  replicas: { min: 0 }`),
    wantField: 'spec.replicas.min',
  },
  {
    name: 'CPU variant without the memory the model needs',
    kind: Kind.InferenceService,
    yaml: isvc(`
  resources: { cpu: "1", memory: 1Gi }
  variants:
    - { name: cpu, cpuOnly: true, image: registry.example.com/s:1 }`),
    wantField: 'spec.variants[0].minMemory',
    wantMessage: 'a cpuOnly variant needs minMemory',
  },
  {
    name: 'minMemory on an accelerator variant',
    kind: Kind.InferenceService,
    yaml: isvc(`
  resources: { cpu: "1", memory: 1Gi }
  variants:
    - { name: gpu, accelerator: { vendor: nvidia }, minMemory: 40Gi, image: registry.example.com/s:1 }`),
    wantField: 'spec.variants[0].minMemory',
    wantMessage: 'minMemory is for cpuOnly variants',
  },
  {
    name: 'more sites than replicas',
    kind: Kind.InferenceService,
    yaml: isvc(`${ISVC_SPEC}\n  replicas: { min: 2 }\n  placement: { minSites: 3 }`),
    wantField: 'spec.placement.minSites',
    wantMessage: 'placement.minSites cannot exceed replicas.min',
  },
  {
    name: 'preferred region outside the allowed regions',
    kind: Kind.InferenceService,
    yaml: isvc(`${ISVC_SPEC}\n  placement: { regions: [cn-north], preferredRegions: [cn-east] }`),
    wantField: 'spec.placement.preferredRegions',
  },
  {
    name: 'port out of range',
    kind: Kind.InferenceService,
    yaml: isvc(`${ISVC_SPEC}\n  port: 70000`),
    wantField: 'spec.port',
  },
  // Site
  {
    name: 'site without a region',
    kind: Kind.Site,
    yaml: site(`\n  connection:\n    kubeconfigSecretRef: { name: site-x-kubeconfig }`),
    wantField: 'spec.region',
  },
  {
    name: 'site without a connection',
    kind: Kind.Site,
    yaml: site(`\n  region: cn-east`),
    wantField: 'spec.connection',
  },
  {
    name: 'push connection without a kubeconfig Secret',
    kind: Kind.Site,
    yaml: site(`\n  region: cn-east\n  connection: { mode: Push }`),
    wantField: 'spec.connection.kubeconfigSecretRef',
    wantMessage: 'required in Push mode',
  },
  {
    name: 'connection mode not supported',
    kind: Kind.Site,
    yaml: site(`\n  region: cn-east\n  connection: { mode: Carrier-Pigeon }`),
    wantField: 'spec.connection.mode',
  },
  {
    name: 'currency that is not an ISO 4217 code',
    kind: Kind.Site,
    yaml: site(`${SITE_SPEC}\n  pricing: { currency: yuan }`),
    wantField: 'spec.pricing.currency',
  },
  {
    name: 'two prices for one model',
    kind: Kind.Site,
    yaml: site(`${SITE_SPEC}
  pricing:
    accelerators:
      - { model: Ascend910B3, pricePerHour: 12 }
      - { model: Ascend910B3, pricePerHour: 10 }`),
    wantField: 'spec.pricing.accelerators[1]',
    wantMessage: 'Duplicate value',
  },
  {
    name: 'negative price',
    kind: Kind.Site,
    yaml: site(`${SITE_SPEC}\n  pricing: { accelerators: [{ model: K100_AI, pricePerHour: -9 }] }`),
    wantField: 'spec.pricing.accelerators[0].pricePerHour',
  },
  {
    name: 'label value that is not one',
    kind: Kind.Site,
    yaml: site(`${SITE_SPEC}\n  labels: { suanwang.io/sovereignty: "not ok" }`),
    wantField: 'spec.labels',
    wantMessage: 'labels values must be label values',
  },
  // Queue
  {
    name: 'quota on a resource that is not counted',
    kind: Kind.Queue,
    yaml: queue(`\n  quota: { gpus: "8" }`),
    wantField: 'spec.quota',
    wantMessage: 'quota keys must be one of',
  },
  {
    name: 'negative quota',
    kind: Kind.Queue,
    yaml: queue(`\n  quota: { cpu: -8 }`),
    wantField: 'spec.quota.cpu',
  },
  {
    name: 'integer quota beyond int64',
    kind: Kind.Queue,
    yaml: queue(`\n  quota: { cpu: 99999999999999999999 }`),
    wantField: 'spec.quota.cpu',
  },
  {
    name: 'zero weight',
    kind: Kind.Queue,
    yaml: queue(`${QUEUE_SPEC}\n  weight: 0`),
    wantField: 'spec.weight',
  },
  {
    name: 'unknown preemption policy',
    kind: Kind.Queue,
    yaml: queue(`${QUEUE_SPEC}\n  preemptionPolicy: Always`),
    wantField: 'spec.preemptionPolicy',
  },
  {
    name: 'a namespace listed twice',
    kind: Kind.Queue,
    yaml: queue(`${QUEUE_SPEC}\n  namespaces: [research, research]`),
    wantField: 'spec.namespaces[1]',
    wantMessage: 'Duplicate value',
  },
];

/** dryRunApply asks the apiserver to validate and default a manifest without storing it. */
function dryRunApply(kind: KindName, yaml: string): { code: number; stdout: string; stderr: string } {
  const scope = CLUSTER_SCOPED.has(kind) ? [] : ['-n', ns];
  return kubectl(hub, ['apply', '--dry-run=server', ...scope, '-f', '-', '-o', 'json'], { input: yaml });
}

describe('invalid manifests', () => {
  it('has at least 20 cases, each with a field to name', () => {
    expect(INVALID.length).toBeGreaterThanOrEqual(20);
    for (const c of INVALID) expect(c.wantField).toMatch(/^(spec|metadata)\./);
  });

  // The cases change one thing in these; if these were rejected, the cases would prove nothing.
  it.each([
    { kind: Kind.TrainingJob, yaml: tj(TJ_SPEC) },
    { kind: Kind.InferenceService, yaml: isvc(ISVC_SPEC) },
    { kind: Kind.Site, yaml: site(SITE_SPEC) },
    { kind: Kind.Queue, yaml: queue(QUEUE_SPEC) },
  ])('the minimal valid $kind is accepted', ({ kind, yaml }) => {
    const r = dryRunApply(kind, yaml);
    expect(r.code, r.stderr).toBe(0);
  });

  it.each(INVALID)('rejects $kind: $name, naming $wantField', ({ kind, yaml, wantField, wantMessage }) => {
    const r = dryRunApply(kind, yaml);
    expect(r.code, `accepted:\n${yaml}`).not.toBe(0);
    expect(r.stderr).toContain(wantField);
    if (wantMessage !== undefined) expect(r.stderr).toContain(wantMessage);
  });
});

describe('objects of every kind', () => {
  const names = {
    [Kind.TrainingJob]: 'defaults-job',
    [Kind.InferenceService]: 'defaults-service',
    [Kind.Site]: `api-crds-${suffix}`,
    [Kind.Queue]: `api-crds-${suffix}`,
  } as const satisfies Record<KindName, string>;

  beforeAll(() => {
    const objects = [
      tj(
        `
  resources: { cpu: "1", memory: 1Gi }
  variants:
    - { name: gpu, accelerator: { vendor: nvidia }, image: registry.example.com/t:1 }
  placement: { regions: [cn-east] }
  checkpoint: { path: "s3://checkpoints/defaults-job/" }`,
        names.TrainingJob,
      ),
      isvc(ISVC_SPEC, names.InferenceService),
      site(SITE_SPEC, names.Site),
      queue(QUEUE_SPEC, names.Queue),
    ];
    created.push({ kind: Kind.Site, name: names.Site }, { kind: Kind.Queue, name: names.Queue });
    for (const o of objects) run(['create', '-n', ns, '-f', '-'], o);
  });

  it('TrainingJob defaults appear on read-back', () => {
    const spec = getJson(Kind.TrainingJob, names.TrainingJob).spec as Json;
    expectSubset(
      spec,
      {
        workers: 1,
        queue: 'default',
        priority: 0,
        suspend: false,
        failurePolicy: { backoffLimit: 3, maxSiteFailovers: 2 },
        variants: [{ name: 'gpu', accelerator: { vendor: 'nvidia', count: 1 } }],
        placement: { currency: 'CNY' },
        checkpoint: { resume: { env: 'SUANWANG_RESUME_FROM' } },
      },
      'TrainingJob spec',
    );
  });

  it('InferenceService defaults appear on read-back', () => {
    const spec = getJson(Kind.InferenceService, names.InferenceService).spec as Json;
    expectSubset(spec, { replicas: { min: 1 }, port: 8080, placement: { minSites: 1 } }, 'InferenceService spec');
  });

  it('Site defaults appear on read-back', () => {
    const spec = getJson(Kind.Site, names.Site).spec as Json;
    expectSubset(
      spec,
      {
        cordon: false,
        connection: {
          mode: 'Push',
          // No namespace default: unset means the operator's own (src/clusters/site-clients.ts).
          kubeconfigSecretRef: { name: 'site-x-kubeconfig', key: 'kubeconfig' },
        },
        pricing: { currency: 'CNY' },
      },
      'Site spec',
    );
  });

  it('Queue defaults appear on read-back', () => {
    const spec = getJson(Kind.Queue, names.Queue).spec as Json;
    expectSubset(spec, { weight: 1, preemptionPolicy: 'Never', quota: { cpu: '8' } }, 'Queue spec');
  });

  it('kubectl get suanwang lists every kind', async () => {
    const out = await retry(() => {
      const listed = run(['get', 'suanwang', '-A', '-o', 'name']);
      for (const kind of ALL_KINDS) expect(listed).toContain(`${kind.toLowerCase()}.${GROUP}/${names[kind]}`);
      return listed;
    });
    expect(out.split('\n').filter((l) => l !== '').length).toBeGreaterThanOrEqual(ALL_KINDS.length);
  });

  it('short names and printer columns work', async () => {
    await retry(() => {
      const tjs = run(['get', 'tj', '-n', ns]);
      expect(tjs.split('\n')[0]).toMatch(/^NAME\s+PHASE\s+SITE\s+VARIANT\s+AGE\s*$/);
      expect(tjs).toContain(names.TrainingJob);
      const services = run(['get', 'isvc', '-n', ns]);
      expect(services.split('\n')[0]).toMatch(/^NAME\s+READY\s+MIN\s+AVAILABLE\s+AGE\s*$/);
      expect(run(['get', 'st', names.Site])).toContain('REGION');
      expect(run(['get', 'sq', names.Queue])).toContain('WEIGHT');
    });
  });

  it('status cannot be changed through the main resource, only through /status', () => {
    const name = names.TrainingJob;
    const probe = `status-probe-${suffix}`;
    const main = JSON.parse(
      run(['patch', resource(Kind.TrainingJob), name, '-n', ns, '--type=merge', '-p', JSON.stringify({ status: { variant: probe } }), '-o', 'json']),
    ) as Manifest;
    expect(main.status?.['variant']).not.toBe(probe);
    expect(getJson(Kind.TrainingJob, name).status?.['variant']).not.toBe(probe);

    const viaStatus = JSON.parse(
      run([
        'patch',
        resource(Kind.TrainingJob),
        name,
        '-n',
        ns,
        '--subresource=status',
        '--type=merge',
        '-p',
        JSON.stringify({ status: { variant: probe }, spec: { workers: 7 } }),
        '-o',
        'json',
      ]),
    ) as Manifest;
    expect(viaStatus.status?.['variant']).toBe(probe);
    // and the status subresource, in turn, leaves the spec alone
    expect(viaStatus.spec?.['workers']).toBe(1);
  });
});

const TRAINING_JOB_VENDOR_DESCRIPTION =
  TRAINING_JOB.spec.properties?.['variants']?.items?.properties?.['accelerator']?.properties?.['vendor']?.description ??
  'missing';

describe('kubectl explain', () => {
  function words(s: string): string {
    return s.replace(/\s+/g, ' ').trim();
  }

  it('prints the documented fields of trainingjob.spec.variants', async () => {
    const variants = TRAINING_JOB.spec.properties?.['variants'];
    const fields = variants?.items?.properties ?? {};
    expect(Object.keys(fields).length).toBeGreaterThan(5);
    await retry(() => {
      const out = words(run(['explain', 'trainingjob.spec.variants']));
      expect(out).toContain(words(variants?.description ?? 'missing'));
      for (const [field, schema] of Object.entries(fields)) {
        expect(out).toContain(`${field} <`);
        expect(out).toContain(words(schema.description));
      }
    });
  });

  it('prints the enum of an accelerator vendor', async () => {
    await retry(() => {
      // kubectl prints "ENUM:" and one value a line for a field, "enum: a, b" inside a field list.
      const out = words(run(['explain', 'trainingjob.spec.variants.accelerator.vendor']));
      expect(out.replace(/,/g, '').toLowerCase()).toContain(`enum: ${VENDORS.join(' ')}`);
      expect(out).toContain(words(TRAINING_JOB_VENDOR_DESCRIPTION));
    });
  });
});
