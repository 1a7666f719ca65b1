import { describe, expect, it } from 'vitest';
import type { Site } from '../../api/generated/types.ts';
import { FakeClock } from '../../runtime/clock.ts';
import { SiteReportTimes } from './site-report-times.ts';

function site(name: string, allocated: number, heartbeat = 't0', cordon = false): Site {
  return {
    metadata: { name },
    spec: { region: 'r', cordon, connection: { mode: 'Push' } },
    status: { lastHeartbeatTime: heartbeat, nodePools: [{ name: 'p', allocated: { 'nvidia.com/gpu': String(allocated) } }] },
  } as unknown as Site;
}

describe('SiteReportTimes', () => {
  it('stamps a site whenever its status changes (pools or heartbeat), and not for a change of spec alone', () => {
    const clock = new FakeClock(1000);
    let listener: ((s: Site, p: Site | undefined) => void) | undefined;
    const times = new SiteReportTimes({ onChange: (l) => ((listener = l), () => (listener = undefined)) }, clock);
    expect(times.changedAt('a')).toBeUndefined();
    listener?.(site('a', 0), undefined);
    expect(times.changedAt('a')).toBe(1000);
    clock.advance(500);
    listener?.(site('a', 0, 't0', true), site('a', 0));
    expect(times.changedAt('a')).toBe(1000);
    listener?.(site('a', 0, 't1', true), site('a', 0, 't0', true));
    expect(times.changedAt('a')).toBe(1500);
    clock.advance(500);
    listener?.(site('a', 8, 't1', true), site('a', 0, 't1', true));
    expect(times.changedAt('a')).toBe(2000);
    times.stop();
    expect(listener).toBeUndefined();
  });
});
