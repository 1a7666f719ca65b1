/**
 * `suanwang lab up|down|status`: the embedded default federation on one machine.
 */
import { parseArgs } from 'node:util';
import { parseDuration } from '../../api/duration.ts';
import { formatBytes } from '../../api/quantity.ts';
import { ConfigError } from '../../api/yaml-source.ts';
import { MissingBinaryError } from '../../lab/binaries.ts';
import { clearFaults, FaultError, injectFault, type FaultSpec } from '../../lab/faults.ts';
import type { FederationTiming } from '../../lab/federation.ts';
import { controlComponent, LabStartError, labStatus, startLab, stopLab } from '../../lab/lab.ts';
import { LabStateError, type LabState } from '../../lab/state.ts';

const HELP = `Usage: suanwang lab <up|down|status|fault|component> [flags]

  up       start etcd, one kube-apiserver for the hub and one per site, and for each site a
           kube-controller-manager, a kube-scheduler and kwok with Nodes shaped like the topology's pools;
           writes <dir>/hub.kubeconfig and <dir>/<site>.kubeconfig and returns once every cluster is ready.
           The lab keeps running in the background until 'lab down'.
           With the federation (the default) it also starts the operator on the hub, and per site an agent and a
           simulated node reporter over mTLS, and waits until every Site is Ready on the hub.
  down     stop every process of the lab and remove <dir>
  status   list the clusters, their endpoints, node pools and processes
  fault    inject a fault into a running lab, or clear faults:
             lab fault --site S --node N --xid 79 --device 3        an NVIDIA XID on one GPU
             lab fault --site S --node N --ascend-critical --device 2  an Ascend device in Critical health
             lab fault --site S --node N --ecc 4 --device 1          uncorrectable ECC errors on one device
             lab fault --site S --node N --node-lost                the whole node disappears
             lab fault --site S [--node N] --clear                  remove faults, re-register lost nodes
  component  stop or start one component of a running lab, e.g.
             lab component stop agent --cluster shanghai;  lab component start operator --cluster hub

Flags:
  --dir <dir>          lab state directory (default .lab)
  --topology <file>    topology YAML for 'up' (default examples/lab/default.yaml)
  --timeout <seconds>  how long 'up' waits for readiness (default 180)
  --json               'status' prints the state as JSON
  --no-federation      'up' starts only the Kubernetes clusters (no operator, agents or reporters)
  --heartbeat-interval agent heartbeat interval for 'up' (default 10s)
  --lease              how long a silent site stays Ready for 'up' (default 40s)
  -h, --help           show this help

Durations: 500ms, 10s, 2m, 1h, or sums such as 1m30s; a bare number is milliseconds.

Binaries come from $SUANWANG_BIN_DIR, $KUBEBUILDER_ASSETS, or the cache filled by 'make binaries'.`;

