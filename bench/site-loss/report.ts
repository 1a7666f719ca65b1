/**
 * The site-loss benchmark's result as Markdown: the settings it ran with (the product defaults), each step's time
 * after the agent's stop beside what the defaults lead one to expect, and the copies of each workload that ran at once.
 */
import type { ReturnStep, Step, Timeline } from './timeline.ts';

/** Defaults are the federation timing the operator ran with, read from its command line in the lab state. */
export interface Defaults {
  readonly leaseMs: number;
  readonly heartbeatIntervalMs: number;
  readonly siteLostGraceMs: number;
  readonly pollIntervalMs: number;
  /** productDefaults: whether these are the operator's own flag defaults (the lab passed no test timing). */
  readonly productDefaults: boolean;
}

/** SiteLossReport is everything the report shows. */
export interface SiteLossReport {
  readonly date: string;
  readonly machine: string;
  readonly commit: string;
  readonly command: string;
  readonly lost: string;
  readonly connection: 'push' | 'pull';
  readonly defaults: Defaults;
  readonly labStartSeconds: number;
  readonly startedAt: string;
  readonly movedTo: string | undefined;
  readonly replicas: number;
  readonly sampleEveryMs: number;
  readonly sampleErrors: number;
  readonly stopSeconds: number;
  /** agentBack: seconds after the stop when the agent was started again; undefined when it was not. */
  readonly agentBack: number | undefined;
  readonly timeline: Timeline;
}

const s = (x: number | undefined): string => (x === undefined ? 'not reached' : `${x.toFixed(1)} s`);
const sec = (ms: number): string => `${ms / 1000} s`;
const where = (r: Readonly<Record<string, number>>): string =>
  Object.entries(r)
    .filter(([, n]) => n > 0)
    .map(([site, n]) => `${site} ${n}`)
    .join(', ') || 'none';

