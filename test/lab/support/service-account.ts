/**
 * Credentials of a ServiceAccount as a kubeconfig, so a test can run a Suanwang process with exactly the RBAC a chart
 * grants instead of the lab's admin token.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dump, load } from 'js-yaml';
import { kubectl } from './shared-lab.ts';

/**
 * serviceAccountKubeconfig writes <dir>/<serviceAccount>.kubeconfig: the cluster's kubeconfig with its user token
 * replaced by a token minted for the ServiceAccount (`kubectl create token`, valid one hour); returns its path.
 */
export function serviceAccountKubeconfig(kubeconfig: string, namespace: string, serviceAccount: string, dir: string): string {
  const token = kubectl(kubeconfig, ['create', 'token', serviceAccount, '-n', namespace, '--duration=1h']);
  if (token.code !== 0) throw new Error(`kubectl create token ${namespace}/${serviceAccount} failed: ${token.stderr}`);
  const kc = load(readFileSync(kubeconfig, 'utf8')) as { users: Array<{ user: { token: string } }> };
  for (const u of kc.users) u.user.token = token.stdout.trim();
  const file = join(dir, `${serviceAccount}.kubeconfig`);
  writeFileSync(file, dump(kc), { mode: 0o600 });
  return file;
}
