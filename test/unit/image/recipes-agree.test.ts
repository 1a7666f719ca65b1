// The repository's Dockerfile (for users with a registry) and image/Containerfile (`make image`, built here without
// one) make the same image as far as anyone running it can tell: user, entrypoint, command, working directory,
// environment, labels and the program's files. And image/build.sh feeds the Containerfile what the Dockerfile makes
// itself: the same production dependencies, src/ compiled the same way (the image holds JavaScript, no TypeScript),
// the same .dockerignore'd sources, a user with the USER's ids.
import { readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { contextCopies, disagreements, finalImage, parseStages } from './dockerfile.ts';

const REPO = resolve(import.meta.dirname, '../../..');
const read = (path: string) => readFileSync(join(REPO, path), 'utf8');
const STAGED = 'build/image/context';

const BASE = `FROM node:24-slim AS deps
RUN npm ci --omit=dev
FROM node:24-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY bin ./bin
USER 1000:1000
ENTRYPOINT ["node", "/app/bin/suanwang.mjs"]
LABEL a.b="x y" c=d
`;

describe('disagreements', () => {
  it('finds none between a recipe and itself, and none for a staged copy of what the other builds in a stage', () => {
    const staged = BASE.replace(/^FROM node:24-slim AS deps\nRUN .*\n/, '').replace('--from=deps /app/node_modules', `${STAGED}/node_modules`).replace('FROM node:24-slim', 'FROM scratch\nCOPY rootfs/ /');
    expect(disagreements(finalImage(BASE), finalImage(BASE), STAGED)).toEqual([]);
    expect(disagreements(finalImage(BASE), finalImage(staged), STAGED)).toEqual([]);
  });

  it.each([
    { name: 'user', change: ['USER 1000:1000', 'USER 0'], want: 'USER: "1000:1000" vs "0"' },
    { name: 'entrypoint', change: ['"node", ', '"node", "--inspect", '], want: 'ENTRYPOINT: ["node","/app/bin/suanwang.mjs"] vs ["node","--inspect","/app/bin/suanwang.mjs"]' },
    { name: 'environment', change: ['NODE_ENV=production', 'NODE_ENV=development'], want: 'ENV NODE_ENV: "production" vs "development"' },
    { name: 'label', change: ['c=d', 'c=e'], want: 'LABEL: {"a.b":"x y","c":"d"} vs {"a.b":"x y","c":"e"}' },
    { name: 'copied files', change: ['COPY bin ./bin', 'COPY bin ./bin\nCOPY src ./src'], want: 'COPY into the working directory: ["produced:node_modules -> ./node_modules","bin -> ./bin"] vs ["produced:node_modules -> ./node_modules","bin -> ./bin","src -> ./src"]' },
  ])('reports a different $name', ({ change, want }) => {
    const [from, to] = change as [string, string];
    expect(disagreements(finalImage(BASE), finalImage(BASE.replace(from, to)), STAGED)).toEqual([want]);
  });
});

describe('Dockerfile and image/Containerfile', () => {
  const dockerfile = finalImage(read('Dockerfile'));
  const containerfile = finalImage(read('image/Containerfile'));
  const build = read('image/build.sh');

  it('make the same image', () => {
    expect(disagreements(dockerfile, containerfile, STAGED)).toEqual([]);
    // Not vacuous: the parts compared are there.
    expect(containerfile.user).toBe('1000:1000');
    expect(containerfile.entrypoint).toEqual(['node', '/app/bin/suanwang.mjs']);
    expect(Object.keys(containerfile.labels)).toEqual(expect.arrayContaining(['org.opencontainers.image.source', 'org.opencontainers.image.version', 'org.opencontainers.image.revision']));
    expect(containerfile.copies.length).toBeGreaterThan(5);
  });

  it('hold compiled JavaScript in /app/dist and no TypeScript: neither copies src/ or a .ts file into the image', () => {
    for (const image of [dockerfile, containerfile]) {
      const sources = image.copies.flatMap((c) => c.sources);
      expect(sources.filter((s) => s === 'src' || s.startsWith('src/') || s.endsWith('.ts'))).toEqual([]);
      expect(image.copies.filter((c) => c.dest === './dist').map((c) => c.sources)).toHaveLength(1);
    }
  });

  it('compile src/ the same way: tsconfig.build.json into build/dist, which both copy to /app/dist at src/\'s depth', () => {
    // The configuration as tsc resolves it (extends and all), so a change to tsconfig.json counts too.
    const parsed = ts.getParsedCommandLineOfConfigFile(join(REPO, 'tsconfig.build.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n')); } });
    if (parsed === undefined) throw new Error('tsconfig.build.json could not be read');
    expect(parsed.errors).toEqual([]);
    const o = parsed.options;
    expect(o.noEmit ?? false).toBe(false);
    expect(relative(REPO, o.rootDir ?? '')).toBe('src');
    expect(relative(REPO, o.outDir ?? '')).toBe('build/dist');
    // Imports name .ts files; the emitted ones must name .js, or the image's Node would look for TypeScript.
    expect(o.rewriteRelativeImportExtensions).toBe(true);
    const files = parsed.fileNames.map((f) => relative(REPO, f));
    expect(files).toContain('src/cli/main.ts');
    expect(files.filter((f) => !f.startsWith('src/') || f.endsWith('.test.ts') || /\/(testing|test-helpers|test-fixtures)\.ts$/.test(f))).toEqual([]);

    // The Dockerfile's build stage runs it with the lock's TypeScript and the final stage copies its outDir.
    const buildStage = parseStages(read('Dockerfile')).find((s) => s.name === 'build');
    expect(buildStage?.instructions.filter((i) => i.op === 'RUN').map((i) => i.args)).toEqual(['npm ci --ignore-scripts --no-audit --no-fund', 'node_modules/.bin/tsc -p tsconfig.build.json']);
    const workdir = buildStage?.instructions.findLast((i) => i.op === 'WORKDIR')?.args ?? '';
    const fromBuild = dockerfile.copies.find((c) => c.fromStage === 'build');
    expect(fromBuild?.sources).toEqual([join(workdir, 'build/dist')]);
    // build.sh runs the same command with the checkout's TypeScript, checked against the lock, and stages its outDir.
    expect(build).toContain('node_modules/.bin/tsc -p tsconfig.build.json');
    expect(build).toMatch(/packages\["node_modules\/typescript"\]/);
    expect(build).toContain('echo build/dist');
    expect(containerfile.copies.find((c) => c.dest === './dist')?.sources).toEqual([`${STAGED}/dist`]);
    // /app/dist/<x> sits where /app/src/<x> would, so paths like ../../proto (src/wire/load.ts) resolve alike.
    expect(fromBuild?.dest).toBe('./dist');
  });

  it('build on nothing from a registry: image/Containerfile starts from scratch', () => {
    expect(parseStages(read('image/Containerfile')).map((s) => s.from)).toEqual(['scratch']);
  });

  it('install the same production dependencies', () => {
    const deps = parseStages(read('Dockerfile')).find((s) => s.name === 'deps');
    const dockerNpm = deps?.instructions.find((i) => i.op === 'RUN' && i.args.includes('npm ci'))?.args.match(/npm ci( --[\w=-]+)*/)?.[0] ?? '';
    const buildNpm = /&& (npm ci( --[\w=-]+)*)/.exec(build)?.[1] ?? ''; // the command, not the comment
    expect(dockerNpm).toContain('--omit=dev');
    // build.sh may add flags that change how, never what, it installs (--prefer-offline, --loglevel).
    expect(buildNpm.split(' ')).toEqual(expect.arrayContaining(dockerNpm.split(' ')));
  });

  it('take the sources through the same .dockerignore, and build.sh calls the image dirty by the sources it is made of', () => {
    expect(build).toMatch(/\{ cat \.dockerignore; echo '!build\/image\/context\/\*\*'; \} > "\$OUT\/containerignore"/);
    expect(build).toContain('--ignorefile "$OUT/containerignore"');
    // Every checkout path any stage copies: what lands in the image and what the build stage compiles into it.
    const copied = contextCopies(read('Dockerfile'));
    expect(copied).toEqual(expect.arrayContaining(['src', 'tsconfig.build.json', 'bin']));
    const dirtyPaths = /git status --porcelain -- ([^)]*)\)/.exec(build)?.[1]?.split(' ') ?? [];
    expect(dirtyPaths.sort()).toEqual(copied.sort());
  });

  it('run as a user that image/rootfs-hook.sh writes into /etc/passwd and /etc/group', () => {
    const hook = read('image/rootfs-hook.sh');
    const [uid, gid] = (containerfile.user ?? '').split(':');
    expect(hook).toMatch(new RegExp(`^suanwang:x:${uid}:${gid}:`, 'm'));
    expect(hook).toMatch(new RegExp(`^suanwang:x:${gid}:$`, 'm'));
  });
});
