/**
 * A pull site's agent runs as its own ServiceAccount with exactly the rights `suanwang agent --apply-members` lists
 * (its --help, "Kubernetes permissions"; src/agent/site/kubernetes-members.ts), not with the lab's admin token: in pull
 * mode the agent is the only Suanwang process that writes to the site, and a lab test should fail when it needs more
 * than a site would grant it.
 *
 * The lab creates, on the site: the Namespace SYSTEM_NAMESPACE (the agent's own, which the site policy never allows;
 * the agent learns it from POD_NAMESPACE as it does in a pod), the ServiceAccount PULL_AGENT_SERVICE_ACCOUNT, the
 * ClusterRole and ClusterRoleBinding below, and mints a token for the ServiceAccount (TokenRequest, valid
 * PULL_AGENT_TOKEN_SECONDS) into the agent's kubeconfig, clusters/<site>/agent.kubeconfig. In the site's audit log
 * the agent is pullAgentUser().
 */
import { join } from 'node:path';
import { CoreV1Api, type KubeConfig, type KubernetesObject, type V1ClusterRole, type V1ClusterRoleBinding } from '@kubernetes/client-node';
import { SYSTEM_NAMESPACE } from '../api/names.ts';
import { applyObject } from '../runtime/apply.ts';

/** PULL_AGENT_SERVICE_ACCOUNT is the agent's ServiceAccount on a pull site, in SYSTEM_NAMESPACE. */
export const PULL_AGENT_SERVICE_ACCOUNT = 'suanwang-agent';
/** PULL_AGENT_ROLE names the agent's ClusterRole and its binding on a pull site. */
export const PULL_AGENT_ROLE = 'suanwang-agent-pull';
/** PULL_AGENT_TOKEN_SECONDS: a year, longer than any lab lives (the apiserver sets no maximum). */
export const PULL_AGENT_TOKEN_SECONDS = 365 * 24 * 3600;

const FIELD_MANAGER = 'suanwang-lab';
const MEMBER_VERBS = ['get', 'list', 'watch', 'patch', 'create', 'delete'];

/**
 * PULL_AGENT_RULES are the agent's rights on a pull site, as its --help states them: Nodes and Pods to report the
 * site's pools (list, watch); Jobs, Deployments and Services to apply, watch and remove the member objects (server-side
 * apply needs patch, and create for an object that is new; the fence's list and delete of Jobs are among them);
 * Namespaces to create a member's namespace when it is missing. Nothing else: no Secrets, ConfigMaps or RBAC.
 */
export const PULL_AGENT_RULES: NonNullable<V1ClusterRole['rules']> = [
  { apiGroups: [''], resources: ['nodes', 'pods'], verbs: ['list', 'watch'] },
  { apiGroups: ['batch'], resources: ['jobs'], verbs: MEMBER_VERBS },
  { apiGroups: ['apps'], resources: ['deployments'], verbs: MEMBER_VERBS },
  { apiGroups: [''], resources: ['services'], verbs: MEMBER_VERBS },
  { apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'create'] },
];

/** pullAgentUser is the user name a pull site's agent has in the site's audit log. */
export function pullAgentUser(): string {
  return `system:serviceaccount:${SYSTEM_NAMESPACE}:${PULL_AGENT_SERVICE_ACCOUNT}`;
}

/** pullAgentKubeconfigPath is where the lab writes a pull site's agent kubeconfig (inside the cluster's folder). */
export function pullAgentKubeconfigPath(clusterDir: string): string {
  return join(clusterDir, 'agent.kubeconfig');
}

/** pullAgentEnv is what the agent process reads from its pod's environment: its own namespace. */
export function pullAgentEnv(): Record<string, string> {
  return { POD_NAMESPACE: SYSTEM_NAMESPACE };
}

/** pullAgentObjects are the objects that give a pull site's agent its identity and rights, in the order to apply. */
export function pullAgentObjects(): KubernetesObject[] {
  const labels = { 'app.kubernetes.io/name': 'suanwang-agent', 'app.kubernetes.io/component': 'agent', 'suanwang.io/lab': 'true' };
  const role: V1ClusterRole = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: PULL_AGENT_ROLE, labels }, rules: PULL_AGENT_RULES };
  const binding: V1ClusterRoleBinding = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: PULL_AGENT_ROLE, labels },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: PULL_AGENT_ROLE },
    subjects: [{ kind: 'ServiceAccount', name: PULL_AGENT_SERVICE_ACCOUNT, namespace: SYSTEM_NAMESPACE }],
  };
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: SYSTEM_NAMESPACE } },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: PULL_AGENT_SERVICE_ACCOUNT, namespace: SYSTEM_NAMESPACE, labels } },
    role as KubernetesObject,
    binding as KubernetesObject,
  ];
}

/** grantPullAgent creates pullAgentObjects on the site (as the lab's admin) and returns a token for the agent. */
export async function grantPullAgent(admin: KubeConfig): Promise<string> {
  for (const obj of pullAgentObjects()) await applyObject(admin, obj, FIELD_MANAGER);
  const res = await admin.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({
    name: PULL_AGENT_SERVICE_ACCOUNT,
    namespace: SYSTEM_NAMESPACE,
    // No audiences: the apiserver's own (its --service-account-issuer), as `kubectl create token` asks.
    body: { spec: { audiences: [], expirationSeconds: PULL_AGENT_TOKEN_SECONDS } },
  });
  const token = res.status?.token;
  if (!token) throw new Error(`TokenRequest for ${SYSTEM_NAMESPACE}/${PULL_AGENT_SERVICE_ACCOUNT} returned no token`);
  return token;
}
