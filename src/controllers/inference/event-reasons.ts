/**
 * Reasons of the Events the InferenceService controller writes on its objects (PascalCase, like condition reasons).
 * Events are written through the shared recorder (training/events.ts): best effort, never repeated back to back.
 */
import { Reason } from '../../api/names.ts';

/** InferenceEventReason holds the event reasons of the InferenceService controller. */
export const InferenceEventReason = {
  /** The first assignment of replicas to sites. */
  Placed: 'Placed',
  /** A later assignment: scaled, rebalanced, or a site added or dropped. */
  Rebalanced: 'Rebalanced',
  /** Replicas left a site that was lost, removed, refused them or whose devices failed. */
  ReplicasMoved: 'ReplicasMoved',
  /** A site refused the members by its own policy (a pull site's agent); the message names the rule. */
  RefusedBySite: Reason.RefusedBySite,
  /** Replacement replicas were placed elsewhere while a site's lease is expired (its own stay planned). */
  ReplacementsPlaced: 'ReplacementsPlaced',
  /** Replacements were scaled back: the site whose lease had expired answers again. */
  ReplacementsScaledBack: 'ReplacementsScaledBack',
  /** No site could take any replica. */
  Unschedulable: 'Unschedulable',
  /** Member objects of an earlier placement were deleted at a site outside the assignment. */
  Fenced: 'Fenced',
  /** Writing member objects at a site failed; retried. */
  MemberWriteFailed: 'MemberWriteFailed',
  /** The spec cannot be read by placement (a quantity that does not parse). */
  InvalidSpec: 'InvalidSpec',
  /** Ready turned True or False. */
  Ready: 'Ready',
  NotReady: 'NotReady',
  /** Member objects were deleted everywhere after the service was deleted. */
  CleanedUp: 'CleanedUp',
} as const;
