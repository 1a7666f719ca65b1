/**
 * `suanwang lab up|down|status`: the embedded default federation on one machine.
 */
import { parseArgs } from 'node:util';
import { formatBytes } from '../../api/quantity.ts';
import { ConfigError } from '../../api/yaml-source.ts';
import { MissingBinaryError } from '../../lab/binaries.ts';
import { LabStartError, labStatus, startLab, stopLab } from '../../lab/lab.ts';
import type { LabState } from '../../lab/state.ts';

const HELP = `Usage: suanwang lab <up|down|status> [flags]

  up       start etcd, one kube-apiserver for the hub and one per site, and for each site a
           kube-controller-manager, a kube-scheduler and kwok with Nodes shaped like the topology's pools;
           writes <dir>/hub.kubeconfig and <dir>/<site>.kubeconfig and returns once every cluster is ready.
           The lab keeps running in the background until 'lab down'.
  down     stop every process of the lab and remove <dir>
  status   list the clusters, their endpoints, node pools and processes

Flags:
  --dir <dir>          lab state directory (default .lab)
  --topology <file>    topology YAML for 'up' (default examples/lab/default.yaml)
  --timeout <seconds>  how long 'up' waits for readiness (default 180)
  --json               'status' prints the state as JSON
  -h, --help           show this help

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
      case 'up':
        return await up(values.dir, values.topology, Number(values.timeout) * 1000);
      case 'down':
        return await down(values.dir);
      case 'status':
        return status(values.dir, values.json);
      default:
        console.error(`suanwang lab: unknown subcommand "${sub}"\n\n${HELP}`);
        return 2;
    }
  } catch (err) {
    if (err instanceof ConfigError || err instanceof LabStartError || err instanceof MissingBinaryError) {
      console.error(`suanwang lab ${sub}: ${err.message}`);
      return 1;
    }
    throw err;
  }
}

async function up(dir: string, topology: string, timeoutMs: number): Promise<number> {
  const t0 = performance.now();
  console.log(`Starting lab from ${topology} in ${dir} ...`);
  const state = await startLab({ topologyFile: topology, dir, timeoutMs, onProgress: (l) => console.log(`  ${l.replace(/^\S+ /, '')}`) });
  console.log(`\nLab ready in ${((performance.now() - t0) / 1000).toFixed(1)}s.\n`);
  printClusters(state);
  console.log('\nTry:');
  for (const c of state.clusters) {
    const extra = c.role === 'site' ? ' -L nvidia.com/gpu.product,suanwang.io/pool' : '';
    console.log(`  kubectl --kubeconfig ${c.kubeconfig} get nodes${extra}`);
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
