/**
 * What an attempt costs per hour where it was placed: its devices × the site's price per device-hour of the pool's
 * model. Recorded on the attempt when it starts (status.attempts[].pricePerHour), so metering multiplies by the
 * duration and a later price change never rewrites what was already spent.
 */
import type { Site } from '../api/generated/types.ts';
import { DEFAULT_CURRENCY } from '../api/names.ts';
import { normaliseModel } from '../placement/model.ts';
import type { Amounts } from './amounts.ts';

/** AttemptPrice is a price per hour and its currency. */
export interface AttemptPrice {
  readonly perHour: number;
  readonly currency: string;
}

/**
 * attemptPrice prices `charge` on pool `poolName` of `site`: undefined for a CPU pool, or when the site lists no price
 * for the pool's model (the attempt is metered in resource-hours only).
 */
export function attemptPrice(site: Site, poolName: string | undefined, charge: Amounts): AttemptPrice | undefined {
  const pool = site.status?.nodePools?.find((p) => p.name === poolName);
  const accelerator = pool?.accelerator;
  if (accelerator === undefined) return undefined;
  const devices = charge[accelerator.resourceName ?? ''] ?? 0;
  if (devices <= 0) return undefined;
  const price = site.spec.pricing?.accelerators?.find((p) => normaliseModel(p.model) === normaliseModel(accelerator.model));
  if (price === undefined) return undefined;
  return { perHour: Math.round(devices * price.pricePerHour * 1e6) / 1e6, currency: site.spec.pricing?.currency ?? DEFAULT_CURRENCY };
}
