/**
 * `suanwang what-if`, `sites` and `why` against the shared lab's hub, with the operator running: what-if names the
 * site the operator would choose and the reasons of the others, and says "wait" when the queue's quota is spent —
 * creating nothing; `kubectl suanwang` (the plugin on PATH, as docs/kubectl-plugin.md installs it) prints the sites
 * and why a real waiting job waits.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyYaml, conditionOf, getSite, getTrainingJob, poolOf } from './support/hub.ts';
import { eventually, kubectl } from './support/shared-lab.ts';
import { useWorkloadNamespace } from './support/workload-namespace.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const t = useWorkloadNamespace('what-if');
const ns = t.ns;
const queueName = `what-if-${randomBytes(3).toString('hex')}`;
let hub: string;
let dir: string;

beforeAll(async () => {
  hub = t.hub;
  dir = mkdtempSync(join(tmpdir(), 'what-if-'));
  applyYaml(hub, `apiVersion: suanwang.io/v1alpha1\nkind: Queue\nmetadata: { name: ${queueName} }\nspec:\n  quota: { nvidia.com/gpu: "8" }\n  namespaces: [${ns}]\n`);
  // The answers below assume shanghai's H100s idle. A file run just before may have used them, and the agent reports
  // freed devices a few seconds late (release-grace.ts): wait until the Site shows none allocated.
  await eventually(() => expect(Number(poolOf(getSite(hub, 'shanghai'), 'h100').allocated?.['nvidia.com/gpu'] ?? 0)).toBe(0), { timeoutMs: 60_000, intervalMs: 500 });
});
afterAll(() => {
  kubectl(hub, ['delete', 'queue', queueName, '--ignore-not-found']);
  rmSync(dir, { recursive: true, force: true });
});

/** h100Job is `workers` × 8 H100s charged to the test's queue (only shanghai has H100s in the default lab). */
function h100Job(name: string, workers: number): string {
  return `apiVersion: suanwang.io/v1alpha1
kind: TrainingJob
metadata: { name: ${name} }
spec:
  queue: ${queueName}
  workers: ${workers}
  resources: { cpu: "8", memory: 32Gi }
  variants:
    - name: h100
      accelerator: { vendor: nvidia, model: H100, count: 8 }
      image: registry.example.com/train:1.0
`;
}

