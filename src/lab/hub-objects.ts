/**
 * What the lab puts on its hub once the clusters are up: the Suanwang CRDs from crds/, the system namespace, and per
 * site a Site object, so the operator finds the lab's sites the way it finds real ones. A push site also gets the
 * Secret with the kubeconfig the operator calls it with (as LAB_OPERATOR_USER, credentials.ts); a pull site gets none,
 * so nothing on the hub can reach its apiserver.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiextensionsV1Api, loadAllYaml, type KubeConfig, type KubernetesObject, type V1CustomResourceDefinition } from '@kubernetes/client-node';
import { API_VERSION, ConnectionMode, Kind, KUBECONFIG_SECRET_KEY, LABEL_SITE, siteKubeconfigSecretName, SYSTEM_NAMESPACE } from '../api/names.ts';
import { productLabelValue } from '../api/vendors.ts';
import type { Site, SiteConnection } from '../api/generated/types.ts';
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
      connection: siteConnection(site),
      pricing: { currency: site.currency, accelerators: [...prices].sort(([a], [b]) => a.localeCompare(b)).map(([model, pricePerHour]) => ({ model, pricePerHour })) },
    },
  };
}

/** siteConnection is how the operator reaches a lab site: its kubeconfig Secret (push), or only the agent (pull). */
export function siteConnection(site: LabSite): SiteConnection {
  if (site.connection === 'pull') return { mode: ConnectionMode.Pull };
  return {
    mode: ConnectionMode.Push,
    kubeconfigSecretRef: { name: siteKubeconfigSecretName(site.name), namespace: SYSTEM_NAMESPACE, key: KUBECONFIG_SECRET_KEY },
  };
}

/** siteKubeconfigSecret is the Secret holding the kubeconfig the operator calls a push site with. */
export function siteKubeconfigSecret(site: LabSite, kubeconfig: string): KubernetesObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: siteKubeconfigSecretName(site.name), namespace: SYSTEM_NAMESPACE, labels: { [LABEL_SITE]: site.name } },
    type: 'Opaque',
    stringData: { [KUBECONFIG_SECRET_KEY]: kubeconfig },
  } as KubernetesObject;
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

/** HubSite is a site to register; a push site comes with the file of the kubeconfig the operator calls it with. */
export interface HubSite {
  readonly site: LabSite;
  readonly operatorKubeconfig: string | undefined;
}

/** registerSites creates the system namespace, each push site's kubeconfig Secret and every Site object on the hub. */
export async function registerSites(hub: KubeConfig, sites: readonly HubSite[]): Promise<void> {
  await applyObject(hub, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: SYSTEM_NAMESPACE } }, FIELD_MANAGER);
  for (const s of sites) {
    if (s.site.connection === 'push') {
      if (s.operatorKubeconfig === undefined) throw new Error(`push site ${s.site.name} has no kubeconfig for the operator`);
      await applyObject(hub, siteKubeconfigSecret(s.site, readFileSync(s.operatorKubeconfig, 'utf8')), FIELD_MANAGER);
    }
    await applyObject(hub, labSiteObject(s.site) as unknown as KubernetesObject, FIELD_MANAGER);
  }
}