/** labCommand implements `suanwang lab`. */
export async function labCommand(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        dir: { type: 'string', default: '.lab' },
        topology: { type: 'string', default: 'examples/lab/default.yaml' },
        timeout: { type: 'string', default: '180' },
        json: { type: 'boolean', default: false },
        'no-federation': { type: 'boolean', default: false },
        'heartbeat-interval': { type: 'string' },
        lease: { type: 'string' },
        site: { type: 'string' },
        node: { type: 'string' },
        device: { type: 'string' },
        xid: { type: 'string' },
        ecc: { type: 'string' },
        'ascend-critical': { type: 'boolean', default: false },
        'node-lost': { type: 'boolean', default: false },
        clear: { type: 'boolean', default: false },
        cluster: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    console.error(`suanwang lab: ${err instanceof Error ? err.message : String(err)}\n\n${HELP}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const sub = positionals[0];
  if (values.help || sub === undefined) {
    console.log(HELP);
    return values.help ? 0 : 2;
  }
  try {
    switch (sub) {
      case 'up': {
        const timing = {
          ...(values['heartbeat-interval'] ? { heartbeatIntervalMs: durationMs(values['heartbeat-interval'], '--heartbeat-interval') } : {}),
          ...(values.lease ? { leaseMs: durationMs(values.lease, '--lease') } : {}),
        };
        const timeoutS = Number(values.timeout);
        // NaN would make the wait below never time out.
        if (!(Number.isFinite(timeoutS) && timeoutS > 0)) throw new UsageError(`--timeout must be a positive number of seconds, got "${values.timeout}"`);
        return await up(values.dir, values.topology, timeoutS * 1000, !values['no-federation'], timing);
      }
      case 'fault':
        return await fault(values);
      case 'component': {
        const [action, name] = [positionals[1], positionals[2]];
        if ((action !== 'stop' && action !== 'start') || !name || !values.cluster) throw new UsageError('usage: suanwang lab component <stop|start> NAME --cluster CLUSTER');
        const pid = await controlComponent(values.dir, action, name, values.cluster);
        console.log(`${action === 'stop' ? 'Stopped' : 'Started'} ${name} (${values.cluster}), pid ${pid}.`);
        return 0;
      }
      case 'down':
        return await down(values.dir);
      case 'status':
        return status(values.dir, values.json);
      default:
        console.error(`suanwang lab: unknown subcommand "${sub}"\n\n${HELP}`);
        return 2;
    }
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`suanwang lab ${sub}: ${err.message}`);
      return 2;
    }
    if (err instanceof ConfigError || err instanceof LabStartError || err instanceof MissingBinaryError || err instanceof FaultError || err instanceof LabStateError) {
      console.error(`suanwang lab ${sub}: ${err.message}`);
      return 1;
    }
    throw err;
  }
}

class UsageError extends Error {}

/** durationMs parses a duration ("40s", "500ms", "2m", "1m30s") or, for this command only, plain milliseconds ("500"). */
function durationMs(v: string, flag: string): number {
  const bare = /^\d+(?:\.\d+)?$/.test(v.trim());
  const ms = bare ? Math.round(Number(v.trim())) : parseDuration(v);
  if (ms === undefined) throw new UsageError(`${flag}: "${v}" is not a duration (use e.g. 500ms, 10s, 2m)`);
  return ms;
}

function intFlag(v: string | undefined, flag: string): number {
  if (v === undefined || !/^\d+$/.test(v)) throw new UsageError(`${flag} needs a whole number${v === undefined ? '' : `, got "${v}"`}`);
  return Number(v);
}

async function fault(values: { dir: string; site?: string | undefined; node?: string | undefined; device?: string | undefined; xid?: string | undefined; ecc?: string | undefined; 'ascend-critical': boolean; 'node-lost': boolean; clear: boolean }): Promise<number> {
  const site = values.site;
  if (!site) throw new UsageError('--site is required');
  if (values.clear) {
    const restored = await clearFaults(values.dir, site, values.node);
    console.log(`Cleared faults on ${values.node ?? `every node of ${site}`}${restored.length ? `; re-registered ${restored.join(', ')}` : ''}.`);
    return 0;
  }
  const node = values.node;
  if (!node) throw new UsageError('--node is required (or --clear)');
  const kinds = [values.xid !== undefined, values.ecc !== undefined, values['ascend-critical'], values['node-lost']].filter(Boolean).length;
  if (kinds !== 1) throw new UsageError('give exactly one of --xid, --ecc, --ascend-critical, --node-lost');
  const spec: FaultSpec = values['node-lost']
    ? { kind: 'node-lost', node }
    : values.xid !== undefined
      ? { kind: 'xid', node, device: intFlag(values.device, '--device'), xid: intFlag(values.xid, '--xid') }
      : values.ecc !== undefined
        ? { kind: 'ecc', node, device: intFlag(values.device, '--device'), count: intFlag(values.ecc, '--ecc') }
        : { kind: 'ascend-critical', node, device: intFlag(values.device, '--device') };
  await injectFault(values.dir, site, spec);
  console.log(`Injected ${spec.kind} on ${node}${'device' in spec ? ` device ${spec.device}` : ''} (site ${site}).`);
  return 0;
}

async function up(dir: string, topology: string, timeoutMs: number, federation: boolean, timing: Partial<FederationTiming>): Promise<number> {
  const t0 = performance.now();
  console.log(`Starting lab from ${topology} in ${dir} ...`);
  const state = await startLab({ topologyFile: topology, dir, timeoutMs, federation, timing, onProgress: (l) => console.log(`  ${l.replace(/^\S+ /, '')}`) });
  console.log(`\nLab ready in ${((performance.now() - t0) / 1000).toFixed(1)}s.\n`);
  printClusters(state);
  console.log('\nTry:');
  const hub = state.clusters.find((c) => c.role === 'hub');
  for (const c of state.clusters) {
    if (c.role === 'site') console.log(`  kubectl --kubeconfig ${c.kubeconfig} get nodes -L nvidia.com/gpu.product,suanwang.io/pool`);
  }
  if (hub) {
    console.log(`  export KUBECONFIG=${hub.kubeconfig}   # the hub, where workloads go`);
    console.log('  kubectl get sites                        # Ready, pools and devices as the agents report them');
    console.log('  kubectl apply -f examples/               # training jobs, an inference service, queues');
    console.log('  kubectl get suanwang                     # every Suanwang object');
    console.log('  kubectl describe trainingjob llm-7b-pretrain   # where it runs, and why not elsewhere');
  }
  console.log(`\nStop it with: make lab-down   (or: suanwang lab down --dir ${dir})`);
  return 0;
}

async function down(dir: string): Promise<number> {
  const st = labStatus(dir);
  const res = await stopLab(dir);
  if (!st) {
    console.log(`No lab state in ${dir}; nothing to stop.`);
    return 0;
  }
  if (res.stillAlive.length > 0) {
    console.error(`suanwang lab down: processes still alive after SIGKILL: ${res.stillAlive.join(', ')}`);
    return 1;
  }
  console.log(`Stopped ${res.stopped.length} processes and removed ${dir}.`);
  return 0;
}

function status(dir: string, json: boolean): number {
  const st = labStatus(dir);
  if (!st) {
    console.log(`No lab in ${dir}. Start one with: make lab`);
    return 1;
  }
  if (json) {
    console.log(JSON.stringify(st, null, 2));
    return 0;
  }
  console.log(`Lab in ${dir}: ${st.running ? st.state.phase : 'NOT RUNNING (supervisor gone)'}; topology ${st.state.topology}`);
  if (st.state.error) console.log(`Error: ${st.state.error}`);
  printClusters(st.state);
  const dead = st.components.filter((c) => !c.alive);
  console.log(`\nProcesses: ${st.components.length - dead.length}/${st.components.length} running`);
  for (const c of dead) console.log(`  not running: ${c.name} (${c.cluster}) pid ${c.pid}`);
  return 0;
}

function printClusters(state: LabState): void {
  for (const c of state.clusters) {
    console.log(`${c.role === 'hub' ? 'hub ' : 'site'} ${c.name.padEnd(12)} ${c.server}  ${c.region ?? ''}  kubeconfig: ${c.kubeconfig}`);
    for (const p of c.pools ?? []) {
      console.log(`       pool ${p.name.padEnd(12)} ${String(p.nodes).padStart(3)} nodes × ${p.cpu} cpu, ${formatBytes(p.memory)}${p.accelerator ? `, ${p.accelerator}` : ''}`);
    }
  }
}
