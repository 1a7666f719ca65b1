/**
 * Lab life cycle: down stops every process (by pid), a crashed owner leaves nothing behind, a component that dies
 * during start-up is reported with its log and everything already started is stopped, and two labs run side by side.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cacheBinDir, COMPONENT_BINARIES, findBinary, REPO_ROOT } from '../../src/lab/binaries.ts';
import { LabStartError, startLab, stopLab } from '../../src/lab/lab.ts';
import { isAlive } from '../../src/lab/processes.ts';
import { eventually, kubectl, processesMentioning, sharedLab } from './support/shared-lab.ts';

const ONE_SITE = join(REPO_ROOT, 'test/lab/fixtures/one-site.yaml');
const made: string[] = [];
const tmp = (p: string) => {
  const d = mkdtempSync(join(tmpdir(), `suanwang-${p}-`));
  made.push(d);
  return d;
};
afterAll(async () => {
  // A test that failed half way may have left its lab running: stop it by its recorded pids before removing the dir.
  for (const d of made) {
    await stopLab(d);
    rmSync(d, { recursive: true, force: true });
  }
});

describe('lab life cycle', () => {
  it('runs beside the shared lab and lab down leaves no process of it running', async () => {
    const shared = await sharedLab();
    const dir = tmp('down');
    const state = await startLab({ topologyFile: ONE_SITE, dir, ownerPid: process.pid, federation: false });
    const pids = [state.supervisorPid, ...state.components.map((c) => c.pid)];
    expect(state.components.map((c) => c.name).sort()).toEqual(
      ['etcd', 'kube-apiserver', 'kube-apiserver', 'kube-controller-manager', 'kube-controller-manager', 'kube-scheduler', 'kwok'].sort(),
    );
    expect(pids.every(isAlive)).toBe(true);
    // Side by side: both labs answer, on different ports.
    expect(kubectl(join(dir, 'solo.kubeconfig'), ['get', 'nodes']).stdout).toMatch(/solo-gpu-0/);
    expect(kubectl(shared.kubeconfig('shanghai'), ['get', 'nodes']).stdout).toMatch(/shanghai-h100-0/);

    const res = await stopLab(dir);
    expect(res.stillAlive).toEqual([]);
    expect(pids.filter(isAlive)).toEqual([]);
    expect(processesMentioning(dir)).toEqual([]);
    expect(existsSync(dir)).toBe(false);
  });

  it('stops itself when the process that started it dies without cleaning up', async () => {
    const dir = tmp('owner');
    // A separate Node process starts a lab owned by itself, reports ready, then is SIGKILLed.
    const script = `import { startLab } from ${JSON.stringify(join(REPO_ROOT, 'src/lab/lab.ts'))};
      await startLab({ topologyFile: ${JSON.stringify(ONE_SITE)}, dir: ${JSON.stringify(dir)}, ownerPid: process.pid, federation: false });
      console.log('READY'); setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => d.toString().includes('READY') && resolve());
        child.once('exit', (code) => reject(new Error(`owner exited early with ${code}`)));
      });
      expect(processesMentioning(dir).length).toBeGreaterThan(5);
    } finally {
      // Whatever happened above, the owner goes: it never exits by itself, and its lab lives as long as it does.
      child.kill('SIGKILL');
    }
    await eventually(() => expect(processesMentioning(dir)).toEqual([]), { timeoutMs: 45_000, intervalMs: 250 });
    await eventually(() => expect(existsSync(dir)).toBe(false), { timeoutMs: 10_000, intervalMs: 250 });
  });

  it('reports a component that dies during start-up with its log, and stops everything it started', async () => {
    const env = { ...process.env, SUANWANG_BIN_DIR: tmp('bin') };
    const bin = env.SUANWANG_BIN_DIR;
    for (const name of COMPONENT_BINARIES) {
      if (name !== 'kube-scheduler') symlinkSync(findBinary(name, { SUANWANG_CACHE: process.env['SUANWANG_CACHE'] }), join(bin, name));
    }
    writeFileSync(join(bin, 'kube-scheduler'), '#!/bin/sh\necho "scheduler: cannot start (simulated)" >&2\nexit 3\n');
    chmodSync(join(bin, 'kube-scheduler'), 0o755);
    const dir = tmp('fail');
    const err = await startLab({ topologyFile: ONE_SITE, dir, env, federation: false }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(LabStartError);
    const msg = (err as Error).message;
    expect(msg).toMatch(/kube-scheduler \(solo\) exited with code 3/);
    expect(msg).toContain(join(dir, 'logs', 'solo-kube-scheduler.log'));
    expect(msg).toContain('cannot start (simulated)');
    expect(processesMentioning(dir)).toEqual([]);
    expect(existsSync(join(dir, 'logs', 'solo-kube-scheduler.log'))).toBe(true);
    await stopLab(dir);
  });

  it('names the missing binary and how to build it', async () => {
    const dir = tmp('missing');
    const env = { ...process.env, SUANWANG_BIN_DIR: '', KUBEBUILDER_ASSETS: '', SUANWANG_CACHE: tmp('empty-cache') };
    const err = await startLab({ topologyFile: ONE_SITE, dir, env, federation: false }).then(() => undefined, (e: unknown) => e);
    expect((err as Error).message).toMatch(/etcd not found \(looked in .*\); run 'make binaries'/);
    expect(processesMentioning(dir)).toEqual([]);
    await stopLab(dir);
    expect(cacheBinDir({})).toMatch(/\.cache\/suanwang\/bin\/v1\.35\.\d+$/);
  });
});
