/**
 * Suanwang's own components in a lab, run as processes beside the control planes: the operator on the hub (its gRPC
 * endpoint for agents), and per site an agent and a node reporter that simulates the site's accelerator nodes from
 * the topology. Each serves /metrics on a loopback port of its own (`lab status` lists the URLs). Certificates for mTLS come from `writeLabCertificates` (the same code as `suanwang certs`).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { agentNodeOptions } from '../agent/site/agent-node-options.ts';
import { REPO_ROOT } from './binaries.ts';

/** SUANWANG_BIN is the `suanwang` command of this checkout (run with the current Node). */
export const SUANWANG_BIN = join(REPO_ROOT, 'bin', 'suanwang.mjs');

/** RUNS_SOURCES: SUANWANG_BIN runs src/ where it is there, else the compiled dist/ (bin/suanwang.mjs's own rule). */
const RUNS_SOURCES = existsSync(join(REPO_ROOT, 'src', 'cli', 'main.ts'));

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

/** METRICS_LISTEN is the flag every Suanwang process serves /metrics at; the lab gives each a loopback port. */
const METRICS_LISTEN = '--metrics-listen=';

/** metricsListen is the --metrics-listen argument for a loopback port. */
function metricsListen(port: number): string {
  return `${METRICS_LISTEN}127.0.0.1:${port}`;
}

/** metricsUrl is the /metrics URL a command line serves (its --metrics-listen), or undefined when it serves none. */
export function metricsUrl(args: readonly string[]): string | undefined {
  const arg = args.find((a) => a.startsWith(METRICS_LISTEN));
  return arg === undefined ? undefined : `http://${arg.slice(METRICS_LISTEN.length)}/metrics`;
}

/** operatorArgs is the lab operator's command line (after the Node binary). */
export function operatorArgs(p: { kubeconfig: string; port: number; metricsPort: number; tlsDir: string; timing: FederationTiming }): string[] {
  return [
    SUANWANG_BIN,
    'operator',
    `--kubeconfig=${p.kubeconfig}`,
    `--listen=127.0.0.1:${p.port}`,
    metricsListen(p.metricsPort),
    `--tls-dir=${p.tlsDir}`,
    `--lease=${p.timing.leaseMs}ms`,
    `--heartbeat-interval=${p.timing.heartbeatIntervalMs}ms`,
    `--site-lost-grace=${p.timing.siteLostGraceMs}ms`,
    `--poll-interval=${p.timing.pollIntervalMs}ms`,
    `--lost-after=${p.timing.lostAfterMs}ms`,
    `--gang-start-timeout=${p.timing.gangStartTimeoutMs}ms`,
  ];
}

/**
 * AgentPull makes an agent a pull site's: it applies the member objects the operator sends (--apply-members), checked
 * against the site policy file when the topology gives one (--site-policy; else the agent's default policy).
 */
export interface AgentPull {
  readonly sitePolicy: string | undefined;
}

/** agentArgs is one site agent's command line (after the Node binary): the Node options the chart gives it too, first. */
export function agentArgs(p: { site: string; kubeconfig: string; operatorPort: number; metricsPort: number; tlsDir: string; pull?: AgentPull }): string[] {
  return [
    ...agentNodeOptions(RUNS_SOURCES),
    SUANWANG_BIN,
    'agent',
    `--site=${p.site}`,
    `--kubeconfig=${p.kubeconfig}`,
    `--operator=127.0.0.1:${p.operatorPort}`,
    `--tls-dir=${p.tlsDir}`,
    metricsListen(p.metricsPort),
    ...(p.pull ? ['--apply-members'] : []),
    ...(p.pull?.sitePolicy !== undefined ? [`--site-policy=${p.pull.sitePolicy}`] : []),
  ];
}

/** nodeReporterArgs is one site's simulated node reporter's command line (after the Node binary). */
export function nodeReporterArgs(p: { site: string; kubeconfig: string; topology: string; faults: string; metricsPort: number; timing: FederationTiming }): string[] {
  return [
    SUANWANG_BIN,
    'node-reporter',
    `--kubeconfig=${p.kubeconfig}`,
    metricsListen(p.metricsPort),
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
