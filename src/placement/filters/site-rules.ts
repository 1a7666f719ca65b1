/**
 * Filter: the workload's own rules on where it may run (regions, named sites, excluded sites, required site labels).
 * These carry sovereignty and compliance, so they are never relaxed to make a workload fit.
 */
import { compareStrings, sortedUnique } from '../order.ts';
import { verdict, type FilterResult, type SiteCandidate } from './filter.ts';

/** siteRules rejects a site that breaks any of the workload's placement rules, with one reason per broken rule. */
export function siteRules({ workload, site }: SiteCandidate): FilterResult {
  const { regions, sites, excludedSites, siteSelector } = workload.rules;
  const reasons: string[] = [];
  if (regions.length > 0 && !regions.includes(site.region)) {
    reasons.push(`region ${site.region} not allowed (allowed: ${sortedUnique(regions).join(', ')})`);
  }
  if (sites.length > 0 && !sites.includes(site.name)) {
    reasons.push(`site not allowed (allowed: ${sortedUnique(sites).join(', ')})`);
  }
  if (excludedSites.includes(site.name)) reasons.push('site excluded');
  for (const key of Object.keys(siteSelector).sort(compareStrings)) {
    const want = siteSelector[key];
    const have = site.labels[key];
    if (have !== want) reasons.push(`label ${key}=${want} required (site has ${have === undefined ? 'none' : have})`);
  }
  return verdict(reasons);
}