/** renderSiteLossReport renders the Markdown report. */
export function renderSiteLossReport(r: SiteLossReport): string {
  const d = r.defaults;
  const t = r.timeline;
  const lease = d.leaseMs / 1000;
  const grace = d.siteLostGraceMs / 1000;
  const first = (step: Step): string => s(t.firsts.get(step));
  const back = (step: ReturnStep): string => {
    const at = t.returns.get(step);
    return at === undefined || r.agentBack === undefined ? 'not reached' : `${(at - r.agentBack).toFixed(1)} s after the restart`;
  };
  const serving = t.firsts.get('servingElsewhere');
  const expired = t.firsts.get('leaseExpired');
  const moved = t.firsts.get('trainingPlacedElsewhere');
  const running = t.firsts.get('trainingRunningElsewhere');
  // The grace runs from the lease's expiry, which was itself sampled: allow two samples' slack.
  const afterGrace = expired === undefined ? '' : `the lease's expiry + grace (${(expired + grace).toFixed(1)} s)`;
  // The grace counts from the Ready condition's lastTransitionTime, a whole-second stamp (up to 1 s before the
  // sampled moment), and both moments are sampled (up to one interval late each).
  const heldGrace = (at: number, e: number): boolean => at - e >= grace - 1 - (2 * r.sampleEveryMs) / 1000;
  const copiesNote = t.maxMemberJobs <= 1 ? '0 duplicates' : `${t.maxMemberJobs - 1} duplicate(s) in ${t.duplicateSamples} samples (${t.duplicateSeconds.toFixed(1)} s), at ${where(t.maxMemberJobsAt)}`;
  const pullNote =
    r.connection === 'pull'
      ? `${r.lost} is a pull site: with its agent stopped nothing can remove the old copy there (docs/pull-mode.md: an agent that is not running cannot fence; the copy goes when the agent returns), so the samples show it still running beside the new one until the restart.`
      : '';
  const lines = [
    `# Site loss with the default settings (B5) — ${r.date}`,
    '',
    `The agent of **${r.lost}** (${r.connection} site) is stopped while it runs a TrainingJob (1 worker × 8 devices) and all ${r.replicas} replicas of an InferenceService; its apiserver stays up. Times are seconds from just before the stop (the stop call took ${r.stopSeconds.toFixed(1)} s); the federation was sampled every ${r.sampleEveryMs} ms (${t.samples} samples${r.sampleErrors > 0 ? `, ${r.sampleErrors} failed` : ''}), the member Jobs and pods straight from every site's apiserver.`,
    '',
    `Settings: lease ${sec(d.leaseMs)}, heartbeat ${sec(d.heartbeatIntervalMs)}, grace ${sec(grace * 1000)}, poll ${sec(d.pollIntervalMs)} — ${d.productDefaults ? "the operator's own flag defaults (no test timing)" : '**not** the operator defaults'}.`,
    '',
    '| Step | After the stop | Expected with these settings |',
    '| --- | ---: | --- |',
    `| ${r.lost} Ready=Unknown (LeaseExpired) on the hub | ${first('leaseExpired')} | the lease after the last heartbeat, which came up to one interval before the stop (${lease - d.heartbeatIntervalMs / 1000}–${lease} s) |`,
    `| Replacement replicas planned elsewhere | ${first('replacementsPlanned')} | at the lease's expiry |`,
    `| **Inference serving elsewhere**: ${r.replicas} replicas ready at other sites (hub status) | **${s(serving)}** | under 60 s |`,
    `| … ${r.replicas} replica pods Running at other sites (sampled at the sites) | ${first('replicaPodsElsewhere')} | |`,
    `| ${r.lost}'s replicas leave the service's plan | ${first('shareLeftPlan')} | ${afterGrace} |`,
    `| Training job placed elsewhere (new epoch) | ${first('trainingPlacedElsewhere')} | ${afterGrace} |`,
    `| **Training job Running elsewhere** (hub status${r.movedTo === undefined ? '' : `, at ${r.movedTo}`}) | **${first('trainingRunningElsewhere')}** | after ${afterGrace} |`,
    `| … its worker pod Running at another site (sampled) | ${first('workersElsewhere')} | |`,
    `| Old copy at ${r.lost} gone (no unfinished member Job, no running worker) | ${first('oldCopyStopped')} | ${r.connection === 'push' ? 'with the move (the hub reaches the apiserver)' : 'when the agent returns'} |`,
    `| **Training copies at once**: most unfinished member Jobs across the federation | **${t.maxMemberJobs}** (${copiesNote}) | 1 (0 duplicates) |`,
    `| Training worker pods Running at once | ${t.maxWorkerPods} | 1 |`,
    `| Inference replica pods Running at once (most) | ${t.maxReplicaPods} (${where(t.maxReplicaPodsAt)}) | more than ${r.replicas} while the lease is expired (harmless for a service) |`,
    `| Agent started again at | ${s(r.agentBack)} | |`,
    `| ${r.lost} Ready=True again | ${back('siteReady')} | a few heartbeats |`,
    `| Settled: 1 member Job (not at ${r.lost}), ${r.replicas} replica pods | ${back('settled')} | |`,
    '',
    serving === undefined ? 'The service did not serve elsewhere within the run.' : `Serving elsewhere after ${serving.toFixed(1)} s: ${serving < 60 ? 'under' : '**not** under'} the 60 s aim.`,
    moved === undefined || running === undefined || expired === undefined
      ? 'The training job did not run elsewhere within the run.'
      : `The training job was placed elsewhere ${(moved - expired).toFixed(1)} s after the lease expired (grace ${grace} s: ${heldGrace(moved, expired) ? 'it waited for the grace' : '**it did not wait for the grace**'}) and ran there after ${running.toFixed(1)} s.`,
    ...(pullNote === '' ? [] : [pullNote]),
    '',
    `Lab: examples/lab/default.yaml, started in ${r.labStartSeconds.toFixed(0)} s; stop at ${r.startedAt}.`,
    `Machine: ${r.machine}. Commit: ${r.commit}.`,
    '',
    `Command: \`${r.command}\``,
    '',
  ];
  return lines.join('\n');
}
