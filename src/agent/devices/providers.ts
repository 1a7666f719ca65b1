/**
 * The device provider registry: for each provider name, how to run its vendor tool(s) through a ToolRunner and parse
 * the output into a DeviceReport. Every failure — tool missing, hung, exiting non-zero, printing garbage — becomes a
 * report with status 'Unknown' and a reason; a provider never reports Healthy devices it did not see.
 */
import { parseAmdSmiMetric } from './amd-smi.ts';
import { parseCnmon } from './cnmon.ts';
import { parseHySmi } from './hy-smi.ts';
import { npuIdsNotOk, parseNpuSmiHealth, parseNpuSmiInfo } from './npu-smi.ts';
import type { AscendHealthDetail } from './health.ts';
import { pickQueryFields } from './nvidia-query-fields.ts';
import { isGpuHandleFailure, parseNvidiaSmiCsv } from './nvidia-smi.ts';
import { unknownReport } from './report.ts';
import { parseRocmSmiJson } from './rocm-smi.ts';
import { failureReason, type ToolResult, type ToolRunner } from './run-tool.ts';
import { simulateReport, type InjectedFaults, type SimulatedDeviceSpec } from './simulated.ts';
import type { DeviceReport, ProviderName } from './types.ts';
import type { XidPolicy } from './xid.ts';

/** NvidiaQuery is a field pick from pickQueryFields, cached by the caller per driver version. */
export interface NvidiaQuery {
  readonly query: readonly string[];
  readonly fields: readonly string[];
}

/** SimulatedNode is what the simulated provider needs: the node's devices and the faults injected on them. */
export interface SimulatedNode {
  readonly spec: SimulatedDeviceSpec;
  readonly faults?: InjectedFaults;
  readonly nodeName?: string;
  readonly xidPolicy?: XidPolicy;
}

/** CollectOptions are the inputs of one collection. */
export interface CollectOptions {
  /** observedAt is the RFC 3339 time of the sample, taken by the caller (providers read no clock). */
  readonly observedAt: string;
  /** timeoutMs is the deadline of each tool run; the runner's default applies when absent. */
  readonly timeoutMs?: number;
  /** toolPath replaces the vendor tool's name (e.g. a path mounted from the host). */
  readonly toolPath?: string;
  /** model names the devices for tools that print no product name (amd-smi metric, hy-smi). */
  readonly model?: string;
  /** nvidiaQuery skips the `--help-query-gpu` probe. */
  readonly nvidiaQuery?: NvidiaQuery;
  /** simulated is required by the simulated provider and ignored by the others. */
  readonly simulated?: SimulatedNode;
}

/** Collector runs one provider on the local node. */
export type Collector = (runner: ToolRunner, opts: CollectOptions) => Promise<DeviceReport>;

/** run is a runner call with the collection's deadline. */
function run(runner: ToolRunner, opts: CollectOptions, command: string, args: readonly string[]): Promise<ToolResult> {
  return runner(command, args, opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs });
}

/** runFirst runs the first candidate binary that exists; hy-smi and rocm-smi live in more than one place. */
async function runFirst(runner: ToolRunner, opts: CollectOptions, candidates: readonly string[], args: readonly string[]): Promise<ToolResult> {
  let last: ToolResult | undefined;
  for (const command of candidates) {
    last = await run(runner, opts, command, args);
    if (last.ok || last.kind !== 'not-found') return last;
  }
  return last ?? { ok: false, kind: 'not-found', command: candidates.join(', '), message: 'no candidate binary' };
}

const collectNvidia: Collector = async (runner, opts) => {
  const ctx = { provider: 'nvidia-smi', tool: 'nvidia-smi', observedAt: opts.observedAt } as const;
  const bin = opts.toolPath ?? 'nvidia-smi';
  let query = opts.nvidiaQuery;
  if (query === undefined) {
    const help = await run(runner, opts, bin, ['--help-query-gpu']);
    if (!help.ok) return unknownReport(ctx, failureReason(help));
    const pick = pickQueryFields(help.stdout);
    if (!pick.ok) return unknownReport(ctx, pick.reason);
    query = pick;
  }
  const r = await run(runner, opts, bin, [`--query-gpu=${query.query.join(',')}`, '--format=csv,noheader,nounits']);
  if (r.ok) return parseNvidiaSmiCsv({ stdout: r.stdout, stderr: r.stderr, fields: query.fields, observedAt: opts.observedAt });
  // nvidia-smi exits non-zero when it cannot open one GPU but still prints the others; only that case is worth reading.
  const stderrLines = r.kind === 'exit' ? r.stderr.split('\n').filter((l) => l.trim() !== '') : [];
  if (r.kind === 'exit' && r.stdout.trim() !== '' && stderrLines.length > 0 && stderrLines.every(isGpuHandleFailure)) {
    return parseNvidiaSmiCsv({ stdout: r.stdout, stderr: r.stderr, fields: query.fields, observedAt: opts.observedAt });
  }
  return unknownReport(ctx, failureReason(r));
};

