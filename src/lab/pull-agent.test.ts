import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SYSTEM_NAMESPACE } from '../api/names.ts';
import { REPO_ROOT } from './binaries.ts';
import { PULL_AGENT_ROLE, PULL_AGENT_RULES, PULL_AGENT_SERVICE_ACCOUNT, pullAgentEnv, pullAgentKubeconfigPath, pullAgentObjects, pullAgentUser } from './pull-agent.ts';

/**
 * agentPermissions is the "Kubernetes permissions" paragraph of `suanwang agent --help`, on one line, read from the
 * command's source (the lab may not import the CLI).
 */
function agentPermissions(): string {
  const source = readFileSync(join(REPO_ROOT, 'src/cli/commands/agent.ts'), 'utf8');
  const at = source.indexOf('Kubernetes permissions:');
  expect(at).toBeGreaterThanOrEqual(0);
  return source.slice(at, source.indexOf('`', at)).replace(/\s+/g, ' ');
}

describe("a pull site's agent", () => {
  it('is a ServiceAccount in the system namespace, bound to a ClusterRole with only the rules it needs', () => {
    const objs = pullAgentObjects();
    expect(objs.map((o) => `${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name}`)).toEqual([
      `Namespace//${SYSTEM_NAMESPACE}`,
      `ServiceAccount/${SYSTEM_NAMESPACE}/${PULL_AGENT_SERVICE_ACCOUNT}`,
      `ClusterRole//${PULL_AGENT_ROLE}`,
      `ClusterRoleBinding//${PULL_AGENT_ROLE}`,
    ]);
    expect(objs[3]).toMatchObject({
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: PULL_AGENT_ROLE },
      subjects: [{ kind: 'ServiceAccount', name: PULL_AGENT_SERVICE_ACCOUNT, namespace: SYSTEM_NAMESPACE }],
    });
    expect((objs[2] as { rules?: unknown }).rules).toBe(PULL_AGENT_RULES);
    expect(pullAgentUser()).toBe('system:serviceaccount:suanwang-system:suanwang-agent');
    expect(pullAgentEnv()).toEqual({ POD_NAMESPACE: SYSTEM_NAMESPACE });
    expect(pullAgentKubeconfigPath('/lab/clusters/west')).toBe('/lab/clusters/west/agent.kubeconfig');
  });

  it('may read no Secrets or ConfigMaps, grant no RBAC, and write only member kinds and namespaces', () => {
    const granted = PULL_AGENT_RULES.flatMap((r) => (r.resources ?? []).flatMap((res) => r.verbs.map((v) => `${r.apiGroups?.[0] || 'core'}/${res}:${v}`)));
    expect(granted.filter((g) => /secrets|configmaps|rbac|\*/.test(g))).toEqual([]);
    const writes = granted.filter((g) => /:(create|patch|update|delete)$/.test(g)).map((g) => g.split(':')[0]);
    expect(new Set(writes)).toEqual(new Set(['batch/jobs', 'apps/deployments', 'core/services', 'core/namespaces']));
    expect(granted.filter((g) => g.startsWith('core/nodes') || g.startsWith('core/pods'))).toEqual(['core/nodes:list', 'core/nodes:watch', 'core/pods:list', 'core/pods:watch']);
  });

  it("has the rights the agent's --help lists, so the two change together", () => {
    const help = agentPermissions();
    expect(help).toContain('nodes and pods, list and watch, cluster-wide');
    expect(help).toContain('jobs, list and delete, cluster-wide');
    expect(help).toContain('With --apply-members also jobs, deployments and services: get, list, watch, patch, create, delete; namespaces: get, create.');
    const verbs = (group: string, resource: string) => PULL_AGENT_RULES.find((r) => r.apiGroups?.includes(group) && r.resources?.includes(resource))?.verbs;
    for (const [group, resource] of [['batch', 'jobs'], ['apps', 'deployments'], ['', 'services']] as const) {
      expect(verbs(group, resource)).toEqual(['get', 'list', 'watch', 'patch', 'create', 'delete']);
    }
    expect(verbs('', 'namespaces')).toEqual(['get', 'create']);
    expect(verbs('', 'nodes')).toEqual(['list', 'watch']);
  });
});
