/**
 * `suanwang usage`: what each queue used and cost, per site and resource, read from the hub. The composition root of
 * the command: it reads the clock and the hub and writes to the terminal; the metering itself
 * (src/queueing/metering.ts) and the rendering here are pure, so tests drive the whole command with a fake hub.
 */
import { CustomObjectsApi } from '@kubernetes/client-node';
import type { InferenceService, Queue, TrainingJob } from '../../api/generated/types.ts';
import { GROUP, Plural, VERSION } from '../../api/names.ts';
import { DNS1123_LABEL_PATTERN } from '../../api/schema/builders.ts';
import { ACCELERATOR_RESOURCES } from '../../api/vendors.ts';
import { inferenceUsage, trainingUsage } from '../../queueing/metered-workload.ts';
import { formatCost, formatMeteringTime, roundTo, usageRows, HOURS_DECIMALS, type MeteringWindow, type UsageRow } from '../../queueing/metering.ts';
import { hubUsage, type CutPeriod } from '../../queueing/usage-report.ts';
import { toApiError } from '../../runtime/errors.ts';
import { CliError, reportCliError } from '../cli-error.ts';
import { usageText } from '../flag-usage.ts';
import { defineCommand, parseCommandLine } from '../flags.ts';
import { kubeconfigFlag, loadKubeConfig } from '../process.ts';

/** OUTPUT_FORMATS are the values of -o: an aligned table for people, csv for spreadsheets, json for programs. */
export const OUTPUT_FORMATS = ['table', 'csv', 'json'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

const DNS1123_LABEL = new RegExp(DNS1123_LABEL_PATTERN);

/** parseQueueFlag checks --queue: a Queue's name is a DNS-1123 label. */
function parseQueueFlag(raw: string, flag: string): string {
  if (raw.length > 63 || !DNS1123_LABEL.test(raw)) {
    throw new CliError(`${flag} ${JSON.stringify(raw)} is not a Queue name (a DNS-1123 label: lower-case letters, digits, '-')`, 2);
  }
  return raw;
}

const USAGE = defineCommand({
  name: 'usage',
  usage: 'suanwang usage [--since DURATION] [--queue NAME] [-o table|csv|json] [--kubeconfig FILE] [--context NAME]',
  description: `Prints what each queue's workloads used at each site: resource-hours per resource (device-hours of each
accelerator, core-hours of cpu, GiB-hours of memory) and their cost in the currency the site priced them in. Read
from the hub, in all namespaces: the attempts in every TrainingJob's status, the replica intervals in every
InferenceService's status (an attempt or interval still running counts up to now), and what each Queue keeps of
workloads already deleted. Cost is never converted: a site priced in two currencies has a row per currency.`,
  flags: {
    since: { type: 'duration', help: 'count only the last DURATION, e.g. 24h or 168h (default: everything recorded)' },
    queue: { type: 'string', value: 'NAME', parse: parseQueueFlag, help: 'only this queue' },
    output: { type: 'enum', short: 'o', value: 'FORMAT', values: OUTPUT_FORMATS, default: 'table', help: 'how to print the rows' },
    kubeconfig: kubeconfigFlag("the hub cluster's"),
    context: { type: 'string', value: 'NAME', help: 'the kubeconfig context to use (default: its current context)' },
  },
  footer: `Examples:
  suanwang usage                                   every queue, every recorded attempt
  suanwang usage --since 24h --queue ai-research   one queue, the last day
  suanwang usage --since 168h -o csv > week.csv    the last week, for a spreadsheet
  suanwang usage -o json | jq '.[] | select(.unit == "device-hours")'

Rows are sorted by queue, site, resource and currency; "(none)" is the queue of workloads that ran without one.
A deleted workload's usage stays in its Queue, per UTC day (older days merged into months, then years): --since
counts a kept period that it cuts whole, and says so. Usage without a queue leaves with its workload, a job keeps
its most recent 128 attempts and a service its 256 replica intervals. Needs list on trainingjobs, inferenceservices
and queues.suanwang.io. Exit codes: 0 printed, 1 the hub could not be read, 2 a bad flag.`,
});

/** HubFlags say which hub to read. */
export interface HubFlags {
  readonly kubeconfig: string | undefined;
  readonly context: string | undefined;
}

/** HubObjects are what the command reads of the hub: every workload of both kinds and every Queue. */
export interface HubObjects {
  readonly trainingJobs: readonly TrainingJob[];
  readonly inferenceServices: readonly InferenceService[];
  readonly queues: readonly Queue[];
}

/** UsageIo is where the command writes, what time it is and how it reads the hub; tests replace it. */
export interface UsageIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly now: () => Date;
  /** readHub lists the hub's TrainingJobs, InferenceServices and Queues; throws CliError when the hub cannot be read. */
  readonly readHub: (hub: HubFlags) => Promise<HubObjects>;
}

