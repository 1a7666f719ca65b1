/**
 * The throughput report's side-by-side part: Suanwang and a real peer (Kueue with MultiKueue) measured on the same lab
 * in the same run, ratios to the raw limit measured in that run, and Karmada as published figures only (it cannot be
 * built here). Then the peer's own detail: its phases, its hub requests by verb and resource, and how it was set up.
 */
import type { RequestCount } from './audit-count.ts';
import type { Created } from './create-all.ts';
import { netRequests, perWorkload } from './net-requests.ts';

/** MULTIKUEUE_PUBLISHED is MultiKueue's published B1 figures (upstream's test/performance/multikueue, envtest, 32 cores). */
export const MULTIKUEUE_PUBLISHED = { requestsPerWorkload: 7.9, workloadsPerSecondAt5Qps: 1.31 } as const;
/** KARMADA_PUBLISHED is Karmada's published distribution latency (v1.3 test report, 100 clusters, push mode). */
export const KARMADA_PUBLISHED = { distributionP99Seconds: 1.3 } as const;

/** PeerThroughput is the peer's run as the report reads it (bench/peer-kueue/multikueue/throughput-run.ts). */
export interface PeerThroughput {
  readonly kueueVersion: string;
  readonly workloads: number;
  readonly sites: number;
  readonly created: Created;
  readonly toAdmitted: number | undefined;
  readonly toRunning: number | undefined;
  readonly toSucceeded: number | undefined;
  readonly succeeded: number;
  readonly failed: number;
  readonly managerUser: string;
  readonly runWindowSeconds: number;
  readonly runRequests: readonly RequestCount[];
  readonly idleWindowSeconds: number;
  readonly idleRequests: number;
  /** workerRequests: the manager's requests to all workers in the run window, from the sites' audit logs, as workerUser. */
  readonly workerUser: string;
  readonly workerRequests: number;
  readonly managerCpuSeconds: number;
  readonly workersCpuSeconds: number;
  readonly unfinished: readonly string[];
}

/** PeerOutcome is the peer's result, or why it was not measured; undefined when the run was asked to skip it. */
export type PeerOutcome = { readonly measured: PeerThroughput; readonly workerClientQps: number } | { readonly notMeasured: string };

/** SuanwangRow is Suanwang's figures for the side-by-side table. */
export interface SuanwangRow {
  readonly toSucceeded: number | undefined;
  readonly netRequests: number;
  readonly aimRequestsPerWorkload: number;
}

/** kueueSystemName names the peer in tables and the bench summary. */
export function kueueSystemName(version: string): string {
  return `Kueue ${version} (MultiKueue)`;
}

/** peerNetRequests is the peer manager's hub requests less its idle rate. */
export function peerNetRequests(p: PeerThroughput): ReturnType<typeof netRequests> {
  return netRequests({ gross: p.runRequests.reduce((t, c) => t + c.count, 0), runSeconds: p.runWindowSeconds, idle: p.idleRequests, idleSeconds: p.idleWindowSeconds });
}

/** ratioToRaw is a rate as a share of the hub's raw create rate, e.g. "2.1 %". */
export function ratioToRaw(workloads: number, seconds: number | undefined, rawRate: number): string {
  if (seconds === undefined || !(seconds > 0) || !(rawRate > 0)) return '—';
  return `${((100 * (workloads / seconds)) / rawRate).toFixed(1)} %`;
}

const s = (x: number | undefined): string => (x === undefined ? 'not reached' : `${x.toFixed(1)} s`);
const rate = (n: number, seconds: number | undefined): string => (seconds === undefined || seconds <= 0 ? '—' : `${(n / seconds).toFixed(2)} /s`);

