/**
 * Reading a trace file: the openb pod list (CSV with its header) or a YAML trace (trace-yaml.ts), told apart by the
 * file's first line. Tasks come back sorted by arrival, then name, whatever order the file had.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { YamlSource } from '../api/yaml-source.ts';
import { isOpenbPodList, parseOpenbPods } from './openb.ts';
import { TraceError, type SimTask } from './task.ts';
import { parseYamlTrace } from './trace-yaml.ts';

/** Trace is a parsed trace: its file name (not the path) and its tasks in arrival order. */
export interface Trace {
  readonly name: string;
  readonly tasks: readonly SimTask[];
}

/** loadTrace reads a trace file; throws TraceError or ConfigError naming the file and line. */
export function loadTrace(file: string): Trace {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err: unknown) {
    throw new TraceError(`${file}: cannot read the trace: ${err instanceof Error ? err.message : String(err)}`);
  }
  return parseTrace(file, text);
}

/** parseTrace parses trace text read from `file`. */
export function parseTrace(file: string, text: string): Trace {
  const tasks = isOpenbPodList(text) ? parseOpenbPods(file, text) : parseYamlTrace(YamlSource.parse(file, text));
  if (tasks.length === 0) throw new TraceError(`${file}: the trace has no tasks`);
  return { name: basename(file), tasks: [...tasks].sort(byArrival) };
}

/** byArrival orders tasks by arrival, then name: the order ties are submitted in. */
export function byArrival(a: SimTask, b: SimTask): number {
  return a.arrivalS - b.arrivalS || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}
