/**
 * Filter: the site can take new work. A site whose Ready condition is not True (agent lost, lease expired, never
 * connected) gets nothing new: its status may be stale and the workload could not be started there anyway. A cordoned
 * site keeps what runs there but takes nothing new (Site spec.cordon).
 */
import { verdict, type FilterResult, type SiteCandidate } from './filter.ts';

/** siteReady rejects sites that are not Ready, and cordoned sites. */
export function siteReady({ site }: SiteCandidate): FilterResult {
  const reasons: string[] = [];
  if (site.cordoned) reasons.push('cordoned');
  if (!site.ready) reasons.push(`not Ready (${site.notReadyReason ?? 'Unknown'})`);
  return verdict(reasons);
}
