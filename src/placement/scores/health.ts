/**
 * Score: healthier pools first. Unhealthy devices already shrink a pool's allocatable (the gang filter sees only
 * healthy ones); this score goes further and prefers pools where fewer devices are failing, since failures cluster
 * (a bad power shelf, a hot rack) and a pool with some failed devices is likelier to lose more. Pools without devices
 * are rated by their ready nodes.
 */
import type { PoolInfo } from '../snapshot.ts';
import { clampScore, type ScorePlugin } from './score.ts';

/** poolHealth is 100 × healthy/(healthy + unhealthy) devices, or 100 × ready/all nodes for a pool without devices. */
export function poolHealth(pool: PoolInfo): number {
  const devices = pool.healthyDevices + pool.unhealthyDevices;
  if (devices > 0) return clampScore((100 * pool.healthyDevices) / devices);
  if (pool.nodes > 0) return clampScore((100 * pool.readyNodes) / pool.nodes);
  return 100;
}

/** health scores healthier pools higher. */
export const health: ScorePlugin = {
  name: 'health',
  applies: () => true,
  score: (_workload, options) => options.map((o) => poolHealth(o.pool)),
};
