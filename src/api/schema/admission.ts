/**
 * The admission record a workload's status carries while its queue holds quota for it: which queue, when, and what it
 * is charged. Status is the durable record (DESIGN.md): a restarted operator rebuilds every queue's usage from these.
 */
import { dateTime, dns1123Label, obj } from './builders.ts';
import { resourceList } from './resources.ts';

/** ADMISSION is status.admission of a TrainingJob and of an InferenceService. */
export const ADMISSION = obj(
  'Admission',
  'Quota the queue holds for the workload; empty while it waits. Written only by the operator.',
  {
    queue: dns1123Label('Queue that admitted the workload; empty when no Queue named default exists and the workload named none.'),
    admittedTime: dateTime('When the queue admitted the workload.'),
    charge: resourceList(
      'Resources charged to the queue, for the variant and pool placement chose: every worker (TrainingJob) or the minimum replicas (InferenceService).',
    ),
  },
);
