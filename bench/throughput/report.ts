/**
 * The throughput benchmark's result as Markdown: what ran where, the times to all Placed, Running and Succeeded, the
 * raw limit of the same apiservers, and the operator's requests to the hub as the hub's audit log counted them.
 */
import type { RequestCount } from './audit-count.ts';
import type { Created } from './create-all.ts';
import { netRequests, perWorkload } from './net-requests.ts';
import { MULTIKUEUE_PUBLISHED, renderPeerSection, type PeerOutcome } from './peer-report.ts';

/** TARGET_REQUESTS_PER_WORKLOAD is what issue 18 aims for. */
export const TARGET_REQUESTS_PER_WORKLOAD = 4;

/** ThroughputReport is everything the report shows. */
export interface ThroughputReport {
  readonly date: string;
  readonly machine: string;
  readonly commit: string;
  readonly command: string;
  readonly workloads: number;
  readonly concurrency: number;
  readonly podSeconds: number;
  readonly labStartSeconds: number;
  readonly created: Created;
  /** Seconds from the first create call until the last job reached the phase; undefined when not all did. */
  readonly toPlaced: number | undefined;
  readonly toRunning: number | undefined;
  readonly toSucceeded: number | undefined;
  readonly succeeded: number;
  readonly failed: number;
  readonly rawHub: Created;
  readonly rawSite: Created;
  readonly rawSiteName: string;
  readonly operatorUser: string;
  /** The run's window (first create → all finished + settle) and its requests; the idle window before it and its. */
  readonly runWindowSeconds: number;
  readonly runRequests: readonly RequestCount[];
  readonly idleWindowSeconds: number;
  readonly idleRequests: number;
  readonly operatorCpuSeconds: number;
  readonly operatorPeakRssMiB: number | undefined;
  readonly unfinished: readonly string[];
  /** peer: the same run through a real peer on the same lab; undefined when skipped (--peer=none). */
  readonly peer?: PeerOutcome;
}

const s = (x: number | undefined): string => (x === undefined ? 'not reached' : `${x.toFixed(1)} s`);
const rate = (n: number, seconds: number | undefined): string => (seconds === undefined || seconds <= 0 ? '—' : `${(n / seconds).toFixed(1)} /s`);
const per = perWorkload;

/** operatorNetRequests is the operator's hub requests in the run less its idle rate. */
export function operatorNetRequests(r: Pick<ThroughputReport, 'runRequests' | 'runWindowSeconds' | 'idleRequests' | 'idleWindowSeconds'>): ReturnType<typeof netRequests> {
  return netRequests({ gross: r.runRequests.reduce((t, c) => t + c.count, 0), runSeconds: r.runWindowSeconds, idle: r.idleRequests, idleSeconds: r.idleWindowSeconds });
}

/** renderThroughputReport renders the Markdown report. */
export function renderThroughputReport(r: ThroughputReport): string {
  const n = r.workloads;
  const rawHubRate = r.rawHub.count / r.rawHub.seconds;
  const rawSiteRate = r.rawSite.count / r.rawSite.seconds;
  const ratio = (seconds: number | undefined): string => (seconds === undefined ? '—' : `${((100 * (n / seconds)) / rawHubRate).toFixed(1)} % of the hub's raw rate`);
  const { gross, idleScaled, net } = operatorNetRequests(r);
  const failed = (c: Created): string => (c.failed === 0 ? '' : `; ${c.failed} failed (${c.failures[0] ?? ''})`);
  const lines = [
    `# Throughput benchmark (B1) — ${r.date}`,
    '',
    `Machine: ${r.machine}. Commit: ${r.commit}. Command: \`${r.command}\`.`,
    `Default lab (examples/lab/default.yaml: a hub and three sites), the product's default timing, started in ${r.labStartSeconds.toFixed(0)} s; ` +
      `kwok keeps each pod Running ${r.podSeconds} s. ${n} TrainingJobs of one CPU-only worker (1 core, 1 GiB) created on the hub by one client, ` +
      `${r.concurrency} calls in flight; the raw limit is ${n} ConfigMaps created the same way, directly, on the hub and on ${r.rawSiteName}.`,
    '',
    '| Figure | Value | Against the raw limit |',
    '|---|---|---|',
    `| Create calls for ${n} TrainingJobs | ${s(r.created.seconds)} (${rate(n, r.created.seconds)})${failed(r.created)} | |`,
    `| Time to all Placed | ${s(r.toPlaced)} | |`,
    `| Time to all Running | ${s(r.toRunning)} | |`,
    `| Time to all Succeeded | ${s(r.toSucceeded)} (${r.succeeded} Succeeded, ${r.failed} Failed) | |`,
    `| Workloads placed per second (${n} ÷ time to all Placed) | ${rate(n, r.toPlaced)} | ${ratio(r.toPlaced)} |`,
    `| Workloads per second end to end (${n} ÷ time to all Succeeded, pods run ${r.podSeconds} s) | ${rate(n, r.toSucceeded)} | ${ratio(r.toSucceeded)} |`,
    `| Raw limit: ${n} ConfigMaps on the hub | ${s(r.rawHub.seconds)} (${rawHubRate.toFixed(1)} /s)${failed(r.rawHub)} | 100 % |`,
    `| Raw limit: ${n} ConfigMaps on ${r.rawSiteName} | ${s(r.rawSite.seconds)} (${rawSiteRate.toFixed(1)} /s)${failed(r.rawSite)} | |`,
    `| Operator CPU during the run; peak resident memory | ${r.operatorCpuSeconds.toFixed(1)} s; ${r.operatorPeakRssMiB === undefined ? '—' : `${r.operatorPeakRssMiB.toFixed(0)} MiB`} | |`,
    '',
    `Hub API requests by the operator (user \`${r.operatorUser}\`), counted by the hub apiserver's audit log:`,
    '',
    '| Requests | Count | Per workload |',
    '|---|---|---|',
    `| In the run (first create → all finished + settle, ${r.runWindowSeconds.toFixed(0)} s) | ${gross} | ${per(gross, n)} |`,
    `| Idle, before the run (${r.idleWindowSeconds.toFixed(0)} s: leases, Site heartbeats), scaled to the run's length | ${idleScaled.toFixed(0)} | ${per(idleScaled, n)} |`,
    `| **The run less idle** | **${net.toFixed(0)}** | **${per(net, n)}** (aim ≤ ${TARGET_REQUESTS_PER_WORKLOAD}) |`,
    `| MultiKueue, published | | ≈ ${MULTIKUEUE_PUBLISHED.requestsPerWorkload} |`,
    '',
    'By verb and resource, in the run:',
    '',
    '| Verb | Resource | Count | Per workload |',
    '|---|---|---|---|',
    ...r.runRequests.map((c) => `| ${c.verb} | ${c.what} | ${c.count} | ${per(c.count, n)} |`),
  ];
  if (r.unfinished.length > 0) lines.push('', 'Not finished (first few):', '', ...r.unfinished.map((u) => `- ${u}`));
  if (r.peer !== undefined) {
    lines.push('', ...renderPeerSection(n, rawHubRate, { toSucceeded: r.toSucceeded, netRequests: net, aimRequestsPerWorkload: TARGET_REQUESTS_PER_WORKLOAD }, r.peer));
  }
  return `${lines.join('\n')}\n`;
}
