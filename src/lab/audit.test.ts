import { describe, expect, it } from 'vitest';
import { load } from 'js-yaml';
import { AUDIT_LOG_MAX_BACKUPS, AUDIT_LOG_MAX_SIZE_MIB, auditLogPath, auditPolicy, auditPolicyYaml } from './audit.ts';
import { apiserverArgs } from './components.ts';
import { LAB_ADMIN_USER, LAB_OPERATOR_USER } from './credentials.ts';

interface Rule {
  level: string;
  users?: string[];
  nonResourceURLs?: string[];
  resources?: Array<{ group: string; resources: string[] }>;
}

/** levelOf is the level the policy gives a request: the first rule that matches it, as the apiserver decides. */
function levelOf(req: { user: string; group?: string; resource?: string; url?: string }): string {
  const rules = (auditPolicy() as { rules: Rule[] }).rules;
  const matches = (r: Rule): boolean =>
    (r.users === undefined || r.users.includes(req.user)) &&
    (r.nonResourceURLs === undefined || (req.url !== undefined && r.nonResourceURLs.some((u) => (u.endsWith('*') ? req.url!.startsWith(u.slice(0, -1)) : req.url === u)))) &&
    (r.resources === undefined || (req.resource !== undefined && r.resources.some((g) => g.group === (req.group ?? '') && g.resources.includes(req.resource!))));
  return rules.find(matches)?.level ?? 'None';
}

describe('site audit logs', () => {
  const base = { cluster: 'east', etcdUrl: 'http://127.0.0.1:2379', port: 6443, dir: '/lab/clusters/east', saKey: 'sa.key', tokenFile: 'tokens.csv' };

  it('are written by a site apiserver given a policy and a log, as size-bounded JSON lines', () => {
    const args = apiserverArgs({ ...base, audit: { policyFile: '/lab/clusters/east/audit-policy.yaml', logPath: auditLogPath('/lab', 'east') } });
    expect(args).toEqual(
      expect.arrayContaining([
        '--audit-policy-file=/lab/clusters/east/audit-policy.yaml',
        '--audit-log-path=/lab/logs/east-audit.log',
        '--audit-log-format=json',
        `--audit-log-maxsize=${AUDIT_LOG_MAX_SIZE_MIB}`,
        `--audit-log-maxbackup=${AUDIT_LOG_MAX_BACKUPS}`,
      ]),
    );
    expect(apiserverArgs(base).filter((a) => a.startsWith('--audit'))).toEqual([]);
  });

  it('log every request of the operator and the agents at Metadata, whatever it touches', () => {
    for (const user of [LAB_OPERATOR_USER, 'system:serviceaccount:suanwang-system:suanwang-agent']) {
      expect(levelOf({ user, group: 'batch', resource: 'jobs' })).toBe('Metadata');
      expect(levelOf({ user, group: 'coordination.k8s.io', resource: 'leases' })).toBe('Metadata');
      expect(levelOf({ user, resource: 'nodes/status' })).toBe('Metadata');
      expect(levelOf({ user, url: '/apis/batch/v1' })).toBe('Metadata');
    }
    expect(levelOf({ user: LAB_ADMIN_USER, resource: 'pods' })).toBe('Metadata');
  });

  it("leave out the apiserver's own calls, probes and the lab's node heartbeats", () => {
    expect(levelOf({ user: 'system:apiserver', resource: 'namespaces' })).toBe('None');
    expect(levelOf({ user: LAB_ADMIN_USER, url: '/readyz' })).toBe('None');
    expect(levelOf({ user: LAB_ADMIN_USER, group: 'coordination.k8s.io', resource: 'leases' })).toBe('None');
    expect(levelOf({ user: LAB_ADMIN_USER, resource: 'nodes/status' })).toBe('None');
  });

  it('render the policy as the audit.k8s.io/v1 file the apiserver reads, without the RequestReceived stage', () => {
    const doc = load(auditPolicyYaml()) as { apiVersion: string; kind: string; omitStages: string[]; rules: Rule[] };
    expect(doc).toEqual(auditPolicy());
    expect(doc).toMatchObject({ apiVersion: 'audit.k8s.io/v1', kind: 'Policy', omitStages: ['RequestReceived'] });
    expect(doc.rules.at(-1)).toEqual({ level: 'Metadata' });
  });
});
