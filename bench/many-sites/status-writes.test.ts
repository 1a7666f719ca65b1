import { describe, expect, it } from 'vitest';
import type { AuditedRequest } from '../throughput/audit-count.ts';
import { isStatusWrite, statusWrites } from './status-writes.ts';

const r = (user: string, verb: string, what: string, receivedMs: number): AuditedRequest => ({ user, verb, what, receivedMs });

describe('statusWrites', () => {
  const requests = [
    r('op', 'patch', 'sites.suanwang.io/status', 1000),
    r('op', 'patch', 'sites.suanwang.io/status', 1500),
    r('op', 'update', 'trainingjobs.suanwang.io/status', 2100),
    r('op', 'patch', 'trainingjobs.suanwang.io', 2200),
    r('op', 'get', 'sites.suanwang.io/status', 2300),
    r('admin', 'patch', 'sites.suanwang.io/status', 2400),
    r('op', 'patch', 'sites.suanwang.io/status', 5000),
  ];

  it('counts only the user\'s writes of a status subresource inside the window', () => {
    const w = statusWrites(requests, 'op', 1000, 5000);
    expect(w.total).toBe(3);
    expect(w.seconds).toBe(4);
    expect(w.perSecond).toBe(0.75);
    expect(w.byResource).toEqual([
      { what: 'sites.suanwang.io/status', count: 2 },
      { what: 'trainingjobs.suanwang.io/status', count: 1 },
    ]);
    expect(w.peakPerSecond).toBe(2);
  });

  it('tells status writes from other requests', () => {
    expect(isStatusWrite(r('op', 'apply', 'queues.suanwang.io/status', 0))).toBe(true);
    expect(isStatusWrite(r('op', 'patch', 'sites.suanwang.io', 0))).toBe(false);
    expect(isStatusWrite(r('op', 'watch', 'sites.suanwang.io/status', 0))).toBe(false);
  });

  it('refuses an empty window', () => {
    expect(() => statusWrites(requests, 'op', 10, 10)).toThrow(/window/);
  });
});