interface Run {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** suanwang runs bin/suanwang.mjs on this Node (24) against the hub. */
function suanwang(args: string[]): Run {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/suanwang.mjs'), ...args, '--kubeconfig', hub], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

/** kubectlPlugin runs `kubectl suanwang ARGS` with bin/ on PATH, as a user who installed the plugin would. */
function kubectlPlugin(args: string[]): Run {
  const env = { ...process.env, PATH: `${join(ROOT, 'bin')}${delimiter}${process.env['PATH'] ?? ''}`, KUBECONFIG: hub, SUANWANG_NODE: process.execPath };
  const r = spawnSync('kubectl', ['suanwang', ...args], { encoding: 'utf8', timeout: 60_000, env });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

function trainingJobsInNamespace(): string {
  return kubectl(hub, ['get', 'trainingjobs', '-n', ns, '-o', 'name']).stdout.trim();
}

describe('what-if, sites and why against the hub', () => {
  it('what-if names the site the operator would choose and every other site\'s reason, and creates nothing', () => {
    const file = join(dir, 'fits.yaml');
    writeFileSync(file, h100Job('fits', 1));
    const r = suanwang(['what-if', '-f', file, '-n', ns]);
    console.log(`suanwang what-if -f fits.yaml -n ${ns} (exit ${r.code}):\n${r.out}${r.err}`);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`Queue:       ${queueName} (weight 1, preemption Never, namespaces ${ns})`);
    expect(r.out).toMatch(/nvidia\.com\/gpu\s+8\s+0\s+8/);
    expect(r.out).toContain('Admitted=True  reason QuotaReserved');
    expect(r.out).toContain('site shanghai, variant h100, pool h100');
    expect(r.out).toMatch(/shanghai\s+Selected\s+h100\s+\d+/);
    expect(r.out).toMatch(/guizhou\s+Rejected\s+-\s+-\s+variant h100: no pool with nvidia H100/);
    expect(r.out).toContain('Nothing was created.');
    expect(trainingJobsInNamespace()).toBe('');
  });

  it('what-if says wait, with QuotaExceeded and the numbers, for a job above the queue\'s quota; exit 1', () => {
    const file = join(dir, 'too-big.yaml');
    writeFileSync(file, h100Job('too-big', 2));
    const r = suanwang(['what-if', '-f', file, '-n', ns]);
    console.log(`suanwang what-if -f too-big.yaml -n ${ns} (exit ${r.code}):\n${r.out}${r.err}`);
    expect(r.code).toBe(1);
    expect(r.out).toContain('Admitted=False  reason QuotaExceeded');
    expect(r.out).toContain(`needs 16 nvidia.com/gpu, queue ${queueName} has 8 of 8 left`);
    expect(trainingJobsInNamespace()).toBe('');
  });

  it('what-if refuses a bad manifest naming the field; exit 2', () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, h100Job('bad', 1).replace('count: 8', 'count: -1'));
    const r = suanwang(['what-if', '-f', file, '-n', ns]);
    console.log(`suanwang what-if -f bad.yaml (exit ${r.code}):\n${r.err}`);
    expect(r.code).toBe(2);
    expect(r.err).toContain('spec.variants[0].accelerator.count');
  });

  it('kubectl suanwang sites prints every lab site and pool with its capacity', () => {
    const r = kubectlPlugin(['sites']);
    console.log(`kubectl suanwang sites (exit ${r.code}):\n${r.out}${r.err}`);
    expect(r.code).toBe(0);
    for (const site of t.lab.sites) expect(r.out).toMatch(new RegExp(`^${site}\\s+True\\s+True\\s`, 'm'));
    expect(r.out).toMatch(/^shanghai\s+True\s+True\s+h100\s+nvidia \S.* x8\s+2\/2\s+16\/0\s+\S+\s+\S+\s+16\/\d+\/\d+/m);
  });

  it('kubectl suanwang why explains a job that waits on its quota, with the sites\' reasons', async () => {
    applyYaml(hub, h100Job('waits', 2), ns);
    await eventually(() => expect(conditionOf(getTrainingJob(hub, ns, 'waits'), 'Admitted')?.reason).toBe('QuotaExceeded'), { timeoutMs: 60_000, intervalMs: 300 });
    const r = kubectlPlugin(['why', 'tj/waits', '-n', ns]);
    console.log(`kubectl suanwang why tj/waits -n ${ns} (exit ${r.code}):\n${r.out}${r.err}`);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`Queue:       ${queueName} (nothing held: not admitted)`);
    expect(r.out).toMatch(new RegExp(`Admitted\\s+False\\s+QuotaExceeded\\s+\\S+\\s+needs 16 nvidia\\.com/gpu, queue ${queueName} has 8 of 8 left`));
    expect(r.out).toMatch(/shanghai\s+Rejected\s+-\s+-\s+variant h100: needs 16 nvidia\.com\/gpu, queue \S+ has 8 of 8 left/);
    expect(r.out).toMatch(/guizhou\s+Rejected\s+-\s+-\s+variant h100: no pool with nvidia H100/);
    // The operator's message and what-if's for the same manifest are one and the same: the same code decided both.
    const file = join(dir, 'waits.yaml');
    writeFileSync(file, h100Job('waits', 2));
    const asked = suanwang(['what-if', '-f', file, '-n', ns]);
    expect(asked.code).toBe(1);
    const operator = conditionOf(getTrainingJob(hub, ns, 'waits'), 'Admitted')?.message ?? '';
    expect(operator).not.toBe('');
    expect(asked.out).toContain(`\n  ${operator}\n`);
    expect(asked.out).toContain('one of this name exists on the hub');
  });
});
