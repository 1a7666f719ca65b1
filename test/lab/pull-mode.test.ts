/**
 * Pull mode end to end, on the shared lab (examples/lab/default.yaml: shanghai push, guizhou pull): the hub holds no
 * credential for guizhou and its operator never calls guizhou's apiserver (the site's audit log says who did); a
 * training job and an inference service run there, applied by the site's agent; a job whose image the site's policy
 * refuses is refused there with the reason on the job and runs at shanghai; a job fails over from guizhou when its
 * agent is cut off, and exactly one copy is left once the agent is back; deleting a job removes its members there.
 */
import { readFileSync } from 'node:fs';
import { expect, describe, it } from 'vitest';
import type { V1Job } from '@kubernetes/client-node';
import { controlComponent } from '../../src/lab/lab.ts';
import { readState } from '../../src/lab/state.ts';
import { applyYaml, conditionOf, cordoned as cordonedAt, getSite, getTrainingJob } from './support/hub.ts';
import { eventually, kubectl, kubectlJson } from './support/shared-lab.ts';
import { TEST_TIMING } from './support/timing.ts';
import { keepRunning as keepPodsRunningAt, portableJob, useWorkloadNamespace } from './support/workload-namespace.ts';

const PULL = 'guizhou';
const PUSH = 'shanghai';

const t = useWorkloadNamespace('pull-mode');
const NS = t.ns;
const kubeconfigOf = (cluster: string): string => t.lab.kubeconfig(cluster);
const hub = (): string => t.hub;

/** memberJobs lists the member Jobs of a workload at a site, read with the lab's own admin credentials. */
function memberJobs(site: string, name: string): V1Job[] {
  return kubectlJson<{ items: V1Job[] }>(kubeconfigOf(site), ['get', 'jobs', '-A', '-l', `suanwang.io/workload=${name}`, '--show-managed-fields']).items;
}

