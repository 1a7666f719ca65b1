import { describe, expect, it } from 'vitest';
import { YamlSource } from '../api/yaml-source.ts';
import { loadTrace, parseTrace } from './trace.ts';

const job = (name: string, extra = '') => `
  job:
    apiVersion: suanwang.io/v1alpha1
    kind: TrainingJob
    metadata: { name: ${name} }
    spec:
      workers: 2
      resources: { cpu: "8", memory: 32Gi }
      variants: [{ name: a100, accelerator: { vendor: nvidia, model: A100, count: 4 }, image: x }]${extra}`;

describe('YAML traces', () => {
  it('reads TrainingJobs with arrival and run time, as durations or seconds, sorted by arrival', () => {
    const trace = parseTrace('t.yaml', `- at: 1h\n  runFor: 90\n${job('late')}\n- at: 30s\n  runFor: 1m30s\n${job('early')}\n`);
    expect(trace.tasks.map((t) => [t.name, t.arrivalS, t.durationS, t.workload.units])).toEqual([
      ['early', 30, 90, 2],
      ['late', 3600, 90, 2],
    ]);
  });

  it('reads the lab jobs fixture', () => {
    expect(loadTrace('test/fixtures/traces/lab-jobs.yaml').tasks).toHaveLength(6);
  });

  it.each([
    ['a missing arrival', `- runFor: 1h\n${job('a')}\n`, 't.yaml:1: [0].at: is required'],
    ['a bad run time', `- at: 0s\n  runFor: soon\n${job('a')}\n`, 't.yaml:2: [0].runFor: must be a duration such as 90s or 1h30m, or seconds ≥ 0, got "soon"'],
    ['an InferenceService', `- at: 0s\n  runFor: 1h\n  job: { apiVersion: suanwang.io/v1alpha1, kind: InferenceService, metadata: { name: a }, spec: {} }\n`, 'InferenceServices are not replayed'],
    ['a bad quantity', `- at: 0s\n  runFor: 1h\n${job('a').replace('"8"', 'lots')}\n`, 't.yaml:9: [0].job.spec: spec.variants[0].resources.cpu: "lots" is not a non-negative Kubernetes quantity'],
    ['a duplicate name', `- at: 0s\n  runFor: 1h\n${job('a')}\n- at: 0s\n  runFor: 1h\n${job('a')}\n`, 'duplicate job name "a" (also entry 0)'],
  ])('names the file, line and field of %s', (_label, text, message) => {
    expect(() => parseTrace('t.yaml', text)).toThrow(message);
  });

  it('refuses a document that is not a list', () => {
    expect(() => parseTrace('t.yaml', 'kind: TrainingJob\n')).toThrow('t.yaml:1: a YAML trace is a list');
    expect(YamlSource.parse('t.yaml', '[]').value).toEqual([]);
    expect(() => parseTrace('t.yaml', '[]\n')).toThrow('t.yaml: the trace has no tasks');
  });
});
