/**
 * Metering: what each queue's workloads used and cost, per site, from their metered intervals (metered-workload.ts:
 * a TrainingJob's attempts, an InferenceService's replica intervals), each with startTime, endTime, charge,
 * pricePerHour and currency. The intervals of workloads on the hub are metered again from scratch every time, so a
 * restarted operator gets the same totals; those of deleted workloads are kept by their queue (retired-usage.ts) and
 * added to them. An interval is identified by its workload's uid and its id (an attempt's epoch, a replica interval's
 * site and start), so a workload listed twice still counts once. Pure: the clock is an argument.
 *
 * Units. An interval's hours are its clipped duration (below) in hours. A resource's hours are its charged quantity
 * in the quantity's base unit × those hours: device-hours for accelerators, core-hours for cpu, byte-hours for memory
 * (QueueSiteMetering.resourceHours says so; the CLI shows memory in GiB-hours). Cost is pricePerHour × hours.
 *
 * Time. An interval counts from startTime to endTime; one that lasts (no endTime) counts up to `now`, and nothing of
 * a workload being deleted counts after its deletionTimestamp (the moment its usage is retired). A window
 * [since, now] clips every interval to it. An interval without a charge (attempts written before attempts carried
 * one) counts nothing; one whose times do not parse, or that ends before it starts, counts nothing either.
 *
 * Money. Prices are per interval, fixed when it began, in the site's currency then (DEFAULT_CURRENCY when it named
 * none, as for Site prices). The price is per device-hour, so the cost belongs to the interval's devices: it is
 * shared among its accelerator resources by device count (one variant has one kind, so in practice one resource takes
 * it all); an interval priced without any device in its charge, which placement never writes, puts it on its first
 * resource in name order rather than lose it. Amounts in different currencies are never added. Two keys say which
 * currency: UsageCell.pricedIn is the currency the interval was priced in (for all of its resources; '' unpriced),
 * and `currency` is the currency of the cell's cost: pricedIn on the resources that carry the price, '' on the rest.
 * The CLI's rows are keyed by the cost's currency (cpu and memory show no cost); a Queue's status has one entry per
 * site and pricedIn, so a site that changed currency shows an entry for each, each with every resource its
 * intervals held.
 *
 * Rounding happens once, on output: hours to HOURS_DECIMALS decimals (3.6 ms: below the apiserver's one-second
 * timestamps), cost to COST_DECIMALS, and formatCost to cents, half up on the decimal value.
 */
import type { QueueSiteMetering } from '../api/generated/types.ts';
import { DEFAULT_CURRENCY } from '../api/names.ts';
import { parseQuantity } from '../api/quantity.ts';
import { ACCELERATOR_RESOURCES } from '../api/vendors.ts';
import type { MeteredInterval, MeteredWorkload } from './metered-workload.ts';

/** HOURS_DECIMALS is how many decimals of resource-hours UsageRow and QueueMetering keep (module comment). */
export const HOURS_DECIMALS = 6;
/** COST_DECIMALS is how many decimals of cost UsageRow and QueueMetering keep; formatCost shows two. */
export const COST_DECIMALS = 4;

/** MS_PER_HOUR converts milliseconds to hours. */
export const MS_PER_HOUR = 3_600_000;

/** MeteringWindow is the time intervals count in: up to `now`, from `since` when given (else from their start). */
export interface MeteringWindow {
  readonly now: Date;
  readonly since?: Date;
}

/**
 * UsageRow is what one queue used of one resource at one site, in one currency. `queue` is '' for intervals that ran
 * without a queue; `currency` is '' for hours that carry no cost (module comment).
 */
export interface UsageRow {
  readonly queue: string;
  readonly site: string;
  readonly resource: string;
  /** hours are resource-hours: device-hours, core-hours (cpu) or byte-hours (memory). */
  readonly hours: number;
  readonly cost: number;
  readonly currency: string;
}

/** UsageCell is a UsageRow that also says which currency its hours were priced in (module comment, "Money"). */
export interface UsageCell extends UsageRow {
  readonly pricedIn: string;
}

/** Share is one resource of an interval's charge, and the part of its price per hour that resource carries. */
export interface Share {
  readonly resource: string;
  readonly quantity: number;
  readonly pricePerHour: number;
  /** currency of pricePerHour: pricedIn when this resource carries part of the price, else ''. */
  readonly currency: string;
  readonly pricedIn: string;
}

/** MeteredSpan is an interval clipped to a window (milliseconds since the epoch), with its charge split in shares. */
export interface MeteredSpan {
  readonly queue: string;
  readonly site: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly shares: readonly Share[];
}

/**
 * meteredSpans clips every interval of the workloads, each once (uniqueIntervals), to the window and to its
 * workload's deletion; intervals that count no time, or hold nothing, are left out.
 */
