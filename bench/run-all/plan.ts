/**
 * Which benchmarks `make bench` runs, in which order, with which flags and how long each may take: the full profile
 * gives the figures the README quotes; the quick profile (--quick) the same benchmarks at smaller sizes, for a smoke
 * run. The reasons for the order, the flags and the timeouts are in bench/run-all.ts's header.
 */
import { basename } from 'node:path';

/** Profile is how big a run is: `full` gives the README's figures, `quick` only shows that every benchmark runs. */
export type Profile = 'full' | 'quick';

/** BenchEntry is one run of one benchmark file. A file may have several entries (e.g. two sites, two settings). */
export interface BenchEntry {
  /** name: what --only and --skip take (the file's stem names all its entries too), e.g. "site-loss-guizhou". */
  readonly name: string;
  /** file: the benchmark, relative to the repository root. */
  readonly file: string;
  /** nodeArgs: node's own flags, before the file (e.g. --expose-gc). */
  readonly nodeArgs?: readonly string[];
  /** args: the benchmark's flags in the full profile. */
  readonly args: readonly string[];
  /** quickArgs: its flags in the quick profile; null where no smaller run says anything (listed as not run). */
  readonly quickArgs: readonly string[] | null;
  /** estimateMinutes: how long the full run took (or is expected to take) on the project's 2-core machine. */
  readonly estimateMinutes: number;
  /** quickEstimateMinutes: the same for the quick profile. */
  readonly quickEstimateMinutes: number;
  /** timeoutMinutes: the full run is stopped after this; quickTimeoutMinutes likewise for the quick one. */
  readonly timeoutMinutes: number;
  readonly quickTimeoutMinutes: number;
}

/** PLAN is every benchmark in the order `make bench` runs them: pure CPU first, then one lab after another. */
export const PLAN: readonly BenchEntry[] = [
  // Pure CPU, no lab: seconds to a few minutes, and the most sensitive to other load, so they run first.
  { name: 'placement', file: 'bench/placement.bench.ts', nodeArgs: ['--expose-gc'], args: [], quickArgs: ['--sites=100', '--decisions=200'], estimateMinutes: 3, quickEstimateMinutes: 0.3, timeoutMinutes: 10, quickTimeoutMinutes: 3 },
  { name: 'admission', file: 'bench/admission.bench.ts', args: [], quickArgs: ['1000', '20', '100', '5'], estimateMinutes: 0.5, quickEstimateMinutes: 0.2, timeoutMinutes: 5, quickTimeoutMinutes: 2 },
  { name: 'metrics-scrape', file: 'bench/metrics-scrape.bench.ts', args: [], quickArgs: ['10', '1000', '10'], estimateMinutes: 0.5, quickEstimateMinutes: 0.2, timeoutMinutes: 5, quickTimeoutMinutes: 2 },
  { name: 'simulate', file: 'bench/simulate.bench.ts', args: [], quickArgs: ['openb_pod_list_default.csv', 'examples/sim/openb-5-sites.yaml', 'timed'], estimateMinutes: 0.5, quickEstimateMinutes: 0.3, timeoutMinutes: 5, quickTimeoutMinutes: 3 },
  // Kueue's own benchmark against an apiserver and etcd of its own (no lab); the Suanwang half is pure CPU.
  { name: 'admission-vs-kueue', file: 'bench/admission-vs-kueue.bench.ts', args: ['--scale=0.1'], quickArgs: ['--scale=0.02'], estimateMinutes: 2, quickEstimateMinutes: 1, timeoutMinutes: 10, quickTimeoutMinutes: 5 },
  // Then the labs, one after another, the figures the done-when names first (a run cut short keeps them):
  // end-to-end throughput with the real Kueue beside it (1,000 workloads each; Kueue's at about 1 workload/s, its
  // worker clients' 5 QPS), then many simulated sites (100 and 1,000, 10,000 jobs each, as the issue asks), the
  // agent's footprint, the largest real lab, site loss with the product defaults, queues.
  { name: 'throughput', file: 'bench/throughput.bench.ts', args: [], quickArgs: ['--n=50', '--idle-seconds=5', '--timeout-minutes=4'], estimateMinutes: 24, quickEstimateMinutes: 3, timeoutMinutes: 30, quickTimeoutMinutes: 8 },
  { name: 'many-sites', file: 'bench/many-sites.bench.ts', args: ['--sites=100', '--workloads=10000', '--timeout-minutes=30'], quickArgs: ['--sites=20', '--workloads=200', '--run-seconds=5', '--idle-seconds=5', '--timeout-minutes=4'], estimateMinutes: 12, quickEstimateMinutes: 2, timeoutMinutes: 33, quickTimeoutMinutes: 6 },
  { name: 'many-sites-1000', file: 'bench/many-sites.bench.ts', args: ['--sites=1000', '--workloads=10000', '--timeout-minutes=30'], quickArgs: null, estimateMinutes: 13, quickEstimateMinutes: 13, timeoutMinutes: 33, quickTimeoutMinutes: 33 },
  { name: 'agent-footprint', file: 'bench/agent-footprint.bench.ts', args: [], quickArgs: ['--nodes=100', '--pods=1000', '--steady-seconds=10'], estimateMinutes: 5, quickEstimateMinutes: 1, timeoutMinutes: 12, quickTimeoutMinutes: 4 },
  { name: 'lab-scale', file: 'bench/lab-scale.bench.ts', args: ['--sites=3,12'], quickArgs: ['--sites=3', '--idle-seconds=5'], estimateMinutes: 5, quickEstimateMinutes: 1.5, timeoutMinutes: 15, quickTimeoutMinutes: 5 },
  { name: 'site-loss', file: 'bench/site-loss.bench.ts', args: [], quickArgs: [], estimateMinutes: 3.5, quickEstimateMinutes: 3.5, timeoutMinutes: 10, quickTimeoutMinutes: 10 },
  { name: 'queues-lab', file: 'bench/queues-lab.bench.ts', args: ['--timeout-minutes=20'], quickArgs: ['--jobs=40', '--timeout-minutes=4'], estimateMinutes: 8.5, quickEstimateMinutes: 2, timeoutMinutes: 24, quickTimeoutMinutes: 6 },
  { name: 'member-latency', file: 'bench/member-latency.bench.ts', args: [], quickArgs: ['--rounds=3'], estimateMinutes: 3, quickEstimateMinutes: 1, timeoutMinutes: 10, quickTimeoutMinutes: 4 },
  { name: 'lab-startup', file: 'bench/lab-startup.bench.ts', args: ['3'], quickArgs: ['1'], estimateMinutes: 2.5, quickEstimateMinutes: 1, timeoutMinutes: 8, quickTimeoutMinutes: 4 },
  { name: 'lab-startup-no-federation', file: 'bench/lab-startup.bench.ts', args: ['3', '--no-federation'], quickArgs: ['1', '--no-federation'], estimateMinutes: 1, quickEstimateMinutes: 0.5, timeoutMinutes: 5, quickTimeoutMinutes: 3 },
  { name: 'site-loss-guizhou', file: 'bench/site-loss.bench.ts', args: ['--site=guizhou'], quickArgs: null, estimateMinutes: 3.5, quickEstimateMinutes: 3.5, timeoutMinutes: 10, quickTimeoutMinutes: 10 },
];

