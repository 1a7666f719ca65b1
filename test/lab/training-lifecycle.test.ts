/**
 * A TrainingJob's life past its first attempt, end to end: a finished job with ttlSecondsAfterFinished is deleted,
 * with its member objects, once the TTL has passed.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { applyYaml, getTrainingJob } from './support/hub.ts';
import { eventually, kubectl, kubectlJson, type SharedLab } from './support/shared-lab.ts';
import { h100Job, useWorkloadNamespace } from './support/workload-namespace.ts';

const t = useWorkloadNamespace('lifecycle');
let lab: SharedLab;
let hub: string;
const ns = t.ns;

beforeAll(() => {
  ({ lab, hub } = t);
});

describe('training job lifecycle', () => {
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
