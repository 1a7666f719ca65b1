/**
 * Site rules: which sites a workload may run on at all (sovereignty, compliance, operator choice). TrainingJob and
 * InferenceService placement both start with these; they are filters, never preferences.
 */
import { dns1123Label, LABEL_VALUE_PATTERN, rule, setList, str, type CelRule, type Schema } from './builders.ts';
import { labelMap } from './labels.ts';

/** SITE_RULE_PROPERTIES are the placement fields that restrict the candidate sites. */
export const SITE_RULE_PROPERTIES: Readonly<Record<string, Schema>> = {
  regions: setList(
    'Regions (Site spec.region) the workload may run in; empty means any region.',
    str('A region, for example cn-east.', { minLength: 1, maxLength: 63, pattern: LABEL_VALUE_PATTERN }),
    { maxItems: 64 },
  ),
  sites: setList(
    'Sites the workload may run on; empty means any site.',
    dns1123Label('Name of a Site.'),
    { maxItems: 64 },
  ),
  excludedSites: setList(
    'Sites the workload must never run on.',
    dns1123Label('Name of a Site.'),
    { maxItems: 64 },
  ),
  siteSelector: labelMap(
    'Labels (Site spec.labels) a site must carry, each with the given value, for example suanwang.io/sovereignty: cn.',
    'siteSelector',
  ),
};

/** SITE_RULE_RULES are the cross-field rules on the object holding SITE_RULE_PROPERTIES. */
export const SITE_RULE_RULES: readonly CelRule[] = [
  rule(
    '!has(self.sites) || !has(self.excludedSites) || self.sites.all(s, !(s in self.excludedSites))',
    'a site cannot be both allowed (sites) and excluded (excludedSites)',
    '.excludedSites',
  ),
];
