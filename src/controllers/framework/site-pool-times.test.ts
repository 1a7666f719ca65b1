import { describe, expect, it } from 'vitest';
import type { Site } from '../../api/generated/types.ts';
import { FakeClock } from '../../runtime/clock.ts';
import { SitePoolTimes } from './site-pool-times.ts';

function site(name: string, allocated: number, heartbeat = 't0'): Site {
  return {
    metadata: { name },
    spec: { region: 'r', connection: { mode: 'Push' } },
    status: { lastHeartbeatTime: heartbeat, nodePools: [{ name: 'p', allocated: { 'nvidia.com/gpu': String(allocated) } }] },
  } as unknown as Site;
}

describe('SitePoolTimes', () => {
  it('stamps a site when its pools change, and not when only other fields do', () => {
    const clock = new FakeClock(1000);
    let listener: ((s: Site, p: Site | undefined) => void) | undefined;
    const times = new SitePoolTimes({ onChange: (l) => ((listener = l), () => (listener = undefined)) }, clock);
    expect(times.changedAt('a')).toBeUndefined();
    listener?.(site('a', 0), undefined);
    expect(times.changedAt('a')).toBe(1000);
    clock.advance(500);
    listener?.(site('a', 0, 't1'), site('a', 0));
    expect(times.changedAt('a')).toBe(1000);
    listener?.(site('a', 8, 't1'), site('a', 0, 't1'));
    expect(times.changedAt('a')).toBe(1500);
    times.stop();
    expect(listener).toBeUndefined();
  });
});
