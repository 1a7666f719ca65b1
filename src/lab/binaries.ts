/**
 * Finds the real component binaries the lab runs. Order per binary: $SUANWANG_BIN_DIR, $KUBEBUILDER_ASSETS (the
 * envtest convention), then the cache that tools/build-binaries.sh fills. A missing binary is an error that says how
 * to build it.
 */
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** COMPONENT_BINARIES are the binaries every lab runs. */
export const COMPONENT_BINARIES = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok'] as const;
/**
 * ComponentBinary names a binary findBinary looks for (helm is used by chart tests only; gitops-health, which runs
 * kstatus and the Argo CD health checks on objects, by test/lab/gitops-health.test.ts).
 */
export type ComponentBinary = (typeof COMPONENT_BINARIES)[number] | 'helm' | 'promtool' | 'gitops-health';

/** REPO_ROOT is the checkout this module belongs to. */
export const REPO_ROOT = resolve(import.meta.dirname, '../..');

/** pinnedVersions reads tools/versions.env (KEY=value lines). */
export function pinnedVersions(): Readonly<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(join(REPO_ROOT, 'tools/versions.env'), 'utf8').split('\n')) {
    const m = /^([A-Z_]+)=(\S+)/.exec(line);
    if (m?.[1] && m[2]) out[m[1]] = m[2];
  }
  return out;
}

/** BinaryEnv is the part of the environment that says where binaries are. */
export interface BinaryEnv {
  readonly SUANWANG_BIN_DIR?: string | undefined;
  readonly KUBEBUILDER_ASSETS?: string | undefined;
  readonly SUANWANG_CACHE?: string | undefined;
}

/** cacheBinDir is where tools/build-binaries.sh puts what it builds. */
export function cacheBinDir(env: BinaryEnv): string {
  const cache = env.SUANWANG_CACHE ?? join(homedir(), '.cache/suanwang');
  return join(cache, 'bin', `v${pinnedVersions()['KUBERNETES_VERSION'] ?? 'unknown'}`);
}

/** MissingBinaryError: a binary is in none of the places findBinary looks. */
export class MissingBinaryError extends Error {
  readonly code = 'MissingBinary';
}

/** findBinary returns the path of one binary or throws MissingBinaryError naming every place it looked. */
export function findBinary(name: ComponentBinary, env: BinaryEnv): string {
  const dirs = [env.SUANWANG_BIN_DIR, env.KUBEBUILDER_ASSETS, cacheBinDir(env)].filter((d): d is string => !!d);
  for (const dir of dirs) {
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here; try the next directory
    }
  }
  throw new MissingBinaryError(`${name} not found (looked in ${dirs.join(', ')}); run 'make binaries' (tools/build-binaries.sh) to build it`);
}

/** findKwokStages returns the kwok Stage file written by tools/build-binaries.sh next to the cached binaries. */
export function findKwokStages(env: BinaryEnv): string {
  const p = join(cacheBinDir(env), 'kwok-stages.yaml');
  if (!existsSync(p)) throw new MissingBinaryError(`kwok stages not found at ${p}; run 'make binaries' (tools/build-binaries.sh)`);
  return p;
}
