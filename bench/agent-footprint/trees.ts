/**
 * The source trees the benchmark runs the agent from: this checkout ("after"), and a baseline commit ("before"),
 * extracted read-only with `git archive` (no worktree, no change to the repository) and sharing this checkout's
 * node_modules. Each tree's agent is started the way that tree's own lab starts it (its src/lab/federation.ts
 * agentArgs, node flags included), so the comparison is of what each version ships.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from '../../src/lab/binaries.ts';
import type { AgentStart, AgentTree } from './agent-process.ts';

/** currentTree is this checkout. */
export function currentTree(): AgentTree {
  return { label: 'after', root: REPO_ROOT, describe: 'this checkout' };
}

/**
 * extraTree is another source tree given with --extra-tree (a change measured before it is made here), labelled
 * "extra-<folder name>" (a DNS label: it names the agent's site), unique among `others`.
 */
export function extraTree(dir: string, others: readonly AgentTree[]): AgentTree {
  const base = `extra-${basename(resolve(dir)).toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 30) || 'tree'}`;
  let label = base;
  for (let n = 2; others.some((t) => t.label === label); n++) label = `${base}-${n}`;
  return { label, root: resolve(dir), describe: dir };
}

/** baselineTree extracts `ref`'s bin/, src/, proto/ and package.json into `dir`/tree; throws when git cannot. */
export function baselineTree(ref: string, dir: string): AgentTree {
  const root = join(dir, 'tree');
  mkdirSync(root, { recursive: true });
  const commit = spawnSync('git', ['rev-parse', '--short', `${ref}^{commit}`], { cwd: REPO_ROOT, encoding: 'utf8' });
  if (commit.status !== 0) throw new Error(`--baseline ${ref}: not a commit here (${commit.stderr.trim()})`);
  const archive = spawnSync('sh', ['-c', `git archive --format=tar "$0" bin src proto package.json | tar -x -C "$1"`, ref, root], { cwd: REPO_ROOT, encoding: 'utf8' });
  if (archive.status !== 0) throw new Error(`--baseline ${ref}: git archive failed: ${archive.stderr.trim()}`);
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(root, 'node_modules'), 'dir');
  return { label: 'before', root, describe: `commit ${commit.stdout.trim()}` };
}

/**
 * compiledTree compiles this checkout's src/ to JavaScript (tsconfig.build.json, as `make image` does) into
 * `dir`/tree/dist, beside bin/, proto/ and package.json and without src/: the tree the image runs, where
 * bin/suanwang.mjs finds no sources and runs dist/, and Node never loads its TypeScript stripper.
 */
export function compiledTree(dir: string): AgentTree {
  const root = join(dir, 'tree');
  mkdirSync(root, { recursive: true });
  const tsc = spawnSync(join(REPO_ROOT, 'node_modules/.bin/tsc'), ['-p', join(REPO_ROOT, 'tsconfig.build.json'), '--outDir', join(root, 'dist')], { cwd: REPO_ROOT, encoding: 'utf8' });
  if (tsc.status !== 0) throw new Error(`compiling src/ (tsconfig.build.json) failed: ${tsc.stdout}${tsc.stderr}`);
  cpSync(join(REPO_ROOT, 'bin'), join(root, 'bin'), { recursive: true });
  cpSync(join(REPO_ROOT, 'package.json'), join(root, 'package.json'));
  symlinkSync(join(REPO_ROOT, 'proto'), join(root, 'proto'), 'dir');
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(root, 'node_modules'), 'dir');
  return { label: 'after-js', root, describe: 'this checkout compiled to JavaScript, as the image runs it' };
}

/** AgentStartParams are what every agent's command line needs. */
export interface AgentStartParams {
  readonly site: string;
  readonly kubeconfig: string;
  readonly operatorPort: number;
  readonly metricsPort: number;
  readonly tlsDir: string;
}

interface FederationModule {
  agentArgs(p: AgentStartParams): string[];
}

/**
 * agentStart asks the tree's own lab code for its agent's command line (node flags first, when it has any): its
 * sources', or a compiled tree's dist/.
 */
export async function agentStart(tree: AgentTree, p: AgentStartParams): Promise<AgentStart> {
  const source = join(tree.root, 'src/lab/federation.ts');
  const federation = (await import(pathToFileURL(existsSync(source) ? source : join(tree.root, 'dist/lab/federation.js')).href)) as FederationModule;
  return { args: federation.agentArgs(p), env: { ...process.env, ...tree.env } };
}
