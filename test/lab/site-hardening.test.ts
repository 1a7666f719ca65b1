/**
 * What a site sends and what a Secret holds cannot freeze or subvert the operator, end to end:
 * - a node labelled with a pool name the Site CRD refuses (`GPU_Pool`, a valid label value) is dropped from the
 *   report and named in ReportAccepted, the site stays Ready, and when its agent then dies the Site still goes
 *   Unknown/LeaseExpired and False/SiteLost and the TrainingJob placed there fails over (before, every status write
 *   was refused from the label on, so the dead site stayed Ready forever);
 * - a site kubeconfig whose user is an exec plugin never runs (its marker file is never written), and the Site says
 *   why in ConnectionAccepted; a Secret outside the operator's namespace is refused the same way.
 * The shared lab is left as found: the label is restored and the agent restarted even when an expectation fails.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dump, load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { LABEL_POOL, SYSTEM_NAMESPACE } from '../../src/api/names.ts';
import { controlComponent } from '../../src/lab/lab.ts';
import { applyYaml, conditionOf, getSite, getTrainingJob } from './support/hub.ts';
import { eventually, kubectl, kubectlJson } from './support/shared-lab.ts';
import { TEST_TIMING } from './support/timing.ts';
import { keepRunning, portableJob, useWorkloadNamespace } from './support/workload-namespace.ts';

const t = useWorkloadNamespace('hardening');

function poolNodes(site: string, pool: string): string[] {
  return kubectlJson<{ items: Array<{ metadata: { name: string } }> }>(t.lab.kubeconfig(site), ['get', 'nodes', '-l', `${LABEL_POOL}=${pool}`]).items.map((n) => n.metadata.name);
}

function label(site: string, node: string, pool: string): void {
  const r = kubectl(t.lab.kubeconfig(site), ['label', 'node', node, `${LABEL_POOL}=${pool}`, '--overwrite']);
  expect(r.code, r.stderr).toBe(0);
}

describe('what a site reports', () => {
  it('drops a pool name the CRD refuses, keeps the site Ready, and still fails a dead site over', async () => {
    const { hub, ns } = t;
    const name = 'badlabel';
    applyYaml(hub, portableJob(name), ns);
    const placed = await eventually(() => {
      const tj = getTrainingJob(hub, ns, name);
      expect(tj.status?.site).toMatch(/^(shanghai|guizhou)$/);
      return tj;
    }, { timeoutMs: 60_000, intervalMs: 300 });
    const site = placed.status?.site ?? '';
    const other = site === 'shanghai' ? 'guizhou' : 'shanghai';
    // kwok completes Job pods after 12 s here: keep these running until the failover (see training-failover.test.ts).
    await keepRunning(t, site, name);
    await eventually(() => expect(getTrainingJob(hub, ns, name).status?.phase).toBe('Running'), { timeoutMs: 30_000, intervalMs: 200 });

    expect(conditionOf(getSite(hub, site), 'ReportAccepted')).toMatchObject({ status: 'True', reason: 'ReportValid' });
    const cpuNodes = poolNodes(site, 'cpu');
    const node = cpuNodes[0] ?? '';
    expect(node).not.toBe('');
    let agentStopped = false;
    label(site, node, 'GPU_Pool');
    try {
      // 1. The report is written without the bad pool, and says so; the site stays Ready.
      const reported = await eventually(() => {
        const s = getSite(hub, site);
        const accepted = conditionOf(s, 'ReportAccepted');
        expect(accepted).toMatchObject({ status: 'False', reason: 'InvalidPoolName' });
        expect(s.status?.nodePools?.find((p) => p.name === 'cpu')?.nodes).toBe(cpuNodes.length - 1);
        return s;
      }, { timeoutMs: 30_000, intervalMs: 300 });
      expect(conditionOf(reported, 'ReportAccepted')?.message).toMatch(/nodePools\["GPU_Pool"\]/);
      expect(conditionOf(reported, 'Ready')?.status).toBe('True');
      expect(reported.status?.nodePools?.map((p) => p.name)).not.toContain('GPU_Pool');

      // 2. Its agent dies: Unknown after the lease, Lost after lost-after, and the job moves to the other site.
      await controlComponent(t.lab.dir, 'stop', 'agent', site);
      agentStopped = true;
      await eventually(() => expect(conditionOf(getSite(hub, site), 'Ready')).toMatchObject({ status: 'Unknown', reason: 'LeaseExpired' }), {
        timeoutMs: TEST_TIMING.leaseMs + 15_000,
        intervalMs: 250,
      });
      await eventually(() => expect(conditionOf(getSite(hub, site), 'Ready')).toMatchObject({ status: 'False', reason: 'SiteLost' }), {
        timeoutMs: TEST_TIMING.lostAfterMs + 15_000,
        intervalMs: 500,
      });
      const moved = await eventually(() => {
        const tj = getTrainingJob(hub, ns, name);
        expect(tj.status?.site).toBe(other);
        return tj;
      }, { timeoutMs: 30_000, intervalMs: 300 });
      expect(moved.status?.attempts?.[0]).toMatchObject({ site, outcome: 'SiteLost' });
      expect(moved.status?.placement?.epoch).toBe(2);
    } finally {
      // The lab is shared: put the node back in its pool and the agent back, whatever happened above.
      label(site, node, 'cpu');
      if (agentStopped) await controlComponent(t.lab.dir, 'start', 'agent', site);
    }
    await eventually(() => {
      const s = getSite(hub, site);
      expect(conditionOf(s, 'Ready')?.status).toBe('True');
      expect(conditionOf(s, 'ReportAccepted')?.status).toBe('True');
      expect(s.status?.nodePools?.find((p) => p.name === 'cpu')?.nodes).toBe(cpuNodes.length);
    }, { timeoutMs: 60_000, intervalMs: 500 });
  });
});

describe('what a site kubeconfig Secret holds', () => {
  it('never runs an exec plugin, and the Site says why; nor reads a Secret outside the operator namespace', async () => {
    const { hub } = t;
    const dir = mkdtempSync(join(tmpdir(), 'suanwang-exec-'));
    const marker = join(dir, 'marker');
    // A real site's apiserver and CA, so the kubeconfig would work if the plugin ran.
    const real = load(readFileSync(t.lab.kubeconfig('beijing'), 'utf8')) as { clusters: Array<{ cluster: { server: string; 'certificate-authority-data': string } }> };
    const cluster = real.clusters[0]?.cluster;
    expect(cluster?.server).toMatch(/^https:/);
    const hostile = dump({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'beijing', cluster }],
      users: [
        {
          name: 'plugin',
          user: { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: '/bin/sh', args: ['-c', `touch ${marker}`], interactiveMode: 'Never' } },
        },
      ],
      contexts: [{ name: 'beijing', context: { cluster: 'beijing', user: 'plugin' } }],
      'current-context': 'beijing',
    });
    const file = join(dir, 'kubeconfig');
    writeFileSync(file, hostile);
    const secret = 'site-exec-probe-kubeconfig';
    try {
      expect(kubectl(hub, ['-n', SYSTEM_NAMESPACE, 'create', 'secret', 'generic', secret, `--from-file=kubeconfig=${file}`]).code).toBe(0);
      applyYaml(hub, `apiVersion: suanwang.io/v1alpha1
kind: Site
metadata: { name: exec-probe }
spec:
  region: cn-north
  connection:
    kubeconfigSecretRef: { name: ${secret} }
---
apiVersion: suanwang.io/v1alpha1
kind: Site
metadata: { name: ns-probe }
spec:
  region: cn-north
  connection:
    kubeconfigSecretRef: { name: site-beijing-kubeconfig, namespace: kube-system }
`);
      const refused = await eventually(() => {
        const c = conditionOf(getSite(hub, 'exec-probe'), 'ConnectionAccepted');
        expect(c).toMatchObject({ status: 'False', reason: 'KubeconfigNotAllowed' });
        return c;
      }, { timeoutMs: 30_000, intervalMs: 300 });
      expect(refused?.message).toMatch(/users\[0\]\.user\.exec is not allowed: site kubeconfigs may hold inline credentials only/);
      expect(conditionOf(getSite(hub, 'exec-probe'), 'Ready')?.status).not.toBe('True');
      const elsewhere = await eventually(() => {
        const c = conditionOf(getSite(hub, 'ns-probe'), 'ConnectionAccepted');
        expect(c).toMatchObject({ status: 'False', reason: 'SecretNamespaceNotAllowed' });
        return c;
      }, { timeoutMs: 30_000, intervalMs: 300 });
      expect(elsewhere?.message).toMatch(/namespace kube-system is not allowed/);
      // The real push sites' kubeconfigs are inline credentials for https servers: accepted (a pull site has none).
      for (const s of t.lab.sites) {
        const site = getSite(hub, s);
        const reason = site.spec.connection.mode === 'Pull' ? 'PullMode' : 'KubeconfigAccepted';
        expect(conditionOf(site, 'ConnectionAccepted'), s).toMatchObject({ status: 'True', reason });
      }

      // Every part of the operator that reaches sites has had its turn (member informers start at once, the status
      // pass ran): give it a few heartbeats more, then the marker must still be absent.
      await new Promise((r) => setTimeout(r, 3 * TEST_TIMING.heartbeatIntervalMs));
      expect(existsSync(marker), 'the exec plugin ran inside the operator').toBe(false);
    } finally {
      kubectl(hub, ['delete', 'site', 'exec-probe', 'ns-probe', '--ignore-not-found', '--wait=true']);
      kubectl(hub, ['-n', SYSTEM_NAMESPACE, 'delete', 'secret', secret, '--ignore-not-found']);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