export function meteredSpans(workloads: readonly MeteredWorkload[], window: MeteringWindow): MeteredSpan[] {
  const now = window.now.getTime();
  const spans: MeteredSpan[] = [];
  for (const { interval, deletedAt } of uniqueIntervals(workloads)) {
    const startMs = Math.max(Date.parse(interval.startTime), window.since?.getTime() ?? -Infinity);
    const endMs = Math.min(interval.endTime === undefined ? now : Date.parse(interval.endTime), now, deletedAt === undefined ? Infinity : Date.parse(deletedAt));
    if (!Number.isFinite(endMs - startMs) || endMs <= startMs) continue;
    const shares = intervalShares(interval);
    if (shares.length > 0) spans.push({ queue: interval.queue, site: interval.site, startMs, endMs, shares });
  }
  return spans;
}

/** meterUsage totals the workloads' usage within the window per queue × site × resource × currency × pricedIn. */
export function meterUsage(workloads: readonly MeteredWorkload[], window: MeteringWindow): UsageCell[] {
  const cells = new CellTotals();
  for (const span of meteredSpans(workloads, window)) cells.addSpan(span, span.startMs, span.endMs);
  return cells.list();
}

/** CellTotals adds up usage cell by cell (same queue, site, resource, currency and pricedIn). */
class CellTotals {
  readonly #cells = new Map<string, { key: Omit<UsageCell, 'hours' | 'cost'>; hours: number; cost: number }>();

  /** addSpan adds what `span` used from startMs to endMs (a part of the span, or all of it). */
  addSpan(span: MeteredSpan, startMs: number, endMs: number): void {
    const hours = (endMs - startMs) / MS_PER_HOUR;
    for (const s of span.shares) {
      this.add({ queue: span.queue, site: span.site, resource: s.resource, currency: s.currency, pricedIn: s.pricedIn, hours: s.quantity * hours, cost: s.pricePerHour * hours });
    }
  }

  /** add adds one cell's hours and cost. */
  add(cell: UsageCell): void {
    const { hours, cost, ...key } = cell;
    const id = [key.queue, key.site, key.resource, key.currency, key.pricedIn].join('\0');
    const total = this.#cells.get(id) ?? { key, hours: 0, cost: 0 };
    total.hours += hours;
    total.cost += cost;
    this.#cells.set(id, total);
  }

