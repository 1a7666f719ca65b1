/**
 * What a benchmark result file says about where it ran: the machine and the commit, so a figure can be traced to
 * the code and hardware that produced it.
 */
import { spawnSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { REPO_ROOT } from '../../src/lab/binaries.ts';

/** gitCommit is HEAD's short hash, marked when tracked files have uncommitted changes. */
export function gitCommit(): string {
  const head = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).stdout.trim();
  const dirty = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: REPO_ROOT, encoding: 'utf8' }).stdout.trim() !== '';
  return `${head || 'unknown'}${dirty ? ' (with uncommitted changes)' : ''}`;
}

/** machine names the CPUs, memory and Node version. */
export function machine(): string {
  return `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
}
