/**
 * Reads and writes of a TrainingJob's member objects at one site, through the site's rate-limited client. Reads
 * map NotFound to undefined and nothing else (a site that does not answer is not a site without the Job); writes
 * are server-side apply with the operator's field manager, so a repeat after a crash is harmless.
 */
import type { V1Job, V1Service } from '@kubernetes/client-node';
import { LABEL_EPOCH, LABEL_NAMESPACE, LABEL_WORKLOAD } from '../../api/names.ts';
import { applyObjectWith, FIELD_MANAGER } from '../../runtime/apply.ts';
import { ignoreNotFound } from '../../runtime/errors.ts';
import { ensureNamespace } from '../../clusters/namespaces.ts';
import type { SiteClient } from '../../clusters/site-clients.ts';
import { isStaleMember } from '../framework/fencing.ts';
import type { MemberObjects } from './member-objects.ts';
import type { WorkerHealth } from './worker-health.ts';

/** ObservedMembers are the member objects found at a site; undefined where there is none. */
export interface ObservedMembers {
  readonly job: V1Job | undefined;
  readonly service: V1Service | undefined;
  /** What the current attempt's pods and nodes say, when the pass read them (worker-health.ts shouldReadWorkers). */
  readonly workers?: WorkerHealth;
}

/** readMembers reads the member Job and Service named `name`; throws (as ApiError) when the site cannot say. */
export async function readMembers(client: SiteClient, namespace: string, name: string): Promise<ObservedMembers> {
  const [job, service] = await Promise.all([
    client.call('read member Job', (apis) => ignoreNotFound(apis.batch.readNamespacedJob({ namespace, name }))),
    client.call('read member Service', (apis) => ignoreNotFound(apis.core.readNamespacedService({ namespace, name }))),
  ]);
  return { job, service };
}

/** applyService server-side-applies the rendezvous Service. */
export async function applyService(client: SiteClient, members: MemberObjects): Promise<V1Service> {
  return client.call('apply member Service', (apis) => applyObjectWith(apis.objects, members.service, FIELD_MANAGER));
}

/** applyJob server-side-applies the worker Job and returns it as the site stored it. */
export async function applyJob(client: SiteClient, members: MemberObjects): Promise<V1Job> {
  return client.call('apply member Job', (apis) => applyObjectWith(apis.objects, members.job, FIELD_MANAGER));
}

/** createMembers brings all three member objects into being, namespace first, Job last; returns the Job. */
export async function createMembers(client: SiteClient, members: MemberObjects): Promise<V1Job> {
  await ensureNamespace(client, members.namespace);
  await applyService(client, members);
  return applyJob(client, members);
}

/**
 * deleteJob deletes the member Job in the foreground: the Job stays, marked deleted, until the garbage collector has
 * removed its pods, so whoever reads it (this operator, fencing) sees a copy still running until it truly is not, and
 * no new epoch starts beside it on the same site.
 */
export async function deleteJob(client: SiteClient, namespace: string, name: string): Promise<void> {
  await client.call('delete member Job', (apis) =>
    ignoreNotFound(apis.batch.deleteNamespacedJob({ namespace, name, propagationPolicy: 'Foreground' })),
  );
}

/**
 * deleteMembers deletes the member Job and Service of `workload` and says whether none of them is left. Only objects
 * carrying this workload's labels are deleted (as in fenceMembers): an object of the same name made by someone else
 * is not ours. A Job held by a finalizer outlives its delete call, so the answer comes from reading again.
 */
export async function deleteMembers(client: SiteClient, namespace: string, name: string, workload: string): Promise<boolean> {
  const ours = (o: V1Job | V1Service | undefined): boolean =>
    o !== undefined && o.metadata?.labels?.[LABEL_WORKLOAD] === workload && o.metadata.labels[LABEL_NAMESPACE] === namespace;
  const before = await readMembers(client, namespace, name);
  if (ours(before.job)) await deleteJob(client, namespace, name);
  if (ours(before.service)) {
    await client.call('delete member Service', (apis) => ignoreNotFound(apis.core.deleteNamespacedService({ namespace, name })));
  }
  const after = await readMembers(client, namespace, name);
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
  client: SiteClient,
  namespace: string,
  name: string,
  owner: { readonly workload: string; readonly epoch: number; readonly uid: string | undefined },
): Promise<FenceResult> {
  const ours = (o: V1Job | V1Service | undefined): o is V1Job | V1Service =>
    o !== undefined &&
    o.metadata?.labels?.[LABEL_WORKLOAD] === owner.workload &&
    o.metadata.labels[LABEL_NAMESPACE] === namespace &&
    isStaleMember(o, owner.epoch, owner.uid);
  const before = await readMembers(client, namespace, name);
  const deleted: string[] = [];
  if (ours(before.job)) {
    if (before.job.metadata?.deletionTimestamp === undefined) await deleteJob(client, namespace, name);
    deleted.push(`Job/${name}@${before.job.metadata?.labels?.[LABEL_EPOCH] ?? '?'}`);
  }
  if (ours(before.service)) {
    await client.call('delete member Service', (apis) => ignoreNotFound(apis.core.deleteNamespacedService({ namespace, name })));
    deleted.push(`Service/${name}@${before.service.metadata?.labels?.[LABEL_EPOCH] ?? '?'}`);
  }
  if (deleted.length === 0) return { deleted, clean: true };
  const after = await readMembers(client, namespace, name);
  return { deleted, clean: !ours(after.job) && !ours(after.service) };
}
