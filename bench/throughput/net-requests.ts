/**
 * A system's hub requests attributable to the workloads: what its user sent in the run's window less its idle rate
 * (leases, heartbeats, resyncs — measured in a window just before the run) over the run's length. The same
 * arithmetic for Suanwang's operator and for Kueue's manager, so their per-workload figures compare.
 */

/** RequestWindows are the audit log's counts for one user in the run and the idle window before it. */
export interface RequestWindows {
  /** gross: requests received in the run's window, which lasted runSeconds. */
  readonly gross: number;
  readonly runSeconds: number;
  /** idle: requests received in the idle window, which lasted idleSeconds. */
  readonly idle: number;
  readonly idleSeconds: number;
}

/** NetRequests is the run's count split into the idle part and the rest. */
export interface NetRequests {
  readonly gross: number;
  /** idleScaled: the idle rate times the run's length. */
  readonly idleScaled: number;
  /** net: gross less idleScaled, never below zero. */
  readonly net: number;
}

/** netRequests subtracts the idle rate, scaled to the run's window, from the run's requests. */
export function netRequests(w: RequestWindows): NetRequests {
  for (const [name, v] of Object.entries(w)) if (!(Number.isFinite(v) && v >= 0)) throw new Error(`${name}: expected a number ≥ 0, got ${v}`);
  const idleScaled = w.idleSeconds > 0 ? (w.idle * w.runSeconds) / w.idleSeconds : 0;
  return { gross: w.gross, idleScaled, net: Math.max(0, w.gross - idleScaled) };
}

/** perWorkload divides a count by the workloads, two decimals. */
export function perWorkload(count: number, workloads: number): string {
  if (!(workloads > 0)) throw new Error(`workloads: expected a number above 0, got ${workloads}`);
  return (count / workloads).toFixed(2);
}
