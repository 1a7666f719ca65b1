/**
 * Promised capacity survives a new operator (a leader change, a restart): a gang placed but not yet in its site's
 * report keeps its devices, so the next gang is not given them too. The site's scheduler is stopped, so the first
 * gang's pods stay unbound and the site's report keeps showing its H100s free: only the promise holds them.
 */
import { describe, expect, it } from 'vitest';
import { controlComponent } from '../../src/lab/lab.ts';
import { applyYaml, getTrainingJob } from './support/hub.ts';
import { eventually, kubectl } from './support/shared-lab.ts';
import { h100Job, useWorkloadNamespace } from './support/workload-namespace.ts';

const t = useWorkloadNamespace('promise');

describe('promised capacity across a new operator', () => {
  it('keeps a placed gang’s devices from the next gang after the operator restarts', async () => {
    await controlComponent(t.lab.dir, 'stop', 'kube-scheduler', 'shanghai');
    try {
      // Both H100 nodes of shanghai (2 × 8), the only H100s in the lab: placed, never bound.
      applyYaml(t.hub, h100Job('first', 2), t.ns);
      await eventually(() => expect(getTrainingJob(t.hub, t.ns, 'first').status).toMatchObject({ phase: 'Placed', site: 'shanghai', pool: 'h100' }), {
        timeoutMs: 60_000,
        intervalMs: 250,
      });
      // A new operator: everything it knew in memory is gone.
      await controlComponent(t.lab.dir, 'stop', 'operator', 'hub');
      await controlComponent(t.lab.dir, 'start', 'operator', 'hub');

      applyYaml(t.hub, h100Job('second', 2), t.ns);
      const second = await eventually(
        () => {
          const tj = getTrainingJob(t.hub, t.ns, 'second');
          expect(tj.status?.phase).toBeDefined();
          return tj;
        },
        { timeoutMs: 60_000, intervalMs: 250 },
      );
      expect(second.status?.phase).toBe('Pending');
      expect(second.status?.site).toBeUndefined();
      // And it stays so while the first gang holds the devices.
      await new Promise((r) => setTimeout(r, 3000));
      expect(getTrainingJob(t.hub, t.ns, 'second').status?.site).toBeUndefined();
    } finally {
      kubectl(t.hub, ['delete', 'trainingjobs', 'first', 'second', '-n', t.ns, '--ignore-not-found', '--wait=true', '--timeout=60s']);
      await controlComponent(t.lab.dir, 'start', 'kube-scheduler', 'shanghai');
    }
  });
});
