/**
 * A hub without sites: the lab's hub control plane (one etcd, the hub's kube-apiserver with the lab's audit log and
 * tokens, its kube-controller-manager), Suanwang's CRDs and system namespace, the lab's agent certificates (a CA and the
 * operator's serving certificate), and the operator as the lab runs it (src/lab/federation.ts operatorArgs), all from
 * the lab's own functions. The lab supervisor itself is not used because a lab topology needs at least one site
 * cluster, and the benchmark's sites live in its own process (simulated-site.ts); everything else is the same.
 *
 * The processes are children of the benchmark process, each logging to <dir>/logs/<name>.log; `stop` ends them in
 * reverse order (SIGTERM, then SIGKILL after 10 s) and checks that none is left.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { auditLogPath, auditPolicyYaml } from '../../src/lab/audit.ts';
import { findBinary } from '../../src/lab/binaries.ts';
import { apiserverArgs, controllerManagerArgs, etcdArgs } from '../../src/lab/components.ts';
import { kubeconfigYaml, LAB_ADMIN_USER, LAB_OPERATOR_USER, newToken, writeServiceAccountKey, writeTokenFile } from '../../src/lab/credentials.ts';
import { metricsUrl, operatorArgs, type FederationTiming } from '../../src/lab/federation.ts';
import { installCrds, registerSites } from '../../src/lab/hub-objects.ts';
import { freePorts } from '../../src/lab/ports.ts';
import { Component, isAlive } from '../../src/lab/processes.ts';
import { probe, tcpOpen, waitFor } from '../../src/lab/readiness.ts';
import { writeLabCertificates } from '../../src/wire/certs.ts';

const HUB = 'hub';

/**
 * AUDIT_LOG_MAX_SIZE_MIB: the lab's apiservers rotate their audit log at 50 MiB and keep one old file, which a run of
 * ten thousand workloads on a thousand sites can outgrow; the hub here keeps everything in one file.
 */
const AUDIT_LOG_MAX_SIZE_MIB = 8192;

/** Hub is a running hub and how to reach and stop it. */
export interface Hub {
  readonly dir: string;
  /** kubeconfig is the lab admin's (LAB_ADMIN_USER). */
  readonly kubeconfig: string;
  readonly auditLog: string;
  /** operatorUser is the user the operator calls the hub as, in the audit log. */
  readonly operatorUser: string;
  readonly operatorPid: number;
  /** operatorTarget is the operator's agent endpoint, host:port. */
  readonly operatorTarget: string;
  readonly operatorMetrics: string;
  readonly operatorLog: string;
  /** tlsDir holds ca.crt/ca.key (the agent CA) and server.crt/server.key (the operator's). */
  readonly tlsDir: string;
  /** pids of every process, with their names. */
  readonly processes: ReadonlyArray<{ readonly name: string; readonly pid: number }>;
  stop(): Promise<{ readonly stillAlive: readonly number[] }>;
}

/** HubOptions configure startHub. */
export interface HubOptions {
  readonly dir: string;
  readonly timing: FederationTiming;
  readonly log: (line: string) => void;
  readonly startTimeoutMs?: number;
  /** operatorLogLevel: the operator's --log-level (its default when absent). */
  readonly operatorLogLevel?: string;
}

