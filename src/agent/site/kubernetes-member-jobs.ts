/**
 * The site's training member Jobs as the agent's fence sees them (partition-fence.ts): Jobs labelled as Suanwang's
 * and as a workload's, in every namespace. Deletes are in the foreground, so a Job stays until its pods are gone.
 * RBAC: list and delete on batch/jobs; the agent chart's admission policy narrows the delete to these labels.
 */
import { BatchV1Api, type KubeConfig } from '@kubernetes/client-node';
import { LABEL_EPOCH, LABEL_MANAGED_BY, LABEL_NAMESPACE, LABEL_OWNER_UID, LABEL_WORKLOAD, MANAGED_BY } from '../../api/names.ts';
import { ignoreNotFound, toApiError } from '../../runtime/errors.ts';
import type { MemberJob, MemberJobs } from './partition-fence.ts';

/** MEMBER_JOB_SELECTOR selects training member Jobs: managed by Suanwang and naming their workload. */
export const MEMBER_JOB_SELECTOR = `${LABEL_MANAGED_BY}=${MANAGED_BY},${LABEL_WORKLOAD}`;

/** kubernetesMemberJobs lists and deletes member Jobs through the site's API server. */
export function kubernetesMemberJobs(kc: KubeConfig): MemberJobs {
  const batch = kc.makeApiClient(BatchV1Api);
  return {
    async list(): Promise<readonly MemberJob[]> {
      try {
        const jobs = await batch.listJobForAllNamespaces({ labelSelector: MEMBER_JOB_SELECTOR });
        return jobs.items.map((j) => {
          const labels = j.metadata?.labels ?? {};
          const epoch = Number(labels[LABEL_EPOCH]);
          return {
            namespace: j.metadata?.namespace ?? '',
            name: j.metadata?.name ?? '',
            deleting: j.metadata?.deletionTimestamp !== undefined,
            workload: { namespace: labels[LABEL_NAMESPACE] ?? '', name: labels[LABEL_WORKLOAD] ?? '' },
            epoch: Number.isInteger(epoch) ? epoch : undefined,
            ownerUid: labels[LABEL_OWNER_UID],
          };
        });
      } catch (err: unknown) {
        throw toApiError(err);
      }
    },
    async remove(namespace: string, name: string): Promise<void> {
      try {
        await ignoreNotFound(batch.deleteNamespacedJob({ namespace, name, propagationPolicy: 'Foreground' }));
      } catch (err: unknown) {
        throw toApiError(err);
      }
    },
  };
}
