/**
 * Installs the real Kueue with MultiKueue on a running lab, as upstream's MultiKueue guide does in clusters, but with
 * every Kueue a process on this machine: the manager against the hub, a worker against every site. On each cluster:
 * Kueue's CRDs (Established before Kueue starts), a ServiceAccount identity for the instance (service-account.ts),
 * the webhook configurations pointing at the instance's loopback port (webhooks.ts), then the instance, then its
 * queue objects (queue-objects.ts). The manager reaches each worker through a second ServiceAccount of that site, in
 * the kubeconfig Secret MultiKueue reads. Ready when every ClusterQueue, the AdmissionCheck and every
 * MultiKueueCluster is Active.
 *
 * All files (configs, kubeconfigs, certificates, logs) live in one temporary folder, removed at the end unless the
 * caller keeps it for a failed run. The lab's pull site gets a Kueue worker too: MultiKueue only pushes, so the hub
 * holds a credential for it that Suanwang's pull mode never gives the hub.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AdmissionregistrationV1Api,
  ApiextensionsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  loadYaml,
  type V1CustomResourceDefinition,
  type V1MutatingWebhookConfiguration,
  type V1ValidatingWebhookConfiguration,
} from '@kubernetes/client-node';
import { LABEL_POOL } from '../../../src/api/names.ts';
import { freePorts } from '../../../src/lab/ports.ts';
import type { ClusterState, LabState } from '../../../src/lab/state.ts';
import type { KueueInstallSetup } from '../kueue-module.ts';
import { KUEUE_NAMESPACE } from './config.ts';
import { KueueInstance } from './kueue-process.ts';
import { ADMISSION_CHECK, CLUSTER_QUEUE, cpuPoolQuota, managerObjects, PLURALS, workerObjects, type KubeObject, type Quota } from './queue-objects.ts';
import { ensureNamespace, serviceAccountKubeconfig, serviceAccountUser } from './service-account.ts';
import { ensureMetricsCerts, newServingCerts, writeCertDir } from './webhook-certs.ts';
import { localWebhookConfigurations } from './webhooks.ts';

/** KUEUE_SERVICE_ACCOUNT is each instance's identity on its own cluster. */
export const KUEUE_SERVICE_ACCOUNT = 'kueue-controller-manager';
/** MULTIKUEUE_SERVICE_ACCOUNT is the manager's identity on each worker. */
export const MULTIKUEUE_SERVICE_ACCOUNT = 'multikueue-manager';
/** CPU_POOL is the pool name of the lab's CPU-only nodes on every site (examples/lab/default.yaml). */
export const CPU_POOL = 'cpu';

const ACTIVE_TIMEOUT_MS = 180_000;

/** KueueOnLab is an installed, running Kueue. */
export interface KueueOnLab {
  readonly dir: string;
  /** managerUser is the manager's user on the hub, as the hub's audit log names it. */
  readonly managerUser: string;
  readonly manager: KueueInstance;
  readonly workers: readonly KueueInstance[];
  /** stop stops every instance; keepFiles leaves the folder (logs, configs) for a look at a failure. */
  stop(keepFiles: boolean): Promise<void>;
}

function adminClient(c: ClusterState): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(c.kubeconfig);
  return kc;
}

function readCrds(projectDir: string): V1CustomResourceDefinition[] {
  const dir = join(projectDir, 'config/components/crd/bases');
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
  if (files.length === 0) throw new Error(`${dir}: no CRDs`);
  // loadYaml maps the YAML onto client-node's model (x-kubernetes-int-or-string → xKubernetesIntOrString); a plain
  // parse would lose such fields when the typed client serializes the object back.
  return files.map((f) => loadYaml<V1CustomResourceDefinition>(readFileSync(join(dir, f), 'utf8')));
}

