/**
 * The capabilities an agent announces at Register (RegisterRequest.capabilities) and the operator accepts: feature
 * flags that let either side be newer than the other.
 */

/** Capability names each feature flag. */
export const Capability = {
  /** The agent sends SiteDelta messages between snapshots. */
  Deltas: 'deltas',
  /** The agent sends HealthEvent messages. */
  HealthEvents: 'health-events',
  /** Pull mode: the agent applies the MemberSync the operator sends and answers with MemberReport messages. */
  MemberSync: 'member-sync',
} as const;
export type CapabilityName = (typeof Capability)[keyof typeof Capability];

/** DEFAULT_AGENT_CAPABILITIES are what an agent announces unless told otherwise: no member sync (push mode). */
export const DEFAULT_AGENT_CAPABILITIES: readonly CapabilityName[] = [Capability.Deltas, Capability.HealthEvents];