const defaultIo: UsageIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  now: () => new Date(),
  readHub: readHubObjects,
};

/** usageCommand runs `suanwang usage`; returns the exit code (0 printed, 1 the hub could not be read, 2 usage error). */
export async function usageCommand(argv: string[], io: UsageIo = defaultIo): Promise<number> {
  try {
    const parsed = parseCommandLine(USAGE, argv);
    if (parsed === 'help') {
      io.out(usageText(USAGE));
      return 0;
    }
    const { since, queue, output, kubeconfig, context } = parsed.values;
    const now = io.now();
    const window: MeteringWindow = since === undefined ? { now } : { now, since: new Date(now.getTime() - since) };
    const hub = await io.readHub({ kubeconfig, context });
    const workloads = [...hub.trainingJobs.map(trainingUsage), ...hub.inferenceServices.map(inferenceUsage)];
    const usage = hubUsage(workloads, hub.queues, window);
    const ofQueue = <T extends { readonly queue: string }>(x: T): boolean => queue === undefined || x.queue === queue;
    const rows = usageRows(usage.cells.filter(ofQueue));
    const note = cutNote(usage.cut.filter(ofQueue));
    for (const line of formatUsage(rows, output, window)) io.out(line);
    if (note !== undefined) (output === 'table' ? io.out : io.err)(note);
    return 0;
  } catch (err: unknown) {
    if (err instanceof CliError) return reportCliError(USAGE.name, err, io.err);
    throw err;
  }
}

/** UsageLine is a usage row as the command prints it: memory in GiB-hours, and the unit named. */
export interface UsageLine {
  readonly queue: string;
  readonly site: string;
  readonly resource: string;
  readonly amount: number;
  readonly unit: string;
  readonly cost: number;
  readonly currency: string;
}

/** usageLine converts a metering row for printing: byte-hours of memory become GiB-hours, the friendlier number. */
export function usageLine(row: UsageRow): UsageLine {
  const [amount, unit] =
    row.resource === 'memory'
      ? [roundTo(row.hours / 2 ** 30, HOURS_DECIMALS), 'GiB-hours']
      : [row.hours, row.resource === 'cpu' ? 'core-hours' : ACCELERATOR_RESOURCES.includes(row.resource) ? 'device-hours' : 'quantity-hours'];
  // Built field by field so that json prints the fields in the order csv does.
  return { queue: row.queue, site: row.site, resource: row.resource, amount, unit, cost: row.cost, currency: row.currency };
}

/**
 * cutNote says, when --since cuts periods in which a deleted workload's usage is kept, that they count whole (a
 * Queue keeps them per UTC day at best); undefined when it cuts none. Printed after the table, or on stderr.
 */
export function cutNote(cut: readonly CutPeriod[]): string | undefined {
  if (cut.length === 0) return undefined;
  const earliest = Math.min(...cut.map((c) => Date.parse(c.entry.startTime)));
  const n = cut.length;
  return `Note: ${n} period${n === 1 ? '' : 's'} of deleted workloads' usage (kept per UTC day, or per month or year when older) began before --since and ${n === 1 ? 'counts' : 'count'} whole, from ${formatMeteringTime(earliest)}.`;
}

/** formatUsage renders rows (already sorted by usageRows) as the lines of one output format. */
export function formatUsage(rows: readonly UsageRow[], format: OutputFormat, window: MeteringWindow): string[] {
  const lines = rows.map(usageLine);
  switch (format) {
    case 'json':
      return [JSON.stringify(lines, null, 2)];
    case 'csv':
      return [CSV_COLUMNS.join(','), ...lines.map((l) => CSV_COLUMNS.map((c) => csvField(String(l[c]))).join(','))];
    case 'table':
      return formatTable(rows, lines, window);
  }
}