  /** list returns the totals, unrounded, in no particular order. */
  list(): UsageCell[] {
    return [...this.#cells.values()].map((t) => ({ ...t.key, hours: t.hours, cost: t.cost }));
  }
}

/**
 * usageRows totals cells per queue × site × resource × currency of cost, rounded, sorted by those keys (code-unit
 * order, so the same input prints the same way).
 */
export function usageRows(cells: readonly UsageCell[]): UsageRow[] {
  const totals = new Map<string, { row: Omit<UsageRow, 'hours' | 'cost'>; hours: number; cost: number }>();
  for (const c of cells) {
    const row = { queue: c.queue, site: c.site, resource: c.resource, currency: c.currency };
    const key = [row.queue, row.site, row.resource, row.currency].join('\0');
    const total = totals.get(key) ?? { row, hours: 0, cost: 0 };
    total.hours += c.hours;
    total.cost += c.cost;
    totals.set(key, total);
  }
  return [...totals.values()]
    .map((t) => ({ ...t.row, hours: roundTo(t.hours, HOURS_DECIMALS), cost: roundTo(t.cost, COST_DECIMALS) }))
    .sort(byRowKey);
}

/** meterRows is usageRows of meterUsage: the CLI's rows of the workloads on the hub. */
export function meterRows(workloads: readonly MeteredWorkload[], window: MeteringWindow): UsageRow[] {
  return usageRows(meterUsage(workloads, window));
}

/**
 * siteMetering builds a Queue's status.metering.sites from its cells: one entry per site × pricedIn, in site order
 * and then currency order ('' first), each with every resource's hours and the cost in that currency. An entry of
 * unpriced hours has no currency and no cost; a priced one always has its cost, 0 included.
 */
export function siteMetering(cells: readonly UsageCell[]): QueueSiteMetering[] {
  const sites = new Map<string, { site: string; currency: string; resourceHours: Record<string, number>; cost: number }>();
  for (const c of cells) {
    const key = `${c.site}\0${c.pricedIn}`;
    const entry = sites.get(key) ?? { site: c.site, currency: c.pricedIn, resourceHours: {}, cost: 0 };
    entry.resourceHours[c.resource] = (entry.resourceHours[c.resource] ?? 0) + c.hours;
    entry.cost += c.cost;
    sites.set(key, entry);
  }
  return [...sites.values()]
    .sort((a, b) => compare(a.site, b.site) || compare(a.currency, b.currency))
    .map((e): QueueSiteMetering => {
      const resourceHours = Object.fromEntries(
        Object.entries(e.resourceHours)
          .sort(([a], [b]) => compare(a, b))
          .map(([r, h]) => [r, roundTo(h, HOURS_DECIMALS)]),
      );
      return { site: e.site, ...(e.currency !== '' && { currency: e.currency, cost: roundTo(e.cost, COST_DECIMALS) }), resourceHours };
    });
}

/** meteringTime is `now` taken to the whole second, as Kubernetes writes times: what measuredTime shows. */
export function meteringTime(now: Date): Date {
  return new Date(Math.floor(now.getTime() / 1000) * 1000);
}

/** formatMeteringTime renders a time as the apiserver does: RFC 3339, whole seconds, UTC. */
export function formatMeteringTime(t: Date | number): string {
  return meteringTime(new Date(t)).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * formatCost renders the total cost of rows per currency, with two decimals, in currency-code order and joined with
 * ", " ("1234.50 CNY, 80.00 USD"); '' when nothing was priced. A currency whose rows cost 0 still shows ("0.00 CNY"):
 * the intervals were priced, at nothing.
 */
export function formatCost(rows: readonly UsageRow[]): string {
  const totals = new Map<string, number>();
  for (const row of rows) {
    if (row.currency !== '') totals.set(row.currency, (totals.get(row.currency) ?? 0) + row.cost);
  }
  return [...totals.entries()]
    .sort(([a], [b]) => compare(a, b))
    .map(([currency, cost]) => `${roundTo(cost, 2).toFixed(2)} ${currency}`)
    .join(', ');
}

/**
 * roundTo rounds half up on the decimal value as written ("1.005" → 1.01, where Math.round(1.005 * 100) gives 1.00
 * because 1.005 is stored as 1.00499…). Numbers that print in exponent form are scaled instead, and so are those too
 * large for the scaled value to print without one (byte-hours of memory reach 10^15): a double that large has no
 * digits left at those decimals anyway.
 */
export function roundTo(value: number, decimals: number): number {
  const text = String(value);
  const scaled = Math.round(Number(`${text}e${decimals}`));
  if (text.includes('e') || String(scaled).includes('e')) return Math.round(value * 10 ** decimals) / 10 ** decimals;
  return Number(`${scaled}e-${decimals}`);
}

/** compare orders strings by code unit, the same on every machine (localeCompare depends on the locale). */
export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * uniqueIntervals yields each interval once, keyed by its workload (kind and uid, else namespace/name) and its id.
 * When a key comes twice (a workload listed twice, an old copy beside a new one) the closed record wins over an open
 * one, which would count up to now, and of two closed ones the later end.
 */
function uniqueIntervals(workloads: readonly MeteredWorkload[]): { interval: MeteredInterval; deletedAt: string | undefined }[] {
  const byKey = new Map<string, { interval: MeteredInterval; deletedAt: string | undefined }>();
  for (const w of workloads) {
    const workloadKey = `${w.kind}\0${w.uid !== '' ? w.uid : `${w.namespace}/${w.name}`}`;
    for (const interval of w.intervals) {
      const key = `${workloadKey}\0${interval.id}`;
      const seen = byKey.get(key);
      if (seen === undefined || isMoreFinal(interval, seen.interval)) byKey.set(key, { interval, deletedAt: w.deletedAt });
    }
  }
  return [...byKey.values()];
}

function isMoreFinal(a: MeteredInterval, b: MeteredInterval): boolean {
  if (a.endTime === undefined) return false;
  if (b.endTime === undefined) return true;
  return Date.parse(a.endTime) > Date.parse(b.endTime);
}

/**
 * intervalShares splits an interval's charge into its resources and its price among them (module comment, "Money").
 * Quantities that do not parse, or are negative, are left out: the CRD refuses them, so only a hand-edited status
 * could hold one.
 */
function intervalShares(interval: MeteredInterval): Share[] {
  const charged: { resource: string; quantity: number }[] = [];
  for (const [resource, raw] of Object.entries(interval.charge ?? {})) {
    const quantity = parseQuantity(raw);
    if (quantity !== undefined && quantity >= 0) charged.push({ resource, quantity });
  }
  charged.sort((a, b) => compare(a.resource, b.resource));
  const price = interval.pricePerHour;
  if (price === undefined) return charged.map((c) => ({ ...c, pricePerHour: 0, currency: '', pricedIn: '' }));

  const pricedIn = interval.currency ?? DEFAULT_CURRENCY;
  const isDevice = (c: { resource: string; quantity: number }): boolean => ACCELERATOR_RESOURCES.includes(c.resource) && c.quantity > 0;
  const deviceCount = charged.filter(isDevice).reduce((sum, c) => sum + c.quantity, 0);
  // Priced without a device, which placement never writes: the first resource carries the whole price.
  const shareOf = (c: { resource: string; quantity: number }): number =>
    deviceCount > 0 ? (isDevice(c) ? c.quantity / deviceCount : 0) : c === charged[0] ? 1 : 0;
  return charged.map((c) => {
    const share = shareOf(c);
    return share > 0 ? { ...c, pricePerHour: price * share, currency: pricedIn, pricedIn } : { ...c, pricePerHour: 0, currency: '', pricedIn };
  });
}

function byRowKey(a: UsageRow, b: UsageRow): number {
  return compare(a.queue, b.queue) || compare(a.site, b.site) || compare(a.resource, b.resource) || compare(a.currency, b.currency);
}