/** until polls `check` until it is true; a throwing check counts as false, and the last error goes into the timeout's message. */
async function until(what: string, check: () => Promise<boolean>, timeoutMs: number = ACTIVE_TIMEOUT_MS): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let lastError = '';
  for (;;) {
    try {
      if (await check()) return;
    } catch (err) {
      lastError = (err instanceof Error ? err.message : String(err)).split('\n').slice(0, 3).join(' ');
    }
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${lastError === '' ? '' : ` (last error: ${lastError})`}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function applyCrds(kc: KubeConfig, crds: readonly V1CustomResourceDefinition[], cluster: string): Promise<void> {
  const api = kc.makeApiClient(ApiextensionsV1Api);
  for (const crd of crds) await api.createCustomResourceDefinition({ body: crd });
  for (const crd of crds) {
    const name = crd.metadata?.name ?? '';
    await until(`CRD ${name} Established on ${cluster}`, async () => {
      const got = await api.readCustomResourceDefinition({ name });
      return (got.status?.conditions ?? []).some((c) => c.type === 'Established' && c.status === 'True');
    });
  }
}

async function createObjects(kc: KubeConfig, objects: readonly KubeObject[]): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  for (const o of objects) {
    if (o.kind === 'Secret') {
      await core.createNamespacedSecret({ namespace: o.metadata.namespace ?? KUEUE_NAMESPACE, body: o });
      continue;
    }
    const plural = PLURALS[o.kind];
    if (plural === undefined) throw new Error(`no resource known for kind ${o.kind}`);
    const [group = '', version = ''] = o.apiVersion.split('/');
    // Webhooks may not be serving at the first call although /readyz said ready; retry for a while.
    await until(`${o.kind} ${o.metadata.name} created`, async () => {
      try {
        if (o.metadata.namespace === undefined) await custom.createClusterCustomObject({ group, version, plural, body: o });
        else await custom.createNamespacedCustomObject({ group, version, namespace: o.metadata.namespace, plural, body: o });
        return true;
      } catch (err) {
        if ((err as { code?: number }).code === 409) return true;
        throw err;
      }
    }, 30_000);
  }
}

async function isActive(kc: KubeConfig, plural: string, name: string): Promise<boolean> {
  const obj = (await kc.makeApiClient(CustomObjectsApi).getClusterCustomObject({ group: 'kueue.x-k8s.io', version: 'v1beta2', plural, name })) as {
    status?: { conditions?: { type?: string; status?: string }[] };
  };
  return (obj.status?.conditions ?? []).some((c) => c.type === 'Active' && c.status === 'True');
}

/** InstallOptions say where the workload namespace is and how to report progress. */
export interface InstallOptions {
  /** namespace is where the Jobs run, on the hub and (as MultiKueue copies them) on every site. */
  readonly namespace: string;
  readonly log: (line: string) => void;
}

