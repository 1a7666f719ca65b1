/**
 * Finds what Kueue's scheduler benchmark needs on this machine: the Go toolchain, the sigs.k8s.io/kueue module source
 * that tools/kueue pins (its CRDs and benchmark configs), and the binaries tools/build-kueue.sh and
 * tools/build-binaries.sh put in the lab's cache. Anything missing is a KueueNotMeasuredError whose reason says how to
 * get it, so a comparison can print "not measured" instead of failing.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cacheBinDir, pinnedVersions, REPO_ROOT } from '../../src/lab/binaries.ts';

const run = promisify(execFile);

/** KueueNotMeasuredError: the peer cannot be measured here; `reason` is one line for a report. */
export class KueueNotMeasuredError extends Error {
  readonly code = 'KueueNotMeasured';
  readonly reason: string;
  constructor(reason: string, options?: ErrorOptions) {
    super(`Kueue not measured: ${reason}`, options);
    this.reason = reason;
  }
}

/** KueueBenchmarkSetup is where the benchmark's pieces are. */
export interface KueueBenchmarkSetup {
  /** kueueVersion is the module version tools/kueue pins, e.g. "v0.17.0". */
  readonly kueueVersion: string;
  /** projectDir is the kueue module source in the Go module cache (upstream's PROJECT_DIR). */
  readonly projectDir: string;
  /** binDir holds kube-apiserver and etcd (envtest's KUBEBUILDER_ASSETS) and the Kueue benchmark binaries. */
  readonly binDir: string;
  readonly runner: string;
  readonly minimalKueue: string;
}

/** GO_ENV keeps go from switching toolchains or reading a workspace, as tools/build-*.sh do. */
export const GO_ENV = { GOTOOLCHAIN: 'local', GOWORK: 'off', GOFLAGS: '-modcacherw', CGO_ENABLED: '0' } as const;

/** KUEUE_WRAPPER_DIR is the Go module that pins Kueue (tools/kueue). */
export const KUEUE_WRAPPER_DIR = join(REPO_ROOT, 'tools/kueue');

/** kueueModuleDir asks go where the pinned sigs.k8s.io/kueue source is; it never downloads. */
async function kueueModuleDir(env: NodeJS.ProcessEnv): Promise<{ version: string; dir: string }> {
  let stdout: string;
  try {
    ({ stdout } = await run('go', ['list', '-m', '-json', 'sigs.k8s.io/kueue'], {
      cwd: KUEUE_WRAPPER_DIR,
      env: { ...env, ...GO_ENV, GOPROXY: 'off' },
    }));
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new KueueNotMeasuredError("the Go toolchain ('go') is not on PATH", { cause: err });
    throw new KueueNotMeasuredError(`'go list -m sigs.k8s.io/kueue' in tools/kueue failed: ${(e.stderr ?? e.message).trim()}`, { cause: err });
  }
  const mod = JSON.parse(stdout) as { Version?: string; Dir?: string };
  if (!mod.Version) throw new KueueNotMeasuredError('tools/kueue/go.mod does not pin sigs.k8s.io/kueue');
  if (!mod.Dir) {
    throw new KueueNotMeasuredError(`sigs.k8s.io/kueue ${mod.Version} is not in the Go module cache; run tools/build-kueue.sh`);
  }
  return { version: mod.Version, dir: mod.Dir };
}

function requireExecutable(dir: string, name: string, howToBuild: string): string {
  const p = join(dir, name);
  try {
    accessSync(p, constants.X_OK);
  } catch (err) {
    throw new KueueNotMeasuredError(`${p} is missing; run ${howToBuild}`, { cause: err });
  }
  return p;
}

/** KueueInstallSetup is what installing the real Kueue on a lab needs: the binary and the module's manifests. */
export interface KueueInstallSetup {
  /** kueueVersion is the module version tools/kueue pins, e.g. "v0.17.0". */
  readonly kueueVersion: string;
  /** projectDir is the kueue module source (config/components/crd/bases, config/components/webhook). */
  readonly projectDir: string;
  /** binary is cmd/kueue as tools/build-kueue.sh built it. */
  readonly binary: string;
}

/** findKueueInstall locates the Kueue binary and module source or throws KueueNotMeasuredError. */
export async function findKueueInstall(env: NodeJS.ProcessEnv): Promise<KueueInstallSetup> {
  const { version, dir } = await kueueModuleDir(env);
  const pinned = pinnedVersions()['KUEUE_VERSION'];
  if (`v${pinned}` !== version) {
    throw new KueueNotMeasuredError(`tools/kueue pins sigs.k8s.io/kueue ${version} but tools/versions.env says KUEUE_VERSION=${pinned}`);
  }
  return { kueueVersion: version, projectDir: dir, binary: requireExecutable(cacheBinDir(env), 'kueue', 'tools/build-kueue.sh') };
}

/** findKueueBenchmark locates everything the benchmark needs or throws KueueNotMeasuredError. */
export async function findKueueBenchmark(env: NodeJS.ProcessEnv): Promise<KueueBenchmarkSetup> {
  const { version, dir } = await kueueModuleDir(env);
  const pinned = pinnedVersions()['KUEUE_VERSION'];
  if (`v${pinned}` !== version) {
    throw new KueueNotMeasuredError(`tools/kueue pins sigs.k8s.io/kueue ${version} but tools/versions.env says KUEUE_VERSION=${pinned}`);
  }
  const binDir = cacheBinDir(env);
  requireExecutable(binDir, 'kube-apiserver', 'tools/build-binaries.sh');
  requireExecutable(binDir, 'etcd', 'tools/build-binaries.sh');
  return {
    kueueVersion: version,
    projectDir: dir,
    binDir,
    runner: requireExecutable(binDir, 'performance-scheduler-runner', 'tools/build-kueue.sh'),
    minimalKueue: requireExecutable(binDir, 'minimalkueue', 'tools/build-kueue.sh'),
  };
}
