/**
 * No two copies after a partition: a site whose agent cannot reach the hub stops its training members itself, before
 * the hub (which cannot hear the site either) moves the job elsewhere. The partition is made by replacing the site's
 * agent with one that dials an address where no operator listens, with a short fence timeout.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SUANWANG_BIN } from '../../src/lab/federation.ts';
import { controlComponent } from '../../src/lab/lab.ts';
import { freePort } from '../../src/lab/ports.ts';
import { applyYaml, conditionOf, getSite, getTrainingJob } from './support/hub.ts';
import { eventually, kubectlJson } from './support/shared-lab.ts';
import { keepRunning, portableJob, useWorkloadNamespace } from './support/workload-namespace.ts';

const t = useWorkloadNamespace('fence');

interface PodLite {
  metadata: { name: string; deletionTimestamp?: string };
}

function pods(site: string, name: string): PodLite[] {
  return kubectlJson<{ items: PodLite[] }>(t.lab.kubeconfig(site), ['get', 'pods', '-n', t.ns, '-l', `suanwang.io/workload=${name}`]).items;
}

function jobs(site: string, name: string): unknown[] {
  return kubectlJson<{ items: unknown[] }>(t.lab.kubeconfig(site), ['get', 'jobs', '-n', t.ns, '-l', `suanwang.io/workload=${name}`]).items;
}

describe('the site agent’s fence', () => {
  it('stops a partitioned site’s training job before the hub moves it: never two copies running', async () => {
    const name = 'partitioned';
    applyYaml(t.hub, portableJob(name), t.ns);
    const placed = await eventually(
      () => {
        const tj = getTrainingJob(t.hub, t.ns, name);
        expect(tj.status?.phase).toBe('Running');
        return tj.status?.site ?? '';
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    const other = placed === 'shanghai' ? 'guizhou' : 'shanghai';
    await keepRunning(t, placed, name);

    // The partition: the site's own agent is replaced by one that never reaches the hub, fencing after 3 s.
    await controlComponent(t.lab.dir, 'stop', 'agent', placed);
    const nowhere = await freePort();
    const fencing = spawn(
      process.execPath,
      [
        SUANWANG_BIN,
        'agent',
        `--site=${placed}`,
        `--kubeconfig=${t.lab.kubeconfig(placed)}`,
        `--operator=127.0.0.1:${nowhere}`,
        `--tls-dir=${join(t.lab.dir, 'certs')}`,
        '--fence-after=3s',
        '--log-level=warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    fencing.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      // Watch both sites until the hub has moved the job: the old copy's pods must be gone before the new one exists.
      let overlap = false;
      let fencedAt: number | undefined;
      let movedAt: number | undefined;
      await eventually(
        () => {
          const oldRunning = pods(placed, name).filter((p) => p.metadata.deletionTimestamp === undefined).length;
          const newCopy = jobs(other, name).length > 0;
          const now = performance.now();
          if (oldRunning === 0) fencedAt ??= now;
          if (newCopy) movedAt ??= now;
          if (newCopy && oldRunning > 0) overlap = true;
          expect(fencing.exitCode, stderr).toBeNull(); // the fencing agent runs (a flag it does not know would end it)
          expect(newCopy).toBe(true);
        },
        { timeoutMs: 90_000, intervalMs: 200 },
      );
      expect(overlap).toBe(false);
      expect(fencedAt).toBeDefined();
      expect(fencedAt ?? Number.POSITIVE_INFINITY).toBeLessThan(movedAt ?? 0);
      expect(jobs(placed, name)).toEqual([]);
      process.stderr.write(`[partition-fence] old copy stopped ${(((movedAt ?? 0) - (fencedAt ?? 0)) / 1000).toFixed(1)} s before the hub moved the job\n`);
    } finally {
      fencing.kill('SIGTERM');
      await controlComponent(t.lab.dir, 'start', 'agent', placed);
      await eventually(() => expect(conditionOf(getSite(t.hub, placed), 'Ready')?.status).toBe('True'), { timeoutMs: 60_000, intervalMs: 500 });
    }
  });
});
