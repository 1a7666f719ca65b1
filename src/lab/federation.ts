/**
 * Suanwang's own components in a lab, run as processes beside the control planes: the operator on the hub (its gRPC
 * endpoint for agents), and per site an agent and a node reporter that simulates the site's accelerator nodes from
 * the topology. Certificates for mTLS come from `writeLabCertificates` (the same code as `suanwang certs`).
 */
import { join } from 'node:path';
import { REPO_ROOT } from './binaries.ts';

/** SUANWANG_BIN is the `suanwang` command of this checkout (run with the current Node). */
export const SUANWANG_BIN = join(REPO_ROOT, 'bin', 'suanwang.mjs');

/** FederationTiming sets how fast agents report and how soon a silent site turns Unknown. */
export interface FederationTiming {
  readonly heartbeatIntervalMs: number;
  readonly leaseMs: number;
  readonly reporterIntervalMs: number;
  /** siteLostGraceMs: how long workloads stay on a site that is not Ready before they move. */
  readonly siteLostGraceMs: number;
  /** pollIntervalMs: the operator's safety-net poll of placed workloads (member informers wake them sooner). */
  readonly pollIntervalMs: number;
  /** lostAfterMs: silence after which the operator calls a site Ready=False/SiteLost (its --lost-after). */
  readonly lostAfterMs: number;
  /** gangStartTimeoutMs: how long a placed gang may wait for all its workers to run (its --gang-start-timeout). */
  readonly gangStartTimeoutMs: number;
}

/**
 * DEFAULT_TIMING is the product default: 10 s heartbeats, a 40 s lease, 1 min grace, a 10 s poll, lost after 5 min;
 * lab reporters sample every 5 s.
 */
export const DEFAULT_TIMING: FederationTiming = {
  heartbeatIntervalMs: 10_000,
  leaseMs: 40_000,
  reporterIntervalMs: 5_000,
  siteLostGraceMs: 60_000,
  pollIntervalMs: 10_000,
  lostAfterMs: 5 * 60_000,
  gangStartTimeoutMs: 5 * 60_000,
};

/** operatorArgs is the lab operator's command line (after the Node binary). */
export function operatorArgs(p: { kubeconfig: string; port: number; tlsDir: string; timing: FederationTiming }): string[] {
  return [
    SUANWANG_BIN,
    'operator',
    `--kubeconfig=${p.kubeconfig}`,
    `--listen=127.0.0.1:${p.port}`,
    `--tls-dir=${p.tlsDir}`,
    `--lease=${p.timing.leaseMs}ms`,
    `--heartbeat-interval=${p.timing.heartbeatIntervalMs}ms`,
    `--site-lost-grace=${p.timing.siteLostGraceMs}ms`,
    `--poll-interval=${p.timing.pollIntervalMs}ms`,
    `--lost-after=${p.timing.lostAfterMs}ms`,
    `--gang-start-timeout=${p.timing.gangStartTimeoutMs}ms`,
  ];
}

/** agentArgs is one site agent's command line (after the Node binary). */
export function agentArgs(p: { site: string; kubeconfig: string; operatorPort: number; tlsDir: string }): string[] {
  return [SUANWANG_BIN, 'agent', `--site=${p.site}`, `--kubeconfig=${p.kubeconfig}`, `--operator=127.0.0.1:${p.operatorPort}`, `--tls-dir=${p.tlsDir}`];
}

/** nodeReporterArgs is one site's simulated node reporter's command line (after the Node binary). */
export function nodeReporterArgs(p: { site: string; kubeconfig: string; topology: string; faults: string; timing: FederationTiming }): string[] {
  return [
    SUANWANG_BIN,
    'node-reporter',
    `--kubeconfig=${p.kubeconfig}`,
    `--lab-topology=${p.topology}`,
    `--site=${p.site}`,
    `--faults=${p.faults}`,
    `--interval=${p.timing.reporterIntervalMs}ms`,
  ];
}

/** faultsFile is where `lab fault` writes a site's injected device faults (the site's node reporter re-reads it). */
export function faultsFile(labDir: string, site: string): string {
  return join(labDir, 'faults', `${site}.json`);
}
