/**
 * What the lab puts on its hub once the clusters are up: the Suanwang CRDs from crds/, the system namespace, and per
 * site a Site object and the Secret with that site's kubeconfig (push mode), so the operator finds the lab's sites
 * the way it finds real ones.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiextensionsV1Api, loadAllYaml, type KubeConfig, type KubernetesObject, type V1CustomResourceDefinition } from '@kubernetes/client-node';
import { API_VERSION, ConnectionMode, Kind, KUBECONFIG_SECRET_KEY, LABEL_SITE, siteKubeconfigSecretName, SYSTEM_NAMESPACE } from '../api/names.ts';
import { productLabelValue } from '../api/vendors.ts';
import type { Site } from '../api/generated/types.ts';
import { applyObject } from '../runtime/apply.ts';
import { REPO_ROOT } from './binaries.ts';
import type { LabSite } from './topology.ts';

const FIELD_MANAGER = 'suanwang-lab';

/** labSiteObject is the Site a lab site registers as: placement metadata, connection and prices from the topology. */
export function labSiteObject(site: LabSite): Site {
  const prices = new Map<string, number>();
  for (const p of site.pools) {
    if (p.accelerator?.pricePerHour !== undefined) prices.set(productLabelValue(p.accelerator.model), p.accelerator.pricePerHour);
  }
  return {
    apiVersion: API_VERSION,
    kind: Kind.Site,
    metadata: { name: site.name, labels: { 'suanwang.io/lab': 'true' } },
    spec: {
      region: site.region,
      ...(site.zone ? { zone: site.zone } : {}),
      provider: site.provider,
      labels: { ...site.labels },
      connection: {
        mode: ConnectionMode.Push,
        kubeconfigSecretRef: { name: siteKubeconfigSecretName(site.name), namespace: SYSTEM_NAMESPACE, key: KUBECONFIG_SECRET_KEY },
      },
      pricing: { currency: site.currency, accelerators: [...prices].sort(([a], [b]) => a.localeCompare(b)).map(([model, pricePerHour]) => ({ model, pricePerHour })) },
    },
  };
}

/** installCrds applies every CRD in crds/ and waits until the apiserver serves them (Established). */
export async function installCrds(kc: KubeConfig, timeoutMs = 30_000): Promise<string[]> {
  const dir = join(REPO_ROOT, 'crds');
  const crds = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    // loadAllYaml yields client-node's typed models: its serializer maps them back to JSON names such as
    // x-kubernetes-int-or-string, which it would silently drop from plain parsed YAML.
    .flatMap((f) => loadAllYaml(readFileSync(join(dir, f), 'utf8')) as V1CustomResourceDefinition[]);
  await Promise.all(crds.map((crd) => applyObject(kc, crd as KubernetesObject, FIELD_MANAGER)));
  const api = kc.makeApiClient(ApiextensionsV1Api);
  const deadline = performance.now() + timeoutMs;
  for (const crd of crds) {
    const name = crd.metadata?.name ?? '';
    for (;;) {
      const got = await api.readCustomResourceDefinition({ name });
      if (got.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) break;
      if (performance.now() > deadline) throw new Error(`CRD ${name} not Established after ${timeoutMs / 1000}s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return crds.map((c) => c.metadata?.name ?? '');
}

/** registerSites creates the system namespace, each site's kubeconfig Secret and its Site object on the hub. */
export async function registerSites(hub: KubeConfig, sites: ReadonlyArray<{ site: LabSite; kubeconfig: string }>): Promise<void> {
  await applyObject(hub, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: SYSTEM_NAMESPACE } }, FIELD_MANAGER);
  for (const { site, kubeconfig } of sites) {
    const secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: siteKubeconfigSecretName(site.name), namespace: SYSTEM_NAMESPACE, labels: { [LABEL_SITE]: site.name } },
      type: 'Opaque',
      stringData: { [KUBECONFIG_SECRET_KEY]: readFileSync(kubeconfig, 'utf8') },
    };
    await applyObject(hub, secret, FIELD_MANAGER);
    await applyObject(hub, labSiteObject(site) as unknown as KubernetesObject, FIELD_MANAGER);
  }
}
