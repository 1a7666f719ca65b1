import { describe, expect, it } from 'vitest';
import { kueueSystemName, peerNetRequests, ratioToRaw, renderPeerSection, type PeerThroughput } from './peer-report.ts';

const measured: PeerThroughput = {
  kueueVersion: 'v0.17.0',
  workloads: 100,
  sites: 3,
  created: { count: 100, seconds: 2, failures: [], failed: 0 },
  toAdmitted: 40,
  toRunning: 45,
  toSucceeded: 50,
  succeeded: 100,
  failed: 0,
  managerUser: 'system:serviceaccount:kueue-system:kueue-controller-manager',
  runWindowSeconds: 60,
  runRequests: [
    { verb: 'patch', what: 'workloads.kueue.x-k8s.io/status', count: 600 },
    { verb: 'update', what: 'jobs.batch/status', count: 300 },
  ],
  idleWindowSeconds: 30,
  idleRequests: 60,
  workerUser: 'system:serviceaccount:kueue-system:multikueue-manager',
  workerRequests: 450,
  managerCpuSeconds: 3.2,
  workersCpuSeconds: 5.1,
  unfinished: [],
};

describe('peer report arithmetic', () => {
  it("subtracts the peer's idle rate over the run window", () => {
    // 60 idle requests in 30 s is 2/s, 120 over the 60 s run; 900 - 120 = 780.
    expect(peerNetRequests(measured)).toEqual({ gross: 900, idleScaled: 120, net: 780 });
  });

  it('gives the end-to-end rate as a share of the raw rate', () => {
    expect(ratioToRaw(100, 50, 200)).toBe('1.0 %');
    expect(ratioToRaw(100, undefined, 200)).toBe('—');
  });
});

describe('renderPeerSection', () => {
  const suanwang = { toSucceeded: 10, netRequests: 300, aimRequestsPerWorkload: 4 };

  it('sets both measured systems side by side and Karmada as published only', () => {
    const text = renderPeerSection(100, 200, suanwang, { measured, workerClientQps: 5 }).join('\n');
    expect(text).toContain('| Suanwang (this commit) | 10.00 /s | 10.0 s | 3.00 | 5.0 % |');
    expect(text).toContain(`| ${kueueSystemName('v0.17.0')}, worker clients at 5 QPS`);
    expect(text).toContain('| 2.00 /s | 50.0 s | 7.80 | 1.0 % |');
    expect(text).toMatch(/\| Karmada \| published, not measured here/);
    expect(text).toContain('≈ 7.9 hub requests per workload');
    expect(text).toContain('| patch | workloads.kueue.x-k8s.io/status | 600 | 6.00 |');
    expect(text).toMatch(/requests to the 3 workers in the run .* \| 450 \| 4\.50 \|/);
  });

  it('says why the peer was not measured and gives no figure for it', () => {
    const lines = renderPeerSection(100, 200, suanwang, { notMeasured: 'the kueue binary is missing' });
    const kueueRow = lines.find((l) => l.startsWith('| Kueue'));
    expect(kueueRow).toContain('not measured: the kueue binary is missing');
    expect(kueueRow).not.toMatch(/\/s \|/);
    expect(lines.join('\n')).not.toContain('in detail');
  });
});
