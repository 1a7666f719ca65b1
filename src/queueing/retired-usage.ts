/**
 * Retired usage: what deleted workloads used, kept in their Queue's status so that it outlives them. Live intervals
 * are metered from workload status (metering.ts); once a workload is deleted its status goes with it, so before it
 * goes its intervals of each queue are folded into that queue's status.metering.retired, and its uid into
 * status.metering.retiredWorkloads, in one write. The operator holds the workload with the METERING_FINALIZER until
 * every queue its intervals name has it recorded (controllers/queues/metering-finalizer.ts).
 *
 * Exactly once. A fold skips a workload whose uid the ledger already lists, so folding the same ledger twice (a retry,
 * a restarted operator, a second pass before the workload is gone) changes nothing; and the ledger is written with
 * the Queue's resourceVersion, so a pass that read a stale Queue cannot fold a second time. Live metering leaves out
 * a listed workload, so between the fold and the workload's disappearance nothing counts twice. A uid leaves the
 * list only once no workload with that uid is left in the (synced) cache: deleted from the hub, it never comes back.
 * All of it is in the hub: an operator restart at any point neither loses nor doubles usage.
 *
 * What is folded. Every interval of the workload charged to the queue, each once (by workload uid and interval id:
 * epoch, or site and start), clipped to the workload's deletionTimestamp: what still ran after it (the member
 * objects being deleted) is not charged, and a retry computes the same numbers.
 *
 * How it is kept. Per site × currency the hours were priced in × UTC day, the hours of every resource and the cost
 * of those that carry it, so that `suanwang usage --since` can clip retired usage to the day. The list is bounded:
 * when it would pass RETIRED_ENTRIES_TARGET entries the oldest days are merged into their months, then the oldest
 * months into their years, then everything per site × currency; a period a window cuts counts whole (retiredCells).
 * retiredWorkloads is bounded by MAX_RETIRED_WORKLOADS: a workload beyond it waits, held by its finalizer, until
 * earlier ones are gone. Stored amounts keep RETIRED_DECIMALS decimals, so that thousands of folds add no visible
 * rounding; output rounds as metering.ts does.
 */
import type { QueueMetering, QueueRetiredUsage } from '../api/generated/types.ts';
import type { MeteredWorkload } from './metered-workload.ts';
import { compare, MS_PER_HOUR, meteredSpans, roundTo, type UsageCell } from './metering.ts';
import { periodOf, splitByDay, type Period, type PeriodLevel } from './usage-periods.ts';

/** METERING_FINALIZER holds a deleted workload on the hub until its usage is folded into its queues. */
export const METERING_FINALIZER = 'suanwang.io/metering';
/** RETIRED_ENTRIES_TARGET is how many retired entries a Queue keeps before merging old periods (module comment). */
export const RETIRED_ENTRIES_TARGET = 512;
/** MAX_RETIRED_WORKLOADS bounds status.metering.retiredWorkloads (the CRD's maxItems). */
export const MAX_RETIRED_WORKLOADS = 4096;
/** RETIRED_DECIMALS is how many decimals stored hours and costs keep. */
export const RETIRED_DECIMALS = 9;

/** RetiredLedger is what a Queue keeps of deleted workloads. */
export interface RetiredLedger {
  readonly retired: readonly QueueRetiredUsage[];
  readonly retiredWorkloads: readonly string[];
}

/** ledgerOf reads the ledger from a Queue's status.metering. */
export function ledgerOf(metering: QueueMetering | undefined): RetiredLedger {
  return { retired: metering?.retired ?? [], retiredWorkloads: metering?.retiredWorkloads ?? [] };
}

/** isRetired says whether the ledger holds the usage of the workload with `uid`. */
export function isRetired(ledger: RetiredLedger, uid: string): boolean {
  return uid !== '' && ledger.retiredWorkloads.includes(uid);
}

/**
 * settleLedger is one pass over a queue's ledger: uids of workloads no longer in `workloads` (every workload of
 * both kinds in a synced cache) are dropped, and deleted workloads not yet folded are folded in.
 */
export function settleLedger(queueName: string, ledger: RetiredLedger, workloads: readonly MeteredWorkload[]): RetiredLedger {
  const present = new Set(workloads.map((w) => w.uid).filter((uid) => uid !== ''));
  return foldRetired(queueName, pruneRetiredWorkloads(ledger, present), workloads);
}

/** pruneRetiredWorkloads drops the uids of workloads that are gone (`present` holds those that are not). */
export function pruneRetiredWorkloads(ledger: RetiredLedger, present: ReadonlySet<string>): RetiredLedger {
  const kept = ledger.retiredWorkloads.filter((uid) => present.has(uid));
  return kept.length === ledger.retiredWorkloads.length ? ledger : { ...ledger, retiredWorkloads: kept };
}

