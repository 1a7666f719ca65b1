import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { InferenceService, Queue, TrainingAttempt, TrainingJob } from '../../api/generated/types.ts';
import { CliError } from '../cli-error.ts';
import { usageCommand, usageLine, type HubFlags, type HubObjects, type UsageIo } from './usage.ts';

const NOW = new Date('2026-03-02T00:00:00Z');

function job(name: string, namespace: string, ...attempts: TrainingAttempt[]): TrainingJob {
  return {
    apiVersion: 'suanwang.io/v1alpha1',
    kind: 'TrainingJob',
    metadata: { name, namespace, uid: `uid-${namespace}-${name}` },
    spec: { resources: { cpu: '8', memory: '64Gi' }, variants: [] },
    status: { attempts },
  };
}

/**
 * SAMPLE is the hub of docs/usage.md's example: a pre-training job that lost its first site and resumed on Ascend
 * devices at another, priced in CNY; an evaluation job at a site priced in USD; a notebook that ran without a queue.
 */
const SAMPLE: TrainingJob[] = [
  job(
    'llm-7b',
    'research',
    {
      site: 'shanghai', variant: 'h100', epoch: 1, outcome: 'SiteLost', queue: 'ai-research',
      startTime: '2026-03-01T02:00:00Z', endTime: '2026-03-01T08:00:00Z',
      charge: { 'nvidia.com/gpu': '8', cpu: '64', memory: '512Gi' }, pricePerHour: 100, currency: 'CNY',
    },
    {
      site: 'guizhou', variant: 'ascend910b', epoch: 2, outcome: 'Running', queue: 'ai-research',
      startTime: '2026-03-01T08:30:00Z',
      charge: { 'huawei.com/Ascend910': '16', cpu: '96', memory: '768Gi' }, pricePerHour: 96, currency: 'CNY',
    },
  ),
  job('eval', 'vision', {
    site: 'hongkong', variant: 'h100', epoch: 1, outcome: 'Succeeded', queue: 'vision',
    startTime: '2026-03-01T10:00:00Z', endTime: '2026-03-01T14:00:00Z',
    charge: { 'nvidia.com/gpu': '4', cpu: '16', memory: '128Gi' }, pricePerHour: 8.4, currency: 'USD',
  }),
  job('notebook', 'scratch', {
    site: 'shanghai', variant: 'cpu', epoch: 1, outcome: 'Succeeded',
    startTime: '2026-03-01T20:00:00Z', endTime: '2026-03-01T22:00:00Z', charge: { cpu: '8', memory: '32Gi' },
  }),
];

function fakeIo(hub: HubObjects | CliError = { trainingJobs: SAMPLE, inferenceServices: [], queues: [] }): UsageIo & { outLines: string[]; errLines: string[]; hubs: HubFlags[] } {
  const outLines: string[] = [];
  const errLines: string[] = [];
  const hubs: HubFlags[] = [];
  return {
    outLines,
    errLines,
    hubs,
    out: (l) => outLines.push(l),
    err: (l) => errLines.push(l),
    now: () => NOW,
    readHub: (flags) => {
      hubs.push(flags);
      return hub instanceof CliError ? Promise.reject(hub) : Promise.resolve(hub);
    },
  };
}

async function run(argv: string[], hub?: HubObjects | CliError): Promise<{ code: number; out: string; err: string; hubs: HubFlags[] }> {
  const io = fakeIo(hub);
  const code = await usageCommand(argv, io);
  return { code, out: io.outLines.join('\n'), err: io.errLines.join('\n'), hubs: io.hubs };
}

const SAMPLE_TABLE = `QUEUE        SITE      RESOURCE                AMOUNT  UNIT          COST
(none)       shanghai  cpu                      16.00  core-hours    -
(none)       shanghai  memory                   64.00  GiB-hours     -
ai-research  guizhou   cpu                    1488.00  core-hours    -
ai-research  guizhou   huawei.com/Ascend910    248.00  device-hours  1488.00 CNY
ai-research  guizhou   memory                11904.00  GiB-hours     -
ai-research  shanghai  cpu                     384.00  core-hours    -
ai-research  shanghai  memory                 3072.00  GiB-hours     -
ai-research  shanghai  nvidia.com/gpu           48.00  device-hours  600.00 CNY
vision       hongkong  cpu                      64.00  core-hours    -
vision       hongkong  memory                  512.00  GiB-hours     -
vision       hongkong  nvidia.com/gpu           16.00  device-hours  33.60 USD

Total cost: 2088.00 CNY, 33.60 USD (everything recorded up to 2026-03-02T00:00:00Z)`;

