/**
 * Status writes: the operator's requests to the hub that change an object's status subresource (patch, update or
 * apply on `<resource>/status`), as the hub's audit log records them (bench/throughput/audit-count.ts), by resource and
 * per second of a window. Pure.
 */
import type { AuditedRequest } from '../throughput/audit-count.ts';

/** WRITE_VERBS are the audit verbs that change an object. */
const WRITE_VERBS: ReadonlySet<string> = new Set(['patch', 'update', 'apply']);

/** StatusWrites counts one user's status writes in a window. */
export interface StatusWrites {
  readonly total: number;
  readonly seconds: number;
  readonly perSecond: number;
  /** byResource: e.g. "trainingjobs.suanwang.io/status" → count, most first. */
  readonly byResource: ReadonlyArray<{ readonly what: string; readonly count: number }>;
  /** peakPerSecond is the most status writes received in any one whole second of the window. */
  readonly peakPerSecond: number;
}

/** isStatusWrite says whether a request wrote a status subresource. */
export function isStatusWrite(r: AuditedRequest): boolean {
  return WRITE_VERBS.has(r.verb) && r.what.endsWith('/status');
}

/** statusWrites counts `user`'s status writes received in [fromMs, toMs). */
export function statusWrites(requests: readonly AuditedRequest[], user: string, fromMs: number, toMs: number): StatusWrites {
  if (!(toMs > fromMs)) throw new RangeError(`the window must end after it starts (${fromMs} … ${toMs})`);
  const byResource = new Map<string, number>();
  const bySecond = new Map<number, number>();
  let total = 0;
  for (const r of requests) {
    if (r.user !== user || !(r.receivedMs >= fromMs && r.receivedMs < toMs) || !isStatusWrite(r)) continue;
    total += 1;
    byResource.set(r.what, (byResource.get(r.what) ?? 0) + 1);
    const second = Math.floor((r.receivedMs - fromMs) / 1000);
    bySecond.set(second, (bySecond.get(second) ?? 0) + 1);
  }
  const seconds = (toMs - fromMs) / 1000;
  return {
    total,
    seconds,
    perSecond: total / seconds,
    byResource: [...byResource].map(([what, count]) => ({ what, count })).sort((a, b) => b.count - a.count || a.what.localeCompare(b.what)),
    peakPerSecond: Math.max(0, ...bySecond.values()),
  };
}