/**
 * foldRetired folds the intervals charged to `queueName` of every deleted workload (deletionTimestamp set, with a
 * uid) that the ledger does not list yet, and lists it; workloads in uid order, as many as MAX_RETIRED_WORKLOADS
 * leaves room for. Returns `ledger` itself when nothing is folded.
 */
export function foldRetired(queueName: string, ledger: RetiredLedger, workloads: readonly MeteredWorkload[]): RetiredLedger {
  const byUid = new Map<string, MeteredWorkload[]>();
  for (const w of workloads) {
    if (w.deletedAt === undefined || w.uid === '' || isRetired(ledger, w.uid)) continue;
    const mine = w.intervals.filter((i) => i.queue === queueName);
    if (mine.length === 0) continue;
    byUid.set(w.uid, [...(byUid.get(w.uid) ?? []), { ...w, intervals: mine }]);
  }
  if (byUid.size === 0) return ledger;

  const entries = new EntryIndex(ledger.retired.map(fromStatus));
  const uids = [...ledger.retiredWorkloads];
  for (const uid of [...byUid.keys()].sort(compare)) {
    if (uids.length >= MAX_RETIRED_WORKLOADS) break;
    const copies = byUid.get(uid) ?? [];
    const deletedAt = Date.parse(copies[0]?.deletedAt ?? '');
    for (const span of meteredSpans(copies, { now: new Date(deletedAt) })) {
      for (const piece of splitByDay(span.startMs, span.endMs)) {
        const entry = entries.holding(span.site, span.shares[0]?.pricedIn ?? '', piece.day);
        const hours = (piece.endMs - piece.startMs) / MS_PER_HOUR;
        for (const s of span.shares) {
          entry.hours.set(s.resource, (entry.hours.get(s.resource) ?? 0) + s.quantity * hours);
          if (s.currency !== '') entry.cost.set(s.resource, (entry.cost.get(s.resource) ?? 0) + s.pricePerHour * hours);
        }
      }
    }
    uids.push(uid);
  }
  return { retired: compact(entries.all(), RETIRED_ENTRIES_TARGET).map(toStatus), retiredWorkloads: uids };
}

/**
 * retiredCells are a queue's retired entries as usage cells, for metering.ts to add to live usage. With `since`,
 * entries that end by then are left out and the others count whole (see cutBySince for those it cuts).
 */
export function retiredCells(queueName: string, retired: readonly QueueRetiredUsage[], since?: Date): UsageCell[] {
  const cells: UsageCell[] = [];
  for (const e of retired) {
    if (since !== undefined && !(Date.parse(e.endTime) > since.getTime())) continue;
    const pricedIn = e.currency ?? '';
    for (const [resource, hours] of Object.entries(e.resourceHours ?? {})) {
      const cost = e.resourceCost?.[resource];
      cells.push({ queue: queueName, site: e.site, resource, hours, pricedIn, currency: cost === undefined ? '' : pricedIn, cost: cost ?? 0 });
    }
  }
  return cells;
}

/** cutBySince lists the retired entries that begin before `since` and end after it: a window counts them whole. */
export function cutBySince(retired: readonly QueueRetiredUsage[], since: Date): QueueRetiredUsage[] {
  const at = since.getTime();
  return retired.filter((e) => Date.parse(e.startTime) < at && Date.parse(e.endTime) > at);
}

/** Entry is a retired entry being worked on: times in milliseconds, amounts unrounded. */
interface Entry {
  readonly site: string;
  readonly currency: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly hours: Map<string, number>;
  readonly cost: Map<string, number>;
}

/**
 * EntryIndex finds the entry of a site × currency that holds a day: that day's own (looked up by key), else one of
 * the merged entries that span it (few: at most a month or year per site × currency, and the rare overall one).
 */
class EntryIndex {
  readonly #entries: Entry[];
  readonly #exact = new Map<string, Entry>();
  readonly #merged: Entry[] = [];

  constructor(entries: Entry[]) {
    this.#entries = entries;
    for (const e of entries) this.#remember(e);
  }

  /** holding returns the entry that holds `day`, created as that day's when there is none. */
  holding(site: string, currency: string, day: Period): Entry {
    const exact = this.#exact.get(EntryIndex.#key(site, currency, day));
    if (exact !== undefined) return exact;
    const merged = this.#merged.find((e) => e.site === site && e.currency === currency && e.startMs <= day.startMs && day.endMs <= e.endMs);
    if (merged !== undefined) return merged;
    const entry: Entry = { site, currency, startMs: day.startMs, endMs: day.endMs, hours: new Map(), cost: new Map() };
    this.#entries.push(entry);
    this.#remember(entry);
    return entry;
  }

