/**
 * The image the charts run, without a container engine (this machine has none): the Dockerfile's instructions (base,
 * user, entrypoint, what it copies), the claims it rests on (production dependencies install without scripts and are
 * the same on every platform), and the file set it copies — after .dockerignore, src/ compiled by tsconfig.build.json
 * as its build stage does, with the production dependencies only — running every subcommand's --help from a folder
 * outside the checkout, with Node's type stripping switched off (the image holds no TypeScript).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../src/lab/binaries.ts';

interface Instruction {
  readonly op: string;
  readonly args: string;
}

/** instructions parses a Dockerfile into instructions (comments dropped, continuation lines joined). */
function instructions(text: string): Instruction[] {
  const joined = text
    .split('\n')
    .filter((l) => !l.trimStart().startsWith('#'))
    .join('\n')
    .replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .map((l) => {
      const m = /^(\S+)\s+(.*)$/.exec(l);
      return { op: (m?.[1] ?? l).toUpperCase(), args: m?.[2] ?? '' };
    });
}

/** stages splits instructions at each FROM; ARGs before the first FROM are returned separately. */
function stages(all: readonly Instruction[]): { globalArgs: Map<string, string>; stages: Instruction[][] } {
  const globalArgs = new Map<string, string>();
  const out: Instruction[][] = [];
  for (const ins of all) {
    if (ins.op === 'FROM') out.push([ins]);
    else if (out.length === 0 && ins.op === 'ARG') {
      const [k, v] = ins.args.split('=');
      if (k !== undefined) globalArgs.set(k, v ?? '');
    } else out[out.length - 1]?.push(ins);
  }
  return { globalArgs, stages: out };
}

/**
 * ignored applies .dockerignore rules (Go filepath.Match patterns, `**` for any depth, `!` to re-include; a pattern
 * matching a parent folder matches everything below it; the last matching rule wins) to a path relative to the
 * context root.
 */
function ignored(rules: ReadonlyArray<{ negate: boolean; re: RegExp }>, path: string): boolean {
  const parts = path.split('/');
  const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let result = false;
  for (const r of rules) if (prefixes.some((p) => r.re.test(p))) result = !r.negate;
  return result;
}

function parseDockerignore(text: string): Array<{ negate: boolean; re: RegExp }> {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const pattern = (negate ? l.slice(1) : l).replace(/^\/+|\/+$/g, '');
      const re = pattern
        .split('/')
        .map((seg) => (seg === '**' ? '.*' : seg.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')))
        .join('/')
        .replace(/\.\*\//g, '(?:.*/)?');
      return { negate, re: new RegExp(`^${re}$`) };
    });
}

/** walk lists every file under dir, relative to root. */
function walk(root: string, dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = dir === '' ? e.name : `${dir}/${e.name}`;
    return e.isDirectory() ? walk(root, rel) : [rel];
  });
}

const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
const parsed = stages(instructions(dockerfile));
const finalStage = parsed.stages[parsed.stages.length - 1] ?? [];

describe('Dockerfile', () => {
  it('builds on node:24-slim in every stage', () => {
    expect(parsed.globalArgs.get('NODE_IMAGE')).toBe('node:24-slim');
    const froms = parsed.stages.map((s) => s[0]?.args ?? '');
    expect(froms).toEqual(['--platform=$BUILDPLATFORM ${NODE_IMAGE} AS deps', '--platform=$BUILDPLATFORM ${NODE_IMAGE} AS build', '${NODE_IMAGE}']);
  });

  it('runs as the non-root node user with the CLI as entrypoint', () => {
    expect(finalStage.filter((i) => i.op === 'USER').map((i) => i.args)).toEqual(['1000:1000']);
    expect(finalStage.find((i) => i.op === 'ENTRYPOINT')?.args).toBe('["node", "/app/bin/suanwang.mjs"]');
    // USER comes after every COPY/RUN, so nothing the image holds is owned by or written as root at run time.
    const userAt = finalStage.findIndex((i) => i.op === 'USER');
    expect(finalStage.slice(userAt).filter((i) => i.op === 'RUN' || i.op === 'COPY')).toEqual([]);
  });

  it('installs production dependencies only, and copies exactly the files the program runs from: compiled, no TypeScript', () => {
    const deps = parsed.stages[0] ?? [];
    expect(deps.filter((i) => i.op === 'RUN').map((i) => i.args)).toEqual(['npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force']);
    expect(finalStage.filter((i) => i.op === 'COPY').map((i) => i.args)).toEqual([
      '--from=deps /app/node_modules ./node_modules',
      'package.json package-lock.json ./',
      'bin ./bin',
      '--from=build /app/build/dist ./dist',
      'proto ./proto',
      'crds ./crds',
    ]);
    expect(finalStage.find((i) => i.op === 'WORKDIR')?.args).toBe('/app');
  });

  it('rests on dependencies that need no install scripts and are the same on every platform', () => {
    // --ignore-scripts and building node_modules once on $BUILDPLATFORM are only right when no production package
    // compiles or downloads something per platform.
    const lock = JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, Record<string, unknown>> };
    const harmlessScripts: Record<string, string> = { 'node_modules/protobufjs': 'its postinstall only prints a version-scheme warning' };
    const suspicious: string[] = [];
    for (const [path, pkg] of Object.entries(lock.packages)) {
      if (path === '' || pkg['dev'] === true || pkg['devOptional'] === true) continue;
      if (pkg['os'] !== undefined || pkg['cpu'] !== undefined) suspicious.push(`${path}: platform-specific`);
      if (pkg['hasInstallScript'] === true && harmlessScripts[path] === undefined) suspicious.push(`${path}: install script`);
    }
    expect(suspicious).toEqual([]);
    const postinstall = (JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules/protobufjs/package.json'), 'utf8')) as { scripts?: Record<string, string> }).scripts?.['postinstall'];
    expect(postinstall, 'protobufjs postinstall changed: re-check it').toBe('node scripts/postinstall');
  });
});

