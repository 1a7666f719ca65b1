/**
 * Helpers for e2e tests that read Suanwang objects on the lab's hub.
 */
import type { Site, TrainingJob } from '../../../src/api/generated/types.ts';
import { kubectl, kubectlJson } from './shared-lab.ts';

/** site reads one Site from the hub. */
export function getSite(hub: string, name: string): Site {
  return kubectlJson<Site>(hub, ['get', 'site', name]);
}

/** condition returns the status of a condition type on an object with status.conditions. */
export function conditionOf(obj: { status?: { conditions?: Array<{ type: string; status: string; reason: string; message: string }> } }, type: string) {
  return obj.status?.conditions?.find((c) => c.type === type);
}

/** pool returns a node pool of a Site's status by name. */
export function poolOf(site: Site, name: string) {
  const p = site.status?.nodePools?.find((x) => x.name === name);
  if (!p) throw new Error(`site ${site.metadata.name} has no pool ${name} in status (pools: ${site.status?.nodePools?.map((x) => x.name).join(', ') ?? 'none'})`);
  return p;
}

/** getTrainingJob reads a TrainingJob from the hub. */
export function getTrainingJob(hub: string, ns: string, name: string): TrainingJob {
  return kubectlJson<TrainingJob>(hub, ['get', 'trainingjob', name, '-n', ns]);
}

/** applyYaml applies a manifest (string) and fails the test with kubectl's stderr when it is refused. */
export function applyYaml(kubeconfig: string, yaml: string, ns?: string): void {
  const r = kubectl(kubeconfig, ['apply', ...(ns ? ['-n', ns] : []), '-f', '-'], { input: yaml });
  if (r.code !== 0) throw new Error(`kubectl apply failed: ${r.stderr}`);
}

/**
 * cordoned runs `fn` with `site` taking no new work (spec.cordon), and uncordons it after, so that a workload with a
 * choice of sites lands where a test wants it.
 */
export async function cordoned<T>(hub: string, site: string, fn: () => Promise<T>): Promise<T> {
  const cordon = (on: boolean): void => {
    const r = kubectl(hub, ['patch', 'site', site, '--type=merge', '-p', JSON.stringify({ spec: { cordon: on } })]);
    if (r.code !== 0) throw new Error(`cordon ${site}=${on}: ${r.stderr}`);
  };
  cordon(true);
  try {
    return await fn();
  } finally {
    cordon(false);
  }
}
