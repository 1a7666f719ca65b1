/**
 * Kueue's own identities on the lab's clusters, so each apiserver's audit log tells Kueue's requests from everyone
 * else's: a ServiceAccount in kueue-system bound to cluster-admin (as upstream's chart grants Kueue wide rights) and a
 * TokenRequest token for it, in a kubeconfig with the cluster's CA inline (which MultiKueue requires of worker
 * kubeconfigs: no file paths, no token files).
 */
import { CoreV1Api, KubeConfig, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { kubeconfigYaml } from '../../../src/lab/credentials.ts';
import { KUEUE_NAMESPACE } from './config.ts';

/** TOKEN_SECONDS outlives any run of the benchmark. */
const TOKEN_SECONDS = 6 * 3600;

/** serviceAccountUser is the user name a ServiceAccount's token authenticates as. */
export function serviceAccountUser(name: string, namespace: string = KUEUE_NAMESPACE): string {
  return `system:serviceaccount:${namespace}:${name}`;
}

/** ensureNamespace creates a namespace unless it exists. */
export async function ensureNamespace(core: CoreV1Api, name: string): Promise<void> {
  try {
    await core.createNamespace({ body: { metadata: { name } } });
  } catch (err) {
    if ((err as { code?: number }).code !== 409) throw err;
  }
}

/**
 * serviceAccountKubeconfig creates ServiceAccount `name` in kueue-system on the cluster that `admin` reaches, binds it
 * to cluster-admin and returns a kubeconfig (YAML) that calls the same server as it.
 */
export async function serviceAccountKubeconfig(admin: KubeConfig, clusterName: string, name: string): Promise<string> {
  const core = admin.makeApiClient(CoreV1Api);
  const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
  await ensureNamespace(core, KUEUE_NAMESPACE);
  await core.createNamespacedServiceAccount({ namespace: KUEUE_NAMESPACE, body: { metadata: { name } } });
  await rbac.createClusterRoleBinding({
    body: {
      metadata: { name: `${name}-cluster-admin` },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
      subjects: [{ kind: 'ServiceAccount', name, namespace: KUEUE_NAMESPACE }],
    },
  });
  const tr = await core.createNamespacedServiceAccountToken({
    name,
    namespace: KUEUE_NAMESPACE,
    body: { spec: { audiences: [], expirationSeconds: TOKEN_SECONDS } },
  });
  const token = tr.status?.token;
  if (token === undefined || token === '') throw new Error(`TokenRequest for ${serviceAccountUser(name)} on ${clusterName} returned no token`);
  const cluster = admin.getCurrentCluster();
  if (cluster === null || cluster.caData === undefined) throw new Error(`the kubeconfig of ${clusterName} has no current cluster with certificate-authority-data`);
  return kubeconfigYaml({ cluster: clusterName, server: cluster.server, caPem: Buffer.from(cluster.caData, 'base64').toString('utf8'), token, user: name });
}
