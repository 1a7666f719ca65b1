/**
 * The labels every member object carries at a site, whatever workload kind made it: who manages it, which hub object
 * (by uid) it was made for, and the worker role. The workload, namespace, site and epoch labels are API names
 * (src/api/names.ts) because users and site tools select by them.
 */

export { LABEL_MANAGED_BY, MANAGED_BY } from '../../api/names.ts';
/**
 * LABEL_OWNER_UID carries the uid of the hub object (TrainingJob, InferenceService) a member object was made for.
 * Epochs restart at 1 when a workload is deleted and created again under the same name; the uid tells a copy left by
 * the earlier one (at a site that was unreachable when it was deleted) from the current one's, whatever their epochs.
 */
export const LABEL_OWNER_UID = 'suanwang.io/owner-uid';
/**
 * LABEL_VARIANT names the variant a member runs as: on an InferenceService's Deployment and its pods, on a
 * TrainingJob's Job (not its pods: a Job's template cannot change). With the Job's pool nodeSelector it lets a
 * controller that lost the status adopt what runs instead of placing a second copy.
 */
export const LABEL_VARIANT = 'suanwang.io/variant';
/** LABEL_ROLE marks worker pods (so site-side tools can tell them from other pods of the workload). */
export const LABEL_ROLE = 'suanwang.io/role';