const CSV_COLUMNS = ['queue', 'site', 'resource', 'amount', 'unit', 'cost', 'currency'] as const satisfies readonly (keyof UsageLine)[];

/** csvField quotes a field that holds a comma, a quote or a line break (RFC 4180); names and numbers never do. */
function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** formatTable aligns the rows in columns, amounts right-aligned with two decimals, and closes with the total cost. */
function formatTable(rows: readonly UsageRow[], lines: readonly UsageLine[], window: MeteringWindow): string[] {
  const period = window.since === undefined ? `everything recorded up to ${iso(window.now)}` : `${iso(window.since)} to ${iso(window.now)}`;
  if (lines.length === 0) return [`No usage in ${period}.`];
  const header = ['QUEUE', 'SITE', 'RESOURCE', 'AMOUNT', 'UNIT', 'COST'];
  const cells = lines.map((l) => [
    l.queue === '' ? '(none)' : l.queue,
    l.site,
    l.resource,
    l.amount.toFixed(2),
    l.unit,
    l.currency === '' ? '-' : `${roundTo(l.cost, 2).toFixed(2)} ${l.currency}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length)));
  const AMOUNT = 3;
  const render = (cols: readonly string[]): string =>
    cols
      .map((text, i) => (i === cols.length - 1 ? text : i === AMOUNT ? text.padStart(widths[i] ?? 0) : text.padEnd(widths[i] ?? 0)))
      .join('  ');
  const total = formatCost(rows);
  return [render(header), ...cells.map(render), '', `Total cost: ${total === '' ? 'nothing priced' : total} (${period})`];
}

/** iso renders a time to the second, as the apiserver writes timestamps. */
function iso(t: Date): string {
  return t.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** PAGE_SIZE bounds one list response, so a hub with many jobs is read in pages rather than one huge body. */
const PAGE_SIZE = 500;

/**
 * readHubObjects reads every TrainingJob and InferenceService (all namespaces) and every Queue on the hub, page by
 * page. Throws CliError (exit 1) naming the flag or the hub when the kubeconfig, the context or a list fails.
 */
async function readHubObjects(hub: HubFlags): Promise<HubObjects> {
  const kc = loadKubeConfig(hub.kubeconfig);
  if (hub.context !== undefined) {
    if (kc.getContextObject(hub.context) === null) {
      const known = kc.getContexts().map((c) => c.name);
      throw new CliError(`--context ${hub.context} is not in the kubeconfig (it has ${known.length === 0 ? 'none' : known.join(', ')})`, 1);
    }
    kc.setCurrentContext(hub.context);
    if (kc.getCurrentCluster() === null) throw new CliError(`--context ${hub.context} names no cluster in the kubeconfig`, 1);
  }
  const api = kc.makeApiClient(CustomObjectsApi);
  const server = kc.getCurrentCluster()?.server ?? '';
  return {
    trainingJobs: await listAll<TrainingJob>(api, Plural.TrainingJob, 'TrainingJobs', server),
    inferenceServices: await listAll<InferenceService>(api, Plural.InferenceService, 'InferenceServices', server),
    queues: await listAll<Queue>(api, Plural.Queue, 'Queues', server),
  };
}

/** listAll lists every object of `plural` (across all namespaces for a namespaced kind) in pages of PAGE_SIZE. */
async function listAll<T>(api: CustomObjectsApi, plural: string, what: string, server: string): Promise<T[]> {
  const items: T[] = [];
  let next: string | undefined;
  try {
    do {
      // The cluster-wide path lists a namespaced kind across all namespaces; the body is the apiserver's JSON, which
      // is what src/api types describe (src/cache/hub-informers.ts, asCache).
      const page = (await api.listClusterCustomObject({
        group: GROUP,
        version: VERSION,
        plural,
        limit: PAGE_SIZE,
        ...(next !== undefined && { _continue: next }),
      })) as { items: T[]; metadata?: { continue?: string } };
      items.push(...page.items);
      const token = page.metadata?.continue;
      next = token === undefined || token === '' ? undefined : token;
    } while (next !== undefined);
  } catch (err: unknown) {
    throw new CliError(`cannot list ${what} on the hub ${server}: ${toApiError(err).message}`, 1);
  }
  return items;
}
