/**
 * KindDefinition is everything the generator needs to render one kind: its CRD names, its spec and status schemas,
 * rules on the whole object, and the columns `kubectl get` prints.
 */
import type { KindName } from '../names.ts';
import type { CelRule, Schema } from './builders.ts';

/** PrinterColumn is one `additionalPrinterColumns` entry. */
export interface PrinterColumn {
  readonly name: string;
  readonly type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  readonly jsonPath: string;
  readonly description: string;
  /** priority 0 shows in `kubectl get`; 1 only with `-o wide`. */
  readonly priority?: number;
}

/** KindDefinition describes one custom resource kind. */
export interface KindDefinition {
  readonly kind: KindName;
  readonly plural: string;
  readonly singular: string;
  readonly scope: 'Namespaced' | 'Cluster';
  readonly shortNames: readonly string[];
  /** description is the top-level text of `kubectl explain <kind>`. */
  readonly description: string;
  readonly spec: Schema;
  readonly status: Schema;
  /** name restricts metadata.name (pattern, maxLength) beyond what Kubernetes requires. */
  readonly name?: Schema;
  /** rules validate the whole object (they may read metadata.name). */
  readonly rules?: readonly CelRule[];
  readonly printerColumns: readonly PrinterColumn[];
}

/** AGE_COLUMN is the usual last column. */
export const AGE_COLUMN: PrinterColumn = {
  name: 'Age',
  type: 'date',
  jsonPath: '.metadata.creationTimestamp',
  description: 'Time since the object was created.',
};

/** conditionColumn shows the status of one condition type. */
export function conditionColumn(name: string, type: string, description: string, priority = 0): PrinterColumn {
  return { name, type: 'string', jsonPath: `.status.conditions[?(@.type=="${type}")].status`, description, priority };
}
