import { describe, expect, it } from 'vitest';
import { gpuPool, labSites, makeSite } from '../../placement/testing.ts';
import type { HubObjects } from './hub-objects.ts';
import { formatSites, sitesCommand } from './sites.ts';

/** row finds the printed row of a site and pool and splits it into cells (cells hold no double spaces). */
function row(lines: readonly string[], site: string, pool: string): string[] {
  const line = lines.find((l) => l.startsWith(`${site} `) && l.split(/ {2,}/).includes(pool));
  if (line === undefined) throw new Error(`no row for ${site}/${pool} in\n${lines.join('\n')}`);
  return line.trim().split(/ {2,}/);
}

describe('formatSites', () => {
  it('prints a row per site and pool with health, nodes, devices, allocatable/allocated/free and price', () => {
    const shanghai = labSites().shanghai.obj();
    const pool = shanghai.status!.nodePools!.find((p) => p.name === 'h100')!;
    pool.allocated = { 'nvidia.com/gpu': '6', cpu: '48', memory: '256Gi' };
    pool.healthyDevices = 15;
    pool.unhealthyDevices = 1;
    shanghai.status!.conditions!.push({ type: 'AgentConnected', status: 'True', reason: 'AgentReporting', message: '', lastTransitionTime: '2026-01-01T00:00:00Z' });
    const lost = makeSite('xian').notReady('LeaseExpired', 'False').cordon().pool(gpuPool('a800').nvidia('A800', 8).readyNodes(0)).obj();
    const lines = formatSites([shanghai, lost]);
    expect(lines[0]).toMatch(/^SITE\s+READY\s+AGENT\s+POOL\s+ACCELERATOR\s+NODES\s+DEVICES\s+CPU A\/U\/F\s+MEMORY A\/U\/F\s+DEVICES A\/U\/F\s+PRICE$/);
    expect(row(lines, 'shanghai', 'h100')).toEqual(['shanghai', 'True', 'True', 'h100', 'nvidia NVIDIA H100 80GB HBM3 x8', '2/2', '15/1', '384/48/336', '2Ti/256Gi/1792Gi', '16/6/10', '28 CNY/h']);
    expect(row(lines, 'shanghai', 'cpu')).toEqual(['shanghai', 'True', 'True', 'cpu', 'cpu only', '3/3', '-', '192/0/192', '768Gi/0/768Gi', '-', '-']);
    expect(row(lines, 'xian', 'a800').slice(0, 6)).toEqual(['xian', 'False (LeaseExpired), cordoned', '-', 'a800', 'nvidia A800 x8', '0/1']);
  });

  it('says so when the hub has no Sites, and prints a site that reports no pools', () => {
    expect(formatSites([])).toEqual(['No Sites on the hub.']);
    const bare = makeSite('empty').obj();
    expect(formatSites([bare])[1]).toMatch(/^empty\s+True\s+-\s+\(no pools reported\)\s/);
  });
});

describe('sites command', () => {
  it('reads the Sites from the hub and prints them', async () => {
    const out: string[] = [];
    const hub: HubObjects = { list: async () => [labSites().guizhou.obj()] as never, get: async () => undefined };
    const code = await sitesCommand([], { out: (l) => out.push(l), err: () => {}, hub: () => hub });
    expect(code).toBe(0);
    expect(out.some((l) => /^guizhou\s+True.*ascend910b.*16\/0\/16\s+12 CNY\/h$/.test(l))).toBe(true);
  });
});
