/**
 * Kueue's admission webhooks registered by URL: upstream's config/components/webhook/manifests.yaml points every
 * webhook at an in-cluster Service; outside a cluster each instance serves them on 127.0.0.1:<port> with a certificate
 * the apiserver trusts through caBundle. Webhooks cannot be switched off in Kueue (the Job webhook is what suspends a
 * queued Job and sets spec.managedBy for MultiKueue), so they are registered, but only those for what the lab runs:
 * Kueue's own kinds and batch Jobs. The others (pods, deployments, other frameworks) would be no-op webhooks for
 * integrations that are not enabled, yet with failurePolicy Fail they would put every pod create of the lab behind a
 * Kueue process.
 */
import { parseAllDocuments } from 'yaml';

/** KEPT_API_GROUPS are the rule groups a webhook must touch to be registered (module comment). */
export const KEPT_API_GROUPS: readonly string[] = ['kueue.x-k8s.io', 'batch'];

interface Webhook {
  name?: string;
  clientConfig?: { service?: { path?: string }; url?: string; caBundle?: string };
  rules?: { apiGroups?: string[] }[];
  [field: string]: unknown;
}

/** WebhookConfiguration is a Mutating- or ValidatingWebhookConfiguration as the manifests give it. */
export interface WebhookConfiguration {
  apiVersion: string;
  kind: 'MutatingWebhookConfiguration' | 'ValidatingWebhookConfiguration';
  metadata: { name: string };
  webhooks: Webhook[];
}

/** WebhookTarget is where one instance serves its webhooks. */
export interface WebhookTarget {
  /** namePrefix keeps several instances' configurations apart on one apiserver, e.g. "kueue-". */
  readonly namePrefix: string;
  readonly port: number;
  /** caPem is the CA that signed the instance's serving certificate. */
  readonly caPem: string;
}

/**
 * localWebhookConfigurations rewrites the manifests' configurations for one instance: kept webhooks only, each with
 * clientConfig.url https://127.0.0.1:<port><path> and the CA as caBundle; configurations left empty are dropped.
 */
export function localWebhookConfigurations(manifestsYaml: string, file: string, target: WebhookTarget): WebhookConfiguration[] {
  const out: WebhookConfiguration[] = [];
  const caBundle = Buffer.from(target.caPem).toString('base64');
  for (const doc of parseAllDocuments(manifestsYaml)) {
    if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]?.message ?? 'YAML error'}`);
    const obj = doc.toJS() as Partial<WebhookConfiguration> | null;
    if (obj === null) continue;
    if (obj.kind !== 'MutatingWebhookConfiguration' && obj.kind !== 'ValidatingWebhookConfiguration') {
      throw new Error(`${file}: expected only webhook configurations, found kind ${String(obj.kind)}`);
    }
    const name = obj.metadata?.name;
    if (name === undefined || !Array.isArray(obj.webhooks)) throw new Error(`${file}: a ${obj.kind} without metadata.name or webhooks`);
    const webhooks = obj.webhooks.filter((w) => (w.rules ?? []).some((r) => (r.apiGroups ?? []).some((g) => KEPT_API_GROUPS.includes(g))));
    if (webhooks.length === 0) continue;
    out.push({
      apiVersion: obj.apiVersion ?? 'admissionregistration.k8s.io/v1',
      kind: obj.kind,
      metadata: { name: `${target.namePrefix}${name}` },
      webhooks: webhooks.map((w) => {
        const path = w.clientConfig?.service?.path;
        if (path === undefined || !path.startsWith('/')) throw new Error(`${file}: webhook ${w.name ?? '?'} has no clientConfig.service.path`);
        return { ...w, clientConfig: { url: `https://127.0.0.1:${target.port}${path}`, caBundle } };
      }),
    });
  }
  if (!out.some((c) => c.webhooks.some((w) => w.rules?.some((r) => r.apiGroups?.includes('batch'))))) {
    throw new Error(`${file}: no webhook for batch Jobs; is this Kueue's config/components/webhook/manifests.yaml?`);
  }
  return out;
}
