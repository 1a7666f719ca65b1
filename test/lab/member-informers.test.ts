/**
 * The operator's member informers and its record of the whole decision, against the real lab. The shared lab runs
 * the operator with a 60 s safety-net poll (support/timing.ts), so anything that reaches the hub within seconds came
 * through the member informers; and a decision recorded in status (site, variant, pool, epoch) is rendered the same
 * by an operator that starts after it was written.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrainingJob } from '../../src/api/generated/types.ts';
import { controlComponent } from '../../src/lab/lab.ts';
import { applyYaml, getTrainingJob } from './support/hub.ts';
import { eventually, kubectl, kubectlJson, sharedLab, type SharedLab } from './support/shared-lab.ts';
import { TEST_TIMING } from './support/timing.ts';

let lab: SharedLab;
let hub: string;
const ns = `members-${randomBytes(3).toString('hex')}`;

beforeAll(async () => {
  lab = await sharedLab();
  hub = lab.kubeconfig('hub');
  expect(kubectl(hub, ['create', 'namespace', ns]).code).toBe(0);
});
afterAll(() => {
  kubectl(hub, ['delete', 'trainingjobs', '--all', '-n', ns, '--wait=true', '--timeout=60s']);
});

/** h100Job is a one-worker job of 8 H100 (only shanghai has H100s in the default lab, in its pool "h100"). */
function h100Job(name: string): string {
  return `apiVersion: suanwang.io/v1alpha1
kind: TrainingJob
metadata: { name: ${name} }
spec:
  workers: 1
  resources: { cpu: "8", memory: 32Gi }
  variants:
    - name: h100
      accelerator: { vendor: nvidia, model: H100, count: 8 }
      image: registry.example.com/train:1.0
`;
}

interface JobLite {
  metadata: { name: string };
  spec: { template: { spec: { nodeSelector?: Record<string, string> } } };
  status?: { conditions?: Array<{ type: string; status: string }> };
}

function memberJobs(name: string): JobLite[] {
  return kubectlJson<{ items: JobLite[] }>(lab.kubeconfig('shanghai'), ['get', 'jobs', '-n', ns, '-l', `suanwang.io/workload=${name}`]).items;
}

describe('member informers', () => {
  it('the poll is far away: the lab operator polls placed workloads only every minute', () => {
    expect(TEST_TIMING.pollIntervalMs).toBeGreaterThanOrEqual(60_000);
  });

  it("bring a member Job's completion to the hub within 3 s", async () => {
    applyYaml(hub, h100Job('completes'), ns);
    await eventually(() => expect(getTrainingJob(hub, ns, 'completes').status?.phase).toBe('Running'), { timeoutMs: 60_000, intervalMs: 300 });
    // Watch both sides from here: when the site's Job is first seen Complete, and when the hub says Succeeded.
    let siteDone: number | undefined;
    let hubDone: number | undefined;
    await eventually(
      () => {
        const now = performance.now();
        if (siteDone === undefined && memberJobs('completes')[0]?.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True')) siteDone = now;
        if (hubDone === undefined && getTrainingJob(hub, ns, 'completes').status?.phase === 'Succeeded') hubDone = performance.now();
        expect(hubDone).toBeDefined();
        expect(siteDone ?? hubDone).toBeDefined();
      },
      { timeoutMs: 90_000, intervalMs: 100 },
    );
    const latencyMs = (hubDone ?? 0) - (siteDone ?? hubDone ?? 0);
    process.stderr.write(`[member-informers] member Job Complete → hub Succeeded: ${Math.round(latencyMs)} ms (poll ${TEST_TIMING.pollIntervalMs} ms)\n`);
    expect(latencyMs).toBeLessThan(3000);
  });
});

describe('the recorded decision', () => {
  it('after an operator restart, member objects are rendered with the recorded pool nodeSelector', async () => {
    // An operator that wrote the decision and stopped before creating anything: stop ours, write the job and its
    // decision by hand, then start the operator and let it converge on what status records.
    await controlComponent(lab.dir, 'stop', 'operator', 'hub');
    try {
      applyYaml(hub, h100Job('recorded'), ns);
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
      const r = kubectl(hub, ['patch', 'trainingjob', 'recorded', '-n', ns, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status })]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    } finally {
      await controlComponent(lab.dir, 'start', 'operator', 'hub');
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
    expect(getTrainingJob(hub, ns, 'recorded').status?.placement?.epoch).toBe(1);
  });
});
