/**
 * `suanwang lab up|down|status|fault|component|generate`: the embedded default federation on one machine.
 */
import { readFileSync } from 'node:fs';
import { formatBytes } from '../../api/quantity.ts';
import { ConfigError } from '../../api/yaml-source.ts';
import { MissingBinaryError } from '../../lab/binaries.ts';
import { generateTopology, MAX_GENERATED_SITES } from '../../lab/generate-topology.ts';
import { clearFaults, FaultError, injectFault, type FaultSpec } from '../../lab/faults.ts';
import { DEFAULT_TIMING, type FederationTiming } from '../../lab/federation.ts';
import { controlComponent, LabStartError, labStatus, startLab, stopLab } from '../../lab/lab.ts';
import { LabStateError, type LabState } from '../../lab/state.ts';
import { CliError, reportCliError } from '../cli-error.ts';
import { usageText } from '../flag-usage.ts';
import { defineCommand, parseCommandLine, type FlagValues } from '../flags.ts';

const SUBCOMMANDS = ['up', 'down', 'status', 'fault', 'component', 'generate'] as const;
const FAULT = "'lab fault' (what to inject, or --clear):";
const COMPONENT = "'lab component':";

const LAB = defineCommand({
  name: 'lab',
  usage: 'suanwang lab <up|down|status|fault|component|generate> [flags]',
  description: `  up       start etcd, one kube-apiserver for the hub and one per site, and for each site a
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
  generate print a topology of --sites K sites made from --topology's sites taken in turn (copies named <site>-2,
           <site>-3, ...), e.g. lab generate --sites 12 > twelve.yaml && lab up --topology twelve.yaml`,
  positionals: true,
  flags: {
    dir: { type: 'string', value: 'DIR', default: '.lab', help: 'lab state directory' },
    topology: { type: 'string', value: 'FILE', default: 'examples/lab/default.yaml', help: "topology YAML for 'up'" },
    timeout: { type: 'duration', bare: 's', default: 180_000, help: "how long 'up' waits for readiness, in seconds or as a duration" },
    json: { type: 'boolean', help: "'status' prints the state as JSON" },
    'no-federation': { type: 'boolean', help: "'up' starts only the Kubernetes clusters (no operator, agents or reporters)" },
    'heartbeat-interval': { type: 'duration', bare: 'ms', default: DEFAULT_TIMING.heartbeatIntervalMs, help: "agent heartbeat interval for 'up'; a bare number is milliseconds" },
    lease: { type: 'duration', bare: 'ms', default: DEFAULT_TIMING.leaseMs, help: "how long a silent site stays Ready for 'up'; a bare number is milliseconds" },
    site: { type: 'string', value: 'NAME', section: FAULT, help: 'the site whose node gets the fault, or whose faults are cleared' },
    node: { type: 'string', value: 'NAME', section: FAULT, help: 'the node (with --clear: only this node)' },
    device: { type: 'int', section: FAULT, help: 'the device index, for --xid, --ecc and --ascend-critical' },
    xid: { type: 'int', section: FAULT, help: 'an NVIDIA XID on the device, e.g. 79 (fallen off the bus)' },
    ecc: { type: 'int', section: FAULT, help: 'this many uncorrectable ECC errors on the device' },
    'ascend-critical': { type: 'boolean', section: FAULT, help: 'an Ascend device in Critical health' },
    'node-lost': { type: 'boolean', section: FAULT, help: 'the whole node disappears' },
    clear: { type: 'boolean', section: FAULT, help: 'remove faults, re-register lost nodes' },
    cluster: { type: 'string', value: 'CLUSTER', section: COMPONENT, help: "the component's cluster: hub or a site's name" },
    sites: { type: 'int', section: "'lab generate':", help: `how many sites the printed topology has (1 to ${MAX_GENERATED_SITES})` },
  },
  footer: "Binaries come from $SUANWANG_BIN_DIR, $KUBEBUILDER_ASSETS, or the cache filled by 'make binaries'.",
});

type Values = FlagValues<typeof LAB.flags>;

