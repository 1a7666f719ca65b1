/**
 * What the pods of a TrainingJob's current attempt say about it at its site: workers the site's scheduler left
 * Pending (and its message why), and nodes under running workers whose devices failed (the node reporter's
 * AcceleratorHealthy condition). The member Job alone cannot say either: it counts pods, not why they wait or what
 * their nodes report.
 *
 * Reading pods and nodes costs calls at the site, so it happens only when it can change a decision
 * (`shouldReadWorkers`): the job's pool reports unhealthy devices, or the gang has not been running for longer than
 * the gang start timeout. A push site's pods and nodes are read from its apiserver; a pull site's from what its agent
 * last reported (the member Jobs' unfinished pods and the Nodes under them, trimmed to the fields read here). A port
 * that cannot show pods gives no worker health, and the pass decides from the member Job alone.
 */
import type { V1Pod } from '@kubernetes/client-node';
import type { Site, TrainingJob } from '../../api/generated/types.ts';
import { LABEL_EPOCH, LABEL_NAMESPACE, LABEL_WORKLOAD, NODE_CONDITION_ACCELERATORS, TrainingJobPhase } from '../../api/names.ts';
import type { SiteMemberPort } from '../../clusters/site-member-port.ts';

/** DEFAULT_GANG_START_TIMEOUT_MS: how long a placed gang may wait for all its workers to run before it is withdrawn. */
export const DEFAULT_GANG_START_TIMEOUT_MS = 5 * 60_000;

/** WorkerHealth is what the current attempt's pods and their nodes say. */
export interface WorkerHealth {
  /** Workers not bound to a node, with the scheduler's message (PodScheduled=False). */
  readonly pending: readonly { readonly pod: string; readonly message: string }[];
  /** Nodes under running or starting workers whose AcceleratorHealthy condition is False, with its message. */
  readonly unhealthyNodes: readonly { readonly node: string; readonly message: string }[];
}

/**
 * shouldReadWorkers says whether a pass over `tj`, placed at `site`, should read its pods: its pool reports unhealthy
 * devices while it runs or starts, or it has been placed for longer than the gang start timeout without running.
 */
export function shouldReadWorkers(tj: TrainingJob, site: Site, nowMs: number, startTimeoutMs: number): boolean {
  const s = tj.status;
  if (s?.site !== site.metadata.name) return false;
  if (s?.phase !== TrainingJobPhase.Running && s?.phase !== TrainingJobPhase.Placed) return false;
  const pool = site.status?.nodePools?.find((p) => p.name === s.pool);
  if ((pool?.unhealthyDevices ?? 0) > 0) return true;
  return s.phase === TrainingJobPhase.Placed && startOverdue(tj, nowMs, startTimeoutMs);
}

/** startOverdue says whether the current placement was decided longer than the gang start timeout ago. */
export function startOverdue(tj: TrainingJob, nowMs: number, startTimeoutMs: number): boolean {
  const decided = Date.parse(tj.status?.placement?.decisionTime ?? '');
  return !Number.isNaN(decided) && nowMs - decided >= startTimeoutMs;
}

/**
 * readWorkers reads the pods of `epoch` of the job and the nodes they run on; undefined when the port cannot show
 * pods. Without a node reader no node is judged unhealthy. Throws when the site cannot say.
 */
export async function readWorkers(port: SiteMemberPort, namespace: string, workload: string, epoch: number): Promise<WorkerHealth | undefined> {
  if (port.pods === undefined) return undefined;
  const selector = `${LABEL_WORKLOAD}=${workload},${LABEL_NAMESPACE}=${namespace},${LABEL_EPOCH}=${epoch}`;
  const pods = await port.pods(namespace, selector);
  const live = pods.filter((p) => p.metadata?.deletionTimestamp === undefined && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed');
  const pending = live
    .filter((p) => p.spec?.nodeName === undefined || p.spec.nodeName === '')
    .map((p) => ({ pod: p.metadata?.name ?? '', message: schedulerMessage(p) }))
    .sort((a, b) => (a.pod < b.pod ? -1 : 1));
  const nodeNames = [...new Set(live.map((p) => p.spec?.nodeName).filter((n): n is string => n !== undefined && n !== ''))].sort();
  const nodes = port.node === undefined ? [] : await Promise.all(nodeNames.map((name) => port.node?.(name)));
  const unhealthyNodes = nodes.flatMap((node, i) => {
    const c = node?.status?.conditions?.find((x) => x.type === NODE_CONDITION_ACCELERATORS);
    return c?.status === 'False' ? [{ node: nodeNames[i] as string, message: c.message ?? c.reason ?? 'devices unhealthy' }] : [];
  });
  return { pending, unhealthyNodes };
}

/** schedulerMessage is the scheduler's word on an unbound pod, or that it has none yet. */
function schedulerMessage(pod: V1Pod): string {
  const c = pod.status?.conditions?.find((x) => x.type === 'PodScheduled' && x.status === 'False');
  if (c === undefined) return 'not scheduled yet';
  return [c.reason, c.message].filter((x) => x !== undefined && x !== '').join(': ');
}
