/**
 * Conditions shaped like metav1.Condition, so kubectl, `kubectl wait --for=condition=...` and generic tools read them.
 * The list is a map keyed by type: one entry per type, merged by server-side apply.
 */
import { ConditionStatus } from '../names.ts';
import { dateTime, int, mapList, obj, oneOf, str, type Schema } from './builders.ts';

/** CONDITION is the schema of one condition. */
export const CONDITION: Schema = obj(
  'Condition',
  'One aspect of the current state, with when it last changed and why.',
  {
    type: str('Type of the condition, in PascalCase (for example Ready).', {
      minLength: 1,
      maxLength: 316,
      pattern: '^([a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z]([A-Za-z0-9_.-]*[A-Za-z0-9])?$',
    }),
    status: oneOf('Whether the condition holds: True, False or Unknown.', Object.values(ConditionStatus)),
    observedGeneration: int(
      'The metadata.generation the condition was computed from; older than metadata.generation means it may be stale.',
      { minimum: 0, format: 'int64' },
    ),
    lastTransitionTime: dateTime('When status last changed (not when the condition was last written).'),
    reason: str('Machine-readable PascalCase reason for the last transition, for example QuotaReserved.', {
      minLength: 1,
      maxLength: 1024,
      pattern: '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$',
    }),
    message: str('Human-readable details; deterministic (sorted), so an unchanged state rewrites nothing.', {
      maxLength: 32768,
    }),
  },
  { required: ['type', 'status', 'lastTransitionTime', 'reason', 'message'] },
);

/** conditions builds the status.conditions list of a kind that uses the given condition types. */
export function conditions(types: readonly string[]): Schema {
  return mapList(
    `Latest observations of the object's state, one per type. Types used: ${types.join(', ')}.`,
    CONDITION,
    ['type'],
    { maxItems: 16 },
  );
}

/**
 * STATUS_DEFAULT gives every kind's status an observedGeneration of 0 until the operator writes its own. The status
 * subresource drops a status sent on create, and the apiserver fills in defaults whenever it reads an object from
 * etcd, so a new object reads as observedGeneration 0 below metadata.generation 1: kstatus (Flux) calls that
 * InProgress (LatestGenerationNotObserved) where an object with no status at all would read as Current before the
 * operator has even looked at it. docs/gitops-health.md.
 */
export const STATUS_DEFAULT = { default: { observedGeneration: 0 } } as const;