/** labCommand implements `suanwang lab`. */
export async function labCommand(argv: string[]): Promise<number> {
  const report = (command: string, err: CliError): number => reportCliError(command, err, (line) => console.error(line));
  let parsed;
  try {
    parsed = parseCommandLine(LAB, argv);
  } catch (err: unknown) {
    if (err instanceof CliError) return report(LAB.name, err);
    throw err;
  }
  if (parsed === 'help' || parsed.positionals[0] === undefined) {
    console.log(usageText(LAB));
    return parsed === 'help' ? 0 : 2;
  }
  const { values, positionals } = parsed;
  const sub = SUBCOMMANDS.find((s) => s === positionals[0]);
  if (sub === undefined) return report(LAB.name, new CliError(`unknown subcommand "${positionals[0]}": ${SUBCOMMANDS.join(', ')}`, 2));
  try {
    switch (sub) {
      case 'up': {
        const timing = { heartbeatIntervalMs: values['heartbeat-interval'], leaseMs: values.lease };
        return await up(values.dir, values.topology, values.timeout, !values['no-federation'], timing);
      }
      case 'fault':
        return await fault(values);
      case 'component': {
        const [action, name] = [positionals[1], positionals[2]];
        if ((action !== 'stop' && action !== 'start') || !name || !values.cluster) throw new CliError('usage: suanwang lab component <stop|start> NAME --cluster CLUSTER', 2);
        const pid = await controlComponent(values.dir, action, name, values.cluster);
        console.log(`${action === 'stop' ? 'Stopped' : 'Started'} ${name} (${values.cluster}), pid ${pid}.`);
        return 0;
      }
      case 'generate':
        return generate(values.topology, values.sites);
      case 'down':
        return await down(values.dir);
      case 'status':
        return status(values.dir, values.json);
    }
  } catch (err) {
    if (err instanceof CliError) return report(`lab ${sub}`, err);
    if (err instanceof ConfigError || err instanceof LabStartError || err instanceof MissingBinaryError || err instanceof FaultError || err instanceof LabStateError) {
      return report(`lab ${sub}`, new CliError(err.message, 1));
    }
    throw err;
  }
}

function generate(template: string, sites: number | undefined): number {
  if (sites === undefined) throw new CliError('--sites is required', 2);
  let text: string;
  try {
    text = readFileSync(template, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read the template topology ${template}: ${(err as Error).message}`, 1);
  }
  try {
    process.stdout.write(generateTopology(text, sites, [`${sites} sites made by 'suanwang lab generate --sites ${sites} --topology ${template}'`]));
  } catch (err) {
    throw new CliError(`${template}: ${(err as Error).message}`, 2);
  }
  return 0;
}

async function fault(values: Values): Promise<number> {
  const site = values.site;
  if (!site) throw new CliError('--site is required', 2);
  if (values.clear) {
    const restored = await clearFaults(values.dir, site, values.node);
    console.log(`Cleared faults on ${values.node ?? `every node of ${site}`}${restored.length ? `; re-registered ${restored.join(', ')}` : ''}.`);
    return 0;
  }
  const node = values.node;
  if (!node) throw new CliError('--node is required (or --clear)', 2);
  const kinds = [values.xid !== undefined, values.ecc !== undefined, values['ascend-critical'], values['node-lost']].filter(Boolean).length;
  if (kinds !== 1) throw new CliError('give exactly one of --xid, --ecc, --ascend-critical, --node-lost', 2);
  const device = (): number => {
    if (values.device === undefined) throw new CliError('--device is required with --xid, --ecc and --ascend-critical', 2);
    return values.device;
  };
  const spec: FaultSpec = values['node-lost']
    ? { kind: 'node-lost', node }
    : values.xid !== undefined
      ? { kind: 'xid', node, device: device(), xid: values.xid }
      : values.ecc !== undefined
        ? { kind: 'ecc', node, device: device(), count: values.ecc }
        : { kind: 'ascend-critical', node, device: device() };
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
    console.error(`lab down: processes still alive after SIGKILL: ${res.stillAlive.join(', ')}`);
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
  const scraped = st.components.filter((c) => c.metrics !== undefined);
  if (scraped.length > 0) {
    console.log('\nMetrics (Prometheus text format; docs/metrics.md):');
    for (const c of scraped) console.log(`  ${`${c.name} (${c.cluster})`.padEnd(30)} ${c.metrics}${c.alive ? '' : '  (not running)'}`);
  }
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
