/**
 * The `suanwang` command: dispatches to one module per subcommand. Each subcommand parses its own flags and
 * returns an exit code; errors that users can fix are printed without a stack trace.
 *
 * A subcommand's module is imported only when that subcommand runs: the long-running ones load only what they use
 * (the site agent, for one, does not load the operator's controllers, the lab, or the what-if planner), which keeps
 * their resident memory down (bench/agent-footprint.bench.ts) and every start short.
 */

interface Command {
  readonly summary: string;
  readonly run: (argv: string[]) => Promise<number>;
}

const COMMANDS: Readonly<Record<string, Command>> = {
  lab: { summary: 'start, inspect and stop a local federation (hub + sites) of real control planes', run: async (argv) => (await import('./commands/lab.ts')).labCommand(argv) },
  operator: { summary: 'run the operator on the hub: the agents\' gRPC endpoint, Site status, placement and workloads', run: async (argv) => (await import('./commands/operator.ts')).operatorCommand(argv) },
  agent: { summary: 'run the site agent: report node pools, capacity and device health to the operator over mTLS', run: async (argv) => (await import('./commands/agent.ts')).agentCommand(argv) },
  'node-reporter': { summary: 'run the node reporter: publish a node\'s device inventory and health on its Node', run: async (argv) => (await import('./commands/node-reporter.ts')).nodeReporterCommand(argv) },
  usage: { summary: 'print what each queue used and cost, per site and resource (device-hours and money), from the hub', run: async (argv) => (await import('./commands/usage.ts')).usageCommand(argv) },
  'what-if': { summary: 'print what the operator would decide now for a workload manifest: queue, verdict, site, every site\'s reasons; creates nothing', run: async (argv) => (await import('./commands/what-if.ts')).whatIfCommand(argv) },
  sites: { summary: 'print every site and node pool on the hub: health, nodes, devices, allocatable/allocated/free, price', run: async (argv) => (await import('./commands/sites.ts')).sitesCommand(argv) },
  why: { summary: 'print why a TrainingJob or InferenceService waits or runs where it does: conditions and every site\'s reasons', run: async (argv) => (await import('./commands/why.ts')).whyCommand(argv) },
  simulate: { summary: 'replay a trace of jobs through the operator\'s admission and placement on a simulated federation; compare policies', run: async (argv) => (await import('./commands/simulate.ts')).simulateCommand(argv) },
  certs: { summary: 'mint a CA, the operator server certificate and one client certificate per site (for labs)', run: async (argv) => (await import('./commands/certs.ts')).certsCommand(argv) },
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
