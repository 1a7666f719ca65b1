/**
 * A site whose apiserver the hub cannot reach, while its agent is still connected: the hub moves the training job
 * after the grace, cannot delete the old copy itself, and asks the site's agent to (the wire's FenceRequest). The
 * unreachable apiserver is made by pointing the site's kubeconfig Secret at a port where nothing listens.
 */
import { load, dump } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { siteKubeconfigSecretName, SYSTEM_NAMESPACE } from '../../src/api/names.ts';
import { freePort } from '../../src/lab/ports.ts';
import { applyYaml, cordoned, getTrainingJob } from './support/hub.ts';
import { eventually, kubectl, kubectlJson } from './support/shared-lab.ts';
import { keepRunning, portableJob, useWorkloadNamespace } from './support/workload-namespace.ts';

const t = useWorkloadNamespace('agentfence');

interface JobLite {
  metadata: { labels?: Record<string, string> };
}

function memberEpochs(site: string, name: string): string[] {
  return kubectlJson<{ items: JobLite[] }>(t.lab.kubeconfig(site), ['get', 'jobs', '-n', t.ns, '-l', `suanwang.io/workload=${name}`]).items.map(
    (j) => j.metadata.labels?.['suanwang.io/epoch'] ?? '?',
  );
}

describe('fencing through the site agent', () => {
  it('deletes the old copy at a site the hub cannot reach once the job has moved', async () => {
    const name = 'unreachable';
    // At shanghai, a push site: only a push site has a kubeconfig Secret on the hub to break (guizhou, the other site
    // that fits, is a pull site and is cordoned until then).
    const placed = await cordoned(t.hub, 'guizhou', async () => {
      applyYaml(t.hub, portableJob(name), t.ns);
      return eventually(
        () => {
          const tj = getTrainingJob(t.hub, t.ns, name);
          expect(tj.status?.phase).toBe('Running');
          return tj.status?.site ?? '';
        },
        { timeoutMs: 60_000, intervalMs: 200 },
      );
    });
    expect(placed).toBe('shanghai');
    await keepRunning(t, placed, name);

    // Cut the hub off the site's apiserver (its agent stays connected): the Secret now names a port nobody serves.
    const secretName = siteKubeconfigSecretName(placed);
    const secret = kubectlJson<{ data: Record<string, string> }>(t.hub, ['get', 'secret', secretName, '-n', SYSTEM_NAMESPACE]);
    const original = secret.data['kubeconfig'] ?? '';
    const kubeconfig = load(Buffer.from(original, 'base64').toString('utf8')) as { clusters: Array<{ cluster: { server: string } }> };
    for (const c of kubeconfig.clusters) c.cluster.server = `https://127.0.0.1:${await freePort()}`;
    const patch = (data: string): void => {
      const r = kubectl(t.hub, ['patch', 'secret', secretName, '-n', SYSTEM_NAMESPACE, '--type=merge', '-p', JSON.stringify({ data: { kubeconfig: data } })]);
      expect(r.code, r.stderr).toBe(0);
    };
    patch(Buffer.from(dump(kubeconfig)).toString('base64'));
    try {
      // The hub says so on the job, then moves it after the grace. Nothing at the site changes, so the job is next
      // looked at by the operator's poll: a minute in the shared lab (support/timing.ts).
      await eventually(
        () => expect(getTrainingJob(t.hub, t.ns, name).status?.conditions?.find((c) => c.type === 'Placed')?.reason).toBe('SiteUnreachable'),
        { timeoutMs: 90_000, intervalMs: 250 },
      );
      const moved = await eventually(
        () => {
          const tj = getTrainingJob(t.hub, t.ns, name);
          expect(tj.status?.site).not.toBe(placed);
          expect(tj.status?.placement?.epoch).toBe(2);
          return tj.status?.site ?? '';
        },
        { timeoutMs: 60_000, intervalMs: 250 },
      );
      // The hub cannot delete the epoch-1 copy there; the site's agent, asked over the wire, does.
      await eventually(() => expect(memberEpochs(placed, name)).toEqual([]), { timeoutMs: 30_000, intervalMs: 250 });
      expect(memberEpochs(moved, name)).toEqual(['2']);
    } finally {
      patch(original);
    }
  });
});
