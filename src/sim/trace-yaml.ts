/**
 * The YAML trace format: a list of TrainingJob manifests, each with when it arrives and how long it runs. The jobs are
 * the objects a user would apply (variants, placement rules, workers), so a what-if written for the simulator can be
 * applied to a real hub unchanged:
 *
 *   - at: 0s                 # arrival, from the trace's start: a duration (1h30m) or seconds
 *     runFor: 2h             # run time once its workers are bound
 *     job:
 *       apiVersion: suanwang.io/v1alpha1
 *       kind: TrainingJob
 *       metadata: { name: pretrain }
 *       spec: { workers: 2, resources: { cpu: "16", memory: 64Gi }, variants: [ ... ] }
 *
 * InferenceServices are not replayed: their replicas spread over sites (placement's distribute()) and scale, which
 * this simulator does not model; such an entry is an error naming its line.
 */
import { DNS1123_LABEL, FieldReader, type Obj } from '../api/field-reader.ts';
import type { TrainingJob } from '../api/generated/types.ts';
import { parseDuration } from '../api/duration.ts';
import { API_VERSION, Kind } from '../api/names.ts';
import type { YamlSource } from '../api/yaml-source.ts';
import { makeTask, TraceError, type SimTask } from './task.ts';

/** parseYamlTrace reads a YAML trace; throws ConfigError (file, line, field) or TraceError. */
export function parseYamlTrace(src: YamlSource): SimTask[] {
  const r = new FieldReader(src);
  const list = src.value;
  if (!Array.isArray(list)) {
    r.fail([], 'a YAML trace is a list of {at, runFor, job} entries');
    r.throwIfIssues();
    return [];
  }
  const tasks: SimTask[] = [];
  const seen = new Map<string, number>();
  list.forEach((raw: unknown, i) => {
    const path = [i];
    const e = r.object(raw, path, ['at', 'runFor', 'job']);
    if (!e) return;
    const at = seconds(r, e, 'at', path);
    const runFor = seconds(r, e, 'runFor', path);
    const job = r.object(e['job'], [i, 'job'], ['apiVersion', 'kind', 'metadata', 'spec']);
    if (!job) return;
    const jobPath = [i, 'job'];
    r.string(job, 'apiVersion', jobPath, { required: true, oneOf: [API_VERSION] });
    const kind = r.string(job, 'kind', jobPath, { required: true });
    if (kind === Kind.InferenceService) {
      r.fail([...jobPath, 'kind'], 'InferenceServices are not replayed by the simulator (only TrainingJobs)');
      return;
    }
    if (kind !== undefined && kind !== Kind.TrainingJob) r.fail([...jobPath, 'kind'], `must be TrainingJob, got "${kind}"`);
    const meta = r.object(job['metadata'], [...jobPath, 'metadata'], ['name', 'namespace', 'labels', 'annotations']);
    const name = meta && r.string(meta, 'name', [...jobPath, 'metadata'], { required: true, pattern: DNS1123_LABEL, hint: 'a DNS-1123 label' });
    if (name !== undefined) {
      const prev = seen.get(name);
      if (prev !== undefined) r.fail([...jobPath, 'metadata', 'name'], `duplicate job name "${name}" (also entry ${prev})`);
      seen.set(name, i);
    }
    const spec = r.object(job['spec'], [...jobPath, 'spec'], SPEC_FIELDS);
    if (spec && !Array.isArray(spec['variants'])) r.fail([...jobPath, 'spec', 'variants'], 'is required: a list of variants');
    if (spec && typeof spec['resources'] !== 'object') r.fail([...jobPath, 'spec', 'resources'], 'is required: {cpu, memory}');
    if (name === undefined || name === null || !spec || at === undefined || runFor === undefined || r.issues.length > 0) return;
    const line = src.lineOf(path) ?? 0;
    try {
      tasks.push(makeTask(job as unknown as TrainingJob, at, runFor, false, { file: src.file, line }));
    } catch (err: unknown) {
      if (!(err instanceof TraceError)) throw err;
      r.fail([...jobPath, 'spec'], err.message.replace(/^[^:]*:\d+: task [^:]*: /, ''));
    }
  });
  r.throwIfIssues();
  return tasks;
}

/** SPEC_FIELDS are the TrainingJob spec fields a trace may carry (the CRD's; the simulator reads the placement ones). */
const SPEC_FIELDS = ['workers', 'resources', 'variants', 'placement', 'checkpoint', 'failurePolicy', 'queue', 'priority', 'suspend', 'ttlSecondsAfterFinished'];

/** seconds reads a duration ("90s", "1h30m") or a number of seconds ≥ 0. */
function seconds(r: FieldReader, obj: Obj, key: string, path: readonly (string | number)[]): number | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return r.fail([...path, key], 'is required: a duration such as 90s or 1h30m, or seconds');
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v;
  const ms = typeof v === 'string' ? parseDuration(v) : undefined;
  if (ms === undefined) return r.fail([...path, key], `must be a duration such as 90s or 1h30m, or seconds ≥ 0, got ${JSON.stringify(v)}`);
  return ms / 1000;
}
