/**
 * The site's training member Jobs as the agent's fence sees them (partition-fence.ts): Jobs labelled as Suanwang's
 * and as a workload's, in every namespace. Deletes are in the foreground, so a Job stays until its pods are gone.
 * RBAC: list and delete on batch/jobs; the agent chart's admission policy narrows the delete to these labels.
 */
import { LABEL_EPOCH, LABEL_MANAGED_BY, LABEL_NAMESPACE, LABEL_OWNER_UID, LABEL_WORKLOAD, MANAGED_BY } from '../../api/names.ts';
import { ignoreNotFound, toApiError } from '../../runtime/errors.ts';
import type { KubeApi } from '../kube/kube-api.ts';
import type { MemberJob, MemberJobs } from './partition-fence.ts';

/** MEMBER_JOB_SELECTOR selects training member Jobs: managed by Suanwang and naming their workload. */
export const MEMBER_JOB_SELECTOR = `${LABEL_MANAGED_BY}=${MANAGED_BY},${LABEL_WORKLOAD}`;

interface RawJob {
  readonly metadata?: { readonly namespace?: string; readonly name?: string; readonly deletionTimestamp?: string; readonly labels?: Record<string, string> };
}

/** memberJob reads what the fence needs from a Job as the apiserver sent it. */
export function memberJob(raw: unknown): MemberJob {
  const m = (raw as RawJob | null)?.metadata;
  const labels = m?.labels ?? {};
  const epoch = Number(labels[LABEL_EPOCH]);
  return {
    namespace: m?.namespace ?? '',
    name: m?.name ?? '',
    deleting: m?.deletionTimestamp !== undefined && m.deletionTimestamp !== null,
    workload: { namespace: labels[LABEL_NAMESPACE] ?? '', name: labels[LABEL_WORKLOAD] ?? '' },
    epoch: Number.isInteger(epoch) ? epoch : undefined,
    ownerUid: labels[LABEL_OWNER_UID],
  };
}

/** kubernetesMemberJobs lists and deletes member Jobs through the site's API server. */
export function kubernetesMemberJobs(api: KubeApi): MemberJobs {
  return {
    async list(): Promise<readonly MemberJob[]> {
      try {
        return (await api.list('/apis/batch/v1/jobs', { labelSelector: MEMBER_JOB_SELECTOR }, memberJob)).items;
      } catch (err: unknown) {
        throw toApiError(err);
      }
    },
    async remove(namespace: string, name: string): Promise<void> {
      try {
        await ignoreNotFound(api.delete(`/apis/batch/v1/namespaces/${encodeURIComponent(namespace)}/jobs/${encodeURIComponent(name)}`, { propagationPolicy: 'Foreground' }));
      } catch (err: unknown) {
        throw toApiError(err);
      }
    },
  };
}
