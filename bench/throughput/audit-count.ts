/**
 * Requests one user made to an apiserver, counted from the apiserver's own audit log (src/lab/audit.ts: JSON lines at
 * Metadata level), not from the caller's bookkeeping. A request is counted once, by its auditID (a watch logs a line
 * when it starts and another when it ends), and falls in a window by when the apiserver received it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** AuditEvent is the part of an audit.k8s.io/v1 Event the count reads. */
interface AuditEvent {
  readonly auditID?: string;
  readonly verb?: string;
  readonly requestURI?: string;
  readonly user?: { readonly username?: string };
  readonly objectRef?: { readonly resource?: string; readonly subresource?: string; readonly apiGroup?: string };
  readonly requestReceivedTimestamp?: string;
}

/** AuditedRequest is one request of the log. */
export interface AuditedRequest {
  readonly user: string;
  readonly verb: string;
  /** what: resource[.group][/subresource], or the path of a non-resource request. */
  readonly what: string;
  /** receivedMs: when the apiserver received it, epoch milliseconds. */
  readonly receivedMs: number;
}

/**
 * readAuditLog reads the log at `path` and the rotated files beside it (<name>-<time>.log, kept when the log grew past
 * its size limit), each request once.
 */
export function readAuditLog(path: string): AuditedRequest[] {
  const dir = dirname(path);
  const stem = basename(path, '.log');
  const files = readdirSync(dir)
    .filter((f) => f === basename(path) || (f.startsWith(`${stem}-`) && f.endsWith('.log')))
    .map((f) => join(dir, f));
  const seen = new Set<string>();
  const out: AuditedRequest[] = [];
  for (const file of files) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      let e: AuditEvent;
      try {
        e = JSON.parse(line) as AuditEvent;
      } catch {
        continue; // a line still being written when the file was read
      }
      const id = e.auditID ?? '';
      if (id === '' || seen.has(id)) continue;
      seen.add(id);
      out.push({ user: e.user?.username ?? '', verb: e.verb ?? '', what: describe(e), receivedMs: Date.parse(e.requestReceivedTimestamp ?? '') });
    }
  }
  return out;
}

function describe(e: AuditEvent): string {
  const ref = e.objectRef;
  if (ref?.resource === undefined) return (e.requestURI ?? '').split('?')[0] ?? '';
  const group = ref.apiGroup === undefined || ref.apiGroup === '' ? '' : `.${ref.apiGroup}`;
  return `${ref.resource}${group}${ref.subresource === undefined ? '' : `/${ref.subresource}`}`;
}

/** RequestCount is how many requests of one verb on one resource. */
export interface RequestCount {
  readonly verb: string;
  readonly what: string;
  readonly count: number;
}

/** countRequests counts `user`'s requests received in [fromMs, toMs), by verb and resource, most first. */
export function countRequests(requests: readonly AuditedRequest[], user: string, fromMs: number, toMs: number): RequestCount[] {
  const counts = new Map<string, RequestCount>();
  for (const r of requests) {
    if (r.user !== user || !(r.receivedMs >= fromMs && r.receivedMs < toMs)) continue;
    const key = `${r.verb} ${r.what}`;
    const c = counts.get(key);
    counts.set(key, { verb: r.verb, what: r.what, count: (c?.count ?? 0) + 1 });
  }
  return [...counts.values()].sort((a, b) => b.count - a.count || a.what.localeCompare(b.what) || a.verb.localeCompare(b.verb));
}

/** total sums a count. */
export function total(counts: readonly RequestCount[]): number {
  return counts.reduce((s, c) => s + c.count, 0);
}
