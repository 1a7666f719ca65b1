/**
 * Pull sites' policies in the lab: a topology's `sitePolicy:` block (docs/site-policy.md) is checked with the agent's
 * own reader before anything starts, each problem named by the topology file, its line and the field under
 * `sites[i].sitePolicy`, and written as the policy file the site's agent reads (`--site-policy`).
 */
import { dump } from 'js-yaml';
import { parseSitePolicy } from '../agent/site/site-policy-file.ts';
import { ConfigError, pathString, type ConfigIssue, type PathSegment, type YamlSource } from '../api/yaml-source.ts';
import type { Topology, TopologySite } from '../api/topology-file.ts';

/**
 * checkSitePolicies reads every site's policy as its agent will; throws one ConfigError listing each bad field with
 * the topology's file and line.
 */
export function checkSitePolicies(src: YamlSource, topology: Topology): void {
  const issues: ConfigIssue[] = [];
  topology.sites.forEach((site, i) => {
    if (site.sitePolicy === undefined) return;
    try {
      // The agent reads the written file (sitePolicyYaml); its JSON twin parses to the same document.
      parseSitePolicy(JSON.stringify(site.sitePolicy), src.file);
    } catch (err: unknown) {
      if (!(err instanceof ConfigError)) throw err;
      // Sites keep their file order in the topology (parseTopologyFile), so `i` is this site's index in the file.
      const base: PathSegment[] = ['sites', i, 'sitePolicy'];
      for (const issue of err.issues) {
        const path = [...base, ...pathSegments(issue.path)];
        issues.push({ file: src.file, line: src.lineOf(path), path: pathString(path), message: issue.message });
      }
    }
  });
  if (issues.length > 0) throw new ConfigError(issues);
}

/** pathSegments turns `pods.capabilities[0]` back into ['pods', 'capabilities', 0] (pathString's inverse). */
export function pathSegments(path: string): PathSegment[] {
  return [...path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) => (m[2] === undefined ? (m[1] as string) : Number(m[2])));
}

/** sitePolicyYaml is the policy file of a pull site's agent, as the topology wrote the policy. */
export function sitePolicyYaml(topologyFile: string, site: TopologySite): string {
  if (site.sitePolicy === undefined) throw new Error(`site ${site.name} has no sitePolicy`);
  return `# Site policy of ${site.name} (docs/site-policy.md), from ${topologyFile}.\n${dump(site.sitePolicy, { lineWidth: -1 })}`;
}
