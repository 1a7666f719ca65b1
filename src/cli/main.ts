/**
 * The `suanwang` command: dispatches to one module per subcommand. Each subcommand parses its own flags and
 * returns an exit code; errors that users can fix are printed without a stack trace.
 */
import { agentCommand } from './commands/agent.ts';
import { certsCommand } from './commands/certs.ts';
import { labCommand } from './commands/lab.ts';
import { nodeReporterCommand } from './commands/node-reporter.ts';
import { operatorCommand } from './commands/operator.ts';
import { simulateCommand } from './commands/simulate.ts';
import { sitesCommand } from './commands/sites.ts';
import { usageCommand } from './commands/usage.ts';
import { whatIfCommand } from './commands/what-if.ts';
import { whyCommand } from './commands/why.ts';

interface Command {
  readonly summary: string;
  readonly run: (argv: string[]) => Promise<number>;
}

const COMMANDS: Readonly<Record<string, Command>> = {
  lab: { summary: 'start, inspect and stop a local federation (hub + sites) of real control planes', run: labCommand },
  operator: { summary: 'run the operator on the hub: the agents\' gRPC endpoint, Site status, placement and workloads', run: operatorCommand },
  agent: { summary: 'run the site agent: report node pools, capacity and device health to the operator over mTLS', run: agentCommand },
  'node-reporter': { summary: 'run the node reporter: publish a node\'s device inventory and health on its Node', run: nodeReporterCommand },
  usage: { summary: 'print what each queue used and cost, per site and resource (device-hours and money), from the hub', run: (argv) => usageCommand(argv) },
  'what-if': { summary: 'print what the operator would decide now for a workload manifest: queue, verdict, site, every site\'s reasons; creates nothing', run: (argv) => whatIfCommand(argv) },
  sites: { summary: 'print every site and node pool on the hub: health, nodes, devices, allocatable/allocated/free, price', run: (argv) => sitesCommand(argv) },
  why: { summary: 'print why a TrainingJob or InferenceService waits or runs where it does: conditions and every site\'s reasons', run: (argv) => whyCommand(argv) },
  simulate: { summary: 'replay a trace of jobs through the operator\'s admission and placement on a simulated federation; compare policies', run: (argv) => simulateCommand(argv) },
  certs: { summary: 'mint a CA, the operator server certificate and one client certificate per site (for labs)', run: (argv) => certsCommand(argv) },
};

/** usage is the top-level help text. */
export function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  return [
    'suanwang — federate Kubernetes clusters at many compute centres into one pool of compute',
    '',
    'Usage: suanwang <command> [flags]',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    "Run 'suanwang <command> --help' for a command's flags.",
  ].join('\n');
}

/** main runs the CLI with argv (without node and script) and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name === undefined ? 2 : 0;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    console.error(`suanwang: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  return cmd.run(rest);
}