/** stem is a benchmark file's name without .bench.ts: what its figures call their bench. */
export function stem(file: string): string {
  return basename(file).replace(/\.bench\.ts$/, '');
}

/** Selection is the entries a run takes, and those it leaves out and why. */
export interface Selection {
  readonly run: readonly BenchEntry[];
  /** skipped: entries left out by --only or --skip. */
  readonly skipped: readonly string[];
  /** notInProfile: entries the quick profile has no run for. */
  readonly notInProfile: readonly string[];
}

/**
 * select applies --only and --skip (entry names or file stems; a stem names all its entries) and the profile to the
 * plan. Throws, naming the valid names, when a name matches no entry: a typo must not shrink a run silently.
 */
export function select(plan: readonly BenchEntry[], o: { readonly only: readonly string[]; readonly skip: readonly string[]; readonly profile: Profile }): Selection {
  const matches = (e: BenchEntry, name: string): boolean => e.name === name || stem(e.file) === name;
  for (const name of [...o.only, ...o.skip]) {
    if (!plan.some((e) => matches(e, name))) {
      throw new Error(`no benchmark is called "${name}"; the names are ${[...new Set(plan.flatMap((e) => [e.name, stem(e.file)]))].join(', ')}`);
    }
  }
  const wanted = plan.filter((e) => (o.only.length === 0 || o.only.some((n) => matches(e, n))) && !o.skip.some((n) => matches(e, n)));
  return {
    run: wanted.filter((e) => o.profile === 'full' || e.quickArgs !== null),
    skipped: plan.filter((e) => !wanted.includes(e)).map((e) => e.name),
    notInProfile: wanted.filter((e) => o.profile === 'quick' && e.quickArgs === null).map((e) => e.name),
  };
}

/** argsFor is the benchmark's flags in the profile (the quick ones where it has them). */
export function argsFor(e: BenchEntry, profile: Profile): readonly string[] {
  return profile === 'quick' && e.quickArgs !== null ? e.quickArgs : e.args;
}

/** timeoutMsFor is how long the entry may run in the profile. */
export function timeoutMsFor(e: BenchEntry, profile: Profile): number {
  return (profile === 'quick' ? e.quickTimeoutMinutes : e.timeoutMinutes) * 60_000;
}

/** commandOf is the command line that runs the entry alone, as a reader would type it. */
export function commandOf(e: BenchEntry, profile: Profile): string {
  return ['node', ...(e.nodeArgs ?? []), e.file, ...argsFor(e, profile)].join(' ');
}

/** estimateMinutesFor is how long the entry is expected to take in the profile. */
export function estimateMinutesFor(e: BenchEntry, profile: Profile): number {
  return profile === 'quick' ? e.quickEstimateMinutes : e.estimateMinutes;
}
