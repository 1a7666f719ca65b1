/**
 * The many-sites benchmark's result as Markdown: what ran, the headline figures, then the detail (latencies per job,
 * the operator's status writes by resource, its placement and admission timings, the wire's messages, the agents'
 * sessions and this process's own load). Pure.
 */
import type { FederationTiming } from '../../src/lab/federation.ts';
import type { Created } from '../throughput/create-all.ts';
import type { PhaseCounts } from '../throughput/job-phases.ts';
import type { MemoryFigures } from './process-sampler.ts';
import type { SessionCounters } from './simulated-agent.ts';
import type { SiteCounters } from './simulated-site.ts';
import type { Summary } from './stats.ts';
import type { StatusWrites } from './status-writes.ts';

/** MetricsWindow is what the operator's /metrics gained over a window. */
export interface MetricsWindow {
  readonly messages: Readonly<Record<string, number>>;
  readonly dropped: number;
  readonly placements: number;
  /** placementP50, placementP99: seconds, estimated from the histogram's buckets. */
  readonly placementP50: number | undefined;
  readonly placementP99: number | undefined;
  readonly placementSumSeconds: number;
  readonly cycles: number;
  readonly cycleP50: number | undefined;
  readonly cycleP99: number | undefined;
  readonly decisions: number;
  readonly reconciles: number;
  /** trainingErrors: trainingjob reconciles that failed (a refused status write among them). */
  readonly trainingErrors: number;
  /** trainingAdds, trainingRetries: the trainingjob controller's work queue; retries: every controller's. */
  readonly trainingAdds: number;
  readonly trainingRetries: number;
  readonly retries: number;
}

/** Window is one measured stretch of the run. */
export interface Window {
  readonly seconds: number;
  readonly statusWrites: StatusWrites;
  readonly metrics: MetricsWindow;
}

/** ManySitesResult is everything the report shows. */
export interface ManySitesResult {
  readonly date: string;
  readonly machine: string;
  readonly commit: string;
  readonly command: string;
  readonly sites: number;
  readonly workloads: number;
  readonly cpuNodes: number;
  readonly deviceNodes: number;
  readonly runSeconds: number;
  readonly startDelayMs: number;
  readonly concurrency: number;
  readonly timing: FederationTiming;
  readonly registerSeconds: number;
  readonly agentsStartedSeconds: number;
  readonly sitesReadySeconds: number;
  readonly created: Created;
  readonly timedOut: boolean;
  readonly counts: PhaseCounts;
  readonly sitesUsed: number;
  /** toPlaced, toRunning, toSucceeded: ms from each job's apply. */
  readonly toPlaced: Summary;
  readonly toRunning: Summary;
  readonly toSucceeded: Summary;
  /** all…Seconds: from the first apply to the last job reaching the phase; undefined when not all did. */
  readonly allPlacedSeconds: number | undefined;
  readonly allRunningSeconds: number | undefined;
  readonly allSucceededSeconds: number | undefined;
  readonly operator: {
    readonly memory: MemoryFigures;
    readonly idleRssMiB: number | undefined;
    readonly idleCpuSeconds: number;
    readonly runCpuSeconds: number;
  };
  readonly idle: Window;
  readonly run: Window;
  /** trainingQueue: the largest depth and oldest item age of the trainingjob work queue seen at the progress lines. */
  readonly trainingQueue: { readonly maxDepth: number; readonly maxOldestSeconds: number };
  readonly metricsBytes: number;
  readonly metricsScrapeMs: number;
  readonly agents: { readonly connectedAtEnd: number; readonly sessions: SessionCounters; readonly site: SiteCounters & { readonly pendingAcks: number } };
  readonly bench: { readonly cpuSeconds: number; readonly idleLoopP99Ms: number; readonly runLoopP99Ms: number; readonly runLoopMaxMs: number; readonly watchRestarts: number };
  readonly unfinished: readonly string[];
}

const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const num = (v: number | undefined, digits = 1, unit = ''): string => (v === undefined ? '–' : `${v.toFixed(digits)}${unit}`);
const secs = (ms: number | undefined): string => (ms === undefined ? '–' : `${(ms / 1000).toFixed(2)} s`);
const millis = (s: number | undefined): string => (s === undefined ? '–' : `${(s * 1000).toFixed(2)} ms`);

function latencyRow(what: string, s: Summary, of: number): string {
  return `| ${what} | ${int(s.count)} of ${int(of)} | ${secs(s.p50)} | ${secs(s.p90)} | ${secs(s.p99)} | ${secs(s.max)} |`;
}

