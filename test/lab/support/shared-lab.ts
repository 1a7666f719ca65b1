/**
 * Access to the shared lab from lab-backed tests, and a thin wrapper around the real kubectl.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';
import { readState } from '../../../src/lab/state.ts';

export interface SharedLab {
  readonly dir: string;
  /** kubeconfig returns the path of a cluster's kubeconfig ('hub' for the hub). */
  kubeconfig(cluster: string): string;
  readonly sites: readonly string[];
}

/** sharedLab returns the lab started by global-setup.ts. */
export async function sharedLab(): Promise<SharedLab> {
  const dir = inject('labDir');
  const state = readState(dir);
  if (!state || state.phase !== 'Ready') throw new Error(`shared lab in ${dir} is not ready (phase ${state?.phase ?? 'none'})`);
  const byName = new Map(state.clusters.map((c) => [c.name, c]));
  return {
    dir,
    kubeconfig(cluster: string): string {
      const c = cluster === 'hub' ? state.clusters.find((x) => x.role === 'hub') : byName.get(cluster);
      if (!c) throw new Error(`no cluster "${cluster}" in the lab (have ${[...byName.keys()].join(', ')})`);
      return c.kubeconfig;
    },
    sites: state.clusters.filter((c) => c.role === 'site').map((c) => c.name),
  };
}

export interface KubectlResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** kubectl runs the real kubectl against one cluster; the client/server version-skew warning is dropped. */
export function kubectl(kubeconfig: string, args: string[], opts: { input?: string } = {}): KubectlResult {
  const r = spawnSync('kubectl', ['--kubeconfig', kubeconfig, ...args], { input: opts.input, encoding: 'utf8', timeout: 60_000 });
  const stderr = (r.stderr ?? '').split('\n').filter((l) => !l.startsWith('WARNING: version difference')).join('\n');
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr };
}

/** kubectlJson runs kubectl with -o json and parses the result; throws with stderr on failure. */
export function kubectlJson<T = Record<string, unknown>>(kubeconfig: string, args: string[]): T {
  const r = kubectl(kubeconfig, [...args, '-o', 'json']);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** eventually is the runtime's polling helper (src/runtime/eventually.ts), re-exported for the lab tests. */
export { eventually } from '../../../src/runtime/eventually.ts';

/** processesMentioning lists pids whose command line contains text (read from /proc). */
export function processesMentioning(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(join('/proc', entry, 'cmdline'), 'utf8').includes(text)) pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}
