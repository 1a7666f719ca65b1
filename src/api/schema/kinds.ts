/** KIND_DEFINITIONS lists every Suanwang kind, in the order the generator renders them. */
import { INFERENCE_SERVICE } from './inference-service.ts';
import type { KindDefinition } from './kind-definition.ts';
import { QUEUE } from './queue.ts';
import { SITE } from './site.ts';
import { TRAINING_JOB } from './training-job.ts';

/** KIND_DEFINITIONS is the whole API: the generator renders one CRD and one set of types per entry. */
export const KIND_DEFINITIONS: readonly KindDefinition[] = [SITE, TRAINING_JOB, INFERENCE_SERVICE, QUEUE];
