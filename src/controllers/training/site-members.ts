/**
 * Reads and writes of a TrainingJob's member objects at one site, through the site's member port (push or pull,
 * clusters/site-member-port.ts). Reads say undefined for "not there" and nothing else (a site that does not answer
 * is not a site without the Job); writes are idempotent applies, so a repeat after a crash is harmless.
 */
import type { V1Job, V1Service } from '@kubernetes/client-node';
import { LABEL_EPOCH, LABEL_NAMESPACE, LABEL_WORKLOAD } from '../../api/names.ts';
import type { MemberRefusal, SiteMemberPort } from '../../clusters/site-member-port.ts';
import { isStaleMember } from '../framework/fencing.ts';
import type { MemberObjects } from './member-objects.ts';
import type { WorkerHealth } from './worker-health.ts';

/** ObservedMembers are the member objects found at a site; undefined where there is none. */
export interface ObservedMembers {
  readonly job: V1Job | undefined;
  readonly service: V1Service | undefined;
  /** What the current attempt's pods and nodes say, when the pass read them (worker-health.ts shouldReadWorkers). */
  readonly workers?: WorkerHealth;
  /** Why a pull site's agent refused the Job or the Service (its site policy); never set in push mode. */
  readonly refusal?: MemberRefusal;
}

/** readMembers reads the member Job and Service named `name`; throws (as ApiError) when the site cannot say. */
export async function readMembers(port: SiteMemberPort, namespace: string, name: string): Promise<ObservedMembers> {
  const [job, service] = await Promise.all([
    port.read<V1Job>({ kind: 'Job', namespace, name }),
    port.read<V1Service>({ kind: 'Service', namespace, name }),
  ]);
  const refusal = port.refusal({ kind: 'Job', namespace, name }) ?? port.refusal({ kind: 'Service', namespace, name });
  return { job, service, ...(refusal !== undefined && { refusal }) };
}

/** applyService applies the rendezvous Service. */
export async function applyService(port: SiteMemberPort, members: MemberObjects): Promise<V1Service> {
  return port.apply(members.service);
}

/** applyJob applies the worker Job and returns it as the site has it. */
export async function applyJob(port: SiteMemberPort, members: MemberObjects): Promise<V1Job> {
  return port.apply(members.job);
}

/** createMembers brings all three member objects into being, namespace first, Job last; returns the Job. */
export async function createMembers(port: SiteMemberPort, members: MemberObjects): Promise<V1Job> {
  await port.ensureNamespace(members.namespace);
  await applyService(port, members);
  return applyJob(port, members);
}

/**
 * deleteJob deletes the member Job in the foreground: the Job stays, marked deleted, until the garbage collector has
 * removed its pods, so whoever reads it (this operator, fencing) sees a copy still running until it truly is not, and
 * no new epoch starts beside it on the same site.
 */
export async function deleteJob(port: SiteMemberPort, namespace: string, name: string): Promise<void> {
  await port.delete({ kind: 'Job', namespace, name });
}

/**
 * deleteMembers deletes the member Job and Service of `workload` and says whether none of them is left. Only objects
 * carrying this workload's labels are deleted (as in fenceMembers): an object of the same name made by someone else
 * is not ours. A Job held by a finalizer outlives its delete call, so the answer comes from reading again.
 */
export async function deleteMembers(port: SiteMemberPort, namespace: string, name: string, workload: string): Promise<boolean> {
  const ours = (o: V1Job | V1Service | undefined): boolean =>
    o !== undefined && o.metadata?.labels?.[LABEL_WORKLOAD] === workload && o.metadata.labels[LABEL_NAMESPACE] === namespace;
  const before = await readMembers(port, namespace, name);
  // A refused member never came to be, but a pull site's port keeps its refusal until the key is deleted or applied
  // with other content: deleting it by name withdraws the refusal, so nothing later (another attempt at this site, a
  // job of the same name) reads it as refused.
  const refused = (kind: 'Job' | 'Service'): boolean => port.refusal({ kind, namespace, name }) !== undefined;
  if (ours(before.job) || refused('Job')) await deleteJob(port, namespace, name);
  if (ours(before.service) || refused('Service')) await port.delete({ kind: 'Service', namespace, name });
  const after = await readMembers(port, namespace, name);
  return !ours(after.job) && !ours(after.service);
}

/** FenceResult says what fencing did at a site and whether anything stale is left there. */
export interface FenceResult {
  /** What was deleted (kind/name@epoch), for logs. */
  readonly deleted: readonly string[];
  /** True when no member object of an older epoch or another uid is left (a Job being deleted still counts). */
  readonly clean: boolean;
}

/**
 * fenceMembers deletes the member Job and Service named `name` at a site when they are stale for `epoch` and `uid`
 * (failover.ts isStaleMember), and only when they carry this job's workload labels: an object of the same name
 * made by someone else is not ours to delete. Throws when the site cannot be read.
 */
export async function fenceMembers(
  port: SiteMemberPort,
  namespace: string,
  name: string,
  owner: { readonly workload: string; readonly epoch: number; readonly uid: string | undefined },
): Promise<FenceResult> {
  const ours = (o: V1Job | V1Service | undefined): o is V1Job | V1Service =>
    o !== undefined &&
    o.metadata?.labels?.[LABEL_WORKLOAD] === owner.workload &&
    o.metadata.labels[LABEL_NAMESPACE] === namespace &&
    isStaleMember(o, owner.epoch, owner.uid);
  const before = await readMembers(port, namespace, name);
  const deleted: string[] = [];
  if (ours(before.job)) {
    if (before.job.metadata?.deletionTimestamp === undefined) await deleteJob(port, namespace, name);
    deleted.push(`Job/${name}@${before.job.metadata?.labels?.[LABEL_EPOCH] ?? '?'}`);
  }
  if (ours(before.service)) {
    await port.delete({ kind: 'Service', namespace, name });
    deleted.push(`Service/${name}@${before.service.metadata?.labels?.[LABEL_EPOCH] ?? '?'}`);
  }
  if (deleted.length === 0) return { deleted, clean: true };
  const after = await readMembers(port, namespace, name);
  return { deleted, clean: !ours(after.job) && !ours(after.service) };
}
