import { describe, expect, it } from 'vitest';
import { inferenceMemberName } from './member-objects.ts';
import { InferenceWorld } from './testing-world.ts';
import { chatService, labSiteObjects } from './testing.ts';

const NOW = Date.UTC(2026, 3, 1, 12, 0, 0);
const REFUSAL = { reason: 'ImageNotAllowed', message: 'Deployment default/chat: image "evil.io/chat:1" is not under an allowed prefix' };

const chat = chatService;
const lab = labSiteObjects;

/** placed is a world where chat was placed and its members applied (beijing=2, shanghai=1). */
async function placed(): Promise<InferenceWorld> {
  const w = new InferenceWorld(chat(), lab(), { nowMs: NOW });
  await w.pass();
  expect(w.planned()).toEqual(['beijing=2(gpu)', 'shanghai=1(gpu)']);
  expect(w.running()).toEqual(['beijing=2', 'shanghai=1']);
  return w;
}

describe('InferenceServiceReconciler and a site that refuses the members', () => {
  it('re-places the refusing site’s replicas elsewhere on the next pass and says why in status and an Event', async () => {
    const w = await placed();
    w.port('shanghai').refuse('Deployment', REFUSAL);
    w.clock.advance(1000);
    await w.pass();

    // Not "a site that does not answer": no grace. Its replica goes elsewhere now.
    expect(w.planned()).toEqual(['beijing=2(gpu)', 'guizhou=1(cpu)']);
    expect(w.running()).toEqual(['beijing=2', 'guizhou=1']);
    const said = `site shanghai refused the members (ImageNotAllowed): ${REFUSAL.message}`;
    const placement = w.svc.status?.placement;
    expect(placement?.message).toContain(said);
    expect(placement?.candidates?.find((c) => c.site === 'shanghai')).toMatchObject({ verdict: 'Rejected', reasons: [said] });
    expect(w.events).toContain(`Warning RefusedBySite: ${said}`);
    expect(w.events).toContain(`Warning ReplicasMoved: ${said}: moving 1 replica`);
    // What the site took (the Service) is deleted there, and what it refused is withdrawn from its port.
    const name = inferenceMemberName(w.svc);
    expect(w.port('shanghai').deletes.sort()).toEqual([`Deployment/${name}`, `Service/${name}`]);
    expect(w.port('shanghai').refusal({ kind: 'Deployment', namespace: 'default', name })).toBeUndefined();
  });

  it('leaves the site out for the rest of the spec it refused, and offers it the next spec', async () => {
    const w = await placed();
    w.port('shanghai').refuse('Deployment', REFUSAL);
    await w.pass();
    const events = w.events.length;
    await w.pass();
    // The site's port forgot the withdrawn refusal; this spec is still the one it refused.
    expect(w.planned()).toEqual(['beijing=2(gpu)', 'guizhou=1(cpu)']);
    expect(w.svc.status?.placement?.candidates?.find((c) => c.site === 'shanghai')).toMatchObject({ verdict: 'Rejected' });
    expect(w.events.length).toBe(events); // nothing new to say

    // A new spec asks for one more replica: shanghai is a candidate again and gets it (beijing is full).
    w.svc = { ...w.svc, metadata: { ...w.svc.metadata, generation: 2 }, spec: { ...w.svc.spec, replicas: { min: 4 } } };
    await w.pass();
    expect(w.planned()).toEqual(['beijing=2(gpu)', 'guizhou=1(cpu)', 'shanghai=1(gpu)']);
    // Its policy refuses this spec too: out again at once, the replica placed elsewhere.
    await w.pass();
    expect(w.planned()).toEqual(['beijing=2(gpu)', 'guizhou=2(cpu)']);
    expect(w.events.filter((e) => e.startsWith('Warning RefusedBySite')).length).toBe(2);

    // The site's policy lets the next spec in: it keeps what it is given.
    w.port('shanghai').allow();
    w.svc = { ...w.svc, metadata: { ...w.svc.metadata, generation: 3 }, spec: { ...w.svc.spec, replicas: { min: 5 } } };
    await w.pass();
    await w.pass();
    expect(w.planned()).toEqual(['beijing=2(gpu)', 'guizhou=2(cpu)', 'shanghai=1(gpu)']);
    expect(w.running()).toEqual(['beijing=2', 'guizhou=2', 'shanghai=1']);
    expect(w.svc.status?.placement?.message).not.toContain('refused');
  });

  it('says the refusal in Degraded when the service is short of its sites for it', async () => {
    const w = new InferenceWorld(chat(), lab().filter((s) => s.metadata.name !== 'guizhou'), { nowMs: NOW });
    await w.pass();
    w.port('shanghai').refuse('Deployment', REFUSAL);
    await w.pass();
    expect(w.planned()).toEqual(['beijing=2(gpu)']);
    const degraded = w.svc.status?.conditions?.find((c) => c.type === 'Degraded');
    expect(degraded).toMatchObject({ status: 'True', reason: 'FewerSitesThanRequested' });
    expect(degraded?.message).toContain('site shanghai refused the members (ImageNotAllowed)');
  });
});
