/**
 * The image `make image` built (build/image/suanwang-amd64.oci.tar), tested by reading its layers (the program is
 * src/ compiled to JavaScript, no TypeScript) and by running it: every subcommand's --help inside the image with
 * Node's type stripping switched off, then the operator from the image against the lab hub as the hub chart's pod would run there.
 * image/run-in-image.sh does what a kubelet does with an image (umoci derives the runtime configuration from the
 * image's entrypoint, user and environment; runc runs it with a read-only root and no capabilities). The pod comes
 * from the apiserver itself: the chart is installed, and its Deployment's container args, env and volumes are
 * turned into the container's arguments and mounts — the projected TLS volume is filled from the Secrets it names,
 * with the chart's mode and fsGroup, and the ServiceAccount token is mounted where in-cluster clients look. The lab's
 * own operator steps aside for the test (as in leader-election.test.ts), so the sites' agents reconnect to the one in
 * the image, and it is done when its health endpoint answers, it reports ready and every Site is Ready through it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_NODE_OPTIONS } from '../../src/agent/site/agent-node-options.ts';
import { REPO_ROOT } from '../../src/lab/binaries.ts';
import { controlComponent } from '../../src/lab/lab.ts';
import { freePort } from '../../src/lab/ports.ts';
import { readState } from '../../src/lab/state.ts';
import { helm, HUB_CHART, mustHelm } from './fixtures/charts/helm.ts';
import { conditionOf, getSite } from './support/hub.ts';
import { eventually, kubectl, kubectlJson, sharedLab, type SharedLab } from './support/shared-lab.ts';
import { TEST_TIMING } from './support/timing.ts';

const ARCHIVE = join(REPO_ROOT, 'build/image/suanwang-amd64.oci.tar');
const RUN_IN_IMAGE = join(REPO_ROOT, 'image/run-in-image.sh');
if (!existsSync(ARCHIVE)) throw new Error(`no image at ${ARCHIVE}: run 'make image' first (make test-image does both)`);

interface ImageConfig {
  architecture: string;
  config: { User?: string; Entrypoint?: string[]; Cmd?: string[]; WorkingDir?: string; Env?: string[]; Labels?: Record<string, string> };
}

function skopeoInspect<T>(...args: string[]): T {
  const r = spawnSync('skopeo', ['inspect', ...args, `oci-archive:${ARCHIVE}`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`skopeo inspect ${args.join(' ')} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/**
 * runInImage runs the image's entrypoint with args to completion, with type stripping off: a .ts file the program
 * tried to load would fail it (the image has none to load, and no process in it should pay for the stripper).
 */
