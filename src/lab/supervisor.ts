/**
 * The lab supervisor: one detached process per lab that starts every component, records it in <dir>/lab.json,
 * and stops them all when told to (SIGTERM/SIGINT), when its owner process dies (a test run that crashed), or
 * when start-up fails. It leads its own process group, so the components share a group `lab down` can end.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { writeLabCertificates } from '../wire/certs.ts';
import type { SiteName } from '../wire/identity.ts';
import type { Site } from '../api/generated/types.ts';
import { GROUP, Plural, VERSION } from '../api/names.ts';
import { ConfigError } from '../api/yaml-source.ts';
import { findBinary, findKwokStages, MissingBinaryError, type BinaryEnv } from './binaries.ts';
import { apiserverArgs, controllerManagerArgs, etcdArgs, kwokArgs, schedulerArgs } from './components.ts';
import { kubeconfigYaml, LAB_ADMIN_USER, LAB_OPERATOR_USER, newToken, writeServiceAccountKey, writeTokenFile, type StaticToken } from './credentials.ts';
import { auditLogPath, auditPolicyYaml } from './audit.ts';
import { grantPullAgent, pullAgentEnv, pullAgentKubeconfigPath, pullAgentUser } from './pull-agent.ts';
import { sitePolicyYaml } from './site-policies.ts';
import { toApiError } from '../runtime/errors.ts';
import { installCrds, registerSites } from './hub-objects.ts';
import { startControlServer } from './control-server.ts';
import { agentArgs, faultsFile, metricsUrl, nodeReporterArgs, operatorArgs, type FederationTiming } from './federation.ts';
import { writeLabStages } from './kwok-stages.ts';
import { countReadyNodes, registerNodes } from './nodes.ts';
import { freePorts } from './ports.ts';
import { Component, isAlive } from './processes.ts';
import { probe, tcpOpen, waitFor } from './readiness.ts';
import { removeLabDir, writeState, type ClusterState, type ComponentState, type LabState } from './state.ts';
import { loadTopology, type LabSite, type Topology } from './topology.ts';

/** SupervisorOptions are the supervisor's command-line arguments, parsed (supervisor-main.ts). */
export interface SupervisorOptions {
  readonly dir: string;
  readonly topologyFile: string;
  readonly ownerPid: number | undefined;
  readonly env: NodeJS.ProcessEnv & BinaryEnv;
  /** podCompleteDelayMs is how long kwok keeps Job pods Running before they succeed. */
  readonly podCompleteDelayMs: number;
  readonly startTimeoutMs: number;
  /** federation: also run the operator, one agent and one node reporter per site (default in `lab up`). */
  readonly federation: boolean;
  readonly timing: FederationTiming;
}

class StartError extends Error {}

interface ClusterRuntime {
  readonly name: string;
  readonly role: 'hub' | 'site';
  readonly site: LabSite | undefined;
  readonly dir: string;
  readonly port: number;
  /** token is the lab admin's (LAB_ADMIN_USER), in <dir>/<name>.kubeconfig. */
  readonly token: string;
  /**
   * operatorToken is LAB_OPERATOR_USER's, on the hub (the operator's own kubeconfig) and on push sites (the kubeconfig in
   * the site's Secret on the hub); none on pull sites.
   */
  readonly operatorToken: string | undefined;
  readonly saKey: string;
  readonly kubeconfig: string;
  /** audit: the apiserver's audit policy file and log (audit.ts); every cluster has one. */
  readonly audit: { readonly policyFile: string; readonly logPath: string };
  /** sitePolicy is the pull agent's --site-policy file, when the topology gives a policy. */
  readonly sitePolicy: string | undefined;
}

/** Supervisor owns one lab's processes from start to stop. */
export class Supervisor {
  readonly #o: SupervisorOptions;
  readonly #components: Component[] = [];
  /** #specs remembers how each component was started, so the control endpoint can start it again. */
  readonly #specs = new Map<string, { bin: string; args: string[]; env: NodeJS.ProcessEnv }>();
  #state: LabState;
  #stopping = false;
  readonly #expectedExits = new Set<Component>();

