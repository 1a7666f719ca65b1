/**
 * A running TrainingJob whose status is wiped (as by `kubectl patch --subresource=status`, or a restore from a backup
 * without it) is adopted where it runs: never a second member Job anywhere, and the job leaves Placed again.
 */
import { describe, expect, it } from 'vitest';
import { applyYaml, getTrainingJob } from './support/hub.ts';
import { eventually, kubectl, kubectlJson } from './support/shared-lab.ts';
import { h100Job, keepRunning, useWorkloadNamespace } from './support/workload-namespace.ts';

const t = useWorkloadNamespace('lost');

interface JobLite {
  metadata: { name: string; labels?: Record<string, string> };
}

/** memberJobs lists the job's member Jobs at every site of the lab, as "site@epoch". */
function memberJobs(name: string): string[] {
  return t.lab.sites.flatMap((site) =>
    kubectlJson<{ items: JobLite[] }>(t.lab.kubeconfig(site), ['get', 'jobs', '-n', t.ns, '-l', `suanwang.io/workload=${name}`]).items.map(
      (j) => `${site}@${j.metadata.labels?.['suanwang.io/epoch'] ?? '?'}`,
    ),
  );
}

function suspend(name: string, on: boolean): void {
  const r = kubectl(t.hub, ['patch', 'trainingjob', name, '-n', t.ns, '--type=merge', '-p', JSON.stringify({ spec: { suspend: on } })]);
  expect(r.code, r.stderr).toBe(0);
}

describe('a TrainingJob whose status is lost', () => {
  it('is adopted where it runs: exactly one member Job across all sites, and it leaves Placed', async () => {
    const name = 'wiped';
    applyYaml(t.hub, h100Job(name), t.ns);
    // Suspended and resumed once, so it runs in epoch 2: a status lost now must not start over at epoch 1.
    await eventually(() => expect(getTrainingJob(t.hub, t.ns, name).status?.site).toBe('shanghai'), { timeoutMs: 60_000, intervalMs: 200 });
    suspend(name, true);
    await eventually(() => expect(getTrainingJob(t.hub, t.ns, name).status?.phase).toBe('Suspended'), { timeoutMs: 60_000, intervalMs: 200 });
    suspend(name, false);
    await keepRunning(t, 'shanghai', name);
    await eventually(() => expect(getTrainingJob(t.hub, t.ns, name).status).toMatchObject({ phase: 'Running', placement: { epoch: 2 } }), {
      timeoutMs: 60_000,
      intervalMs: 200,
    });
    expect(memberJobs(name)).toEqual(['shanghai@2']);

    const wipe = kubectl(t.hub, ['patch', 'trainingjob', name, '-n', t.ns, '--subresource=status', '--type=merge', '-p', '{"status":null}']);
    expect(wipe.stderr).toBe('');
    expect(wipe.code).toBe(0);

    // Until the operator has converged again, never more than the one member Job, and never another epoch.
    const seen = new Set<string>();
    let most = 0;
    await eventually(
      () => {
        const jobs = memberJobs(name);
        for (const j of jobs) seen.add(j);
        most = Math.max(most, jobs.length);
        const tj = getTrainingJob(t.hub, t.ns, name);
        expect(tj.status?.phase).toBe('Running');
        expect(tj.status?.placement?.epoch).toBe(2);
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    expect(most).toBe(1);
    expect([...seen]).toEqual(['shanghai@2']);
    expect(memberJobs(name)).toEqual(['shanghai@2']);
    const events = kubectl(t.hub, ['get', 'events', '-n', t.ns, '--field-selector', `involvedObject.name=${name}`, '-o', 'jsonpath={.items[*].reason}']);
    expect(events.stdout).toContain('Adopted');
  });
});