const running = (jobs: readonly V1Job[]): V1Job[] =>
  jobs.filter((j) => j.metadata?.deletionTimestamp === undefined && !(j.status?.conditions ?? []).some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True'));

/** keepRunning gives a job's pods at a site a long run (support/workload-namespace.ts). */
const keepRunning = (site: string, name: string): Promise<void> => keepPodsRunningAt(t, site, name);
const cordoned = (site: string, fn: () => Promise<void>): Promise<void> => cordonedAt(hub(), site, fn);


describe('pull mode', () => {
  it('holds no credential for the pull site, which is Ready with its connection accepted in pull mode', async () => {
    const site = getSite(hub(), PULL);
    expect(site.spec.connection.mode).toBe('Pull');
    expect(site.spec.connection.kubeconfigSecretRef).toBeUndefined();
    const secrets = kubectlJson<{ items: { metadata: { name: string } }[] }>(hub(), ['get', 'secrets', '-n', 'suanwang-system']).items.map((s) => s.metadata.name);
    expect(secrets.filter((n) => n.includes(PULL))).toEqual([]);
    expect(secrets.some((n) => n.includes(PUSH))).toBe(true);
    await eventually(() => {
      const s = getSite(hub(), PULL);
      expect(conditionOf(s, 'Ready')?.status).toBe('True');
      expect(conditionOf(s, 'ConnectionAccepted')).toMatchObject({ status: 'True', reason: 'PullMode' });
    }, { timeoutMs: 60_000, intervalMs: 500 });
  });

  it('refuses an image the site does not allow, says why on the job, and runs it at the push site', async () => {
    applyYaml(hub(), portableJob('refused', 'images.example.org/miner:1'), NS);
    const moved = await eventually(() => {
      const tj = getTrainingJob(hub(), NS, 'refused');
      expect(tj.status?.site).toBe(PUSH);
      return tj;
    }, { timeoutMs: 90_000, intervalMs: 500 });
    const [first] = moved.status?.attempts ?? [];
    expect(first).toMatchObject({ site: PULL, outcome: 'Refused' });
    expect(first?.message).toMatch(/^site guizhou refused the members \(ImageNotAllowed\): /);
    expect(memberJobs(PULL, 'refused')).toEqual([]);
    const events = kubectl(hub(), ['get', 'events', '-n', NS, '--field-selector', 'involvedObject.name=refused', '-o', 'jsonpath={.items[*].reason}']).stdout;
    expect(events).toContain('RefusedBySite');
  });

  // The same scenarios at the push site and at the pull site: the controllers go through one member port either way.
  describe.each([
    { mode: 'push', site: PUSH, other: PULL, manager: 'suanwang-operator' },
    { mode: 'pull', site: PULL, other: PUSH, manager: 'suanwang-agent' },
  ])('at the $mode site ($site)', ({ mode, site, other, manager }) => {
    const job = `train-${mode}`;

    it('runs a training job, its members applied by the right field manager', async () => {
      await cordoned(other, async () => {
        applyYaml(hub(), portableJob(job), NS);
        await eventually(() => expect(getTrainingJob(hub(), NS, job).status?.site).toBe(site), { timeoutMs: 90_000, intervalMs: 500 });
      });
      await eventually(() => expect(getTrainingJob(hub(), NS, job).status?.phase).toBe('Succeeded'), { timeoutMs: 90_000, intervalMs: 500 });
      const [member] = memberJobs(site, job);
      expect(member?.metadata?.managedFields?.map((f) => f.manager)).toContain(manager);
    });

    it('removes a deleted job’s members', async () => {
      expect(memberJobs(site, job)).not.toEqual([]);
      expect(kubectl(hub(), ['delete', 'trainingjob', job, '-n', NS, '--wait=true', '--timeout=90s']).code).toBe(0);
      await eventually(() => expect(memberJobs(site, job)).toEqual([]), { timeoutMs: 60_000, intervalMs: 500 });
    });

    it('fails over when the site’s agent is cut off, and leaves exactly one copy once it is back', async () => {
      const name = `move-${mode}`;
      await cordoned(other, async () => {
        applyYaml(hub(), portableJob(name), NS);
        await eventually(() => expect(getTrainingJob(hub(), NS, name).status?.site).toBe(site), { timeoutMs: 90_000, intervalMs: 500 });
        await keepRunning(site, name);
        await eventually(() => expect(getTrainingJob(hub(), NS, name).status?.phase).toBe('Running'), { timeoutMs: 60_000, intervalMs: 500 });
      });
      await controlComponent(t.lab.dir, 'stop', 'agent', site);
      try {
        await eventually(() => expect(getTrainingJob(hub(), NS, name).status).toMatchObject({ site: other, placement: { epoch: 2 } }), {
          timeoutMs: TEST_TIMING.leaseMs + TEST_TIMING.siteLostGraceMs + 60_000,
          intervalMs: 500,
        });
        await keepRunning(other, name);
      } finally {
        await controlComponent(t.lab.dir, 'start', 'agent', site);
      }
      // A push site's old copy goes while its agent is down (the hub reaches its apiserver); a pull site's once its
      // agent is back and reports it. Either way exactly one copy is left, of the new epoch.
      await eventually(() => {
        expect(running(memberJobs(site, name))).toEqual([]);
        expect(running(memberJobs(other, name)).map((j) => j.metadata?.labels?.['suanwang.io/epoch'])).toEqual(['2']);
      }, { timeoutMs: 90_000, intervalMs: 500 });
      kubectl(hub(), ['delete', 'trainingjob', name, '-n', NS, '--wait=true', '--timeout=90s']);
    });

    it('runs an inference service, moves its replica when the site’s agent is cut off, and keeps exactly one', async () => {
      const svc = `serve-${mode}`;
      const replicas = (at: string): number =>
        kubectlJson<{ items: { spec?: { replicas?: number }; metadata?: { deletionTimestamp?: string } }[] }>(kubeconfigOf(at), ['get', 'deployments', '-A', '-l', `suanwang.io/workload=${svc}`])
          .items.filter((d) => d.metadata?.deletionTimestamp === undefined)
          .reduce((n, d) => n + (d.spec?.replicas ?? 0), 0);
      const status = () => kubectlJson<{ status?: { readyReplicas?: number; sites?: { site: string }[] } }>(hub(), ['get', 'inferenceservice', svc, '-n', NS]).status;
      await cordoned(other, async () => {
        applyYaml(
          hub(),
          `apiVersion: suanwang.io/v1alpha1
kind: InferenceService
metadata: { name: ${svc} }
spec:
  replicas: { min: 1, max: 1 }
  resources: { cpu: "4", memory: 16Gi }
  variants:
    - name: nvidia
      accelerator: { vendor: nvidia, model: H100, count: 1 }
      image: registry.example.com/serve:1.0
    - name: ascend
      accelerator: { vendor: huawei, model: Ascend910B, count: 1 }
      architecture: arm64
      image: registry.example.com/serve:1.0
  placement: { sites: [${site}, ${other}] }
`,
          NS,
        );
        await eventually(() => {
          expect(status()?.readyReplicas).toBe(1);
          expect(status()?.sites?.map((s) => s.site)).toEqual([site]);
        }, { timeoutMs: 90_000, intervalMs: 500 });
      });
      await controlComponent(t.lab.dir, 'stop', 'agent', site);
      try {
        await eventually(() => {
          expect(status()?.sites?.map((s) => s.site)).toEqual([other]);
          expect(status()?.readyReplicas).toBe(1);
        }, { timeoutMs: TEST_TIMING.leaseMs + TEST_TIMING.siteLostGraceMs + 60_000, intervalMs: 500 });
      } finally {
        await controlComponent(t.lab.dir, 'start', 'agent', site);
      }
      // Back: exactly the one replica, at the other site; the old Deployment is gone from the site that returned.
      await eventually(() => {
        expect(replicas(site)).toBe(0);
        expect(replicas(other)).toBe(1);
      }, { timeoutMs: 90_000, intervalMs: 500 });
      expect(kubectl(hub(), ['delete', 'inferenceservice', svc, '-n', NS, '--wait=true', '--timeout=90s']).code).toBe(0);
    });
  });

  it('was never called by the operator at the pull site: its audit log names only the site agent among Suanwang', () => {
    const state = readState(t.lab.dir);
    const pull = state?.clusters.find((c) => c.name === PULL);
    const push = state?.clusters.find((c) => c.name === PUSH);
    expect(pull?.auditLog).toBeDefined();
    const users = (file: string): Set<string> =>
      new Set(
        readFileSync(file, 'utf8')
          .split('\n')
          .filter((l) => l.trim() !== '')
          .map((l) => (JSON.parse(l) as { user?: { username?: string } }).user?.username ?? ''),
      );
    const atPull = users(pull?.auditLog ?? '');
    const atPush = users(push?.auditLog ?? '');
    // The push site shows the operator's user, so the log would show it at the pull site if it ever came.
    expect(atPush.has(push?.operatorUser ?? '?')).toBe(true);
    expect(atPull.has(pull?.operatorUser ?? '?')).toBe(false);
    expect(atPull.has(pull?.agentUser ?? '?')).toBe(true);
  });
});
