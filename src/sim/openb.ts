/**
 * The openb trace format (Alibaba cluster-trace-gpu-v2023, the FGD paper's): a node list and a pod list, both CSV
 * with a header row. Every problem names the file and line.
 *
 * Pods become TrainingJobs of one worker, namespace `default`, queue `default` (no Queue: admitted on capacity alone):
 *  - cpu_milli and memory_mib become the worker's cpu and memory;
 *  - num_gpu GPUs of vendor nvidia; a GPU share (num_gpu 1, gpu_milli < 1000) is rounded UP to one whole GPU, since
 *    Suanwang's API and the sites' device plugins count whole devices (the task is counted in gpuShareTasks);
 *  - gpu_spec `A|B` becomes one variant per model, in the order written (duplicates dropped): the job may run on any;
 *    no gpu_spec, one variant of any NVIDIA model;
 *  - arrival is creation_time; the run time is deletion_time − scheduled_time when the trace scheduled the pod, else
 *    deletion_time − creation_time (a pod deleted while pending is taken to run as long as it stayed);
 *  - a list without times (the resampled variants such as multigpu50) keeps its order: pod i arrives at second i
 *    and runs for ever (NO_RUN_TIME), which only a fill replay can use.
 */
import type { TrainingJob, TrainingVariant } from '../api/generated/types.ts';
import { API_VERSION, Kind } from '../api/names.ts';
import { makeTask, TraceError, type SimTask } from './task.ts';

/** OpenbNode is one row of an openb node list. */
export interface OpenbNode {
  readonly name: string;
  readonly cpuMilli: number;
  readonly memoryMiB: number;
  readonly gpus: number;
  /** model is empty for a CPU-only node. */
  readonly model: string;
  readonly line: number;
}

const NODE_COLUMNS = ['sn', 'cpu_milli', 'memory_mib', 'gpu', 'model'] as const;
const POD_COLUMNS = ['name', 'cpu_milli', 'memory_mib', 'num_gpu', 'gpu_milli'] as const;
/** OPTIONAL_POD_COLUMNS: the resampled openb lists (multigpu50, ...) have no GPU model constraints and no times. */
const OPTIONAL_POD_COLUMNS = ['gpu_spec', 'creation_time', 'deletion_time', 'scheduled_time'] as const;

/** NO_RUN_TIME is the run time of a task whose trace gives none: it never leaves (replay.ts refuses a timed replay). */
export const NO_RUN_TIME = Number.POSITIVE_INFINITY;

/** SIM_IMAGE is the container image of simulated jobs: never pulled, but the API requires one. */
const SIM_IMAGE = 'simulated/openb-task';

/** isOpenbPodList says whether text starts with the openb pod list's header. */
export function isOpenbPodList(text: string): boolean {
  return firstLine(text).split(',')[0]?.trim() === 'name' && firstLine(text).includes('num_gpu');
}

/** parseOpenbNodes reads an openb node list. */
export function parseOpenbNodes(file: string, text: string): OpenbNode[] {
  const rows = readCsv(file, text, NODE_COLUMNS);
  const seen = new Map<string, number>();
  return rows.map(({ cells, line }) => {
    const at = `${file}:${line}`;
    const name = cells.sn;
    if (name === '') throw new TraceError(`${at}: sn is empty`);
    const prev = seen.get(name);
    if (prev !== undefined) throw new TraceError(`${at}: node ${name} is listed twice (also line ${prev})`);
    seen.set(name, line);
    const gpus = wholeNumber(at, 'gpu', cells.gpu);
    const model = cells.model.trim();
    if (gpus > 0 && model === '') throw new TraceError(`${at}: node ${name} has ${gpus} GPUs but no model`);
    return {
      name,
      cpuMilli: wholeNumber(at, 'cpu_milli', cells.cpu_milli, 1),
      memoryMiB: wholeNumber(at, 'memory_mib', cells.memory_mib, 1),
      gpus,
      model: gpus === 0 ? '' : model,
      line,
    };
  });
}

