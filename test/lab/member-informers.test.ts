/**
 * The operator's member informers and its record of the whole decision, against the real lab. The shared lab runs
 * the operator with a 60 s safety-net poll (support/timing.ts), so anything that reaches the hub within seconds came
 * through the member informers; and a decision recorded in status (site, variant, pool, epoch) is rendered the same
 * by an operator that starts after it was written.
 */
import { describe, expect, it } from 'vitest';
import type { TrainingJob } from '../../src/api/generated/types.ts';
import { controlComponent } from '../../src/lab/lab.ts';
import { applyYaml, getTrainingJob } from './support/hub.ts';
import { eventually, kubectl, kubectlJson } from './support/shared-lab.ts';
import { TEST_TIMING } from './support/timing.ts';
import { h100Job, useWorkloadNamespace } from './support/workload-namespace.ts';

const t = useWorkloadNamespace('members');

interface JobLite {
  metadata: { name: string };
  spec: { template: { spec: { nodeSelector?: Record<string, string> } } };
  status?: { conditions?: Array<{ type: string; status: string; lastTransitionTime?: string }> };
}

/** completeAt is when a Job's Complete condition turned True; undefined while it has not. */
function completeAt(job: JobLite | undefined): string | undefined {
  return job?.status?.conditions?.find((c) => c.type === 'Complete' && c.status === 'True')?.lastTransitionTime;
}

function memberJobs(name: string): JobLite[] {
  return kubectlJson<{ items: JobLite[] }>(t.lab.kubeconfig('shanghai'), ['get', 'jobs', '-n', t.ns, '-l', `suanwang.io/workload=${name}`]).items;
}

describe('member informers', () => {
  it('the poll is far away: the lab operator polls placed workloads only every minute', () => {
    expect(TEST_TIMING.pollIntervalMs).toBeGreaterThanOrEqual(60_000);
  });

  it("bring a member Job's completion to the hub within 3 s", async () => {
    applyYaml(t.hub, h100Job('completes'), t.ns);
    await eventually(() => expect(getTrainingJob(t.hub, t.ns, 'completes').status?.phase).toBe('Running'), { timeoutMs: 60_000, intervalMs: 300 });
    // Watch both sides from here: when the site's Job is first seen Complete, and when the hub first says Succeeded.
    let siteSeen: number | undefined;
    let hubSeen: number | undefined;
    let site: JobLite | undefined;
    let tj: TrainingJob | undefined;
    await eventually(
      () => {
        if (siteSeen === undefined) {
          site = memberJobs('completes')[0];
          if (completeAt(site) !== undefined) siteSeen = performance.now();
        }
        if (hubSeen === undefined) {
          tj = getTrainingJob(t.hub, t.ns, 'completes');
          if (tj.status?.phase === 'Succeeded') hubSeen = performance.now();
        }
        expect({ siteSeen, hubSeen }).toEqual({ siteSeen: expect.any(Number), hubSeen: expect.any(Number) });
      },
      { timeoutMs: 90_000, intervalMs: 100 },
    );
    // Two measures: as this test saw it (each side read every ~0.3 s, in turn), and from the objects' own stamps
    // (the Job's Complete transition at the site, the job's completionTime on the hub; both to the second).
    const seenMs = Math.max(0, (hubSeen ?? 0) - (siteSeen ?? 0));
    const stampedMs = Date.parse(tj?.status?.completionTime ?? '') - Date.parse(completeAt(site) ?? '');
    process.stderr.write(
      `[member-informers] member Job Complete → hub Succeeded: ${Math.round(seenMs)} ms as seen, ${stampedMs} ms by the stamps (poll ${TEST_TIMING.pollIntervalMs} ms)\n`,
    );
    expect(seenMs).toBeLessThan(3000);
    expect(stampedMs).toBeLessThan(3000);
  });
});

describe('the recorded decision', () => {
  it('after an operator restart, member objects are rendered with the recorded pool nodeSelector', async () => {
    // An operator that wrote the decision and stopped before creating anything: stop ours, write the job and its
    // decision by hand, then start the operator and let it converge on what status records.
    await controlComponent(t.lab.dir, 'stop', 'operator', 'hub');
    try {
      applyYaml(t.hub, h100Job('recorded'), t.ns);
      const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
      const status: TrainingJob['status'] = {
        phase: 'Placed',
        site: 'shanghai',
        variant: 'h100',
        pool: 'h100',
        acceleratorResource: 'nvidia.com/gpu',
        placement: { epoch: 1, decisionTime: now, message: 'placed on shanghai (variant h100)' },
        attempts: [{ site: 'shanghai', variant: 'h100', pool: 'h100', epoch: 1, startTime: now, outcome: 'Running' }],
      };
      const r = kubectl(t.hub, ['patch', 'trainingjob', 'recorded', '-n', t.ns, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status })]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    } finally {
      await controlComponent(t.lab.dir, 'start', 'operator', 'hub');
    }
    const jobs = await eventually(
      () => {
        const found = memberJobs('recorded');
        expect(found).toHaveLength(1);
        return found;
      },
      { timeoutMs: 60_000, intervalMs: 300 },
    );
    expect(jobs[0]?.spec.template.spec.nodeSelector?.['suanwang.io/pool']).toBe('h100');
    // Converged on the recorded decision, not a new one.
    expect(getTrainingJob(t.hub, t.ns, 'recorded').status?.placement?.epoch).toBe(1);
  });
});
