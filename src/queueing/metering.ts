/**
 * Metering: what each queue's TrainingJobs used and cost, per site, computed again from scratch every time from the
 * attempts recorded in their status (startTime, endTime, charge, pricePerHour, currency). Nothing is accumulated
 * elsewhere, so a restarted operator gets the same totals and an attempt can be counted only once: it is identified
 * by its job's uid and its placement epoch, and a job listed twice still counts once. Pure: the clock is an argument.
 *
 * Units. An attempt's hours are its clipped duration (below) in hours. A resource's hours are its charged quantity in
 * the quantity's base unit × those hours: device-hours for accelerators, core-hours for cpu, byte-hours for memory
 * (QueueSiteMetering.resourceHours says so; the CLI shows memory in GiB-hours). Cost is pricePerHour × hours.
 *
 * Time. An attempt counts from startTime to endTime; one still running (no endTime) counts up to `now`. A window
 * [since, now] clips every attempt to it. An attempt without a charge (written before attempts carried one) counts
 * nothing; one whose times do not parse, or that ends before it starts, counts nothing either.
 *
 * Money. Prices are per attempt, fixed when it was placed, in the site's currency then (DEFAULT_CURRENCY when it named
 * none, as for Site prices). The price is per device-hour, so the cost belongs to the attempt's devices: it is shared
 * among its accelerator resources by device count (one variant has one kind, so in practice one resource takes it
 * all); an attempt priced without any device in its charge, which placement never writes, puts it on its first
 * resource in name order rather than lose it. Amounts in different currencies are never added: usage rows are keyed
 * by currency as well, so a site that changed currency has one row per currency for its devices, and formatCost
 * lists one total per currency. Hours that carry no cost (cpu, memory, devices of unpriced attempts) have currency ''.
 *
 * Rounding happens once, on output: hours to HOURS_DECIMALS decimals (3.6 ms: below the apiserver's one-second
 * timestamps), cost to COST_DECIMALS, and formatCost to cents, half up on the decimal value.
 */
import type { QueueMetering, QueueSiteMetering, TrainingAttempt, TrainingJob } from '../api/generated/types.ts';
import { DEFAULT_CURRENCY } from '../api/names.ts';
import { parseQuantity } from '../api/quantity.ts';
import { ACCELERATOR_RESOURCES } from '../api/vendors.ts';

/** HOURS_DECIMALS is how many decimals of resource-hours UsageRow and QueueMetering keep (module comment). */
export const HOURS_DECIMALS = 6;
/** COST_DECIMALS is how many decimals of cost UsageRow and QueueMetering keep; formatCost shows two. */
export const COST_DECIMALS = 4;

const MS_PER_HOUR = 3_600_000;

/** MeteringWindow is the time attempts count in: up to `now`, from `since` when given (else from their start). */
export interface MeteringWindow {
  readonly now: Date;
  readonly since?: Date;
}

/**
 * UsageRow is what one queue used of one resource at one site, in one currency. `queue` is '' for attempts that ran
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

/**
 * meterAttempts returns the usage of every queue × site × resource × currency from the jobs' attempts within the
 * window, sorted by queue, site, resource and currency (code-unit order, so the same input prints the same way).
 */
export function meterAttempts(jobs: readonly TrainingJob[], window: MeteringWindow): UsageRow[] {
  const totals = new Map<string, { row: Omit<UsageRow, 'hours' | 'cost'>; hours: number; cost: number }>();
  for (const attempt of uniqueAttempts(jobs)) {
    const hours = clippedHours(attempt, window);
    if (hours <= 0) continue;
    for (const share of attemptShares(attempt)) {
      const row = { queue: attempt.queue ?? '', site: attempt.site, resource: share.resource, currency: share.currency };
      const key = [row.queue, row.site, row.resource, row.currency].join('\0');
      const total = totals.get(key) ?? { row, hours: 0, cost: 0 };
      total.hours += share.quantity * hours;
      total.cost += share.pricePerHour * hours;
      totals.set(key, total);
    }
  }
  return [...totals.values()]
    .map((t) => ({ ...t.row, hours: roundTo(t.hours, HOURS_DECIMALS), cost: roundTo(t.cost, COST_DECIMALS) }))
    .sort(byRowKey);
}

/**
 * queueMetering is the accumulated metering of one queue for its status: every attempt, up to now taken to the whole
 * second, which measuredTime shows as Kubernetes writes times (RFC 3339, whole seconds, UTC).
 */
export function queueMetering(queueName: string, jobs: readonly TrainingJob[], now: Date): QueueMetering {
  const measured = new Date(Math.floor(now.getTime() / 1000) * 1000);
  return queueMeteringFromRows(queueName, meterAttempts(jobs, { now: measured }), measured);
}

/**
 * queueMeteringFromRows builds one queue's QueueMetering from rows meterAttempts computed for every queue at once (a
 * controller meters all jobs once per pass, not once per queue), sites in name order; `now` is the window's end the
 * rows were metered to (measuredTime, in whole seconds). QueueSiteMetering holds one
 * currency per site; when a site's attempts were priced in several, it shows the currency with the largest cost (ties:
 * the code first in order) and only that cost. Nothing is lost for kubectl: formatCost of the queue's rows, the
 * status's `cost`, lists every currency. The site entry has no currency and no cost when none of its attempts was
 * priced.
 */
