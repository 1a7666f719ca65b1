/**
 * `suanwang sites`: one line per site and node pool, read from the hub — whether the site is Ready and its agent
 * connected, nodes ready of total, devices healthy and unhealthy, allocatable / allocated / free cpu, memory and
 * accelerators, and the price of the pool's devices. The numbers are those placement reads (placement/snapshot.ts
 * buildSnapshot), without the capacity the operator has promised and the sites have not reported yet.
 */
import type { Condition, Site } from '../../api/generated/types.ts';
import { ConditionStatus, ConditionType } from '../../api/names.ts';
import { formatAmount } from '../../placement/format.ts';
import { buildSnapshot, priceOf, type PoolInfo, type SiteInfo } from '../../placement/snapshot.ts';
import { CliError, reportCliError } from '../cli-error.ts';
import { usageText } from '../flag-usage.ts';
import { defineCommand, parseCommandLine } from '../flags.ts';
import { HUB_FLAGS, hubObjects, type HubFlags, type HubObjects } from './hub-objects.ts';
import { textTable } from './text-table.ts';

const SITES = defineCommand({
  name: 'sites',
  usage: 'suanwang sites [--kubeconfig FILE] [--context NAME]',
  description: `Prints every site and node pool on the hub: READY (the Site's Ready condition, with its reason when not
True, and "cordoned"), AGENT (the AgentConnected condition), NODES ready/total, DEVICES healthy/unhealthy, then
allocatable/allocated/free of CPU, MEMORY and the pool's accelerator resource (DEVICES A/U/F), and PRICE per
device-hour of the pool's model in the site's currency.`,
  flags: { ...HUB_FLAGS },
  footer: `Examples:
  suanwang sites --kubeconfig hub.kubeconfig
  kubectl suanwang sites                              (the same, as a kubectl plugin: docs/kubectl-plugin.md)

Free is allocatable less allocated as the site's agent last reported it; capacity the operator has promised to
placements not reported yet is held in its memory and not shown. Needs list on sites.suanwang.io.
Exit codes: 0 printed, 2 a bad flag, 3 the hub could not be read.`,
});

/** SitesIo is where the command writes and how it reads the hub; tests replace it. */
export interface SitesIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly hub: (flags: HubFlags) => HubObjects;
}

const defaultIo: SitesIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  hub: hubObjects,
};

/** sitesCommand runs `suanwang sites`; returns the exit code. */
export async function sitesCommand(argv: string[], io: SitesIo = defaultIo): Promise<number> {
  try {
    const parsed = parseCommandLine(SITES, argv);
    if (parsed === 'help') {
      io.out(usageText(SITES));
      return 0;
    }
    const sites = await io.hub(parsed.values).list('Site');
    for (const line of formatSites(sites)) io.out(line);
    return 0;
  } catch (err: unknown) {
    if (err instanceof CliError) return reportCliError(SITES.name, err, io.err);
    throw err;
  }
}

const COLUMNS = [
  { header: 'SITE' },
  { header: 'READY' },
  { header: 'AGENT' },
  { header: 'POOL' },
  { header: 'ACCELERATOR' },
  { header: 'NODES', numeric: true },
  { header: 'DEVICES', numeric: true },
  { header: 'CPU A/U/F', numeric: true },
  { header: 'MEMORY A/U/F', numeric: true },
  { header: 'DEVICES A/U/F', numeric: true },
  { header: 'PRICE' },
] as const;

/** formatSites renders one row per site and pool (a site without pools gets one row), sites and pools in name order. */
export function formatSites(sites: readonly Site[]): string[] {
  if (sites.length === 0) return ['No Sites on the hub.'];
  const byName = new Map(sites.map((s) => [s.metadata.name ?? '', s]));
  const rows: string[][] = [];
  for (const info of buildSnapshot(sites).sites) {
    const site = byName.get(info.name);
    const head = [info.name, readyCell(info), conditionCell(site?.status?.conditions, ConditionType.AgentConnected)];
    if (info.pools.length === 0) rows.push([...head, '(no pools reported)']);
    for (const pool of info.pools) rows.push([...head, ...poolCells(info, pool)]);
  }
  return textTable(COLUMNS, rows);
}

function readyCell(site: SiteInfo): string {
  const ready = site.ready ? ConditionStatus.True : `${ConditionStatus.False} (${site.notReadyReason ?? ''})`;
  return site.cordoned ? `${ready}, cordoned` : ready;
}

function conditionCell(conditions: readonly Condition[] | undefined, type: string): string {
  const c = conditions?.find((x) => x.type === type);
  if (c === undefined) return '';
  return c.status === ConditionStatus.True ? c.status : `${c.status} (${c.reason})`;
}

function poolCells(site: SiteInfo, pool: PoolInfo): string[] {
  const a = pool.accelerator;
  const triple = (resource: string): string =>
    [pool.allocatable[resource] ?? 0, pool.allocated[resource] ?? 0, pool.free[resource] ?? 0].map((n) => formatAmount(resource, n)).join('/');
  const price = a === undefined ? undefined : priceOf(site, a.model);
  return [
    pool.name,
    a === undefined ? 'cpu only' : `${a.vendor} ${a.model}${a.perNode === undefined ? '' : ` x${a.perNode}`}`,
    `${pool.readyNodes}/${pool.nodes}`,
    a === undefined ? '' : `${pool.healthyDevices}/${pool.unhealthyDevices}`,
    triple('cpu'),
    triple('memory'),
    a === undefined ? '' : triple(a.resourceName),
    price === undefined ? '' : `${formatAmount('price', price)} ${site.currency}/h`,
  ];
}