describe('the file set the image holds', () => {
  let stage: string;
  beforeAll(() => {
    stage = mkdtempSync(join(tmpdir(), 'suanwang-image-'));
    const rules = parseDockerignore(readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8'));
    for (const top of ['package.json', 'package-lock.json', 'bin', 'proto', 'crds']) {
      const files = statSync(join(REPO_ROOT, top)).isDirectory() ? walk(REPO_ROOT, top) : [top];
      for (const f of files) {
        if (ignored(rules, f)) continue;
        mkdirSync(dirname(join(stage, f)), { recursive: true });
        cpSync(join(REPO_ROOT, f), join(stage, f));
      }
    }
    // What the build stage makes: src/ compiled to JavaScript (the checkout's src/; the context's lacks only tests,
    // which tsconfig.build.json leaves out too).
    const tsc = spawnSync(process.execPath, [join(REPO_ROOT, 'node_modules/.bin/tsc'), '-p', join(REPO_ROOT, 'tsconfig.build.json'), '--outDir', join(stage, 'dist')], { encoding: 'utf8' });
    if (tsc.status !== 0) throw new Error(`tsc -p tsconfig.build.json failed: ${tsc.stdout}${tsc.stderr}`);
    // What `npm ci --omit=dev` installs: the production dependency tree, nothing from devDependencies.
    const ls = spawnSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: REPO_ROOT, encoding: 'utf8' });
    if (ls.status !== 0) throw new Error(`npm ls failed: ${ls.stderr}`);
    for (const dir of ls.stdout.split('\n').filter((l) => l.includes('/node_modules/'))) {
      cpSync(dir, join(stage, relative(REPO_ROOT, dir)), { recursive: true, dereference: true });
    }
  }, 120_000);
  afterAll(() => rmSync(stage, { recursive: true, force: true }));

  it('leaves tests and everything but the program out of the build context', () => {
    const rules = parseDockerignore(readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8'));
    expect(ignored(rules, 'src/api/chart-crds.test.ts')).toBe(true);
    expect(ignored(rules, 'src/api/chart-crds.ts')).toBe(false);
    expect(ignored(rules, 'test/lab/charts-image.test.ts')).toBe(true);
    expect(ignored(rules, 'node_modules/yaml/package.json')).toBe(true);
    expect(ignored(rules, 'charts/suanwang/values.yaml')).toBe(true);
    expect(ignored(rules, '.lab/hub.kubeconfig')).toBe(true);
    expect(ignored(rules, 'bin/suanwang.mjs')).toBe(false);
    expect(readdirSync(stage).sort()).toEqual(['bin', 'crds', 'dist', 'node_modules', 'package-lock.json', 'package.json', 'proto']);
    // Compiled file for file, tests and their helpers left out; nothing Node would need its type stripper for.
    const compiled = walk(stage, 'dist');
    expect(compiled).toContain('dist/cli/main.js');
    expect(compiled).toContain('dist/lab/supervisor-main.js');
    expect(compiled.filter((f) => !f.endsWith('.js'))).toEqual([]);
    expect(compiled.filter((f) => /\.test\.js$|\/(testing|test-helpers|test-fixtures)\.js$/.test(f))).toEqual([]);
    expect(walk(stage, '').filter((f) => !f.startsWith('node_modules/') && /\.[cm]?ts$/.test(f))).toEqual([]);
  });

  it('runs the CLI and every subcommand\'s --help from the copied files alone', () => {
    const run = (args: string[]): { code: number; out: string } => {
      // Type stripping off: a .ts file the program tried to load would fail it, not cost it the stripper.
      const r = spawnSync(process.execPath, ['--no-experimental-strip-types', join(stage, 'bin/suanwang.mjs'), ...args], {
        cwd: '/',
        encoding: 'utf8',
        timeout: 60_000,
        env: { PATH: dirname(process.execPath), NODE_ENV: 'production', HOME: '/nonexistent' },
      });
      return { code: r.status ?? -1, out: (r.stdout ?? '') + (r.stderr ?? '') };
    };
    const top = run(['--help']);
    expect(top.out).toContain('Usage: suanwang <command>');
    expect(top.code).toBe(0);
    const commands = [...top.out.matchAll(/^ {2}([a-z][a-z-]*) {2,}/gm)].map((m) => m[1] ?? '');
    expect(commands.length).toBeGreaterThan(0);
    for (const cmd of commands) {
      const r = run([cmd, '--help']);
      expect(r.code, `suanwang ${cmd} --help:\n${r.out}`).toBe(0);
    }
  });
});
