/**
 * Name rules. A workload's member objects (Job, Service, Deployment, pod hostnames) are named after the hub object
 * plus a short suffix, and a Service name must be a DNS-1035 label of at most 63 characters. A Site's name becomes
 * the value of the suanwang.io/site label on member objects, so it must be a DNS-1123 label.
 */
import { DNS1035_LABEL_PATTERN, DNS1123_LABEL_PATTERN, str, type Schema } from './builders.ts';

/** WORKLOAD_NAME_MAX is the longest TrainingJob or InferenceService name; 13 characters are left for suffixes. */
export const WORKLOAD_NAME_MAX = 50;

/** WORKLOAD_NAME restricts metadata.name of TrainingJob and InferenceService. */
export const WORKLOAD_NAME: Schema = str(
  `Name of the workload: a lower-case letter, then lower-case letters, digits and "-", at most ${WORKLOAD_NAME_MAX} characters, so that the Job, Service and pod names derived from it are valid at every site.`,
  { maxLength: WORKLOAD_NAME_MAX, pattern: DNS1035_LABEL_PATTERN },
);

/** SITE_NAME restricts metadata.name of Site. */
export const SITE_NAME: Schema = str(
  'Name of the site: a DNS-1123 label (lower-case letters, digits and "-", at most 63 characters), because it becomes a label value on member objects.',
  { maxLength: 63, pattern: DNS1123_LABEL_PATTERN },
);