  constructor(o: SupervisorOptions) {
    this.#o = o;
    this.#state = {
      dir: o.dir,
      topology: o.topologyFile,
      supervisorPid: process.pid,
      ownerPid: o.ownerPid,
      phase: 'Starting',
      error: undefined,
      startedAt: new Date().toISOString(),
      readyAt: undefined,
      progress: [],
      etcd: undefined,
      control: undefined,
      operator: undefined,
      clusters: [],
      components: [],
    };
  }

  /** run starts the lab, then waits until it is told to stop; resolves with the process exit code. */
  async run(): Promise<number> {
    const stopped = new Promise<string>((resolve) => {
      process.once('SIGTERM', () => resolve('SIGTERM'));
      process.once('SIGINT', () => resolve('SIGINT'));
      const owner = this.#o.ownerPid;
      if (owner !== undefined) {
        const timer = setInterval(() => !isAlive(owner) && resolve(`owner process ${owner} ended`), 1000);
        timer.unref();
      }
    });
    const started = this.#start().then(
      () => undefined,
      (err: unknown) =>
        err instanceof StartError || err instanceof MissingBinaryError || err instanceof ConfigError
          ? err.message
          : `unexpected error: ${err instanceof Error ? err.stack : String(err)}`,
    );
    const first = await Promise.race([started.then((e) => ({ kind: 'started' as const, error: e })), stopped.then((why) => ({ kind: 'stop' as const, why }))]);
    if (first.kind === 'started' && first.error !== undefined) {
      this.#update({ phase: 'Failed', error: first.error });
      await this.#stopAll();
      return 1;
    }
    if (first.kind === 'started') {
      this.#watchUnexpectedExits();
      const why = await stopped;
      this.#progress(`stopping: ${why}`);
      // An owner that died cannot clean up after us, so its lab removes its own state too.
      await this.#shutdown(why.startsWith('owner'));
      return 0;
    }
    this.#progress(`stopping during start-up: ${first.why}`);
    await this.#shutdown(first.why.startsWith('owner'));
    return 0;
  }

  async #shutdown(removeDir: boolean): Promise<void> {
    this.#update({ phase: 'Stopping' });
    await this.#stopAll();
    this.#update({ phase: 'Stopped' });
    if (removeDir) removeLabDir(this.#o.dir);
  }

  // #start is the start-up pipeline; each step fails with a StartError naming the component and its log.
  async #start(): Promise<void> {
    const o = this.#o;
    // 1. Topology and binaries: fail before anything runs.
    const topo = loadTopology(o.topologyFile);
    const bins = {
      etcd: findBinary('etcd', o.env),
      apiserver: findBinary('kube-apiserver', o.env),
      kcm: findBinary('kube-controller-manager', o.env),
      scheduler: findBinary('kube-scheduler', o.env),
      kwok: findBinary('kwok', o.env),
    };
    const stages = join(o.dir, 'kwok-stages.yaml');
    writeLabStages(findKwokStages(o.env), stages, o.podCompleteDelayMs);
    mkdirSync(join(o.dir, 'logs'), { recursive: true });
    const control = await startControlServer({ stop: (n, c) => this.#stopOne(n, c), start: (n, c) => this.#startOne(n, c) });
    control.server.unref();
    this.#update({ control: `http://127.0.0.1:${control.port}` });

    // 2. Ports and credentials for every cluster.
    const names = [topo.hub.name, ...topo.sites.map((s) => s.name)];
    const ports = await freePorts(2 + names.length * 3);
    const [etcdClient, etcdPeer] = [ports[0] as number, ports[1] as number];
    const clusters = names.map((name, i) => this.#prepareCluster(topo, name, ports[2 + i * 3] as number));

    // 3. etcd, shared by every cluster under its own prefix.
    const etcdUrl = `http://127.0.0.1:${etcdClient}`;
    const etcd = this.#spawn('etcd', 'lab', bins.etcd, etcdArgs({ dataDir: join(o.dir, 'etcd'), clientPort: etcdClient, peerPort: etcdPeer }));
    this.#update({ etcd: etcdUrl });
    await this.#await(etcd, 'etcd', () => probe({ url: `${etcdUrl}/health` }));
    this.#progress(`etcd ready at ${etcdUrl}`);

    // 4. One kube-apiserver per cluster, started together.
    await Promise.all(
      clusters.map(async (c) => {
        const args = apiserverArgs({ cluster: c.name, etcdUrl, port: c.port, dir: c.dir, saKey: c.saKey, tokenFile: join(c.dir, 'tokens.csv'), audit: c.audit });
        const proc = this.#spawn('kube-apiserver', c.name, bins.apiserver, args);
        const caFile = join(c.dir, 'pki', 'apiserver.crt');
        await this.#await(proc, `kube-apiserver (${c.name})`, async () => existsSync(caFile) && probe({ url: `https://127.0.0.1:${c.port}/readyz`, ca: readFileSync(caFile, 'utf8'), token: c.token }), 120_000);
        const server = `https://127.0.0.1:${c.port}`;
        const caPem = readFileSync(caFile, 'utf8');
        writeFileSync(c.kubeconfig, kubeconfigYaml({ cluster: c.name, server, caPem, token: c.token }), { mode: 0o600 });
        if (c.operatorToken !== undefined) {
          writeFileSync(operatorKubeconfigPath(c), kubeconfigYaml({ cluster: c.name, server, caPem, token: c.operatorToken, user: 'operator' }), { mode: 0o600 });
        }
        this.#progress(`kube-apiserver ${c.name} ready at https://127.0.0.1:${c.port}`);
      }),
    );
    this.#update({ clusters: clusters.map(clusterState) });

    // 5. Controllers: a controller manager everywhere; scheduler and kwok on sites.
    const schedulerPorts = await freePorts(clusters.length * 2);
    const waits: Array<Promise<void>> = [];
    clusters.forEach((c, i) => {
      const rootCa = join(c.dir, 'pki', 'apiserver.crt');
      const kcm = this.#spawn('kube-controller-manager', c.name, bins.kcm, controllerManagerArgs({ role: c.role, kubeconfig: c.kubeconfig, saKey: c.saKey, rootCa }));
      if (c.role === 'hub') return;
      const sp = schedulerPorts[i * 2] as number;
      const sched = this.#spawn('kube-scheduler', c.name, bins.scheduler, schedulerArgs({ kubeconfig: c.kubeconfig, port: sp }));
      const kwok = this.#spawn('kwok', c.name, bins.kwok, kwokArgs({ kubeconfig: c.kubeconfig, stages, serverPort: schedulerPorts[i * 2 + 1] as number }));
      waits.push(this.#readySite(c, kcm, sched, kwok, sp));
    });
    await Promise.all(waits);

    // 6. The hub: Suanwang's CRDs, and every site registered the way a real one is (a Site, and a push site's
    // kubeconfig Secret).
    const hub = clusters.find((c) => c.role === 'hub') as ClusterRuntime;
    const hubKc = new KubeConfig();
    hubKc.loadFromFile(hub.kubeconfig);
    const sites = clusters.flatMap((c) => (c.site ? [{ site: c.site, operatorKubeconfig: c.operatorToken === undefined ? undefined : operatorKubeconfigPath(c) }] : []));
    try {
      const crds = await installCrds(hubKc);
      await registerSites(hubKc, sites);
      const pull = sites.filter((s) => s.site.connection === 'pull').length;
      this.#progress(`hub: ${crds.length} CRDs installed, ${sites.length} sites registered (${sites.length - pull} push, ${pull} pull)`);
    } catch (err) {
      throw new StartError(`setting up the hub failed: ${toApiError(err).message}; log: ${join(hub.dir, '..', '..', 'logs', 'hub-kube-apiserver.log')}`);
    }
    // 7. Suanwang itself: the operator on the hub, an agent and a node reporter per site, over mTLS.
    if (o.federation) await this.#startFederation(topo, hub, clusters);
    // A stop that arrived during the last wait must not be followed by 'Ready': `lab up` would return a lab that is
    // being torn down.
    if (this.#stopping) throw new StartError('the lab is stopping');
    this.#update({ phase: 'Ready', readyAt: new Date().toISOString() });
    this.#progress('lab ready');
  }

  async #startFederation(topo: Topology, hub: ClusterRuntime, clusters: readonly ClusterRuntime[]): Promise<void> {
    const o = this.#o;
    const tlsDir = join(o.dir, 'certs');
    const siteNames = topo.sites.map((s) => s.name);
    await writeLabCertificates(tlsDir, { sites: siteNames as SiteName[], serverNames: ['localhost', '127.0.0.1'], now: new Date() });
    mkdirSync(join(o.dir, 'faults'), { recursive: true });
    const sitesRun = clusters.filter((c) => c.site);
    // The agent endpoint, then a /metrics port for the operator and for each site's agent and node reporter.
    const [port, ...metricsPorts] = await freePorts(2 + 2 * sitesRun.length);
    const operatorPort = port as number;
    const nextMetricsPort = (): number => metricsPorts.shift() as number;
    const op = this.#spawn('operator', hub.name, process.execPath, operatorArgs({ kubeconfig: operatorKubeconfigPath(hub), port: operatorPort, metricsPort: nextMetricsPort(), tlsDir, timing: o.timing }));
    this.#update({ operator: `127.0.0.1:${operatorPort}` });
    await this.#await(op, 'operator', () => tcpOpen(operatorPort));
    this.#progress(`operator ready, agents dial 127.0.0.1:${operatorPort} (mTLS, certificates in ${tlsDir})`);
    for (const c of sitesRun) {
      const metricsPort = nextMetricsPort();
      if (c.site?.connection === 'pull') {
        const args = agentArgs({ site: c.name, kubeconfig: pullAgentKubeconfigPath(c.dir), operatorPort, metricsPort, tlsDir, pull: { sitePolicy: c.sitePolicy } });
        this.#spawn('agent', c.name, process.execPath, args, { ...o.env, ...pullAgentEnv() });
      } else {
        this.#spawn('agent', c.name, process.execPath, agentArgs({ site: c.name, kubeconfig: c.kubeconfig, operatorPort, metricsPort, tlsDir }));
      }
      const faults = faultsFile(o.dir, c.name);
      this.#spawn('node-reporter', c.name, process.execPath, nodeReporterArgs({ site: c.name, kubeconfig: c.kubeconfig, topology: o.topologyFile, faults, metricsPort: nextMetricsPort(), timing: o.timing }));
    }
    const hubKc = new KubeConfig();
    hubKc.loadFromFile(hub.kubeconfig);
    const api = hubKc.makeApiClient(CustomObjectsApi);
    const ours = this.#components.filter((p) => ['operator', 'agent', 'node-reporter'].includes(p.name));
    const err = await waitFor(
      `every Site Ready on the hub (${siteNames.join(', ')})`,
      async () => {
        const list = (await api.listClusterCustomObject({ group: GROUP, version: VERSION, plural: Plural.Site }).catch(() => ({ items: [] }))) as { items: Site[] };
        const ready = list.items.filter((s) => s.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
        return siteNames.every((n) => ready.some((s) => s.metadata.name === n));
      },
      { timeoutMs: o.startTimeoutMs, intervalMs: 500, failing: () => ours.find((p) => p.exitInfo)?.describeFailure() },
    );
    if (err) throw new StartError(err.includes('log:') ? err : `${err}; logs: ${ours.map((p) => p.log).join(', ')}`);
    this.#progress(`federation ready: ${siteNames.length} sites Ready on the hub`);
  }

  async #stopOne(name: string, cluster: string): Promise<number> {
    const c = this.#components.find((p) => p.name === name && p.cluster === cluster && !p.exitInfo);
    if (!c) throw new Error(`no running component ${name} for ${cluster}`);
    this.#expectedExits.add(c);
    await c.stop(10_000);
    this.#progress(`stopped ${name} (${cluster}) on request`);
    return c.pid;
  }

  async #startOne(name: string, cluster: string): Promise<number> {
    const running = this.#components.find((p) => p.name === name && p.cluster === cluster && !p.exitInfo);
    if (running) throw new Error(`${name} for ${cluster} is already running (pid ${running.pid})`);
    const spec = this.#specs.get(`${cluster}/${name}`);
    if (!spec) throw new Error(`unknown component ${name} for ${cluster}`);
    const c = this.#spawn(name, cluster, spec.bin, spec.args, spec.env);
    this.#watchExit(c);
    this.#progress(`started ${name} (${cluster}) on request, pid ${c.pid}`);
    return c.pid;
  }

  #prepareCluster(topo: Topology, name: string, port: number): ClusterRuntime {
    const dir = join(this.#o.dir, 'clusters', name);
    mkdirSync(join(dir, 'pki'), { recursive: true });
    const site = topo.sites.find((s) => s.name === name);
    const token = newToken();
    // The operator calls the hub and push sites as its own user, so their audit logs tell its requests from the lab's;
    // nothing on the hub can call a pull site, so that has no token for it.
    const operatorToken = site === undefined || site.connection === 'push' ? newToken() : undefined;
    const saKey = join(dir, 'sa.key');
    writeServiceAccountKey(saKey);
    const tokens: StaticToken[] = [{ token, user: LAB_ADMIN_USER, groups: ['system:masters'] }];
    if (operatorToken !== undefined) tokens.push({ token: operatorToken, user: LAB_OPERATOR_USER, groups: ['system:masters'] });
    writeTokenFile(join(dir, 'tokens.csv'), tokens);
    const audit = { policyFile: join(dir, 'audit-policy.yaml'), logPath: auditLogPath(this.#o.dir, name) };
    writeFileSync(audit.policyFile, auditPolicyYaml());
    let sitePolicy: string | undefined;
    if (site?.sitePolicy !== undefined) {
      sitePolicy = join(dir, 'site-policy.yaml');
      writeFileSync(sitePolicy, sitePolicyYaml(topo.file, site));
    }
    return { name, role: site ? 'site' : 'hub', site, dir, port, token, operatorToken, saKey, kubeconfig: join(this.#o.dir, `${name}.kubeconfig`), audit, sitePolicy };
  }

  async #readySite(c: ClusterRuntime, kcm: Component, sched: Component, kwok: Component, schedPort: number): Promise<void> {
    const site = c.site as LabSite;
    const kc = new KubeConfig();
    kc.loadFromFile(c.kubeconfig);
    const n = await registerNodes(kc, site).catch((err: unknown) => {
      throw new StartError(`registering nodes of ${c.name} failed: ${err instanceof Error ? err.message : String(err)}`);
    });
    if (site.connection === 'pull') {
      const token = await grantPullAgent(kc).catch((err: unknown) => {
        throw new StartError(`giving the pull agent of ${c.name} its ServiceAccount failed: ${toApiError(err).message}`);
      });
      const server = `https://127.0.0.1:${c.port}`;
      const caPem = readFileSync(join(c.dir, 'pki', 'apiserver.crt'), 'utf8');
      writeFileSync(pullAgentKubeconfigPath(c.dir), kubeconfigYaml({ cluster: c.name, server, caPem, token, user: 'agent' }), { mode: 0o600 });
    }
    const core = kc.makeApiClient(CoreV1Api);
    const failing = () => [kcm, sched, kwok].find((p) => p.exitInfo)?.describeFailure();
    const steps: Array<[string, () => Promise<boolean>]> = [
      [`kube-scheduler (${c.name})`, () => probe({ url: `https://127.0.0.1:${schedPort}/readyz`, insecure: true })],
      [`kwok (${c.name}): ${n} nodes Ready`, async () => (await countReadyNodes(kc).catch(() => 0)) >= n],
      // kube-controller-manager creates the default ServiceAccount; pods are refused until it exists.
      [`kube-controller-manager (${c.name})`, () => core.readNamespacedServiceAccount({ name: 'default', namespace: 'default' }).then(() => true, () => false)],
    ];
    for (const [what, check] of steps) {
      const err = await waitFor(what, check, { timeoutMs: this.#o.startTimeoutMs, failing });
      if (err) throw new StartError(err.includes('log:') ? err : `${err}; logs: ${[kcm, sched, kwok].map((p) => p.log).join(', ')}`);
    }
    this.#progress(`site ${c.name}: ${n} nodes Ready, scheduler and controllers running`);
  }

  #spawn(name: string, cluster: string, bin: string, args: string[], env: NodeJS.ProcessEnv = this.#o.env): Component {
    // A stop that arrives mid-start must not be followed by new processes nobody would stop.
    if (this.#stopping) throw new StartError(`not starting ${name} (${cluster}): the lab is stopping`);
    const log = join(this.#o.dir, 'logs', `${cluster}-${name}.log`);
    const c = new Component(name, cluster, bin, args, log, env);
    this.#specs.set(`${cluster}/${name}`, { bin, args, env });
    // A restarted component replaces its stopped predecessor in the list of processes.
    const i = this.#components.findIndex((p) => p.name === name && p.cluster === cluster);
    if (i >= 0) this.#components.splice(i, 1, c);
    else this.#components.push(c);
    this.#update({ components: this.#components.map((p) => componentState(p)) });
    return c;
  }

  async #await(proc: Component, what: string, check: () => Promise<boolean>, timeoutMs = this.#o.startTimeoutMs): Promise<void> {
    const err = await waitFor(what, check, { timeoutMs, intervalMs: 200, failing: () => (proc.exitInfo ? proc.describeFailure() : undefined) });
    if (err) throw new StartError(err.includes('log:') ? err : `${err}; log: ${proc.log}`);
  }

  #watchUnexpectedExits(): void {
    for (const c of this.#components) this.#watchExit(c);
  }

  #watchExit(c: Component): void {
    void c.exited.then((e) => {
      if (!this.#stopping && !this.#expectedExits.has(c)) this.#progress(`WARNING: ${c.name} (${c.cluster}) exited unexpectedly (code ${e.code}, signal ${e.signal}); log: ${c.log}`);
    });
  }

  async #stopAll(): Promise<void> {
    this.#stopping = true;
    // Reverse start order: agents of the control plane first, etcd last.
    const order = ['node-reporter', 'agent', 'operator', 'kwok', 'kube-scheduler', 'kube-controller-manager', 'kube-apiserver', 'etcd'];
    for (const name of order) {
      await Promise.all(this.#components.filter((c) => c.name === name).map((c) => c.stop(10_000)));
    }
    await Promise.all(this.#components.filter((c) => !order.includes(c.name)).map((c) => c.stop(10_000)));
  }

  #progress(line: string): void {
    this.#update({ progress: [...this.#state.progress, `${new Date().toISOString()} ${line}`] });
  }

  #update(patch: Partial<LabState>): void {
    this.#state = { ...this.#state, ...patch };
    if (existsSync(this.#o.dir)) writeState(this.#state);
  }
}

/** componentState records a process, with its /metrics URL when its command line serves one. */
function componentState(p: Component): ComponentState {
  const metrics = metricsUrl(p.args);
  return { name: p.name, cluster: p.cluster, pid: p.pid, log: p.log, args: p.args, ...(metrics !== undefined && { metrics }) };
}

/** operatorKubeconfigPath is LAB_OPERATOR_USER's kubeconfig of a cluster: the operator's on the hub, a push site's Secret's. */
function operatorKubeconfigPath(c: ClusterRuntime): string {
  return join(c.dir, 'operator.kubeconfig');
}

function clusterState(c: ClusterRuntime): ClusterState {
  const base = { name: c.name, role: c.role, server: `https://127.0.0.1:${c.port}`, kubeconfig: c.kubeconfig, auditLog: c.audit.logPath, operatorUser: LAB_OPERATOR_USER };
  if (!c.site) return base;
  const pull = c.site.connection === 'pull';
  return {
    ...base,
    connection: c.site.connection,
    agentUser: pull ? pullAgentUser() : LAB_ADMIN_USER,
    ...(pull && { agentKubeconfig: pullAgentKubeconfigPath(c.dir) }),
    ...(c.sitePolicy !== undefined && { sitePolicy: c.sitePolicy }),
    region: c.site.region,
    pools: c.site.pools.map((p) => ({
      name: p.name,
      nodes: p.nodes,
      cpu: p.cpu,
      memory: p.memory,
      ...(p.accelerator ? { accelerator: `${p.accelerator.count}x ${p.accelerator.model} (${p.accelerator.resourceName})` } : {}),
    })),
  };
}
