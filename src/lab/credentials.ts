/**
 * Credentials of one lab cluster: a service-account signing key (so `kubectl create token` and the
 * TokenRequest API work), static bearer tokens (--token-auth-file) and the kubeconfigs that use them.
 * The serving certificate is the one kube-apiserver self-signs in its --cert-dir; clients trust it as the CA.
 *
 * Identities, so a cluster's audit log tells who called it:
 * - LAB_ADMIN_USER (system:masters): the lab's own clients, i.e. the controllers, kwok, node reporters, push sites'
 *   agents and tests (<dir>/<cluster>.kubeconfig);
 * - LAB_OPERATOR_USER (system:masters): the operator, on the hub (clusters/<hub>/operator.kubeconfig) and on push sites
 *   (the kubeconfig Secret the operator reads from the hub). A pull site has no such token: nothing on the hub can
 *   call it.
 * - a pull site's agent: a ServiceAccount token with exactly the agent's rights (pull-agent.ts).
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

/** LAB_ADMIN_USER is the user name of the lab's admin token (module comment). */
export const LAB_ADMIN_USER = 'suanwang-lab-admin';
/** LAB_OPERATOR_USER is the user name the operator calls the hub and push sites as (module comment). */
export const LAB_OPERATOR_USER = 'suanwang-lab-operator';

/** StaticToken is one line of a --token-auth-file: a bearer token, its user and the groups it is in. */
export interface StaticToken {
  readonly token: string;
  readonly user: string;
  readonly groups: readonly string[];
}

/** tokenFileText renders kube-apiserver's --token-auth-file (CSV: token,user,uid,"group1,group2"). */
export function tokenFileText(tokens: readonly StaticToken[]): string {
  return tokens.map((t) => `${t.token},${t.user},${t.user}${t.groups.length > 0 ? `,"${t.groups.join(',')}"` : ''}\n`).join('');
}

/** writeTokenFile writes kube-apiserver's --token-auth-file. */
export function writeTokenFile(path: string, tokens: readonly StaticToken[]): void {
  writeFileSync(path, tokenFileText(tokens), { mode: 0o600 });
}

/** KubeconfigParams are what a lab kubeconfig holds: the server, the CA it trusts and a bearer token. */
export interface KubeconfigParams {
  readonly cluster: string;
  readonly server: string;
  readonly caPem: string;
  readonly token: string;
  /** user names the kubeconfig's user entry (`suanwang-lab-<cluster>-<user>`); default "admin". */
  readonly user?: string;
}

/** kubeconfigYaml renders a kubeconfig with one cluster, one token user and one current context. */
export function kubeconfigYaml(p: KubeconfigParams): string {
  const name = `suanwang-lab-${p.cluster}`;
  const user = `${name}-${p.user ?? 'admin'}`;
  return dump({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server: p.server, 'certificate-authority-data': Buffer.from(p.caPem).toString('base64') } }],
    users: [{ name: user, user: { token: p.token } }],
    contexts: [{ name, context: { cluster: name, user } }],
    'current-context': name,
  });
}
