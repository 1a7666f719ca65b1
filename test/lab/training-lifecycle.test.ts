/**
 * A TrainingJob's life past its first attempt, end to end: an 8-GPU worker waits while free GPUs are split over
 * nodes and is placed once a whole node is free; a device fault under a running worker (an XID 79 at the push site
 * shanghai, an Ascend Critical at the pull site guizhou) restarts the job from its checkpoint on healthy devices with
 * never two copies running; a gang its site leaves Pending is withdrawn and runs elsewhere (at both sites); a finished job with ttlSecondsAfterFinished is deleted, with its member objects, once the TTL has passed.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { TrainingJob } from '../../src/api/generated/types.ts';
import { clearFaults, injectFault, type FaultSpec } from '../../src/lab/faults.ts';
import { applyYaml, conditionOf, cordoned, getTrainingJob } from './support/hub.ts';
import { eventually, kubectl, kubectlJson, type SharedLab } from './support/shared-lab.ts';
import { TEST_TIMING } from './support/timing.ts';
import { h100Job, keepRunning, portableJob, useWorkloadNamespace } from './support/workload-namespace.ts';

const t = useWorkloadNamespace('lifecycle');
let lab: SharedLab;
let hub: string;
const ns = t.ns;

beforeAll(() => {
  ({ lab, hub } = t);
});

interface PodLite {
  metadata: { name: string; labels?: Record<string, string>; deletionTimestamp?: string };
  spec: { nodeName?: string; containers: { env?: { name: string; value?: string }[] }[] };
  status: { phase: string };
}

function pods(site: string, name: string): PodLite[] {
  return kubectlJson<{ items: PodLite[] }>(lab.kubeconfig(site), ['get', 'pods', '-n', ns, '-l', `suanwang.io/workload=${name}`]).items;
}

/** ascendJob is one worker on 8 Ascend 910Bs (only guizhou has them in the default lab). */
function ascendJob(name: string): string {
  return h100Job(name, 1).replace('name: h100', 'name: ascend').replace('accelerator: { vendor: nvidia, model: H100, count: 8 }', 'accelerator: { vendor: huawei, model: Ascend910B, count: 8 }\n      architecture: arm64');
}

/** nvidiaJob is one worker on 8 NVIDIA devices of any model (shanghai's H100s or beijing's A100s). */
function nvidiaJob(name: string): string {
  return h100Job(name, 1).replace('name: h100', 'name: nvidia').replace('model: H100, ', '');
}

async function waitFor<T>(name: string, check: (tj: TrainingJob) => T, timeoutMs = 90_000): Promise<T> {
  return eventually(() => check(getTrainingJob(hub, ns, name)), { timeoutMs, intervalMs: 250 });
}

