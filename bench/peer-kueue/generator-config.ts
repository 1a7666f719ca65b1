/**
 * Scales Kueue's scheduler benchmark scenario (configs/baseline/generator.yaml: cohorts × ClusterQueues × workload
 * sets) down for a quick run. Only the number of workloads per set changes; cohorts, queues, quotas, priorities,
 * runtimes and creation intervals stay upstream's, so a scaled run exercises the same mix at a smaller size.
 */
import { parse, stringify } from 'yaml';

interface WorkloadsSet {
  count: number;
  [field: string]: unknown;
}
interface QueuesSet {
  count: number;
  workloadsSets: WorkloadsSet[];
  [field: string]: unknown;
}
interface CohortSet {
  count: number;
  queuesSets: QueuesSet[];
  [field: string]: unknown;
}
interface GeneratorConfig {
  cohorts: CohortSet[];
  [field: string]: unknown;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function requireList(parent: Record<string, unknown>, field: string, where: string): Record<string, unknown>[] {
  const list = parent[field];
  if (!Array.isArray(list) || list.length === 0 || !list.every(isRecord)) {
    throw new Error(`${where}.${field}: expected a non-empty list of objects`);
  }
  return list;
}

function requireCount(item: Record<string, unknown>, where: string): number {
  const count = item['count'];
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1) {
    throw new Error(`${where}.count: expected a positive integer, got ${JSON.stringify(count)}`);
  }
  return count;
}

/** parseGeneratorConfig checks the fields scaling and counting read; other fields pass through untouched. */
export function parseGeneratorConfig(text: string, file: string): GeneratorConfig {
  const doc: unknown = parse(text);
  if (!isRecord(doc)) throw new Error(`${file}: expected a mapping at the top level`);
  requireList(doc, 'cohorts', file).forEach((cohort, c) => {
    requireCount(cohort, `${file}: cohorts[${c}]`);
    requireList(cohort, 'queuesSets', `${file}: cohorts[${c}]`).forEach((queues, q) => {
      const where = `${file}: cohorts[${c}].queuesSets[${q}]`;
      requireCount(queues, where);
      requireList(queues, 'workloadsSets', where).forEach((set, w) => requireCount(set, `${where}.workloadsSets[${w}]`));
    });
  });
  return doc as GeneratorConfig;
}

/** countWorkloads is how many Workload objects the generator creates for a config. */
export function countWorkloads(config: GeneratorConfig): number {
  let total = 0;
  for (const cohort of config.cohorts) {
    for (const queues of cohort.queuesSets) {
      for (const set of queues.workloadsSets) {
        const perSet = Array.isArray(set['workloads']) ? set['workloads'].length : 1;
        total += cohort.count * queues.count * set.count * perSet;
      }
    }
  }
  return total;
}

/**
 * scaleGeneratorConfig returns the config as YAML with every workload set's count multiplied by `scale` (0 < scale
 * ≤ 1), rounded and kept at least 1 so every class still appears in the summary.
 */
export function scaleGeneratorConfig(config: GeneratorConfig, scale: number): string {
  if (!(scale > 0 && scale <= 1)) throw new Error(`scale: expected a number in (0, 1], got ${scale}`);
  const scaled = structuredClone(config);
  for (const cohort of scaled.cohorts) {
    for (const queues of cohort.queuesSets) {
      for (const set of queues.workloadsSets) set.count = Math.max(1, Math.round(set.count * scale));
    }
  }
  return stringify(scaled);
}