/** renderPeerSection renders the side-by-side table and the peer's detail. */
export function renderPeerSection(n: number, rawHubRate: number, suanwang: SuanwangRow, peer: PeerOutcome): string[] {
  const lines = [
    '## Side by side: Suanwang and a real peer, same lab, same run',
    '',
    `Both systems ran the same ${n} one-pod CPU workloads on this lab, one after the other in this run; the raw limit is ` +
      `the hub's ${rawHubRate.toFixed(1)} ConfigMaps/s measured above. Hub requests are each system's own user in the hub's audit log, less its idle rate.`,
    '',
    '| System | Workloads/s end to end | Time to all Succeeded | Hub requests per workload | Against the raw limit | Published |',
    '|---|---|---|---|---|---|',
    `| Suanwang (this commit) | ${rate(n, suanwang.toSucceeded)} | ${s(suanwang.toSucceeded)} | ${perWorkload(suanwang.netRequests, n)} | ${ratioToRaw(n, suanwang.toSucceeded, rawHubRate)} | aim ≤ ${suanwang.aimRequestsPerWorkload} requests per workload |`,
  ];
  const published = `≈ ${MULTIKUEUE_PUBLISHED.requestsPerWorkload} hub requests per workload; ${MULTIKUEUE_PUBLISHED.workloadsPerSecondAt5Qps} workloads/s at 5 QPS per worker (upstream, envtest, 32 cores)`;
  if ('notMeasured' in peer) {
    lines.push(`| Kueue (MultiKueue) | not measured: ${peer.notMeasured} | | | | ${published} |`);
  } else {
    const p = peer.measured;
    lines.push(
      `| ${kueueSystemName(p.kueueVersion)}, worker clients at ${peer.workerClientQps} QPS (v0.17.0's fixed default) | ${rate(p.workloads, p.toSucceeded)} | ${s(p.toSucceeded)} | ${perWorkload(peerNetRequests(p).net, p.workloads)} | ${ratioToRaw(p.workloads, p.toSucceeded, rawHubRate)} | ${published} |`,
    );
  }
  lines.push(`| Karmada | published, not measured here (its source cannot be fetched to build it) | | | | distribution p99 ${KARMADA_PUBLISHED.distributionP99Seconds.toFixed(2)} s, push, 100 clusters (v1.3 report); no per-workload request count published |`);
  if ('notMeasured' in peer) return lines;

  const p = peer.measured;
  const net = peerNetRequests(p);
  const failed = p.created.failed === 0 ? '' : `; ${p.created.failed} failed (${p.created.failures[0] ?? ''})`;
  lines.push(
    '',
    `### ${kueueSystemName(p.kueueVersion)} in detail`,
    '',
    `Unpatched \`kueue\` binaries, one process per cluster: the manager against the hub, a worker against each of the ${p.sites} sites, ` +
      "with upstream's shipped tuning (clientConnection 50 QPS / burst 100, its reconciler concurrency), the batch/job integration, " +
      `webhooks by URL on 127.0.0.1. Each worker's ClusterQueue holds its site's CPU pools (the nodes Suanwang's CPU jobs use), the manager's all of them, ` +
      `behind the MultiKueue AdmissionCheck. ${p.workloads} batch/v1 Jobs of one pod (1 core, 1 GiB) labelled for the LocalQueue, created on the hub ` +
      `with the same calls in flight as the TrainingJobs. MultiKueue's clients to the workers run at client-go's default ${peer.workerClientQps} QPS ` +
      'in v0.17.0 (nothing configures them; later upstream versions can), which bounds how fast it dispatches.',
    '',
    '| Figure | Value | Against the raw limit |',
    '|---|---|---|',
    `| Create calls for ${p.workloads} Jobs | ${s(p.created.seconds)} (${rate(p.workloads, p.created.seconds)})${failed} | |`,
    `| Time to all Admitted (manager Workloads) | ${s(p.toAdmitted)} | ${ratioToRaw(p.workloads, p.toAdmitted, rawHubRate)} |`,
    `| Time to all Running (hub Jobs, mirrored: a Ready pod; a status copy that comes after the pod finished counts then) | ${s(p.toRunning)} | |`,
    `| Time to all Succeeded (hub Jobs, mirrored) | ${s(p.toSucceeded)} (${p.succeeded} Succeeded, ${p.failed} Failed) | ${ratioToRaw(p.workloads, p.toSucceeded, rawHubRate)} |`,
    `| CPU during the run: manager; ${p.sites} workers together | ${p.managerCpuSeconds.toFixed(1)} s; ${p.workersCpuSeconds.toFixed(1)} s | |`,
    '',
    `Hub API requests by Kueue's manager (user \`${p.managerUser}\`), counted by the hub apiserver's audit log:`,
    '',
    '| Requests | Count | Per workload |',
    '|---|---|---|',
    `| In the run (first create → all finished + settle, ${p.runWindowSeconds.toFixed(0)} s) | ${net.gross} | ${perWorkload(net.gross, p.workloads)} |`,
    `| Idle, before the run (${p.idleWindowSeconds.toFixed(0)} s), scaled to the run's length | ${net.idleScaled.toFixed(0)} | ${perWorkload(net.idleScaled, p.workloads)} |`,
    `| **The run less idle** | **${net.net.toFixed(0)}** | **${perWorkload(net.net, p.workloads)}** (published ≈ ${MULTIKUEUE_PUBLISHED.requestsPerWorkload}) |`,
    `| Beside them: the manager's requests to the ${p.sites} workers in the run (\`${p.workerUser}\` in the sites' audit logs) | ${p.workerRequests} | ${perWorkload(p.workerRequests, p.workloads)} |`,
    '',
    'By verb and resource, in the run:',
    '',
    '| Verb | Resource | Count | Per workload |',
    '|---|---|---|---|',
    ...p.runRequests.map((c) => `| ${c.verb} | ${c.what} | ${c.count} | ${perWorkload(c.count, p.workloads)} |`),
  );
  if (p.unfinished.length > 0) lines.push('', 'Kueue Jobs not finished (first few):', '', ...p.unfinished.map((u) => `- ${u}`));
  return lines;
}