/** installKueue installs and starts Kueue with MultiKueue on the lab (module comment). */
export async function installKueue(state: LabState, setup: KueueInstallSetup, o: InstallOptions): Promise<KueueOnLab> {
  const hub = state.clusters.find((c) => c.role === 'hub');
  const sites = state.clusters.filter((c) => c.role === 'site');
  if (hub === undefined || sites.length === 0) throw new Error('the lab needs a hub and at least one site for MultiKueue');
  const dir = mkdtempSync(join(tmpdir(), 'suanwang-kueue-multikueue-'));
  const instances: KueueInstance[] = [];
  let undoMetricsCerts = (): void => {};
  // An interrupted benchmark exits without stopping us; the certificate under /etc must not outlive it either.
  const undoAtExit = (): void => undoMetricsCerts();
  process.once('exit', undoAtExit);
  const stop = async (keepFiles: boolean): Promise<void> => {
    await Promise.all(instances.map((i) => i.stop()));
    process.removeListener('exit', undoAtExit);
    undoMetricsCerts();
    undoMetricsCerts = () => {};
    if (keepFiles) o.log(`[kueue] kept ${dir} (configs, kubeconfigs, kueue.log of every instance)`);
    else rmSync(dir, { recursive: true, force: true });
  };
  try {
    const certs = await newServingCerts(new Date());
    const certDir = join(dir, 'certs');
    writeCertDir(certDir, certs.serving);
    undoMetricsCerts = ensureMetricsCerts(certs.serving);
    const crds = readCrds(setup.projectDir);
    const webhooksFile = join(setup.projectDir, 'config/components/webhook/manifests.yaml');
    const webhooksYaml = readFileSync(webhooksFile, 'utf8');

    // Every cluster alike up to its running instance; the sites also give the manager its worker kubeconfig.
    const workerKubeconfigs = new Map<string, string>();
    const started = new Map<string, KueueInstance>();
    for (const c of [hub, ...sites]) {
      const kc = adminClient(c);
      const role = c.role === 'hub' ? 'manager' : 'worker';
      o.log(`[kueue] ${c.name}: CRDs, identity, webhooks, ${role} instance`);
      await applyCrds(kc, crds, c.name);
      await ensureNamespace(kc.makeApiClient(CoreV1Api), o.namespace);
      const ownKubeconfig = await serviceAccountKubeconfig(kc, c.name, KUEUE_SERVICE_ACCOUNT);
      if (c.role === 'site') workerKubeconfigs.set(c.name, await serviceAccountKubeconfig(kc, c.name, MULTIKUEUE_SERVICE_ACCOUNT));
      const [webhook = 0, metrics = 0, health = 0] = await freePorts(3);
      const admission = kc.makeApiClient(AdmissionregistrationV1Api);
      for (const w of localWebhookConfigurations(webhooksYaml, webhooksFile, { namePrefix: 'kueue-', port: webhook, caPem: certs.caPem })) {
        // Upstream's manifests, rewritten: their fields (admissionReviewVersions, sideEffects, …) pass through as given.
        if (w.kind === 'MutatingWebhookConfiguration') await admission.createMutatingWebhookConfiguration({ body: w as unknown as V1MutatingWebhookConfiguration });
        else await admission.createValidatingWebhookConfiguration({ body: w as unknown as V1ValidatingWebhookConfiguration });
      }
      const instance = await KueueInstance.start({
        name: `${role} (${c.name})`,
        binary: setup.binary,
        dir: join(dir, c.name),
        kubeconfigYaml: ownKubeconfig,
        ports: { webhook, metrics, health },
        certDir,
      });
      instances.push(instance);
      started.set(c.name, instance);
    }

    // Queues: each worker its own CPU pools, the manager all of them behind the MultiKueue check.
    let total: Quota = { cpu: 0, memoryBytes: 0 };
    for (const s of sites) {
      const quota = cpuPoolQuota(s.pools ?? [], CPU_POOL);
      if (quota.cpu === 0) throw new Error(`site ${s.name} has no pool '${CPU_POOL}' without accelerators; the Kueue run needs the same CPU pools as Suanwang's`);
      total = { cpu: total.cpu + quota.cpu, memoryBytes: total.memoryBytes + quota.memoryBytes };
      await createObjects(adminClient(s), workerObjects(o.namespace, quota, { [LABEL_POOL]: CPU_POOL }));
    }
    const hubKc = adminClient(hub);
    await createObjects(hubKc, managerObjects(o.namespace, total, workerKubeconfigs));

    o.log(`[kueue] waiting for the ClusterQueues, the AdmissionCheck and ${sites.length} MultiKueueClusters to be Active`);
    for (const s of sites) await until(`ClusterQueue ${CLUSTER_QUEUE} Active on ${s.name}`, () => isActive(adminClient(s), 'clusterqueues', CLUSTER_QUEUE));
    for (const s of sites) await until(`MultiKueueCluster ${s.name} Active on the hub`, () => isActive(hubKc, 'multikueueclusters', s.name));
    await until(`AdmissionCheck ${ADMISSION_CHECK} Active on the hub`, () => isActive(hubKc, 'admissionchecks', ADMISSION_CHECK));
    await until(`ClusterQueue ${CLUSTER_QUEUE} Active on the hub`, () => isActive(hubKc, 'clusterqueues', CLUSTER_QUEUE));

    const manager = started.get(hub.name);
    if (manager === undefined) throw new Error('the manager instance did not start');
    return { dir, managerUser: serviceAccountUser(KUEUE_SERVICE_ACCOUNT), manager, workers: sites.map((s) => started.get(s.name)).filter((i) => i !== undefined), stop };
  } catch (err) {
    await stop(true);
    throw err;
  }
}