const collectNpu: Collector = async (runner, opts) => {
  const ctx = { provider: 'npu-smi', tool: 'npu-smi', observedAt: opts.observedAt } as const;
  const bin = opts.toolPath ?? 'npu-smi';
  const r = await run(runner, opts, bin, ['info']);
  if (!r.ok) return unknownReport(ctx, failureReason(r));
  // The table's Health column is the verdict; `-t health` only adds the fault codes, so its failures are ignored.
  const details = new Map<number, AscendHealthDetail>();
  for (const id of npuIdsNotOk(r.stdout)) {
    const h = await run(runner, opts, bin, ['info', '-t', 'health', '-i', String(id)]);
    const parsed = h.ok ? parseNpuSmiHealth(h.stdout) : undefined;
    if (parsed?.ok === true) details.set(id, parsed.detail);
  }
  return parseNpuSmiInfo({ stdout: r.stdout, observedAt: opts.observedAt, healthDetails: details });
};

/** ROCM_SMI_ARGS asks legacy rocm-smi for the flat keys parseRocmSmiJson reads. */
export const ROCM_SMI_ARGS: readonly string[] = [
  '--showproductname',
  '--showuse',
  '--showtemp',
  '--showpower',
  '--showmeminfo',
  'vram',
  '--showbus',
  '--json',
];

const collectAmd: Collector = async (runner, opts) => {
  const ctx = { provider: 'amd-smi', tool: 'amd-smi', observedAt: opts.observedAt } as const;
  const r = await run(runner, opts, opts.toolPath ?? 'amd-smi', ['metric', '--json']);
  if (r.ok) return parseAmdSmiMetric({ stdout: r.stdout, observedAt: opts.observedAt, ...(opts.model === undefined ? {} : { model: opts.model }) });
  if (r.kind !== 'not-found') return unknownReport(ctx, failureReason(r));
  // Older ROCm installs ship only rocm-smi.
  const legacy = await runFirst(runner, opts, ['rocm-smi', '/opt/rocm/bin/rocm-smi'], ROCM_SMI_ARGS);
  if (!legacy.ok) return unknownReport(ctx, `${failureReason(r)}; ${failureReason(legacy)}`);
  return parseRocmSmiJson({ stdout: legacy.stdout, observedAt: opts.observedAt });
};

const collectCnmon: Collector = async (runner, opts) => {
  const ctx = { provider: 'cnmon', tool: 'cnmon', observedAt: opts.observedAt } as const;
  const r = await run(runner, opts, opts.toolPath ?? 'cnmon', []);
  if (!r.ok) return unknownReport(ctx, failureReason(r));
  return parseCnmon({ stdout: r.stdout, observedAt: opts.observedAt });
};

const collectHygon: Collector = async (runner, opts) => {
  const ctx = { provider: 'hy-smi', tool: 'hy-smi', observedAt: opts.observedAt } as const;
  // DTK installs hy-smi under /opt/hyhal/bin, often not on PATH (research §2.4).
  const candidates = opts.toolPath === undefined ? ['hy-smi', '/opt/hyhal/bin/hy-smi'] : [opts.toolPath];
  const r = await runFirst(runner, opts, candidates, []);
  if (!r.ok) return unknownReport(ctx, failureReason(r));
  return parseHySmi({ stdout: r.stdout, observedAt: opts.observedAt, ...(opts.model === undefined ? {} : { model: opts.model }) });
};

// async so that a test mistake simulateReport throws on (a fault on a device the node lacks) rejects the promise.
const collectSimulated: Collector = async (_runner, opts) => {
  const sim = opts.simulated;
  if (sim === undefined) {
    const ctx = { provider: 'simulated', tool: 'simulated', observedAt: opts.observedAt } as const;
    return unknownReport(ctx, 'the simulated provider was given no device spec');
  }
  return simulateReport(sim.spec, sim.faults ?? {}, {
    observedAt: opts.observedAt,
    ...(sim.nodeName === undefined ? {} : { nodeName: sim.nodeName }),
    ...(sim.xidPolicy === undefined ? {} : { xidPolicy: sim.xidPolicy }),
  });
};

/** PROVIDERS maps each provider name to its collector. */
export const PROVIDERS: Readonly<Record<ProviderName, Collector>> = {
  'nvidia-smi': collectNvidia,
  'npu-smi': collectNpu,
  'amd-smi': collectAmd,
  cnmon: collectCnmon,
  'hy-smi': collectHygon,
  simulated: collectSimulated,
};

/** collect runs the named provider. */
export function collect(name: ProviderName, runner: ToolRunner, opts: CollectOptions): Promise<DeviceReport> {
  return PROVIDERS[name](runner, opts);
}
