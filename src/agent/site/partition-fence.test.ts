// The agent's own fence: a site that has not heard from its hub for the fence timeout stops its training members, so
// a partitioned site never runs a job the hub has meanwhile moved elsewhere.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../runtime/clock.ts';
import { flush } from '../../runtime/testing.ts';
import { PartitionFence, type MemberJob, type MemberJobs } from './partition-fence.ts';

class FakeJobs implements MemberJobs {
  jobs: MemberJob[] = [
    { namespace: 'team-a', name: 'train-1', deleting: false },
    { namespace: 'team-b', name: 'train-2', deleting: true },
  ];
  readonly removed: string[] = [];
  failing = false;
  async list(): Promise<readonly MemberJob[]> {
    if (this.failing) throw new Error('apiserver down');
    return this.jobs;
  }
  async remove(namespace: string, name: string): Promise<void> {
    this.removed.push(`${namespace}/${name}`);
    this.jobs = this.jobs.map((j) => (j.namespace === namespace && j.name === name ? { ...j, deleting: true } : j));
  }
}

function setup(fenceAfterMs = 45_000) {
  const clock = new FakeClock();
  const jobs = new FakeJobs();
  const fence = new PartitionFence({ clock, fenceAfterMs, jobs, logger: pino({ level: 'silent' }) });
  return { clock, jobs, fence };
}

describe('PartitionFence', () => {
  it('does nothing while the hub answers within the fence timeout', async () => {
    const { clock, jobs, fence } = setup();
    fence.start();
    for (let i = 0; i < 10; i++) {
      clock.advance(10_000);
      fence.heard();
      await flush();
    }
    expect(jobs.removed).toEqual([]);
    expect(fence.fenced).toBe(false);
  });

  it('deletes the training members once the hub has been silent for the fence timeout, and says it fenced', async () => {
    const { clock, jobs, fence } = setup();
    fence.start();
    fence.heard();
    clock.advance(44_999);
    await flush();
    expect(jobs.removed).toEqual([]);
    clock.advance(1);
    await flush();
    expect(jobs.removed).toEqual(['team-a/train-1']); // train-2 is being deleted already
    expect(fence.fenced).toBe(true);
  });

  it('keeps fencing while the hub stays silent, and stops once it answers again', async () => {
    const { clock, jobs, fence } = setup(10_000);
    fence.start();
    clock.advance(10_000);
    await flush();
    jobs.jobs.push({ namespace: 'team-a', name: 'train-3', deleting: false }); // created by a hub we cannot hear
    clock.advance(10_000);
    await flush();
    expect(jobs.removed).toEqual(['team-a/train-1', 'team-a/train-3']);
    fence.heard();
    expect(fence.fenced).toBe(false);
    jobs.jobs.push({ namespace: 'team-a', name: 'train-4', deleting: false });
    clock.advance(9_000);
    await flush();
    expect(jobs.removed).toEqual(['team-a/train-1', 'team-a/train-3']);
  });

  it('tries again when the site apiserver does not answer the fence', async () => {
    const { clock, jobs, fence } = setup(10_000);
    jobs.failing = true;
    fence.start();
    clock.advance(10_000);
    await flush();
    expect(jobs.removed).toEqual([]);
    jobs.failing = false;
    clock.advance(10_000);
    await flush();
    expect(jobs.removed).toEqual(['team-a/train-1']);
  });

  it('is off with a fence timeout of 0, and leaves no timer behind on stop', async () => {
    const off = setup(0);
    off.fence.start();
    off.clock.advance(3_600_000);
    await flush();
    expect(off.jobs.removed).toEqual([]);
    const on = setup();
    on.fence.start();
    on.fence.stop();
    expect(on.clock.pending()).toBe(0);
  });
});

describe('PartitionFence.fenceSuperseded', () => {
  const member = (name: string, epoch: number, ownerUid = 'u1', deleting = false): MemberJob => ({
    namespace: 'team-a',
    name,
    deleting,
    workload: { namespace: 'team-a', name: 'train' },
    epoch,
    ownerUid,
  });

  it('deletes the members the hub says were superseded: a lower epoch, or another uid; nothing else', async () => {
    const { jobs, fence } = setup();
    jobs.jobs = [
      member('old', 2),
      member('current', 3),
      member('earlier-object', 5, 'u0'),
      { namespace: 'team-a', name: 'unrelated', deleting: false, workload: { namespace: 'team-a', name: 'other' }, epoch: 1 },
    ];
    await fence.fenceSuperseded([{ namespace: 'team-a', name: 'train', uid: 'u1', epoch: 3 }]);
    expect(jobs.removed).toEqual(['team-a/old', 'team-a/earlier-object']);
  });

  it('skips members already being deleted, and survives an apiserver that does not answer', async () => {
    const { jobs, fence } = setup();
    jobs.jobs = [member('old', 1, 'u1', true)];
    await fence.fenceSuperseded([{ namespace: 'team-a', name: 'train', uid: 'u1', epoch: 3 }]);
    expect(jobs.removed).toEqual([]);
    jobs.failing = true;
    await expect(fence.fenceSuperseded([{ namespace: 'team-a', name: 'train', uid: 'u1', epoch: 3 }])).resolves.toBeUndefined();
  });
});