  all(): readonly Entry[] {
    return this.#entries;
  }

  #remember(e: Entry): void {
    const day = periodOf('day', e.startMs);
    if (day.startMs === e.startMs && day.endMs === e.endMs) this.#exact.set(EntryIndex.#key(e.site, e.currency, day), e);
    else this.#merged.push(e);
  }

  static #key(site: string, currency: string, p: Period): string {
    return `${site}\0${currency}\0${p.startMs}`;
  }
}

/**
 * compact brings entries to `target` or fewer, merging the oldest first: days into their months up to the first
 * cutoff that is enough, else every day, then months into years likewise, then all of a site × currency into one.
 * An entry already longer than the period it would go into stays as it is.
 */
function compact(entries: readonly Entry[], target: number): Entry[] {
  let current = sortEntries(entries);
  if (current.length <= target) return current;
  for (const level of ['month', 'year'] as const) {
    const cutoffs = [...new Set(current.map((e) => periodOf(level, e.startMs).endMs))].sort((a, b) => a - b);
    for (const cutoff of cutoffs) {
      const next = coarsen(current, level, cutoff);
      if (next.length <= target) return next;
    }
    current = coarsen(current, level, Infinity);
  }
  return mergeWhere(current, (e) => ({ startMs: e.startMs, endMs: e.endMs }), true);
}

/** coarsen moves every entry that starts before cutoffMs into the period of `level` it starts in, merging alike ones. */
function coarsen(entries: readonly Entry[], level: PeriodLevel, cutoffMs: number): Entry[] {
  return mergeWhere(entries, (e) => {
    if (e.startMs >= cutoffMs) return { startMs: e.startMs, endMs: e.endMs };
    const p = periodOf(level, e.startMs);
    return e.endMs <= p.endMs ? p : { startMs: e.startMs, endMs: e.endMs };
  }, false);
}

/**
 * mergeWhere gives each entry the period `to` says and adds up entries of the same site, currency and period; with
 * `whole`, all of a site × currency merge, over the span of them all.
 */
function mergeWhere(entries: readonly Entry[], to: (e: Entry) => Period, whole: boolean): Entry[] {
  const merged = new Map<string, { site: string; currency: string; startMs: number; endMs: number; hours: Map<string, number>; cost: Map<string, number> }>();
  for (const e of entries) {
    const p = to(e);
    const key = whole ? `${e.site}\0${e.currency}` : `${e.site}\0${e.currency}\0${p.startMs}\0${p.endMs}`;
    const m = merged.get(key) ?? { site: e.site, currency: e.currency, startMs: p.startMs, endMs: p.endMs, hours: new Map(), cost: new Map() };
    m.startMs = Math.min(m.startMs, p.startMs);
    m.endMs = Math.max(m.endMs, p.endMs);
    for (const [r, h] of e.hours) m.hours.set(r, (m.hours.get(r) ?? 0) + h);
    for (const [r, c] of e.cost) m.cost.set(r, (m.cost.get(r) ?? 0) + c);
    merged.set(key, m);
  }
  return sortEntries([...merged.values()]);
}

function sortEntries(entries: readonly Entry[]): Entry[] {
  return [...entries].sort((a, b) => a.startMs - b.startMs || a.endMs - b.endMs || compare(a.site, b.site) || compare(a.currency, b.currency));
}

function fromStatus(e: QueueRetiredUsage): Entry {
  return {
    site: e.site,
    currency: e.currency ?? '',
    startMs: Date.parse(e.startTime),
    endMs: Date.parse(e.endTime),
    hours: new Map(Object.entries(e.resourceHours ?? {})),
    cost: new Map(Object.entries(e.resourceCost ?? {})),
  };
}

function toStatus(e: Entry): QueueRetiredUsage {
  const amounts = (m: Map<string, number>): Record<string, number> =>
    Object.fromEntries([...m.entries()].sort(([a], [b]) => compare(a, b)).map(([r, n]) => [r, roundTo(n, RETIRED_DECIMALS)]));
  return {
    site: e.site,
    ...(e.currency !== '' && { currency: e.currency }),
    startTime: iso(e.startMs),
    endTime: iso(e.endMs),
    resourceHours: amounts(e.hours),
    ...(e.cost.size > 0 && { resourceCost: amounts(e.cost) }),
  };
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