/** parseOpenbPods reads an openb pod list into tasks, in file order. */
export function parseOpenbPods(file: string, text: string): SimTask[] {
  const rows = readCsv(file, text, POD_COLUMNS, OPTIONAL_POD_COLUMNS);
  const timed = rows[0]?.cells.creation_time !== undefined;
  if (timed && rows[0]?.cells.deletion_time === undefined) throw new TraceError(`${file}:1: the header has creation_time but no deletion_time`);
  const seen = new Map<string, number>();
  return rows.map(({ cells, line }, i) => {
    const at = `${file}:${line}`;
    const name = cells.name;
    if (name === '') throw new TraceError(`${at}: name is empty`);
    const prev = seen.get(name);
    if (prev !== undefined) throw new TraceError(`${at}: pod ${name} is listed twice (also line ${prev})`);
    seen.set(name, line);
    const cpuMilli = wholeNumber(at, 'cpu_milli', cells.cpu_milli);
    const memoryMiB = wholeNumber(at, 'memory_mib', cells.memory_mib);
    const gpus = wholeNumber(at, 'num_gpu', cells.num_gpu);
    const gpuMilli = gpus === 0 ? 0 : wholeNumber(at, 'gpu_milli', cells.gpu_milli);
    const gpuShare = gpus === 1 && gpuMilli > 0 && gpuMilli < 1000;
    const models = [...new Set((cells.gpu_spec ?? '').split('|').map((m) => m.trim()).filter((m) => m !== ''))];
    const job = openbJob(name, cpuMilli, memoryMiB, gpus, models);
    if (!timed) return makeTask(job, i, NO_RUN_TIME, gpuShare, { file, line });
    const created = wholeNumber(at, 'creation_time', cells.creation_time ?? '');
    const deleted = wholeNumber(at, 'deletion_time', cells.deletion_time ?? '');
    const scheduledRaw = cells.scheduled_time ?? '';
    const scheduled = scheduledRaw === '' ? undefined : wholeNumber(at, 'scheduled_time', scheduledRaw);
    const started = scheduled ?? created;
    if (deleted < started) throw new TraceError(`${at}: deletion_time ${deleted} is before ${scheduled === undefined ? 'creation_time' : 'scheduled_time'} ${started}`);
    return makeTask(job, created, deleted - started, gpuShare, { file, line });
  });
}

/** openbJob is the TrainingJob an openb pod becomes (module comment). */
function openbJob(name: string, cpuMilli: number, memoryMiB: number, gpus: number, models: readonly string[]): TrainingJob {
  const variants: TrainingVariant[] =
    gpus === 0
      ? [{ name: 'cpu', cpuOnly: true, image: SIM_IMAGE }]
      : models.length === 0
        ? [{ name: 'gpu', accelerator: { vendor: 'nvidia', count: gpus }, image: SIM_IMAGE }]
        : models.map((model) => ({ name: variantName(model), accelerator: { vendor: 'nvidia', model, count: gpus }, image: SIM_IMAGE }));
  return {
    apiVersion: API_VERSION,
    kind: Kind.TrainingJob,
    metadata: { name, namespace: 'default' },
    spec: { workers: 1, resources: { cpu: `${cpuMilli}m`, memory: `${memoryMiB}Mi` }, variants },
  };
}

function variantName(model: string): string {
  return model.toLowerCase().replace(/[^a-z0-9-]/g, '-');
}

interface CsvRow<C extends string, O extends string> {
  readonly cells: Readonly<Record<C, string>> & Readonly<Partial<Record<O, string>>>;
  readonly line: number;
}

/**
 * readCsv splits a header-led CSV without quoted fields (openb has none) into rows keyed by `columns`, and by those
 * of `optional` the header has.
 */
function readCsv<C extends string, O extends string = never>(file: string, text: string, columns: readonly C[], optional: readonly O[] = []): CsvRow<C, O>[] {
  const lines = text.split(/\r?\n/);
  const header = (lines[0] ?? '').split(',').map((h) => h.trim());
  const index = new Map(header.map((h, i) => [h, i]));
  const missing = columns.filter((c) => !index.has(c));
  if (missing.length > 0) throw new TraceError(`${file}:1: the header lacks ${missing.join(', ')} (expected columns: ${columns.join(', ')})`);
  const present: (C | O)[] = [...columns, ...optional.filter((c) => index.has(c))];
  const rows: CsvRow<C, O>[] = [];
  for (let i = 1; i < lines.length; i++) {
    const raw = lines[i] ?? '';
    if (raw.trim() === '') continue;
    if (raw.includes('"')) throw new TraceError(`${file}:${i + 1}: quoted fields are not part of the openb format`);
    const fields = raw.split(',');
    if (fields.length !== header.length) throw new TraceError(`${file}:${i + 1}: ${fields.length} fields, the header has ${header.length}`);
    const cells: Record<string, string> = {};
    for (const c of present) cells[c] = (fields[index.get(c) as number] ?? '').trim();
    rows.push({ cells: cells as CsvRow<C, O>['cells'], line: i + 1 });
  }
  return rows;
}

function wholeNumber(at: string, column: string, raw: string, min = 0): number {
  const n = Number(raw);
  if (raw === '' || !Number.isInteger(n) || n < min) throw new TraceError(`${at}: ${column} must be a whole number${min > 0 ? ` of at least ${min}` : ' ≥ 0'}, got ${JSON.stringify(raw)}`);
  return n;
}

function firstLine(text: string): string {
  const end = text.indexOf('\n');
  return end < 0 ? text : text.slice(0, end);
}
