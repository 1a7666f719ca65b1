/**
 * The decision behind `suanwang what-if`: the admission cycle the operator would run now, over everything on the hub
 * plus the one workload asked about, with that workload's verdict taken out. Pure: the hub's objects, the manifest
 * and the time go in, the verdict comes out, so tests build the input by hand.
 *
 * Same code, not a copy: Queues and workloads become the cycle's input through queueing/queued-workload.ts, as in the
 * operator's ledger, and admissionCycle, place and distribute decide. What the operator knows and the hub does not —
 * capacity promised to placements whose pods the sites have not reported yet, and admissions decided but not yet
 * written to status — is missing here (WHAT_IF_BLIND_SPOT says so to the user).
 */
import type { InferenceService, PlacementRecord, Queue, Site, TrainingJob } from '../../api/generated/types.ts';
import { Kind } from '../../api/names.ts';
import { DEFAULT_PLACEMENT_CONFIG, type PlacementConfig } from '../../placement/config.ts';
import { distribute, type InferenceDecision } from '../../placement/distribute.ts';
import { place } from '../../placement/place.ts';
import { buildSnapshot } from '../../placement/snapshot.ts';
import type { Workload } from '../../placement/workload.ts';
import { admissionCycle, type Admit, type QueuedWorkload, type Wait } from '../../queueing/admission-cycle.ts';
import { subtractAmounts, type Amounts } from '../../queueing/amounts.ts';
import { resolveQueue, type QueueInfo } from '../../queueing/queue-info.ts';
import { queuedInferenceService, queuedTrainingJob, queueInfos, workloadKey } from '../../queueing/queued-workload.ts';
import type { Manifest } from './what-if-manifest.ts';

/** WHAT_IF_BLIND_SPOT is what an answer computed outside the operator cannot see. */
export const WHAT_IF_BLIND_SPOT =
  'capacity the operator has promised to placements the sites have not reported yet, and admissions it decided but has not written to status yet, live in its memory and are not visible from the hub: a decision made in the last few seconds may already hold some of the capacity counted as free here';

/** HubState is everything on the hub the decision reads. */
export interface HubState {
  readonly queues: readonly Queue[];
  readonly sites: readonly Site[];
  readonly trainingJobs: readonly TrainingJob[];
  readonly inferenceServices: readonly InferenceService[];
}

/** QueueView is the queue the workload would be charged to, and what it holds besides this workload. */
export interface QueueView {
  /** name is the Queue's name; '' when the workload names `default` and no such Queue exists (no quota at all). */
  readonly name: string;
  readonly info?: QueueInfo;
  /** inUse is what the queue's admitted workloads hold, and those the cycle admits ahead of this one. */
  readonly inUse: Amounts;
}

/** WhatIf is the answer: the verdict, where it would run, and every site's view. */
export interface WhatIf {
  readonly kind: Manifest['kind'];
  readonly namespace: string;
  readonly name: string;
  /** queue is undefined when the workload has no queue to wait in (QueueNotFound, NamespaceNotAllowed). */
  readonly queue?: QueueView;
  readonly verdict: Admit | Wait;
  /** record is every site's verdict and reasons: the admission's placement, or the look that failed. */
  readonly record?: PlacementRecord;
  /** recordIsHypothetical: the cycle ran no placement (no queue, or waiting behind the head of its queue): the record is where it would go once admitted. */
  readonly recordIsHypothetical: boolean;
  /** inference is the replicas' spread (InferenceService only): admission checks quota only, the spread finds sites. */
  readonly inference?: InferenceDecision;
  /** placed: admitted, and (TrainingJob) placed or (InferenceService) every minimum replica placed. */
  readonly placed: boolean;
  /** replaces: a workload of this kind and name already exists on the hub; the answer is for this manifest instead. */
  readonly replaces: boolean;
  /** admittedAhead counts other waiting workloads the same cycle would admit (they go first by the queue order). */
  readonly admittedAhead: number;
}

/**
 * whatIf runs the operator's admission cycle with the manifest's workload added, new as of `now`, and returns its
 * verdict. A workload of the same kind and name already on the hub is left out, as if replaced.
 */
export function whatIf(hub: HubState, manifest: Manifest, workload: Workload, now: number, config: PlacementConfig = DEFAULT_PLACEMENT_CONFIG): WhatIf {
  const { namespace, name } = manifest;
  const key = workloadKey(manifest.kind, namespace, name);
  // 1. The cycle's input, as the ledger builds it (without what only the operator's memory holds).
  const queues = queueInfos(hub.queues);
  const snapshot = buildSnapshot(hub.sites);
  const others: QueuedWorkload[] = [];
  for (const tj of hub.trainingJobs) {
    const w = queuedTrainingJob(tj, now);
    if (w !== undefined && w.key !== key) others.push(w);
  }
  for (const isvc of hub.inferenceServices) {
    const w = queuedInferenceService(isvc, now);
    if (w !== undefined && w.key !== key) others.push(w);
  }
  const replaces = (manifest.kind === Kind.TrainingJob ? hub.trainingJobs : hub.inferenceServices).some(
    (o) => o.metadata.namespace === namespace && o.metadata.name === name,
  );
  const asked: QueuedWorkload = {
    key,
    kind: manifest.kind,
    namespace,
    name,
    queueName: manifest.object.spec.queue ?? '',
    priority: manifest.kind === Kind.TrainingJob ? (manifest.object.spec.priority ?? 0) : 0,
    createdMs: now,
    waitingSinceMs: now,
    workload: { ok: true, value: workload },
  };

  // 2. Decide.
  const result = admissionCycle({ queues, workloads: [...others, asked], snapshot, config, now });
  const verdict = result.verdicts.get(key);
  if (verdict === undefined || verdict.kind === 'Preempt') throw new Error(`what-if: the cycle gave ${key} no verdict`); // a waiting workload always gets one
  const admittedAhead = [...result.verdicts].filter(([k, v]) => k !== key && v.kind === 'Admit').length;

  // 3. Where it goes, or would go: the admission's placement; else the failed look; else a look without the queue.
  const resolved = resolveQueue(asked.queueName, namespace, queues);
  const queue = resolved.kind === 'Queue' ? queueView(resolved.queue, result.queues.get(resolved.queue.name)?.usage ?? {}, verdict) : undefined;
  if (manifest.kind === Kind.InferenceService) {
    const inference = distribute(workload, snapshot, config);
    const placed = verdict.kind === 'Admit' && inference.short === 0;
    return { kind: manifest.kind, namespace, name, ...(queue && { queue }), verdict, record: inference.record, recordIsHypothetical: verdict.kind !== 'Admit', inference, placed, replaces, admittedAhead };
  }
  const cycleRecord = verdict.kind === 'Admit' ? verdict.placement?.record : verdict.record;
  const record = cycleRecord ?? place(workload, snapshot, config).record;
  const placed = verdict.kind === 'Admit' && verdict.placement !== undefined;
  return { kind: manifest.kind, namespace, name, ...(queue && { queue }), verdict, record, recordIsHypothetical: cycleRecord === undefined, placed, replaces, admittedAhead };
}

/** queueView is the queue's usage without this workload's own charge. */
function queueView(info: QueueInfo, after: Amounts, verdict: Admit | Wait): QueueView {
  const inUse = verdict.kind === 'Admit' ? subtractAmounts(after, verdict.charge) : after;
  return info.name === '' ? { name: '', inUse } : { name: info.name, info, inUse };
}