function writesTable(w: StatusWrites): string[] {
  return w.byResource.length === 0 ? ['(none)'] : ['| Resource | Writes |', '|---|---:|', ...w.byResource.map((r) => `| ${r.what} | ${int(r.count)} |`)];
}

/** renderManySitesReport renders the result as Markdown. */
export function renderManySitesReport(r: ManySitesResult): string {
  const c = r.counts;
  const m = r.run.metrics;
  const mem = r.operator.memory;
  const msgs = (w: MetricsWindow): string =>
    Object.entries(w.messages)
      .filter(([, n]) => n > 0)
      .map(([t, n]) => `${t} ${int(n)}`)
      .join(', ') || 'none';
  return [
    `# Many sites: ${int(r.sites)} simulated pull sites, ${int(r.workloads)} TrainingJobs (${r.date})`,
    '',
    `- Machine: ${r.machine}; commit ${r.commit}`,
    `- Command: \`${r.command}\``,
    `- Hub: the lab's hub control plane (etcd, kube-apiserver with audit log, kube-controller-manager) and the operator as the lab runs it, product timing (heartbeat ${r.timing.heartbeatIntervalMs / 1000} s, lease ${r.timing.leaseMs / 1000} s, poll ${r.timing.pollIntervalMs / 1000} s).`,
    `- Sites: ${int(r.sites)} pull sites, each ${r.cpuNodes} CPU nodes (64 cores) and ${r.deviceNodes} nodes of 8 accelerators (NVIDIA H100, Ascend 910B, NVIDIA A100 or Hygon DCU in turn), played in the benchmark process by the product's agent code (SiteAgent, PullMembers, AgentClient, real mTLS with one certificate per site) over a site held in memory; members run ${r.startDelayMs} ms after they are applied and succeed ${r.runSeconds} s later.`,
    `- Workloads: ${int(r.workloads)} one-worker TrainingJobs (CPU; NVIDIA or Ascend; NVIDIA; Hygon DCU or CPU, in turn), created ${r.concurrency} at a time, no Queue (the \`default\` queue admits without limit while no Queue of that name exists).`,
    '',
    '## Headline',
    '',
    '| Figure | Value |',
    '|---|---|',
    `| Sites Ready on the hub after the agents started | ${int(r.sites)} in ${num(r.sitesReadySeconds)} s (agents started in ${num(r.agentsStartedSeconds)} s) |`,
    `| Jobs Succeeded | ${int(c.succeeded)} of ${int(r.workloads)}${c.failed > 0 ? `, ${int(c.failed)} Failed` : ''}${r.timedOut ? ' (timed out)' : ''}, on ${int(r.sitesUsed)} sites |`,
    `| Operator resident memory | peak ${num(mem.peakRssMiB, 0, ' MiB')} (VmHWM ${num(mem.hwmMiB, 0, ' MiB')}), at the end ${num(mem.lastRssMiB, 0, ' MiB')}, idle with every site connected ${num(r.operator.idleRssMiB, 0, ' MiB')} |`,
    `| Operator CPU | idle ${num(r.operator.idleCpuSeconds)} s over ${num(r.idle.seconds, 0)} s (${num((100 * r.operator.idleCpuSeconds) / r.idle.seconds)} % of a core); run ${num(r.operator.runCpuSeconds)} s over ${num(r.run.seconds, 0)} s (${num((100 * r.operator.runCpuSeconds) / r.run.seconds)} % of a core) |`,
    `| Operator status writes to the hub | idle ${num(r.idle.statusWrites.perSecond, 1, '/s')}; run ${num(r.run.statusWrites.perSecond, 1, '/s')} (${int(r.run.statusWrites.total)} in ${num(r.run.seconds, 0)} s, peak ${int(r.run.statusWrites.peakPerSecond)} in one second) |`,
    `| Placement (one decision, TrainingJob) | p50 ${millis(m.placementP50)}, p99 ${millis(m.placementP99)} over ${int(m.placements)} decisions; mean ${millis(m.placements > 0 ? m.placementSumSeconds / m.placements : undefined)} |`,
    `| Apply → Running | p50 ${secs(r.toRunning.p50)}, p99 ${secs(r.toRunning.p99)}, max ${secs(r.toRunning.max)}; all Running ${num(r.allRunningSeconds)} s after the first apply |`,
    `| Apply → Succeeded | p50 ${secs(r.toSucceeded.p50)}, p99 ${secs(r.toSucceeded.p99)}; all Succeeded ${num(r.allSucceededSeconds)} s after the first apply |`,
    '',
    'Placement quantiles are estimated from the operator\'s histogram `suanwang_placement_duration_seconds` (buckets 0.1 ms … 5 s, linear within a bucket), so they are bounded by the bucket edges; the mean is exact (its sum over its count). Apply → Running includes the simulated start delay.',
    '',
    '## Per job (ms from its create call on the hub to the phase seen on the hub\'s watch)',
    '',
    '| Phase | Reached | p50 | p90 | p99 | max |',
    '|---|---:|---:|---:|---:|---:|',
    latencyRow('Placed', r.toPlaced, r.workloads),
    latencyRow('Running', r.toRunning, r.workloads),
    latencyRow('Succeeded', r.toSucceeded, r.workloads),
    '',
    `Created ${int(r.created.count - r.created.failed)} in ${num(r.created.seconds)} s (${num((r.created.count - r.created.failed) / r.created.seconds)}/s)${r.created.failed > 0 ? `; ${int(r.created.failed)} creates failed: ${r.created.failures[0]}` : ''}. All Placed ${num(r.allPlacedSeconds)} s, all Running ${num(r.allRunningSeconds)} s, all Succeeded ${num(r.allSucceededSeconds)} s after the first apply.`,
    '',
    '## Operator',
    '',
    `Status writes (hub audit log, the operator's user, patch/update/apply on a status subresource, counted as the apiserver received them: refused ones too). Idle (${num(r.idle.seconds, 0)} s, ${int(r.sites)} sites heartbeating): ${int(r.idle.statusWrites.total)} (${num(r.idle.statusWrites.perSecond, 2, '/s')}).`,
    '',
    ...writesTable(r.idle.statusWrites),
    '',
    `Run (${num(r.run.seconds, 0)} s, from the first create to ${10} s after the last job succeeded): ${int(r.run.statusWrites.total)} (${num(r.run.statusWrites.perSecond, 1, '/s')}, peak ${int(r.run.statusWrites.peakPerSecond)}/s).`,
    '',
    ...writesTable(r.run.statusWrites),
    '',
    `Admission cycles during the run: ${int(m.cycles)}, p50 ${millis(m.cycleP50)}, p99 ${millis(m.cycleP99)} (histogram estimate). Placed decisions counted: ${int(m.decisions)}. Reconciles: ${int(m.reconciles)}, of which trainingjob failed ${int(m.trainingErrors)} (the operator's log says why); trainingjob queue adds ${int(m.trainingAdds)}, retries ${int(m.trainingRetries)} (all controllers ${int(m.retries)}); its depth at most ${int(r.trainingQueue.maxDepth)}, oldest item at most ${num(r.trainingQueue.maxOldestSeconds)} s (read every 10 s).`,
    `Its /metrics at the end: ${int(r.metricsBytes / 1024)} KiB, scraped in ${num(r.metricsScrapeMs, 0)} ms.`,
    '',
    '## Wire and agents',
    '',
    `- Messages the operator accepted — idle: ${msgs(r.idle.metrics)}; run: ${msgs(m)}. Dropped: idle ${int(r.idle.metrics.dropped)}, run ${int(m.dropped)}.`,
    `- Agents connected at the end: ${int(r.agents.connectedAtEnd)} of ${int(r.sites)}; sessions opened ${int(r.agents.sessions.connects)}, ended ${int(r.agents.sessions.disconnects)}${r.agents.sessions.lastDisconnect === undefined ? '' : ` (last: ${r.agents.sessions.lastDisconnect})`}; resync requests ${int(r.agents.sessions.resyncRequests)}; acks ${int(r.agents.sessions.acks)}; unacked at the end ${int(r.agents.site.pendingAcks)}.`,
    `- Member syncs received ${int(r.agents.sessions.memberSyncs)} naming ${int(r.agents.sessions.membersReceived)} members; applied ${int(r.agents.site.applies)}, removed ${int(r.agents.site.removes)}; pods started ${int(r.agents.site.podsStarted)}, succeeded ${int(r.agents.site.podsSucceeded)}, found no room at first ${int(r.agents.site.unschedulable)}.`,
    `- This process (${int(r.sites)} agents, their sites, the hub watch and the creates): ${num(r.bench.cpuSeconds)} CPU s from the first agent to the end; event-loop delay p99 idle ${num(r.bench.idleLoopP99Ms, 0, ' ms')}, run ${num(r.bench.runLoopP99Ms, 0, ' ms')} (max ${num(r.bench.runLoopMaxMs, 0, ' ms')}); hub watch restarts ${r.bench.watchRestarts}.`,
    ...(r.unfinished.length === 0 ? [] : ['', '## Not finished (first 10)', '', ...r.unfinished.map((u) => `- ${u}`)]),
    '',
  ].join('\n');
}