export function queueMeteringFromRows(queueName: string, rows: readonly UsageRow[], now: Date): QueueMetering {
  const sites = new Map<string, { resourceHours: Record<string, number>; costs: Map<string, number> }>();
  for (const row of rows) {
    if (row.queue !== queueName) continue;
    const site = sites.get(row.site) ?? { resourceHours: {}, costs: new Map<string, number>() };
    site.resourceHours[row.resource] = roundTo((site.resourceHours[row.resource] ?? 0) + row.hours, HOURS_DECIMALS);
    if (row.currency !== '') site.costs.set(row.currency, (site.costs.get(row.currency) ?? 0) + row.cost);
    sites.set(row.site, site);
  }
  const entries = [...sites.entries()].sort(([a], [b]) => compare(a, b));
  return {
    sites: entries.map(([site, { resourceHours, costs }]): QueueSiteMetering => {
      const main = [...costs.entries()].sort(([ca, a], [cb, b]) => b - a || compare(ca, cb))[0];
      return { site, ...(main !== undefined && { currency: main[0], cost: roundTo(main[1], COST_DECIMALS) }), resourceHours: sortedKeys(resourceHours) };
    }),
    measuredTime: new Date(Math.floor(now.getTime() / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
  };
}

/**
 * formatCost renders the total cost of rows per currency, with two decimals, in currency-code order and joined with
 * ", " ("1234.50 CNY, 80.00 USD"); '' when nothing was priced. A currency whose rows cost 0 still shows ("0.00 CNY"):
 * the attempts were priced, at nothing.
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
 * because 1.005 is stored as 1.00499…). Numbers that print in exponent form are scaled instead.
 */
export function roundTo(value: number, decimals: number): number {
  const text = String(value);
  if (text.includes('e')) return Math.round(value * 10 ** decimals) / 10 ** decimals;
  return Number(`${Math.round(Number(`${text}e${decimals}`))}e-${decimals}`);
}

/**
 * uniqueAttempts yields each attempt once, keyed by its job (uid, else namespace/name) and its epoch (else its start
 * and site, for attempts recorded without one). When a key comes twice (a job listed twice, an old copy beside a new
 * one) the closed record wins over a running one, which would count up to now, and of two closed ones the later end.
 */
function uniqueAttempts(jobs: readonly TrainingJob[]): TrainingAttempt[] {
  const byKey = new Map<string, TrainingAttempt>();
  for (const job of jobs) {
    const jobKey = job.metadata.uid ?? `${job.metadata.namespace ?? ''}/${job.metadata.name ?? ''}`;
    for (const attempt of job.status?.attempts ?? []) {
      const key = `${jobKey}\0${attempt.epoch !== undefined ? `epoch ${attempt.epoch}` : `${attempt.startTime} ${attempt.site}`}`;
      const seen = byKey.get(key);
      if (seen === undefined || isMoreFinal(attempt, seen)) byKey.set(key, attempt);
    }
  }
  return [...byKey.values()];
}

function isMoreFinal(a: TrainingAttempt, b: TrainingAttempt): boolean {
  if (a.endTime === undefined) return false;
  if (b.endTime === undefined) return true;
  return Date.parse(a.endTime) > Date.parse(b.endTime);
}

/** clippedHours is how long the attempt ran within the window, in hours; 0 when not at all or when a time is bad. */
function clippedHours(attempt: TrainingAttempt, window: MeteringWindow): number {
  const now = window.now.getTime();
  const start = Math.max(Date.parse(attempt.startTime), window.since?.getTime() ?? -Infinity);
  const end = Math.min(attempt.endTime === undefined ? now : Date.parse(attempt.endTime), now);
  const ms = end - start;
  return Number.isFinite(ms) && ms > 0 ? ms / MS_PER_HOUR : 0;
}

/** Share is one resource of an attempt's charge and the part of its price per hour that resource carries. */
interface Share {
  readonly resource: string;
  readonly quantity: number;
  readonly pricePerHour: number;
  readonly currency: string;
}

/**
 * attemptShares splits an attempt's charge into its resources and its price among them (module comment, "Money").
 * Quantities that do not parse, or are negative, are left out: the CRD refuses them, so only a hand-edited status
 * could hold one.
 */
function attemptShares(attempt: TrainingAttempt): Share[] {
  const charged: { resource: string; quantity: number }[] = [];
  for (const [resource, raw] of Object.entries(attempt.charge ?? {})) {
    const quantity = parseQuantity(raw);
    if (quantity !== undefined && quantity >= 0) charged.push({ resource, quantity });
  }
  charged.sort((a, b) => compare(a.resource, b.resource));
  const price = attempt.pricePerHour;
  if (price === undefined) return charged.map((c) => ({ ...c, pricePerHour: 0, currency: '' }));

  const currency = attempt.currency ?? DEFAULT_CURRENCY;
  const isDevice = (c: { resource: string; quantity: number }): boolean => ACCELERATOR_RESOURCES.includes(c.resource) && c.quantity > 0;
  const deviceCount = charged.filter(isDevice).reduce((sum, c) => sum + c.quantity, 0);
  // Priced without a device, which placement never writes: the first resource carries the whole price.
  const shareOf = (c: { resource: string; quantity: number }): number =>
    deviceCount > 0 ? (isDevice(c) ? c.quantity / deviceCount : 0) : c === charged[0] ? 1 : 0;
  return charged.map((c) => {
    const share = shareOf(c);
    return share > 0 ? { ...c, pricePerHour: price * share, currency } : { ...c, pricePerHour: 0, currency: '' };
  });
}

function byRowKey(a: UsageRow, b: UsageRow): number {
  return compare(a.queue, b.queue) || compare(a.site, b.site) || compare(a.resource, b.resource) || compare(a.currency, b.currency);
}

/** compare orders strings by code unit, the same on every machine (localeCompare depends on the locale). */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sortedKeys(record: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => compare(a, b)));
}
