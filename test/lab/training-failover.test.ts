/**
 * TrainingJob failover, end to end with the operator and agents running: a job whose site goes silent moves to the
 * other site that can run it, under a new epoch, after the lease and the grace; the attempt at the lost site is
 * closed as SiteLost, and at no moment do two unfinished member Jobs of the job exist across the federation.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { controlComponent } from '../../src/lab/lab.ts';
import { applyYaml, conditionOf, cordoned, getSite, getTrainingJob } from './support/hub.ts';
import { eventually, kubectl, kubectlJson, type SharedLab } from './support/shared-lab.ts';
import { keepRunning, portableJob, useWorkloadNamespace } from './support/workload-namespace.ts';
import { EARLIEST_MOVE_S, TEST_TIMING } from './support/timing.ts';

const t = useWorkloadNamespace('failover');
let lab: SharedLab;
let hub: string;
const ns = t.ns;

beforeAll(() => {
  ({ lab, hub } = t);
});

interface JobLite {
  metadata: { name: string; labels?: Record<string, string>; deletionTimestamp?: string };
  status?: { conditions?: Array<{ type: string; status: string }> };
}

function memberJobsAt(site: string, name: string): JobLite[] {
  const sel = `suanwang.io/workload=${name},suanwang.io/namespace=${ns}`;
  return kubectlJson<{ items: JobLite[] }>(lab.kubeconfig(site), ['get', 'jobs', '-A', '-l', sel]).items;
}

/** unfinished counts, per site, the member Jobs that could still run: not being deleted, neither Complete nor Failed. */
function unfinished(name: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const site of lab.sites) {
    const n = memberJobsAt(site, name).filter(
      (j) =>
        j.metadata.deletionTimestamp === undefined &&
        !(j.status?.conditions ?? []).some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True'),
    ).length;
    if (n > 0) out[site] = n;
  }
  return out;
}

describe('training job failover', () => {
  it('moves a job off a lost site to the other site that fits, under a new epoch, never running two copies', async () => {
    const name = 'portable';
    // The job starts at shanghai, a push site: the hub reaches its apiserver while its agent is down, so the old copy
    // goes before the agent is back (at a pull site it goes once the agent returns: pull-mode.test.ts). guizhou, the
    // other site that fits, is cordoned until then.
    const placed = await cordoned(hub, 'guizhou', async () => {
      applyYaml(hub, portableJob(name), ns);
      return eventually(() => {
        const tj = getTrainingJob(hub, ns, name);
        expect(tj.status?.site).toBe('shanghai');
        return tj;
      }, { timeoutMs: 60_000, intervalMs: 300 });
    });
    const lost = 'shanghai';
    const other = 'guizhou';
    expect(placed.status?.placement?.epoch).toBe(1);

    // kwok completes Job pods after 12 s here; the lease and the grace take longer, so the pods at the site about
    // to be lost are given a longer run (kwok re-reads the delay annotation when a pod changes).
    await keepRunning(t, lost, name);
    await eventually(() => expect(getTrainingJob(hub, ns, name).status?.phase).toBe('Running'), { timeoutMs: 30_000, intervalMs: 200 });

    let maxUnfinished = 0;
    // The clock starts before the stop: the site's last heartbeat came at most one interval before it.
    const t0 = performance.now();
    await controlComponent(lab.dir, 'stop', 'agent', lost);
    try {
      const moved = await eventually(() => {
        maxUnfinished = Math.max(maxUnfinished, Object.values(unfinished(name)).reduce((a, b) => a + b, 0));
        const tj = getTrainingJob(hub, ns, name);
        expect(tj.status?.site).toBe(other);
        return tj;
      }, { timeoutMs: TEST_TIMING.leaseMs + TEST_TIMING.siteLostGraceMs + 30_000, intervalMs: 300 });
      const took = (performance.now() - t0) / 1000;
      console.log(`${name} moved from ${lost} to ${other} after ${took.toFixed(1)} s (lease ${TEST_TIMING.leaseMs / 1000} s + grace ${TEST_TIMING.siteLostGraceMs / 1000} s)`);
      expect(took).toBeGreaterThanOrEqual(EARLIEST_MOVE_S);
      expect(moved.status?.placement?.epoch).toBe(2);
      expect(moved.status?.failovers).toBe(1);
      const [first, second] = moved.status?.attempts ?? [];
      expect(first).toMatchObject({ site: lost, epoch: 1, outcome: 'SiteLost' });
      expect(first?.message).toMatch(/not Ready/);
      expect(second).toMatchObject({ site: other, epoch: 2 });

      // The lost site's apiserver still answers (only its agent is down): the old copy is deleted there, and the
      // job runs on at the other site, resuming from its checkpoint; one unfinished member Job at most, throughout.
      await eventually(() => {
        maxUnfinished = Math.max(maxUnfinished, Object.values(unfinished(name)).reduce((a, b) => a + b, 0));
        expect(memberJobsAt(lost, name)).toEqual([]);
        const at = memberJobsAt(other, name);
        expect(at.map((j) => j.metadata.labels?.['suanwang.io/epoch'])).toEqual(['2']);
      }, { timeoutMs: 30_000, intervalMs: 300 });
      const done = await eventually(() => {
        maxUnfinished = Math.max(maxUnfinished, Object.values(unfinished(name)).reduce((a, b) => a + b, 0));
        const tj = getTrainingJob(hub, ns, name);
        expect(tj.status?.phase).toBe('Succeeded');
        return tj;
      }, { timeoutMs: 60_000, intervalMs: 300 });
      expect(done.status?.site).toBe(other);
      expect(maxUnfinished).toBeLessThanOrEqual(1);
      const events = kubectl(hub, ['get', 'events', '-n', ns, '--field-selector', `involvedObject.name=${name}`, '-o', 'jsonpath={.items[*].reason}']).stdout;
      expect(events).toMatch(/FailingOver/);
    } finally {
      await controlComponent(lab.dir, 'start', 'agent', lost);
      await eventually(() => expect(conditionOf(getSite(hub, lost), 'Ready')?.status).toBe('True'), { timeoutMs: 60_000, intervalMs: 500 });
    }
    // Back: the returning site gets nothing of the job again.
    expect(memberJobsAt(lost, name)).toEqual([]);
  });
});
