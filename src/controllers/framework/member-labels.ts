/**
 * The labels every member object carries at a site, whatever workload kind made it: its variant and the worker role.
 * Who manages it, which hub object (by uid) it was made for, and the workload, namespace, site and epoch labels are
 * API names (src/api/names.ts), because the site agent and site tools select by them too.
 */

export { LABEL_MANAGED_BY, LABEL_OWNER_UID, MANAGED_BY } from '../../api/names.ts';

/**
 * LABEL_VARIANT names the variant a member runs as: on an InferenceService's Deployment and its pods, on a
 * TrainingJob's Job (not its pods: a Job's template cannot change). With the Job's pool nodeSelector it lets a
 * controller that lost the status adopt what runs instead of placing a second copy.
 */
export const LABEL_VARIANT = 'suanwang.io/variant';
/** LABEL_ROLE marks worker pods (so site-side tools can tell them from other pods of the workload). */
export const LABEL_ROLE = 'suanwang.io/role';
