/**
 * Credentials of one lab cluster: a service-account signing key (so `kubectl create token` and the
 * TokenRequest API work), an admin bearer token in group system:masters, and the kubeconfig that uses it.
 * The serving certificate is the one kube-apiserver self-signs in its --cert-dir; clients trust it as the CA.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { dump } from 'js-yaml';

/** writeServiceAccountKey writes an EC P-256 private key in PEM (used for signing and verifying tokens). */
export function writeServiceAccountKey(path: string): void {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  writeFileSync(path, privateKey.export({ type: 'sec1', format: 'pem' }), { mode: 0o600 });
}

/** newToken returns a random bearer token. */
export function newToken(): string {
  return randomBytes(24).toString('hex');
}

/** writeTokenFile writes kube-apiserver's --token-auth-file with one admin user. */
export function writeTokenFile(path: string, token: string): void {
  writeFileSync(path, `${token},suanwang-lab-admin,suanwang-lab-admin,"system:masters"\n`, { mode: 0o600 });
}

/** KubeconfigParams are what a lab kubeconfig holds: the server, the CA it trusts and the admin token. */
export interface KubeconfigParams {
  readonly cluster: string;
  readonly server: string;
  readonly caPem: string;
  readonly token: string;
}

/** kubeconfigYaml renders a kubeconfig with one cluster, one token user and one current context. */
export function kubeconfigYaml(p: KubeconfigParams): string {
  const name = `suanwang-lab-${p.cluster}`;
  return dump({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server: p.server, 'certificate-authority-data': Buffer.from(p.caPem).toString('base64') } }],
    users: [{ name: `${name}-admin`, user: { token: p.token } }],
    contexts: [{ name, context: { cluster: name, user: `${name}-admin` } }],
    'current-context': name,
  });
}
