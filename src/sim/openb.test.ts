import { describe, expect, it } from 'vitest';
import { parseOpenbNodes, parseOpenbPods } from './openb.ts';
import { TraceError } from './task.ts';

const POD_HEADER = 'name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time';
const pods = (...rows: string[]) => parseOpenbPods('pods.csv', [POD_HEADER, ...rows].join('\n'));

describe('openb pod list', () => {
  it('reads a pod as a one-worker TrainingJob: cpu, memory, GPUs, arrival and run time', () => {
    const [t] = pods('p-1,12000,16384,2,1000,,LS,Running,100,700,160');
    expect(t?.name).toBe('p-1');
    expect(t?.arrivalS).toBe(100);
    expect(t?.durationS).toBe(540); // deletion − scheduled
    expect(t?.gpuShare).toBe(false);
    expect(t?.workload.units).toBe(1);
    expect(t?.workload.variants).toEqual([{ name: 'gpu', index: 0, accelerator: { vendor: 'nvidia', count: 2 }, cpu: 12, memory: 16384 * 2 ** 20 }]);
  });

  it('rounds a GPU share up to one whole GPU and says so', () => {
    const [t] = pods('p-1,6000,12288,1,460,,LS,Running,0,10,0');
    expect(t?.gpuShare).toBe(true);
    expect(t?.workload.variants[0]?.accelerator?.count).toBe(1);
  });

  it('makes one variant per allowed model, duplicates dropped, and a CPU-only variant for no GPU', () => {
    const [gpu, cpu] = pods('p-1,8000,8192,1,1000,V100M16|V100M32|V100M32,BE,Running,0,10,0', 'p-2,2000,4096,0,0,,BE,Running,0,10,0');
    expect(gpu?.workload.variants.map((v) => v.accelerator?.model)).toEqual(['V100M16', 'V100M32']);
    expect(cpu?.workload.variants).toEqual([{ name: 'cpu', index: 0, cpu: 2, memory: 4096 * 2 ** 20 }]);
  });

  it('runs a pod the trace never scheduled for as long as it stayed', () => {
    const [t] = pods('p-1,8000,8192,1,1000,,BE,Pending,1000,1300,');
    expect(t?.durationS).toBe(300);
  });

  it.each([
    ['a bad number', 'p-1,8000,lots,1,1000,,BE,Running,0,10,0', 'pods.csv:2: memory_mib must be a whole number ≥ 0, got "lots"'],
    ['a deletion before scheduling', 'p-1,8000,8192,1,1000,,BE,Running,50,10,50', 'pods.csv:2: deletion_time 10 is before scheduled_time 50'],
    ['a short row', 'p-1,8000,8192', 'pods.csv:2: 3 fields, the header has 11'],
  ])('names the file and line of %s', (_label, row, message) => {
    expect(() => pods(row)).toThrow(new TraceError(message));
  });

  it('names both lines of a duplicate pod, and a missing column', () => {
    expect(() => pods('p-1,1,1,0,0,,BE,Running,0,1,0', 'p-1,1,1,0,0,,BE,Running,0,1,0')).toThrow('pods.csv:3: pod p-1 is listed twice (also line 2)');
    expect(() => parseOpenbPods('x.csv', 'name,cpu_milli\np,1')).toThrow('x.csv:1: the header lacks memory_mib');
  });
});

describe('openb node list', () => {
  it('reads nodes, CPU-only ones without a model', () => {
    const nodes = parseOpenbNodes('nodes.csv', 'sn,cpu_milli,memory_mib,gpu,model\nn-0,32000,262144,0,\nn-1,96000,393216,8,G2\n');
    expect(nodes).toEqual([
      { name: 'n-0', cpuMilli: 32000, memoryMiB: 262144, gpus: 0, model: '', line: 2 },
      { name: 'n-1', cpuMilli: 96000, memoryMiB: 393216, gpus: 8, model: 'G2', line: 3 },
    ]);
  });

  it('refuses a GPU node without a model, naming the line', () => {
    expect(() => parseOpenbNodes('nodes.csv', 'sn,cpu_milli,memory_mib,gpu,model\nn-0,32000,262144,2,\n')).toThrow('nodes.csv:2: node n-0 has 2 GPUs but no model');
  });
});

describe('openb pod lists without times (the resampled variants)', () => {
  const timeless = 'name,cpu_milli,memory_mib,num_gpu,gpu_milli\np-0,12000,16384,1,1000\np-1,6000,12288,1,460\n';
  it('keeps the order, one arrival a second, and never lets a task leave', () => {
    const tasks = parseOpenbPods('m.csv', timeless);
    expect(tasks.map((t) => [t.name, t.arrivalS, t.durationS, t.gpuShare])).toEqual([
      ['p-0', 0, Number.POSITIVE_INFINITY, false],
      ['p-1', 1, Number.POSITIVE_INFINITY, true],
    ]);
  });
  it('refuses creation times without deletion times', () => {
    expect(() => parseOpenbPods('m.csv', 'name,cpu_milli,memory_mib,num_gpu,gpu_milli,creation_time\np,1,1,0,0,5\n')).toThrow('m.csv:1: the header has creation_time but no deletion_time');
  });
});
