/**
 * Runs Kueue's own scheduler benchmark (sigs.k8s.io/kueue/test/performance/scheduler, the version tools/kueue pins)
 * against this project's kube-apiserver and etcd, as upstream's `make run-performance-scheduler` does: the runner starts
 * an envtest control plane from KUBEBUILDER_ASSETS (here the lab's binary cache) and minimalkueue (Kueue's core
 * controllers and scheduler), creates the scenario's Workloads and finishes each after its runtime. The figures come
 * back parsed the way upstream's checker reads them (see summary.ts), so a Suanwang admission benchmark run in the same
 * session can be set beside them.
 *
 * scale < 1 runs the same scenario with fewer workloads per set (generator-config.ts): 0.1 is about a minute here.
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { findKueueBenchmark } from './kueue-module.ts';
import { countWorkloads, parseGeneratorConfig, scaleGeneratorConfig } from './generator-config.ts';
import { parseBaselineFigures, parseBaselineLimits, type KueueBaselineFigures, type KueueBaselineLimits } from './summary.ts';

export { KueueNotMeasuredError } from './kueue-module.ts';

/** KueueSchedulerBaselineOptions tune one run; every field is optional. */
export interface KueueSchedulerBaselineOptions {
  /** scale multiplies the workload count of every set in upstream's baseline (0 < scale ≤ 1; default 1, unchanged). */
  readonly scale?: number;
  /** outputDir receives the runner's artifacts (summary.yaml, minimalkueue.stats.yaml, logs); default a new temp dir. */
  readonly outputDir?: string;
  /** recordTimeout is the runner's --timeout (a Go duration); default 15m, above upstream's 10m for a 2-core machine. */
  readonly recordTimeout?: string;
  /** env is the environment for go and the runner (PATH must find go); default process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** onProgress receives a line when the run starts and every 30 s while it runs. */
  readonly onProgress?: (line: string) => void;
  /** signal stops the runner (with SIGINT, so it stops its control plane) and rejects the run. */
  readonly signal?: AbortSignal;
}

/** KueueSchedulerBaselineResult is one run's figures plus where they came from. */
export interface KueueSchedulerBaselineResult extends KueueBaselineFigures {
  /** kueueVersion is the sigs.k8s.io/kueue module version that ran, e.g. "v0.17.0". */
  readonly kueueVersion: string;
  readonly scale: number;
  /** expectedWorkloads is how many workloads the generator config creates; `workloads` is how many were recorded. */
  readonly expectedWorkloads: number;
  readonly generatorConfig: string;
  /** summaryFile is the runner's raw summary.yaml. */
  readonly summaryFile: string;
  readonly outputDir: string;
  readonly runnerLog: string;
  /** upstreamLimits are upstream's pass thresholds for the full baseline; they do not apply to a scaled run. */
  readonly upstreamLimits: KueueBaselineLimits;
}

const HEARTBEAT_MS = 30_000;

async function tail(file: string, lines: number): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * runKueueSchedulerBaseline runs the benchmark once and returns its figures. It throws KueueNotMeasuredError when
 * the Go toolchain, the Kueue module or a binary is missing (the reason says what to run), and a plain Error naming
 * the runner's log when the run itself fails.
 */
export async function runKueueSchedulerBaseline(options: KueueSchedulerBaselineOptions = {}): Promise<KueueSchedulerBaselineResult> {
  const env = options.env ?? process.env;
  const scale = options.scale ?? 1;
  const progress = options.onProgress ?? (() => {});

  // 1. Find the module source, the lab's control-plane binaries and Kueue's benchmark binaries.
  const setup = await findKueueBenchmark(env);
  const configDir = join(setup.projectDir, 'test/performance/scheduler/configs/baseline');
  const upstreamConfig = join(configDir, 'generator.yaml');
  const rangeFile = join(configDir, 'rangespec.yaml');

  // 2. Prepare the output directory and, for a scaled run, the scaled generator config beside the artifacts.
  const outputDir = options.outputDir ?? (await mkdtemp(join(tmpdir(), 'suanwang-kueue-scheduler-')));
  await mkdir(outputDir, { recursive: true });
  const config = parseGeneratorConfig(await readFile(upstreamConfig, 'utf8'), upstreamConfig);
  let generatorConfig = upstreamConfig;
  let expectedWorkloads = countWorkloads(config);
  if (scale !== 1) {
    const scaled = scaleGeneratorConfig(config, scale);
    generatorConfig = join(outputDir, `generator-scale-${scale}.yaml`);
    await writeFile(generatorConfig, scaled);
    expectedWorkloads = countWorkloads(parseGeneratorConfig(scaled, generatorConfig));
  }

  // 3. Run the runner with the flags of upstream's `make run-performance-scheduler` (minimalkueue logs to files,
  //    metrics scraped every 5 s); its own very verbose log goes to runner.log.
  const runnerLog = join(outputDir, 'runner.log');
  const args = [
    `--o=${outputDir}`,
    `--crds=${join(setup.projectDir, 'config/components/crd/bases')}`,
    `--generatorConfig=${generatorConfig}`,
    `--minimalKueue=${setup.minimalKueue}`,
    `--timeout=${options.recordTimeout ?? '15m'}`,
    '--withLogs=true',
    '--logToFile=true',
    '--metricsScrapeInterval=5s',
  ];
  progress(`kueue ${setup.kueueVersion} scheduler benchmark: ${expectedWorkloads} workloads (scale ${scale}), artifacts in ${outputDir}`);
  const log = createWriteStream(runnerLog);
  await once(log, 'open');
  const t0 = performance.now();
  const heartbeat = setInterval(() => progress(`  still running (${Math.round((performance.now() - t0) / 1000)} s)`), HEARTBEAT_MS);
  try {
    const child = spawn(setup.runner, args, {
      cwd: outputDir,
      env: { ...env, KUBEBUILDER_ASSETS: setup.binDir, PROJECT_DIR: `${setup.projectDir}/` },
      stdio: ['ignore', log, log],
      killSignal: 'SIGINT',
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
    if (code !== 0) {
      throw new Error(`Kueue's benchmark runner exited with ${code ?? signal}; see ${runnerLog}:\n${await tail(runnerLog, 15)}`);
    }
  } finally {
    clearInterval(heartbeat);
    log.end();
  }

  // 4. Read the figures as upstream's checker does.
  const summaryFile = join(outputDir, 'summary.yaml');
  const statsFile = join(outputDir, 'minimalkueue.stats.yaml');
  const figures = parseBaselineFigures(await readFile(summaryFile, 'utf8'), await readFile(statsFile, 'utf8'), summaryFile, statsFile);
  return {
    ...figures,
    kueueVersion: setup.kueueVersion,
    scale,
    expectedWorkloads,
    generatorConfig,
    summaryFile,
    outputDir,
    runnerLog,
    upstreamLimits: parseBaselineLimits(await readFile(rangeFile, 'utf8'), rangeFile),
  };
}