describe('training job lifecycle', () => {
  // The same scenarios at a push site (shanghai: the hub reads its pods and nodes) and at a pull site (guizhou: its
  // agent reports them), the hub deciding from what the member port shows either way.
  describe.each([
    {
      mode: 'push',
      site: 'shanghai',
      job: (name: string) => h100Job(name, 1),
      fault: (node: string): FaultSpec => ({ kind: 'xid', node, device: 3, xid: 79 }),
      stuck: { nodes: ['shanghai-h100-0', 'shanghai-h100-1'], elsewhere: 'beijing', job: nvidiaJob },
    },
    {
      mode: 'pull',
      site: 'guizhou',
      job: (name: string) => ascendJob(name),
      fault: (node: string): FaultSpec => ({ kind: 'ascend-critical', node, device: 2 }),
      stuck: { nodes: ['guizhou-ascend910b-0', 'guizhou-ascend910b-1'], elsewhere: 'shanghai', job: (name: string) => portableJob(name) },
    },
  ])('at the $mode site ($site)', ({ mode, site, job, fault, stuck }) => {
    it('restarts a job from its checkpoint on healthy devices after a device fault under a running worker, never two copies at once', async () => {
      const name = `device-victim-${mode}`;
      applyYaml(hub, `${job(name)}  checkpoint: { path: "s3://ckpt/${name}/" }\n`, ns);
      await waitFor(name, (tj) => expect(tj.status?.phase).toBe('Running'));
      expect(getTrainingJob(hub, ns, name).status?.site).toBe(site);
      await keepRunning(t, site, name);
      const node = pods(site, name)[0]?.spec.nodeName;
      expect(node).toBeDefined();
      // Sample the sites while the job restarts: pods of two epochs running at once would be two copies.
      let worst = 0;
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          const running = lab.sites.flatMap((s) => pods(s, name).filter((p) => p.status.phase === 'Running'));
          worst = Math.max(worst, new Set(running.map((p) => p.metadata.labels?.['suanwang.io/epoch'])).size);
          await new Promise((r) => setTimeout(r, 250));
        }
      })();
      const faultAt = Date.now();
      try {
        await injectFault(lab.dir, site, fault(node as string));
        const restarted = await waitFor(name, (tj) => {
          expect(tj.status?.placement?.epoch).toBe(2);
          expect(['Running', 'Succeeded']).toContain(tj.status?.phase);
          return tj;
        }, 90_000);
        const after = (Date.now() - faultAt) / 1000;
        console.log(`${fault(node as string).kind} on ${node} (${mode}): running again (epoch 2) ${after.toFixed(1)} s after the fault; at most ${worst} copy running at any sample`);
        expect(after).toBeLessThan(60);
        const first = restarted.status?.attempts?.[0];
        expect(first?.outcome).toBe('DeviceFailure');
        expect(first?.message).toContain(`${node} (`);
        expect(first?.message).toContain('1 left after this');
        expect(restarted.status?.failovers).toBe(1);
        const now = pods(site, name).filter((p) => p.metadata.labels?.['suanwang.io/epoch'] === '2');
        for (const p of now) {
          expect(p.spec.nodeName).not.toBe(node);
          expect(p.spec.containers[0]?.env).toContainEqual({ name: 'SUANWANG_RESUME_FROM', value: `s3://ckpt/${name}/` });
        }
      } finally {
        sampling = false;
        await sampler;
        await clearFaults(lab.dir, site);
      }
      expect(worst).toBeLessThanOrEqual(1);
    });

    it("withdraws a gang its site leaves Pending past the start timeout, with the scheduler's message, and runs it elsewhere", async () => {
      const name = `stuck-gang-${mode}`;
      // Placement sees the site's devices free; its scheduler will not bind there (a taint placement does not read),
      // and the other site that fits is cordoned until the job has been placed.
      expect(kubectl(lab.kubeconfig(site), ['taint', 'nodes', ...stuck.nodes, 'example.com/maintenance=true:NoSchedule', '--overwrite']).code).toBe(0);
      try {
        await cordoned(hub, stuck.elsewhere, async () => {
          applyYaml(hub, stuck.job(name), ns);
          await waitFor(name, (tj) => expect(tj.status?.site).toBe(site));
        });
        const moved = await waitFor(name, (tj) => {
          expect(tj.status?.site).toBe(stuck.elsewhere);
          return tj;
        }, 30_000 + TEST_TIMING.gangStartTimeoutMs * 2);
        const withdrawn = moved.status?.attempts?.[0];
        expect(withdrawn).toMatchObject({ site, outcome: 'StartTimeout' });
        expect(withdrawn?.message).toContain("the site's scheduler says: Unschedulable");
        expect(withdrawn?.message).toContain('untolerated taint');
        expect(conditionOf(moved, 'Placed')?.reason).not.toBe('StartTimeout');
        await eventually(() => expect(pods(site, name)).toHaveLength(0), { timeoutMs: 30_000, intervalMs: 250 });
        await waitFor(name, (tj) => expect(['Running', 'Succeeded']).toContain(tj.status?.phase), 60_000);
      } finally {
        kubectl(lab.kubeconfig(site), ['taint', 'nodes', ...stuck.nodes, 'example.com/maintenance-']);
      }
    });
  });

  it('does not place an 8-GPU worker where 8 free GPUs are split over two nodes, and places it once a whole node is free', async () => {
    // From an idle H100 pool: the stuck gang before this test may have ended up running at shanghai.
    await eventually(() => {
      const pool = kubectlJson<{ status?: { nodePools?: { name: string; allocated?: Record<string, string> }[] } }>(hub, ['get', 'site', 'shanghai'])
        .status?.nodePools?.find((p) => p.name === 'h100');
      expect(Number(pool?.allocated?.['nvidia.com/gpu'] ?? 0)).toBe(0);
    }, { timeoutMs: 120_000, intervalMs: 1000 });
    // Two 4-GPU workers at shanghai, one per node (kube-scheduler spreads them): 8 H100s free in all, 4 + 4.
    const filler = (name: string): string => h100Job(name, 1).replace('count: 8', 'count: 4');
    applyYaml(hub, `${filler('half-a')}---\n${filler('half-b')}`, ns);
    for (const name of ['half-a', 'half-b']) {
      await waitFor(name, (tj) => expect(tj.status?.phase).toBe('Running'));
      await keepRunning(t, 'shanghai', name);
    }
    const nodes = ['half-a', 'half-b'].map((n) => pods('shanghai', n)[0]?.spec.nodeName);
    expect(new Set(nodes).size).toBe(2);
    await eventually(() => {
      const pool = kubectlJson<{ status?: { nodePools?: { name: string; freeShape?: { nodes: number; devices?: number }[] }[] } }>(hub, ['get', 'site', 'shanghai'])
        .status?.nodePools?.find((p) => p.name === 'h100');
      expect(pool?.freeShape?.map((b) => [b.nodes, b.devices])).toEqual([[2, 4]]);
    }, { timeoutMs: 30_000, intervalMs: 250 });

    applyYaml(hub, h100Job('whole-node', 1), ns);
    // Right after the fillers started their promises still count them (until the site's report settles); then the
    // reason is the split itself, with 8 free in total.
    await waitFor('whole-node', (tj) => {
      expect(tj.status?.phase).toBe('Pending');
      const shanghai = tj.status?.placement?.candidates?.find((c) => c.site === 'shanghai');
      expect(shanghai?.verdict).toBe('Rejected');
      expect(shanghai?.reasons?.join('; ')).toContain('free capacity holds 0 workers node by node, needs 1');
    });
    expect(getTrainingJob(hub, ns, 'whole-node').status?.attempts ?? []).toHaveLength(0);

    kubectl(hub, ['delete', 'trainingjob', 'half-a', '-n', ns, '--wait=true']);
    const placed = await waitFor('whole-node', (tj) => {
      expect(tj.status?.site).toBe('shanghai');
      expect(['Running', 'Succeeded']).toContain(tj.status?.phase);
      return tj;
    }, 60_000);
    expect(placed.status?.attempts).toHaveLength(1);
    expect(pods('shanghai', 'whole-node')[0]?.spec.nodeName).toBe(nodes[0]);
    kubectl(hub, ['delete', 'trainingjob', 'half-b', 'whole-node', '-n', ns, '--wait=true']);
  });

  it('deletes a finished job, and its member objects, once ttlSecondsAfterFinished has passed', async () => {
    applyYaml(hub, `${h100Job('short-lived', 1)}  ttlSecondsAfterFinished: 5\n`, ns);
    const done = await eventually(() => {
      const tj = getTrainingJob(hub, ns, 'short-lived');
      expect(tj.status?.phase).toBe('Succeeded');
      return tj;
    }, { timeoutMs: 90_000, intervalMs: 300 });
    const finishedAt = Date.parse(done.status?.completionTime ?? '');
    const goneAt = await eventually(() => {
      const r = kubectl(hub, ['get', 'trainingjob', 'short-lived', '-n', ns]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain('NotFound');
      return Date.now();
    }, { timeoutMs: 60_000, intervalMs: 300 });
    const after = (goneAt - finishedAt) / 1000;
    console.log(`deleted ${after.toFixed(1)} s after completionTime (ttl 5 s; completionTime has one-second precision)`);
    expect(after).toBeGreaterThanOrEqual(4);
    await eventually(() => {
      const jobs = kubectlJson<{ items: unknown[] }>(lab.kubeconfig('shanghai'), ['get', 'jobs', '-n', ns, '-l', 'suanwang.io/workload=short-lived']).items;
      expect(jobs).toHaveLength(0);
    }, { timeoutMs: 30_000, intervalMs: 300 });
  });
});
