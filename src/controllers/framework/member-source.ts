/**
 * Member objects at the sites wake the workload they belong to: a Job that completes, a Deployment whose replicas
 * turn ready. The workload is named by the member's labels (LABEL_NAMESPACE, LABEL_WORKLOAD), so one site-side
 * informer per kind serves every workload, and a member's change reaches the hub object in about a second instead
 * of at the next poll.
 */
import { LABEL_NAMESPACE, LABEL_WORKLOAD } from '../../api/names.ts';
import type { LabelledObject } from '../../runtime/object-cache.ts';
import { watchSource, type SourceInformerView, type WatchSource } from '../../runtime/source.ts';

/** memberSource enqueues `keyOf(namespace, name)` of the workload a changed member object carries in its labels. */
export function memberSource(members: SourceInformerView<LabelledObject>, keyOf: (namespace: string, name: string) => string): WatchSource {
  return watchSource(members, (obj) => {
    const labels = obj.metadata?.labels;
    const namespace = labels?.[LABEL_NAMESPACE];
    const name = labels?.[LABEL_WORKLOAD];
    return namespace === undefined || name === undefined ? [] : [keyOf(namespace, name)];
  });
}
