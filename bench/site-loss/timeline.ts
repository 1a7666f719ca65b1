/**
 * What the samples add up to: the first moment each step of a site's loss was seen, and the most copies of each
 * workload that ran at once. Pure: fed samples in time order, it keeps firsts and maxima.
 */
import type { Sample } from './sample.ts';

/** Step names a moment of the loss, in the order they are expected. */
export type Step =
  | 'leaseExpired'
  | 'replacementsPlanned'
  | 'servingElsewhere'
  | 'replicaPodsElsewhere'
  | 'shareLeftPlan'
  | 'trainingPlacedElsewhere'
  | 'trainingRunningElsewhere'
  | 'workersElsewhere'
  | 'oldCopyStopped';

/** ReturnStep names a moment after the agent was started again. */
export type ReturnStep = 'siteReady' | 'settled';

const sum = (r: Readonly<Record<string, number>>, except?: string): number => Object.entries(r).reduce((n, [site, x]) => (site === except ? n : n + x), 0);

/** Timeline accumulates the samples of one run. */
export class Timeline {
  readonly firsts = new Map<Step, number>();
  readonly returns = new Map<ReturnStep, number>();
  samples = 0;
  /** The most unfinished member Jobs of the training job seen at once, across the federation, and where. */
  maxMemberJobs = 0;
  maxMemberJobsAt: Readonly<Record<string, number>> = {};
  /** Samples that saw more than one unfinished member Job, and the seconds they span (each until the next sample). */
  duplicateSamples = 0;
  duplicateSeconds = 0;
  maxWorkerPods = 0;
  maxReplicaPods = 0;
  maxReplicaPodsAt: Readonly<Record<string, number>> = {};
  private last: Sample | undefined;
  private readonly o: { readonly lost: string; readonly replicas: number; readonly workers: number };

  constructor(o: { readonly lost: string; readonly replicas: number; readonly workers: number }) {
    this.o = o;
  }

  /** observe takes the next sample; `agentBack` is the moment the agent was started again, once it was. */
  observe(s: Sample, agentBack: number | undefined): void {
    const { lost, replicas, workers } = this.o;
    this.samples += 1;
    if (this.last !== undefined && sum(this.last.unfinishedMemberJobs) > 1) this.duplicateSeconds += s.at - this.last.at;
    this.last = s;
    const members = sum(s.unfinishedMemberJobs);
    if (members > this.maxMemberJobs) {
      this.maxMemberJobs = members;
      this.maxMemberJobsAt = s.unfinishedMemberJobs;
    }
    if (members > 1) this.duplicateSamples += 1;
    this.maxWorkerPods = Math.max(this.maxWorkerPods, sum(s.workerPods));
    if (sum(s.replicaPods) > this.maxReplicaPods) {
      this.maxReplicaPods = sum(s.replicaPods);
      this.maxReplicaPodsAt = s.replicaPods;
    }

    const movedSite = s.job.site !== undefined && s.job.site !== lost;
    const seen: Record<Step, boolean> = {
      leaseExpired: s.siteReady?.status === 'Unknown' && s.siteReady.reason === 'LeaseExpired',
      replacementsPlanned: sum(s.servicePlanned, lost) > 0,
      servingElsewhere: sum(s.serviceReady, lost) >= replicas,
      replicaPodsElsewhere: sum(s.replicaPods, lost) >= replicas,
      shareLeftPlan: !(lost in s.servicePlanned),
      trainingPlacedElsewhere: movedSite,
      trainingRunningElsewhere: movedSite && s.job.phase === 'Running',
      workersElsewhere: sum(s.workerPods, lost) >= workers,
      oldCopyStopped: (s.unfinishedMemberJobs[lost] ?? 0) === 0 && (s.workerPods[lost] ?? 0) === 0,
    };
    for (const [step, yes] of Object.entries(seen) as Array<[Step, boolean]>) if (yes && !this.firsts.has(step)) this.firsts.set(step, s.at);

    if (agentBack !== undefined && s.at >= agentBack) {
      if (s.siteReady?.status === 'True' && !this.returns.has('siteReady')) this.returns.set('siteReady', s.at);
      if (this.returns.has('siteReady') && !this.returns.has('settled') && this.settled(s)) this.returns.set('settled', s.at);
    }
  }

  /** settled: one unfinished member Job, elsewhere, and exactly the desired replicas running. */
  settled(s: Sample): boolean {
    return sum(s.unfinishedMemberJobs) === 1 && (s.unfinishedMemberJobs[this.o.lost] ?? 0) === 0 && sum(s.replicaPods) === this.o.replicas;
  }

  /** lossDone: the job runs elsewhere and the lost site's replicas have left the service's plan. */
  lossDone(): boolean {
    return this.firsts.has('trainingRunningElsewhere') && this.firsts.has('workersElsewhere') && this.firsts.has('shareLeftPlan') && this.firsts.has('servingElsewhere');
  }
}