/** startHub starts the hub and the operator (module comment); on failure it stops what it started and throws. */
export async function startHub(o: HubOptions): Promise<Hub> {
  const env = process.env;
  const timeoutMs = o.startTimeoutMs ?? 120_000;
  const logs = join(o.dir, 'logs');
  const clusterDir = join(o.dir, 'clusters', HUB);
  mkdirSync(logs, { recursive: true });
  mkdirSync(join(clusterDir, 'pki'), { recursive: true });
  const components: Component[] = [];
  const spawn = (name: string, bin: string, args: string[]): Component => {
    const c = new Component(name, HUB, bin, args, join(logs, `${name}.log`), env);
    components.push(c);
    return c;
  };
  const stop = async (): Promise<{ stillAlive: number[] }> => {
    for (const c of [...components].reverse()) await c.stop(10_000);
    return { stillAlive: components.map((c) => c.pid).filter(isAlive) };
  };
  const ready = async (c: Component, what: string, check: () => Promise<boolean>): Promise<void> => {
    const err = await waitFor(what, check, { timeoutMs, intervalMs: 200, failing: () => (c.exitInfo ? c.describeFailure() : undefined) });
    if (err !== undefined) throw new Error(err.includes('log:') ? err : `${err}; log: ${c.log}`);
  };
  try {
    const [etcdClient, etcdPeer, apiPort, operatorPort, metricsPort] = (await freePorts(5)) as [number, number, number, number, number];
    // Credentials: the admin's token and the operator's, each its own user in the audit log.
    const adminToken = newToken();
    const operatorToken = newToken();
    const saKey = join(clusterDir, 'sa.key');
    writeServiceAccountKey(saKey);
    const tokenFile = join(clusterDir, 'tokens.csv');
    writeTokenFile(tokenFile, [
      { token: adminToken, user: LAB_ADMIN_USER, groups: ['system:masters'] },
      { token: operatorToken, user: LAB_OPERATOR_USER, groups: ['system:masters'] },
    ]);
    const audit = { policyFile: join(clusterDir, 'audit-policy.yaml'), logPath: auditLogPath(o.dir, HUB) };
    writeFileSync(audit.policyFile, auditPolicyYaml());

    const etcdUrl = `http://127.0.0.1:${etcdClient}`;
    const etcd = spawn('etcd', findBinary('etcd', env), etcdArgs({ dataDir: join(o.dir, 'etcd'), clientPort: etcdClient, peerPort: etcdPeer }));
    await ready(etcd, 'etcd', () => probe({ url: `${etcdUrl}/health` }));

    // The lab's flags, the audit log's size limit raised (AUDIT_LOG_MAX_SIZE_MIB; the last value of a flag wins).
    const apiArgs = [...apiserverArgs({ cluster: HUB, etcdUrl, port: apiPort, dir: clusterDir, saKey, tokenFile, audit }), `--audit-log-maxsize=${AUDIT_LOG_MAX_SIZE_MIB}`];
    const apiserver = spawn('kube-apiserver', findBinary('kube-apiserver', env), apiArgs);
    const caFile = join(clusterDir, 'pki', 'apiserver.crt');
    await ready(apiserver, 'kube-apiserver (hub)', async () => {
      try {
        return await probe({ url: `https://127.0.0.1:${apiPort}/readyz`, ca: readFileSync(caFile, 'utf8'), token: adminToken });
      } catch {
        return false; // the certificate is not written yet
      }
    });
    const server = `https://127.0.0.1:${apiPort}`;
    const caPem = readFileSync(caFile, 'utf8');
    const kubeconfig = join(o.dir, `${HUB}.kubeconfig`);
    writeFileSync(kubeconfig, kubeconfigYaml({ cluster: HUB, server, caPem, token: adminToken }), { mode: 0o600 });
    const operatorKubeconfig = join(clusterDir, 'operator.kubeconfig');
    writeFileSync(operatorKubeconfig, kubeconfigYaml({ cluster: HUB, server, caPem, token: operatorToken, user: 'operator' }), { mode: 0o600 });
    spawn('kube-controller-manager', findBinary('kube-controller-manager', env), controllerManagerArgs({ role: 'hub', kubeconfig, saKey, rootCa: caFile }));
    o.log(`hub apiserver ready at ${server}`);

    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfig);
    const crds = await installCrds(kc);
    await registerSites(kc, []); // the system namespace; the Sites come from the benchmark
    o.log(`hub: ${crds.length} CRDs installed`);

    const tlsDir = join(o.dir, 'certs');
    await writeLabCertificates(tlsDir, { sites: [], serverNames: ['localhost', '127.0.0.1'], now: new Date() });
    const args = [
      ...operatorArgs({ kubeconfig: operatorKubeconfig, port: operatorPort, metricsPort, tlsDir, timing: o.timing }),
      ...(o.operatorLogLevel === undefined ? [] : [`--log-level=${o.operatorLogLevel}`]),
    ];
    const operator = spawn('operator', process.execPath, args);
    await ready(operator, 'operator', () => tcpOpen(operatorPort));
    o.log(`operator ready (pid ${operator.pid}), agents dial 127.0.0.1:${operatorPort}`);
    return {
      dir: o.dir,
      kubeconfig,
      auditLog: audit.logPath,
      operatorUser: LAB_OPERATOR_USER,
      operatorPid: operator.pid,
      operatorTarget: `127.0.0.1:${operatorPort}`,
      operatorMetrics: metricsUrl(args) as string,
      operatorLog: operator.log,
      tlsDir,
      processes: components.map((c) => ({ name: c.name, pid: c.pid })),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
