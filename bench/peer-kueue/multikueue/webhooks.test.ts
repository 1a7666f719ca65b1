import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KEPT_API_GROUPS, localWebhookConfigurations } from './webhooks.ts';

// A cut-down copy of the shape of Kueue's config/components/webhook/manifests.yaml.
const MANIFESTS = `---
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata:
  name: mutating-webhook-configuration
webhooks:
- admissionReviewVersions: [v1]
  clientConfig:
    service: {name: webhook-service, namespace: system, path: /mutate-batch-v1-job}
  failurePolicy: Fail
  name: mjob.kb.io
  rules:
  - {apiGroups: [batch], apiVersions: [v1], operations: [CREATE], resources: [jobs]}
  sideEffects: None
- admissionReviewVersions: [v1]
  clientConfig:
    service: {name: webhook-service, namespace: system, path: /mutate--v1-pod}
  failurePolicy: Fail
  name: mpod.kb.io
  rules:
  - {apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}
  sideEffects: None
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: validating-webhook-configuration
webhooks:
- admissionReviewVersions: [v1]
  clientConfig:
    service: {name: webhook-service, namespace: system, path: /validate-kueue-x-k8s-io-v1beta2-clusterqueue}
  failurePolicy: Fail
  name: vclusterqueue.kb.io
  rules:
  - {apiGroups: [kueue.x-k8s.io], apiVersions: [v1beta2], operations: [CREATE, UPDATE], resources: [clusterqueues]}
  sideEffects: None
`;

const target = { namePrefix: 'kueue-', port: 40123, caPem: '-----BEGIN CERTIFICATE-----\nabc\n-----END CERTIFICATE-----\n' };

describe('localWebhookConfigurations', () => {
  it('points every kept webhook at the loopback port with the CA as caBundle', () => {
    const [mutating, validating] = localWebhookConfigurations(MANIFESTS, 'manifests.yaml', target);
    expect(mutating?.metadata.name).toBe('kueue-mutating-webhook-configuration');
    expect(mutating?.webhooks.map((w) => w.name)).toEqual(['mjob.kb.io']);
    expect(mutating?.webhooks[0]?.clientConfig).toEqual({ url: 'https://127.0.0.1:40123/mutate-batch-v1-job', caBundle: Buffer.from(target.caPem).toString('base64') });
    expect(validating?.webhooks[0]?.clientConfig?.url).toBe('https://127.0.0.1:40123/validate-kueue-x-k8s-io-v1beta2-clusterqueue');
    // Everything else of upstream's webhook passes through unchanged.
    expect(mutating?.webhooks[0]?.['failurePolicy']).toBe('Fail');
    expect(mutating?.webhooks[0]?.['sideEffects']).toBe('None');
  });

  it('leaves out webhooks for kinds the lab does not run through Kueue (pods)', () => {
    const names = localWebhookConfigurations(MANIFESTS, 'manifests.yaml', target).flatMap((c) => c.webhooks.map((w) => w.name));
    expect(names).not.toContain('mpod.kb.io');
  });

  it('drops a configuration whose webhooks were all left out', () => {
    const podsOnly = MANIFESTS.replace(/apiGroups: \[kueue\.x-k8s\.io\]/, 'apiGroups: [apps]');
    const kinds = localWebhookConfigurations(podsOnly, 'manifests.yaml', target).map((c) => c.kind);
    expect(kinds).toEqual(['MutatingWebhookConfiguration']);
  });

  it('refuses manifests without a Job webhook, a webhook without a service path, or other kinds', () => {
    expect(() => localWebhookConfigurations(MANIFESTS.replace(/apiGroups: \[batch\]/, 'apiGroups: [apps]'), 'm.yaml', target)).toThrow(/no webhook for batch Jobs/);
    expect(() => localWebhookConfigurations(MANIFESTS.replace('path: /mutate-batch-v1-job', 'port: 443'), 'm.yaml', target)).toThrow(/mjob\.kb\.io has no clientConfig\.service\.path/);
    expect(() => localWebhookConfigurations('kind: Service\nmetadata: {name: x}\n', 'm.yaml', target)).toThrow(/found kind Service/);
  });

  it("keeps Kueue v0.17.0's own Job and Kueue webhooks when the module is in the Go cache", () => {
    let dir: string;
    try {
      dir = execFileSync('go', ['list', '-m', '-f', '{{.Dir}}', 'sigs.k8s.io/kueue'], {
        cwd: join(import.meta.dirname, '../../../tools/kueue'),
        env: { ...process.env, GOPROXY: 'off', GOWORK: 'off', GOTOOLCHAIN: 'local' },
        encoding: 'utf8',
      }).trim();
    } catch {
      return; // no Go or no module here: the cut-down copy above covers the rewriting
    }
    if (dir === '') return;
    const file = join(dir, 'config/components/webhook/manifests.yaml');
    const configs = localWebhookConfigurations(readFileSync(file, 'utf8'), file, target);
    const webhooks = configs.flatMap((c) => c.webhooks);
    expect(webhooks.map((w) => w.name)).toEqual(expect.arrayContaining(['mjob.kb.io', 'vjob.kb.io', 'mworkload.kb.io', 'vclusterqueue.kb.io']));
    for (const w of webhooks) {
      expect(w.clientConfig?.url).toMatch(/^https:\/\/127\.0\.0\.1:40123\/(mutate|validate)-/);
      expect(w.rules?.some((r) => r.apiGroups?.some((g) => KEPT_API_GROUPS.includes(g)))).toBe(true);
    }
  });
});
