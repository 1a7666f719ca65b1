/**
 * Audit logs of the lab's clusters, so a test can prove who called a site's apiserver and a benchmark can count the
 * operator's requests to the hub: every kube-apiserver of the lab writes one JSON line per request (Metadata level:
 * user, verb, resource, namespace, name, response code; no bodies) to <dir>/logs/<cluster>-audit.log. Which user is
 * which is in credentials.ts; `lab status --json` lists each cluster's log and users (state.ts ClusterState).
 *
 * Left out as noise that names no one of interest: the apiserver's own loopback calls, health probes, and the lab
 * admin's Lease renewals and Node status reports (kwok heartbeats every Node; node reporters patch their annotation),
 * which are most of an idle site's requests. Everything else is kept, whoever sends it.
 */
import { join } from 'node:path';
import { dump } from 'js-yaml';
import { LAB_ADMIN_USER } from './credentials.ts';

/**
 * AUDIT_LOG_MAX_SIZE_MIB bounds one audit file; the apiserver then renames it <site>-audit-<time>.log and starts
 * afresh, keeping AUDIT_LOG_MAX_BACKUPS old ones. At a few hundred bytes an event, a file holds well over the
 * requests of a whole lab test run, so a test reading only the current file misses nothing in practice.
 */
export const AUDIT_LOG_MAX_SIZE_MIB = 50;
export const AUDIT_LOG_MAX_BACKUPS = 1;

/** auditLogPath is where a cluster's apiserver writes its audit log. */
export function auditLogPath(labDir: string, cluster: string): string {
  return join(labDir, 'logs', `${cluster}-audit.log`);
}

/** auditPolicy is the audit Policy every lab apiserver runs (module comment). */
export function auditPolicy(): Record<string, unknown> {
  return {
    apiVersion: 'audit.k8s.io/v1',
    kind: 'Policy',
    // One event per request, when its response is complete (a watch also when it starts).
    omitStages: ['RequestReceived'],
    rules: [
      { level: 'None', users: ['system:apiserver'] },
      { level: 'None', nonResourceURLs: ['/healthz*', '/livez*', '/readyz*'] },
      {
        level: 'None',
        users: [LAB_ADMIN_USER],
        resources: [
          { group: 'coordination.k8s.io', resources: ['leases'] },
          { group: '', resources: ['nodes/status'] },
        ],
      },
      { level: 'Metadata' },
    ],
  };
}

/** auditPolicyYaml renders auditPolicy as the apiserver's --audit-policy-file. */
export function auditPolicyYaml(): string {
  return `# Audit policy of the lab's apiservers (src/lab/audit.ts).\n${dump(auditPolicy(), { lineWidth: -1 })}`;
}

/** AuditParams place one apiserver's audit policy and log. */
export interface AuditParams {
  readonly policyFile: string;
  readonly logPath: string;
}

/** auditArgs are the kube-apiserver flags that write its audit log (JSON lines, rotated by size). */
export function auditArgs(p: AuditParams): string[] {
  return [
    `--audit-policy-file=${p.policyFile}`,
    `--audit-log-path=${p.logPath}`,
    '--audit-log-format=json',
    `--audit-log-maxsize=${AUDIT_LOG_MAX_SIZE_MIB}`,
    `--audit-log-maxbackup=${AUDIT_LOG_MAX_BACKUPS}`,
  ];
}