function runInImage(args: string[], nodeOptions: readonly string[] = []): { code: number; out: string } {
  const env = `NODE_OPTIONS=${['--no-experimental-strip-types', ...nodeOptions].join(' ')}`;
  const r = spawnSync(RUN_IN_IMAGE, ['--env', env, '--', ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, out: (r.stdout ?? '') + (r.stderr ?? '') };
}

describe('the image', () => {
  it('runs as uid 1000 with the CLI as entrypoint, labelled with this checkout', () => {
    const c = skopeoInspect<ImageConfig>('--config');
    expect(c.architecture).toBe('amd64');
    expect(c.config).toMatchObject({ User: '1000:1000', Entrypoint: ['node', '/app/bin/suanwang.mjs'], Cmd: ['--help'], WorkingDir: '/app' });
    expect(c.config.Env).toContain('NODE_ENV=production');
    const labels = c.config.Labels ?? {};
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(labels['org.opencontainers.image.version']).toBe(pkg.version);
    // A commit of this repository (not necessarily HEAD: a commit may land between the build and the test).
    const revision = /^([0-9a-f]{40})(-dirty)?$/.exec(labels['org.opencontainers.image.revision'] ?? '');
    expect(revision, `revision label ${labels['org.opencontainers.image.revision']}`).not.toBeNull();
    expect(spawnSync('git', ['cat-file', '-t', revision?.[1] ?? ''], { cwd: REPO_ROOT, encoding: 'utf8' }).stdout.trim()).toBe('commit');
    expect(labels['org.opencontainers.image.source']).toBeTruthy();
  });

  it('holds the program as src/ compiled to JavaScript in /app/dist, and no TypeScript', () => {
    const work = mkdtempSync(join(tmpdir(), 'suanwang-image-layers-'));
    try {
      const x = spawnSync('tar', ['-xf', ARCHIVE, '-C', work, 'blobs', 'index.json'], { encoding: 'utf8' });
      expect(x.status, x.stderr).toBe(0);
      const blob = (digest: string) => join(work, 'blobs', digest.replace(':', '/'));
      const index = JSON.parse(readFileSync(join(work, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
      const manifest = JSON.parse(readFileSync(blob(index.manifests[0]?.digest ?? ''), 'utf8')) as { layers: Array<{ digest: string }> };
      const files = manifest.layers.flatMap((l) => {
        const t = spawnSync('tar', ['-tzf', blob(l.digest)], { encoding: 'utf8', maxBuffer: 256 << 20 });
        if (t.status !== 0) throw new Error(`tar -tzf ${l.digest} failed: ${t.stderr}`);
        return t.stdout.split('\n').filter(Boolean).map((f) => f.replace(/^\.?\//, ''));
      });
      expect(files).toEqual(expect.arrayContaining(['app/bin/suanwang.mjs', 'app/dist/cli/main.js', 'app/dist/wire/load.js', 'app/proto/']));
      expect(files.filter((f) => f.startsWith('app/src/'))).toEqual([]);
      expect(files.filter((f) => f.startsWith('app/') && !f.startsWith('app/node_modules/') && /\.[cm]?ts$/.test(f))).toEqual([]);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it("loads the agent inside the image under the chart's Node options (--jitless: no WebAssembly, no JIT)", () => {
    const r = runInImage(['agent', '--help'], AGENT_NODE_OPTIONS);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/Usage:\s+suanwang agent/);
  });

  it('runs the CLI and every subcommand\'s --help inside the image', () => {
    const top = runInImage(['--help']);
    expect(top.out).toContain('Usage: suanwang <command>');
    expect(top.code).toBe(0);
    const commands = [...top.out.matchAll(/^ {2}([a-z][a-z-]*) {2,}/gm)].map((m) => m[1] ?? '');
    expect(commands).toEqual(expect.arrayContaining(['operator', 'agent', 'node-reporter']));
    for (const cmd of commands) {
      const r = runInImage([cmd, '--help']);
      expect(r.code, `suanwang ${cmd} --help in the image:\n${r.out}`).toBe(0);
      expect(r.out).toMatch(new RegExp(`Usage:\\s+suanwang ${cmd}`));
    }
  });
});

interface Container {
  args: string[];
  env?: Array<{ name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }>;
  volumeMounts: Array<{ name: string; mountPath: string }>;
  securityContext: { readOnlyRootFilesystem?: boolean };
}
interface PodSpec {
  serviceAccountName: string;
  securityContext: { runAsUser?: number; runAsGroup?: number; fsGroup?: number };
  containers: Container[];
  volumes: Array<{ name: string; emptyDir?: unknown; configMap?: { name: string }; projected?: { defaultMode: number; sources: Array<{ secret: { name: string; items: Array<{ key: string; path: string }> } }> } }>;
}

describe('the operator from the image, as the hub chart runs it, against the lab hub', () => {
  const suffix = randomBytes(3).toString('hex');
  // The lab keeps the site kubeconfig Secrets in suanwang-system, the chart's Role grants them in its own namespace.
  const ns = 'suanwang-system';
  const release = `img-${suffix}`;
  const full = `${release}-suanwang`;
  const podName = `${full}-0`;
  let lab: SharedLab;
  let hub: string;
  let work: string;
  let address: string;
  let healthPort: number;
  let labOperatorStopped = false;
  let child: ChildProcess | undefined;
  let exit: Promise<number | null> | undefined;
  let stdout = '';
  let stderr = '';

  /** materialize writes a volume's files as the kubelet would: root-owned, group fsGroup, the volume's mode. */
  function materialize(dir: string, files: Record<string, string | Buffer>, mode: number, fsGroup: number): string {
    mkdirSync(dir, { recursive: true });
    for (const [name, data] of Object.entries(files)) {
      writeFileSync(join(dir, name), data);
      chownSync(join(dir, name), 0, fsGroup);
      chmodSync(join(dir, name), mode);
    }
    return dir;
  }

  beforeAll(async () => {
    if (process.getuid?.() !== 0) throw new Error('this test runs runc and writes root-owned volumes: run it as root');
    lab = await sharedLab();
    hub = lab.kubeconfig('hub');
    const st = readState(lab.dir);
    if (st?.operator === undefined) throw new Error('the shared lab runs no operator');
    address = st.operator;
    healthPort = await freePort();
    work = mkdtempSync(join(tmpdir(), 'suanwang-image-test-'));
    const certs = join(lab.dir, 'certs');
    // The Secrets the chart's projected TLS volume reads: the lab's server certificate, and its CA for agents.
    const secret = (name: string, ...files: string[]) => expect(kubectl(hub, ['-n', ns, 'create', 'secret', 'generic', name, ...files.map((f) => `--from-file=${f}`)]).code).toBe(0);
    secret(`${full}-tls`, `tls.crt=${join(certs, 'server.crt')}`, `tls.key=${join(certs, 'server.key')}`);
    secret(`${full}-agent-ca`, `ca.crt=${join(certs, 'ca.crt')}`);
    // The chart's own flags; only the ports follow the lab (its agents dial the lab operator's port) and the
    // lease timing the lab's agents heartbeat at.
    const port = Number(address.slice(address.lastIndexOf(':') + 1));
    mustHelm(['install', release, HUB_CHART, '-n', ns, '--set', 'crds.enabled=false', '--set', `service.port=${port}`, '--set', `probes.healthPort=${healthPort}`,
      '--set', `operator.lease=${TEST_TIMING.leaseMs}ms`, '--set', `operator.heartbeatInterval=${TEST_TIMING.heartbeatIntervalMs}ms`], { kubeconfig: hub });
    await controlComponent(lab.dir, 'stop', 'operator', 'hub');
    labOperatorStopped = true;
  });

  afterAll(async () => {
    if (child !== undefined && child.exitCode === null && child.signalCode === null && child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    await exit;
    if (labOperatorStopped) await controlComponent(lab.dir, 'start', 'operator', 'hub');
    helm(['uninstall', release, '-n', ns, '--wait'], { kubeconfig: hub });
    kubectl(hub, ['-n', ns, 'delete', 'secret', `${full}-tls`, `${full}-agent-ca`, '--ignore-not-found']);
    kubectl(hub, ['-n', ns, 'delete', 'lease', full, '--ignore-not-found']);
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
    // Later test files expect the federation as the lab left it.
    await eventually(() => {
      for (const site of lab.sites) expect(conditionOf(getSite(hub, site), 'Ready')?.status, site).toBe('True');
    }, { timeoutMs: 120_000, intervalMs: 500 });
  });

  it('starts from the Deployment the apiserver holds, reports ready on its health endpoint and serves every site', async () => {
    const pod = kubectlJson<{ spec: { template: { spec: PodSpec } } }>(hub, ['-n', ns, 'get', 'deployment', full]).spec.template.spec;
    const [container] = pod.containers;
    if (container === undefined) throw new Error('the Deployment has no container');
    const image = skopeoInspect<ImageConfig>('--config').config;
    // The chart's user is the image's, and its root file system is read-only, as run-in-image.sh runs every image.
    expect(`${pod.securityContext.runAsUser}:${pod.securityContext.runAsGroup}`).toBe(image.User);
    expect(container.securityContext.readOnlyRootFilesystem).toBe(true);
    const fsGroup = pod.securityContext.fsGroup ?? 0;

    const mounts: string[] = [];
    for (const m of container.volumeMounts) {
      const v = pod.volumes.find((x) => x.name === m.name);
      if (v?.emptyDir !== undefined) {
        expect(m.mountPath, 'run-in-image.sh mounts a tmpfs at /tmp only').toBe('/tmp');
      } else if (v?.projected !== undefined) {
        const files: Record<string, Buffer> = {};
        for (const { secret } of v.projected.sources) {
          const data = kubectlJson<{ data: Record<string, string> }>(hub, ['-n', ns, 'get', 'secret', secret.name]).data;
          for (const item of secret.items) files[item.path] = Buffer.from(data[item.key] ?? '', 'base64');
        }
        mounts.push(`${materialize(join(work, m.name), files, v.projected.defaultMode, fsGroup)}:${m.mountPath}`);
      } else if (v?.configMap !== undefined) {
        const data = kubectlJson<{ data?: Record<string, string> }>(hub, ['-n', ns, 'get', 'configmap', v.configMap.name]).data ?? {};
        mounts.push(`${materialize(join(work, m.name), data, 0o444, fsGroup)}:${m.mountPath}`);
      } else {
        throw new Error(`volume ${m.name} of the chart's pod: the test does not know how to provide it`);
      }
    }
    // The ServiceAccount token and the hub's CA, where in-cluster clients look for them.
    const token = kubectl(hub, ['-n', ns, 'create', 'token', pod.serviceAccountName, '--duration=1h']);
    expect(token.code, token.stderr).toBe(0);
    const kc = load(readFileSync(hub, 'utf8')) as { clusters: Array<{ cluster: { server: string; 'certificate-authority-data': string } }> };
    const cluster = kc.clusters[0]?.cluster;
    if (cluster === undefined) throw new Error(`no cluster in ${hub}`);
    const sa = materialize(join(work, 'serviceaccount'), { token: token.stdout.trim(), 'ca.crt': Buffer.from(cluster['certificate-authority-data'], 'base64'), namespace: ns }, 0o440, fsGroup);
    mounts.push(`${sa}:/var/run/secrets/kubernetes.io/serviceaccount`);
    const server = new URL(cluster.server);
    const env = [`KUBERNETES_SERVICE_HOST=${server.hostname}`, `KUBERNETES_SERVICE_PORT=${server.port}`];
    for (const e of container.env ?? []) {
      const field = e.valueFrom?.fieldRef?.fieldPath;
      env.push(`${e.name}=${field === 'metadata.name' ? podName : field === 'metadata.namespace' ? ns : (e.value ?? '')}`);
    }
    // The container shares the host's network, where 0.0.0.0 would open the ports beyond the loopback.
    const args = container.args.map((a) => a.replace('=0.0.0.0:', '=127.0.0.1:'));
    expect(args).toContain(`--listen=${address}`);

    child = spawn(RUN_IN_IMAGE, [...mounts.flatMap((m) => ['--mount', m]), ...env.flatMap((e) => ['--env', e]), '--', ...args], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    exit = new Promise((resolve) => child?.once('exit', (code) => resolve(code)));
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));

    const started = performance.now();
    await eventually(async () => {
      expect(child?.exitCode, stderr).toBeNull();
      expect((await fetch(`http://127.0.0.1:${healthPort}/healthz`)).status).toBe(200);
      expect(stdout).toContain(`operator ready: grpc listening on ${address}`);
    }, { timeoutMs: 90_000, intervalMs: 250 });
    const readyS = (performance.now() - started) / 1000;
    expect(kubectlJson<{ spec: { holderIdentity?: string } }>(hub, ['-n', ns, 'get', 'lease', full]).spec.holderIdentity).toBe(podName);
    await eventually(() => {
      for (const site of lab.sites) expect(stderr, site).toMatch(new RegExp(`"site":"${site}".*"msg":"site agent registered"`));
      for (const site of lab.sites) expect(conditionOf(getSite(hub, site), 'Ready')?.status, site).toBe('True');
    }, { timeoutMs: 60_000, intervalMs: 500 });
    console.log(`image: the operator in the image was ready ${readyS.toFixed(1)} s after start, every site Ready ${((performance.now() - started) / 1000).toFixed(1)} s after`);
    // Under the chart's ServiceAccount the hub never said no.
    expect(stderr).not.toMatch(/Forbidden|forbidden/);
  });

  it('stops cleanly on SIGTERM and releases its Lease', async () => {
    child?.kill('SIGTERM');
    expect(await exit, stderr).toBe(0);
    expect(stderr).toContain('released the lease');
    expect(kubectlJson<{ spec: { holderIdentity?: string } }>(hub, ['-n', ns, 'get', 'lease', full]).spec.holderIdentity ?? '').toBe('');
  });
});
