/**
 * Timing of the shared test lab's federation: short heartbeats and lease so failure tests take seconds, in the same
 * proportions as the product defaults (10 s heartbeats, 40 s lease). The operator's safety-net poll is set to a
 * minute, far beyond any wait in the tests: a member's change must reach the hub through the member informers.
 * A silent site is SiteLost after 20 s: later than lease + grace (14 s), so failover tests still see work move by
 * the grace first, and soon enough for a test to wait for SiteLost. A gang whose workers do not all run within 15 s
 * (kwok runs bound pods at once) is withdrawn.
 */
export const TEST_TIMING = {
  heartbeatIntervalMs: 2000,
  leaseMs: 8000,
  reporterIntervalMs: 1000,
  siteLostGraceMs: 6000,
  pollIntervalMs: 60_000,
  lostAfterMs: 20_000,
  gangStartTimeoutMs: 15_000,
} as const;

/** TEST_POD_COMPLETE_DELAY_MS is how long kwok keeps Job pods Running in the shared test lab. */
export const TEST_POD_COMPLETE_DELAY_MS = 12_000;

/**
 * EARLIEST_MOVE_S is the soonest, in seconds from the moment a site's agent is stopped, that its work may move:
 * lease + grace, less what the design allows — the last heartbeat came up to one interval before the stop, and the
 * Ready transition is stamped in whole seconds (so the grace may start up to 1 s early). A test that saw the move
 * sooner has found work moved before its site was given up.
 */
export const EARLIEST_MOVE_S =
  (TEST_TIMING.leaseMs + TEST_TIMING.siteLostGraceMs - TEST_TIMING.heartbeatIntervalMs - 1000) / 1000;