const SINCE_TABLE = `QUEUE        SITE     RESOURCE               AMOUNT  UNIT          COST
ai-research  guizhou  cpu                    576.00  core-hours    -
ai-research  guizhou  huawei.com/Ascend910    96.00  device-hours  576.00 CNY
ai-research  guizhou  memory                4608.00  GiB-hours     -

Total cost: 576.00 CNY (2026-03-01T18:00:00Z to 2026-03-02T00:00:00Z)`;

const VISION_CSV = `queue,site,resource,amount,unit,cost,currency
vision,hongkong,cpu,64,core-hours,0,
vision,hongkong,memory,512,GiB-hours,0,
vision,hongkong,nvidia.com/gpu,16,device-hours,33.6,USD`;

describe('suanwang usage', () => {
  it('prints a table per queue × site × resource, sorted, with the cost per currency', async () => {
    expect(await run([])).toEqual({ code: 0, out: SAMPLE_TABLE, err: '', hubs: [{ kubeconfig: undefined, context: undefined }] });
  });

  it('--since clips attempts to the window and --queue keeps one queue', async () => {
    const got = await run(['--since', '6h', '--queue', 'ai-research', '--kubeconfig', 'hub.kubeconfig', '--context', 'lab']);
    expect(got.code).toBe(0);
    expect(got.hubs).toEqual([{ kubeconfig: 'hub.kubeconfig', context: 'lab' }]);
    expect(got.out).toBe(SINCE_TABLE);
  });

  it('-o csv prints a header and one line per row, memory in GiB-hours', async () => {
    const got = await run(['-o', 'csv', '--queue', 'vision']);
    expect(got.out).toBe(VISION_CSV);
  });

  it('-o json prints an array of rows, fields in the order of the csv columns', async () => {
    const got = await run(['--output', 'json', '--since', '3h']);
    expect(Object.keys(JSON.parse(got.out)[0] as object)).toEqual(['queue', 'site', 'resource', 'amount', 'unit', 'cost', 'currency']);
    expect(JSON.parse(got.out)).toEqual([
      { queue: '', site: 'shanghai', resource: 'cpu', amount: 8, unit: 'core-hours', cost: 0, currency: '' },
      { queue: '', site: 'shanghai', resource: 'memory', amount: 32, unit: 'GiB-hours', cost: 0, currency: '' },
      { queue: 'ai-research', site: 'guizhou', resource: 'cpu', amount: 288, unit: 'core-hours', cost: 0, currency: '' },
      { queue: 'ai-research', site: 'guizhou', resource: 'huawei.com/Ascend910', amount: 48, unit: 'device-hours', cost: 288, currency: 'CNY' },
      { queue: 'ai-research', site: 'guizhou', resource: 'memory', amount: 2304, unit: 'GiB-hours', cost: 0, currency: '' },
    ]);
  });

  /**
   * WITH_RETIRED adds to SAMPLE a deleted job whose usage its Queue keeps (two days of it), a job deleted but not yet
   * gone that the Queue has folded already (it must not count twice), and an InferenceService serving at two sites.
   */
  const WITH_RETIRED: HubObjects = {
    trainingJobs: [
      ...SAMPLE,
      {
        ...job('finetune', 'research', {
          site: 'shanghai', variant: 'h100', epoch: 1, outcome: 'Succeeded', queue: 'ai-research',
          startTime: '2026-03-01T20:00:00Z', endTime: '2026-03-01T21:00:00Z', charge: { 'nvidia.com/gpu': '8' }, pricePerHour: 100, currency: 'CNY',
        }),
        metadata: { name: 'finetune', namespace: 'research', uid: 'uid-finetune', deletionTimestamp: '2026-03-01T23:00:00Z' },
      },
    ],
    inferenceServices: [
      {
        apiVersion: 'suanwang.io/v1alpha1',
        kind: 'InferenceService',
        metadata: { name: 'chat', namespace: 'vision', uid: 'uid-chat' },
        spec: { resources: { cpu: '4', memory: '16Gi' }, variants: [] },
        status: {
          replicaIntervals: [
            { site: 'hongkong', replicas: 1, startTime: '2026-03-01T22:00:00Z', queue: 'vision', charge: { 'nvidia.com/gpu': '1' }, pricePerHour: 2.1, currency: 'USD' },
            { site: 'shanghai', replicas: 2, startTime: '2026-03-01T23:00:00Z', queue: 'vision', charge: { 'nvidia.com/gpu': '2' }, pricePerHour: 56, currency: 'CNY' },
          ],
        },
      } satisfies InferenceService,
    ],
    queues: [
      {
        apiVersion: 'suanwang.io/v1alpha1',
        kind: 'Queue',
        metadata: { name: 'ai-research' },
        spec: {},
        status: {
          metering: {
            retired: [
              { site: 'shanghai', currency: 'CNY', startTime: '2026-02-28T00:00:00Z', endTime: '2026-03-01T00:00:00Z', resourceHours: { 'nvidia.com/gpu': 16 }, resourceCost: { 'nvidia.com/gpu': 200 } },
              { site: 'shanghai', currency: 'CNY', startTime: '2026-03-01T00:00:00Z', endTime: '2026-03-02T00:00:00Z', resourceHours: { 'nvidia.com/gpu': 8 }, resourceCost: { 'nvidia.com/gpu': 100 } },
            ],
            retiredWorkloads: ['uid-finetune'],
          },
        },
      } satisfies Queue,
    ],
  };

  const retiredCases: { name: string; argv: string[]; want: string; wantErr: string }[] = [
    {
      name: 'deleted workloads count through their Queue, once; InferenceService replicas count at each site',
      argv: ['-o', 'csv', '--queue', 'ai-research'],
      want: `queue,site,resource,amount,unit,cost,currency
ai-research,guizhou,cpu,1488,core-hours,0,
ai-research,guizhou,huawei.com/Ascend910,248,device-hours,1488,CNY
ai-research,guizhou,memory,11904,GiB-hours,0,
ai-research,shanghai,cpu,384,core-hours,0,
ai-research,shanghai,memory,3072,GiB-hours,0,
ai-research,shanghai,nvidia.com/gpu,72,device-hours,900,CNY`,
      wantErr: '',
    },
    {
      name: 'an InferenceService at two sites, in two currencies',
      argv: ['-o', 'csv', '--queue', 'vision', '--since', '3h'],
      want: `queue,site,resource,amount,unit,cost,currency
vision,hongkong,nvidia.com/gpu,2,device-hours,4.2,USD
vision,shanghai,nvidia.com/gpu,2,device-hours,56,CNY`,
      wantErr: '',
    },
    {
      name: '--since counts a kept day it cuts whole, and says so (on stderr for csv)',
      argv: ['-o', 'csv', '--queue', 'ai-research', '--since', '12h'],
      want: `queue,site,resource,amount,unit,cost,currency
ai-research,guizhou,cpu,1152,core-hours,0,
ai-research,guizhou,huawei.com/Ascend910,192,device-hours,1152,CNY
ai-research,guizhou,memory,9216,GiB-hours,0,
ai-research,shanghai,nvidia.com/gpu,8,device-hours,100,CNY`,
      wantErr: "Note: 1 period of deleted workloads' usage (kept per UTC day, or per month or year when older) began before --since and counts whole, from 2026-03-01T00:00:00Z.",
    },
  ];
  it.each(retiredCases)('$name', async ({ argv, want, wantErr }) => {
    expect(await run(argv, WITH_RETIRED)).toMatchObject({ code: 0, out: want, err: wantErr });
  });

  it('the table closes with the note when --since cuts a kept period', async () => {
    const got = await run(['--queue', 'ai-research', '--since', '12h'], WITH_RETIRED);
    expect(got.out.split('\n').slice(-2)).toEqual([
      'Total cost: 1252.00 CNY (2026-03-01T12:00:00Z to 2026-03-02T00:00:00Z)',
      "Note: 1 period of deleted workloads' usage (kept per UTC day, or per month or year when older) began before --since and counts whole, from 2026-03-01T00:00:00Z.",
    ]);
  });

  const empty: { name: string; argv: string[]; want: string }[] = [
    { name: 'table', argv: ['--queue', 'nobody'], want: 'No usage in everything recorded up to 2026-03-02T00:00:00Z.' },
    { name: 'csv', argv: ['--queue', 'nobody', '-o', 'csv'], want: 'queue,site,resource,amount,unit,cost,currency' },
    { name: 'json', argv: ['--queue', 'nobody', '-o', 'json'], want: '[]' },
  ];
  it.each(empty)('with no usage prints $name without rows', async ({ argv, want }) => {
    expect(await run(argv)).toMatchObject({ code: 0, out: want });
  });

  const usageErrors: { name: string; argv: string[]; want: string }[] = [
    { name: 'a duration without a unit', argv: ['--since', '24'], want: 'usage: --since must be a positive duration such as 500ms, 40s, 2m or 1m30s, got "24"' },
    { name: 'days', argv: ['--since', '7d'], want: '--since must be a positive duration' },
    { name: 'a zero window', argv: ['--since', '0'], want: '--since must be a positive duration' },
    { name: 'an unknown format', argv: ['-o', 'yaml'], want: '--output must be one of table, csv, json, got "yaml"' },
    { name: 'a queue name that is not a label', argv: ['--queue', 'AI_Research'], want: '--queue "AI_Research" is not a Queue name' },
    { name: 'an unknown flag', argv: ['--namespace', 'x'], want: 'unknown flag --namespace' },
  ];
  it.each(usageErrors)('exits 2 naming the flag on $name, without reading the hub', async ({ argv, want }) => {
    const got = await run(argv);
    expect(got.code).toBe(2);
    expect(got.err).toContain(want);
    expect(got.err).toContain('suanwang usage --help');
    expect(got.hubs).toEqual([]);
  });

  it('exits 1 with the reason when the hub cannot be read', async () => {
    const got = await run(['--context', 'nope'], new CliError('--context nope is not in the kubeconfig (it has hub)', 1));
    expect(got).toEqual({ code: 1, out: '', err: 'usage: --context nope is not in the kubeconfig (it has hub)', hubs: [{ kubeconfig: undefined, context: 'nope' }] });
  });

  it('--help shows the flags and examples', async () => {
    const got = await run(['--help']);
    expect(got.code).toBe(0);
    expect(got.out).toMatch(/^Usage: suanwang usage /);
    expect(got.out).toContain('-o, --output FORMAT');
    expect(got.out).toContain('suanwang usage --since 24h --queue ai-research');
    expect(got.hubs).toEqual([]);
  });

  const examples = [
    { command: 'suanwang usage', want: SAMPLE_TABLE },
    { command: 'suanwang usage --since 6h --queue ai-research', want: SINCE_TABLE },
    { command: 'suanwang usage --queue vision -o csv', want: VISION_CSV },
  ];
  it.each(examples)("docs/usage.md shows `$command` as the command prints it on SAMPLE", async ({ command, want }) => {
    expect((await run(command.split(' ').slice(2))).out).toBe(want);
    const doc = readFileSync(new URL('../../../docs/usage.md', import.meta.url), 'utf8');
    expect(doc).toContain(['```console', `$ ${command}`, want, '```'].join('\n'));
  });
});

describe('usageLine', () => {
  const row = { queue: 'q', site: 's', cost: 0, currency: '' };
  const cases: { resource: string; hours: number; wantAmount: number; wantUnit: string }[] = [
    { resource: 'memory', hours: 3 * 2 ** 30, wantAmount: 3, wantUnit: 'GiB-hours' },
    { resource: 'memory', hours: 2 ** 30 / 3, wantAmount: 0.333333, wantUnit: 'GiB-hours' },
    { resource: 'cpu', hours: 0.5, wantAmount: 0.5, wantUnit: 'core-hours' },
    { resource: 'huawei.com/Ascend910', hours: 12, wantAmount: 12, wantUnit: 'device-hours' },
    { resource: 'example.com/widget', hours: 2, wantAmount: 2, wantUnit: 'quantity-hours' },
  ];
  it.each(cases)('$resource: $hours → $wantAmount $wantUnit', ({ resource, hours, wantAmount, wantUnit }) => {
    expect(usageLine({ ...row, resource, hours })).toEqual({ ...row, resource, amount: wantAmount, unit: wantUnit });
  });
});
