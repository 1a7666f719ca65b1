// Across a leader change, a gang placed but not yet in its site's report keeps its devices: the next placement does
// not get them. Without the restore, the new leader's empty tracker hands them out again.
import { describe, expect, it } from 'vitest';
import { DEFAULT_PLACEMENT_CONFIG } from '../placement/config.ts';
import { labSites } from '../placement/testing.ts';
import { PromisedCapacityTracker } from '../controllers/framework/promised-capacity.ts';
import { trainingJobKey } from '../controllers/training/controller.ts';
import { decideTraining } from '../controllers/training/decide.ts';
import { makeTrainingJob, variant } from '../controllers/training/testing.ts';
import { restorePromises } from './restore-promises.ts';

const sites = Object.values(labSites()).map((b) => b.obj());
const h100Gang = (name: string) => makeTrainingJob(name).workers(2).resources('16', '64Gi').variant(variant('h100').nvidia('H100', 8));

function placeNext(tracker: PromisedCapacityTracker) {
  const next = h100Gang('next').edit((tj) => (tj.metadata.uid = 'uid-next')).obj();
  return decideTraining({
    tj: next,
    sites,
    members: { kind: 'None' },
    discover: () => [],
    promised: tracker.total(trainingJobKey('default', 'next')),
    config: DEFAULT_PLACEMENT_CONFIG,
    graceMs: 60_000,
    pollMs: 10_000,
    pendingMs: 10_000,
    now: Date.UTC(2026, 0, 1),
  });
}

describe('restorePromises', () => {
  // Placed by the previous leader on both H100 nodes of shanghai; the site does not report its pods yet.
  const placed = h100Gang('first')
    .status({ phase: 'Placed', site: 'shanghai', variant: 'h100', pool: 'h100', acceleratorResource: 'nvidia.com/gpu', placement: { epoch: 1 } })
    .obj();

  it('keeps a placed gang’s devices from the next placement after a leader change', () => {
    const tracker = new PromisedCapacityTracker();
    expect(restorePromises(tracker, { trainingJobs: [placed], inferenceServices: [], sites })).toBe(1);
    const plan = placeNext(tracker);
    expect(plan.status?.phase).toBe('Pending'); // the only H100s are promised
  });

  it('is what stands between the next gang and the same devices (without it they are given again)', () => {
    const plan = placeNext(new PromisedCapacityTracker());
    expect(plan.status).toMatchObject({ phase: 'Placed', site: 'shanghai', pool: 'h100' });
  });
});
