import { PROMISED_UNITS } from './promised.ts';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PLACEMENT_CONFIG } from './config.ts';
import { currentReplicas, distribute, type Assignment, type InferenceDecision } from './distribute.ts';
import { MAX_RECORDED_CANDIDATES } from './explain.ts';
import { promisedForDistribution } from './promised.ts';
import {
  gpuPool,
  labSites,
  makeInferenceService,
  makeSite,
  snapshotOf,
  variant,
  type InferenceServiceBuilder,
  type SiteBuilder,
} from './testing.ts';

/** chat is examples/inferenceservice-chat.yaml: an NVIDIA variant, a CPU fallback, 3 sites, ≤ 2 per site. */
function chat(): InferenceServiceBuilder {
  return makeInferenceService('chat-7b')
    .replicas(3, 6)
    .resources('8', '64Gi')
    .variant(variant('gpu').nvidia(undefined, 1).minMemory('40Gi').precision('fp16'))
    .variant(variant('cpu').cpuOnly('48Gi').resources({ cpu: '32', memory: '64Gi' }))
    .selector('suanwang.io/sovereignty', 'cn')
    .preferredRegions('cn-east')
    .minSites(3)
    .maxPerSite(2);
}

function lab(change: (s: ReturnType<typeof labSites>) => void = () => {}): SiteBuilder[] {
  const s = labSites();
  change(s);
  return [s.shanghai, s.guizhou, s.beijing];
}

/** brief renders assignments as "site replicas variant", for compact want fields. */
function brief(d: InferenceDecision): string[] {
  return d.assignments.map((a) => `${a.site} ${a.replicas} ${a.variant}`);
}

interface Case {
  name: string;
  sites: SiteBuilder[];
  svc: InferenceServiceBuilder;
  desired?: number;
  current?: Assignment[];
  want: string[];
  wantShort?: number;
  wantSitesShort?: number;
  wantFallback?: boolean;
  wantMessage?: string;
  /** wantReasons are exact candidate reasons by site. */
  wantReasons?: Record<string, string[]>;
}

const cases: Case[] = [
  {
    name: 'the chat example at min replicas: one per site, the CPU fallback where there is no NVIDIA GPU',
    sites: lab(),
    svc: chat(),
    want: ['beijing 1 gpu', 'guizhou 1 cpu', 'shanghai 1 gpu'],
    wantFallback: true,
    wantMessage: 'placed 3/3 replicas on 3 sites: beijing 1 (gpu), guizhou 1 (cpu), shanghai 1 (gpu) (CPU fallback at guizhou: no accelerator variant fits there)',
  },
  {
    name: 'the chat example at max replicas: two per site',
    sites: lab(),
    svc: chat(),
    desired: 6,
    want: ['beijing 2 gpu', 'guizhou 2 cpu', 'shanghai 2 gpu'],
    wantFallback: true,
  },
  {
    name: 'desired replicas are clamped to spec.replicas',
    sites: lab(),
    svc: chat(),
    desired: 60,
    want: ['beijing 2 gpu', 'guizhou 2 cpu', 'shanghai 2 gpu'],
  },
  {
    name: 'no spread asked: best site first, up to its room',
    sites: lab(),
    svc: chat().minSites(1).maxPerSite(64).replicas(4),
    want: ['shanghai 4 gpu'],
    wantFallback: false,
  },
  {
    name: 'the CPU fallback only when accelerator sites lack room',
    sites: lab(),
    svc: chat().minSites(1).replicas(5),
    want: ['beijing 2 gpu', 'guizhou 1 cpu', 'shanghai 2 gpu'],
    wantFallback: true,
  },
  {
    name: 'minSites opens accelerator sites before the CPU fallback',
    sites: lab(),
    svc: chat().minSites(2).maxPerSite(64).replicas(4),
    want: ['beijing 1 gpu', 'shanghai 3 gpu'],
    wantFallback: false,
  },
  {
    name: 'preferred regions, earlier first',
    sites: lab(),
    svc: chat().minSites(1).preferredRegions('cn-north', 'cn-east').replicas(3),
    want: ['beijing 2 gpu', 'shanghai 1 gpu'],
  },
  {
    name: 'the fallback model does not fit: minSites cannot be met; place what fits and say so',
    sites: lab(),
    svc: makeInferenceService('chat-7b')
      .replicas(3)
      .variant(variant('gpu').nvidia(undefined, 1))
      .variant(variant('cpu').cpuOnly('600Gi'))
      .minSites(3)
      .maxPerSite(2),
    // No preferred region: beijing and shanghai score the same, and the name breaks the tie.
    want: ['beijing 2 gpu', 'shanghai 1 gpu'],
    wantShort: 0,
    wantSitesShort: 1,
    wantMessage:
      'placed 3/3 replicas on 2 sites (fewer than minSites 3): beijing 2 (gpu), shanghai 1 (gpu); ' +
      'guizhou: variant cpu: a replica needs 600Gi memory on one node, pool cpu nodes have 512Gi and variant gpu: no pool with nvidia devices',
    wantReasons: {
      guizhou: [
        'variant cpu: a replica needs 600Gi memory on one node, pool cpu nodes have 512Gi',
        'variant gpu: no pool with nvidia devices',
      ],
    },
  },
  {
    name: 'not enough room anywhere: short',
    sites: lab(),
    svc: chat().replicas(3, 10).regions('cn-east'),
    desired: 10,
    want: ['shanghai 2 gpu'],
    wantShort: 8,
    wantSitesShort: 2,
    wantMessage:
      'placed 2/10 replicas on 1 site (fewer than minSites 3): shanghai 2 (gpu); ' +
      'beijing: region cn-north not allowed (allowed: cn-east); guizhou: region cn-southwest not allowed (allowed: cn-east)',
  },
  {
    name: 'nothing fits',
    sites: lab((s) => s.shanghai.cordon()),
    svc: makeInferenceService().variant(variant('npu').huawei('Ascend310', 1)),
    want: [],
    wantShort: 1,
    wantMessage:
      '0/3 sites fit: beijing: no pool with huawei Ascend310; guizhou: no pool with huawei Ascend310; shanghai: cordoned',
  },
  {
    name: 'free capacity bounds a site: two free GPUs, two replicas',
    sites: [makeSite('a').pool(gpuPool('g').nvidia('L40S', 8).allocated({ 'nvidia.com/gpu': 6 })), makeSite('b').region('cn-north').pool(gpuPool('g').nvidia('L40S', 8))],
    svc: makeInferenceService().replicas(4).variant(variant('gpu').nvidia('L40S', 1)).preferredRegions('cn-east'),
    want: ['a 2 gpu', 'b 2 gpu'],
  },
  // Stable rescale: replicas that can stay, stay.
  {
    name: 'scale up keeps every running replica and adds to the best sites',
    sites: lab(),
    svc: chat(),
    desired: 5,
    current: [
      { site: 'beijing', variant: 'gpu', replicas: 1 },
      { site: 'guizhou', variant: 'cpu', replicas: 1 },
      { site: 'shanghai', variant: 'gpu', replicas: 1 },
    ],
    want: ['beijing 2 gpu', 'guizhou 1 cpu', 'shanghai 2 gpu'],
  },
  {
    name: 'scale down removes from the worst sites first and keeps minSites',
    sites: lab(),
    svc: chat(),
    desired: 3,
    current: [
      { site: 'beijing', variant: 'gpu', replicas: 2 },
      { site: 'guizhou', variant: 'cpu', replicas: 2 },
      { site: 'shanghai', variant: 'gpu', replicas: 2 },
    ],
    want: ['beijing 1 gpu', 'guizhou 1 cpu', 'shanghai 1 gpu'],
  },
  {
    name: 'scale down with minSites 1 empties the worst sites',
    sites: lab(),
    svc: chat().minSites(1).replicas(1, 6),
    desired: 2,
    current: [
      { site: 'beijing', variant: 'gpu', replicas: 2 },
      { site: 'guizhou', variant: 'cpu', replicas: 2 },
      { site: 'shanghai', variant: 'gpu', replicas: 2 },
    ],
    want: ['shanghai 2 gpu'],
  },
  {
    name: 'a site keeps its running variant even when a better one would fit now',
    sites: lab(),
    svc: chat().minSites(1),
    desired: 3,
    current: [{ site: 'beijing', variant: 'cpu', replicas: 1 }],
    want: ['beijing 1 cpu', 'shanghai 2 gpu'],
    wantFallback: true,
  },
  {
    name: 'running replicas stay on a full pool: they hold their capacity already',
    sites: [makeSite('a').pool(gpuPool('g').nvidia('L40S', 2).allocated({ 'nvidia.com/gpu': 2, cpu: '16', memory: '128Gi' }))],
    svc: makeInferenceService().replicas(2, 3).variant(variant('gpu').nvidia('L40S', 1)),
    desired: 3,
    current: [{ site: 'a', variant: 'gpu', replicas: 2 }],
    want: ['a 2 gpu'],
    wantShort: 1,
  },
  {
    name: 'lowering maxReplicasPerSite moves the excess',
    sites: lab(),
    svc: chat().maxPerSite(1).minSites(1),
    current: [{ site: 'shanghai', variant: 'gpu', replicas: 3 }],
    want: ['beijing 1 gpu', 'guizhou 1 cpu', 'shanghai 1 gpu'],
  },
  {
    name: 'raising minSites moves a replica from the worst crowded site',
    sites: lab(),
    svc: chat().minSites(2).maxPerSite(64).replicas(2),
    current: [{ site: 'shanghai', variant: 'gpu', replicas: 2 }],
    want: ['beijing 1 gpu', 'shanghai 1 gpu'],
  },
  {
    name: 'a cordoned site keeps its replicas but gets no new ones, and loses them first on scale-down',
    sites: lab((s) => s.shanghai.cordon()),
    svc: chat(),
    desired: 5,
    current: [
      { site: 'beijing', variant: 'gpu', replicas: 1 },
      { site: 'guizhou', variant: 'cpu', replicas: 1 },
      { site: 'shanghai', variant: 'gpu', replicas: 2 },
    ],
    want: ['beijing 2 gpu', 'guizhou 1 cpu', 'shanghai 2 gpu'],
    wantReasons: { shanghai: ['cordoned: adding no replicas'] },
  },
  {
    name: 'a site whose lease expired keeps its replicas until it is declared lost',
    sites: lab((s) => s.shanghai.notReady('LeaseExpired')),
    svc: chat(),
    desired: 3,
    current: [
      { site: 'beijing', variant: 'gpu', replicas: 1 },
      { site: 'shanghai', variant: 'gpu', replicas: 2 },
    ],
    want: ['beijing 1 gpu', 'guizhou 1 cpu', 'shanghai 1 gpu'],
  },
  {
    name: 'a lost site’s replicas are placed elsewhere',
    sites: lab((s) => s.shanghai.notReady('SiteLost', 'False')),
    svc: chat().minSites(2),
    desired: 4,
    current: [
      { site: 'beijing', variant: 'gpu', replicas: 2 },
      { site: 'shanghai', variant: 'gpu', replicas: 2 },
    ],
    want: ['beijing 2 gpu', 'guizhou 2 cpu'],
    wantReasons: { shanghai: ['not Ready (SiteLost)'] },
  },
  {
    name: 'a site the rules now exclude loses its replicas',
    sites: lab(),
    svc: chat().minSites(2).regions('cn-east', 'cn-southwest'),
    current: [
      { site: 'beijing', variant: 'gpu', replicas: 1 },
      { site: 'shanghai', variant: 'gpu', replicas: 1 },
    ],
    desired: 3,
    want: ['guizhou 1 cpu', 'shanghai 2 gpu'],
  },
];

describe('distribute', () => {
  it.each(cases)('$name', (c) => {
    const d = distribute(c.svc.workload(c.desired), snapshotOf(c.sites), DEFAULT_PLACEMENT_CONFIG, c.current ?? []);
    expect(brief(d)).toEqual(c.want);
    if (c.wantShort !== undefined) expect(d.short).toBe(c.wantShort);
    if (c.wantSitesShort !== undefined) expect(d.sitesShort).toBe(c.wantSitesShort);
    if (c.wantFallback !== undefined) expect(d.usedCpuFallback).toBe(c.wantFallback);
    if (c.wantMessage !== undefined) expect(d.record.message).toBe(c.wantMessage);
    for (const [site, reasons] of Object.entries(c.wantReasons ?? {})) {
      expect(d.record.candidates.find((x) => x.site === site)?.reasons, site).toEqual(reasons);
    }
    // The record agrees with the assignments.
    const selected = d.record.candidates.filter((x) => x.verdict === 'Selected');
    expect(selected.map((x) => `${x.site} ${x.replicas} ${x.variant}`)).toEqual(c.want);
    expect(d.record.candidates.map((x) => x.site)).toEqual([...d.record.candidates.map((x) => x.site)].sort());
  });

  it('records every site: selected with replicas and scores, feasible, rejected', () => {
    const d = distribute(chat().minSites(1).replicas(1, 6).workload(2), snapshotOf(lab()));
    expect(d.record).toEqual({
      message: 'placed 2/2 replicas on 1 site: shanghai 2 (gpu)',
      candidates: [
        {
          site: 'beijing',
          verdict: 'Feasible',
          variant: 'gpu',
          score: 59,
          // A100 at 18 CNY/h is the cheapest device; one replica uses 1 of 16 GPUs.
          scores: { price: 100, packing: 6, health: 100, variantOrder: 100, locality: 0 },
        },
        {
          site: 'guizhou',
          verdict: 'Feasible',
          variant: 'cpu',
          score: 38,
          // CPU is not priced: neutral. Packing: (32/512 cpu + 64Gi/2Ti memory) / 2.
          scores: { price: 50, packing: 5, health: 100, variantOrder: 50, locality: 0 },
        },
        {
          site: 'shanghai',
          verdict: 'Selected',
          variant: 'gpu',
          score: 72,
          replicas: 2,
          // 100 × 18 / 28 = 64.
          scores: { price: 64, packing: 6, health: 100, variantOrder: 100, locality: 100 },
        },
      ],
    });
  });

  it('promises only the replicas it adds', () => {
    const svc = chat();
    const current = currentReplicas([
      { site: 'beijing', variant: 'gpu', replicas: 1, readyReplicas: 1 },
      { site: 'guizhou', variant: 'cpu', replicas: 1 },
      { site: 'shanghai', variant: 'gpu', replicas: 1 },
      { site: 'nowhere' },
    ]);
    const d = distribute(svc.workload(5), snapshotOf(lab()), DEFAULT_PLACEMENT_CONFIG, current);
    expect(brief(d)).toEqual(['beijing 2 gpu', 'guizhou 1 cpu', 'shanghai 2 gpu']);
    const gi = 2 ** 30;
    expect(promisedForDistribution(d, current)).toEqual({
      beijing: { a100: { cpu: 8, memory: 64 * gi, 'nvidia.com/gpu': 1, [PROMISED_UNITS]: 1 } },
      shanghai: { h100: { cpu: 8, memory: 64 * gi, 'nvidia.com/gpu': 1, [PROMISED_UNITS]: 1 } },
    });
  });

  it('a promise keeps the next decision off the promised capacity', () => {
    const sites = [makeSite('a').pool(gpuPool('g').nvidia('L40S', 2)), makeSite('b').region('cn-north').pool(gpuPool('g').nvidia('L40S', 2))];
    const svc = makeInferenceService().replicas(2).variant(variant('gpu').nvidia('L40S', 1)).preferredRegions('cn-east');
    const first = distribute(svc.workload(), snapshotOf(sites));
    expect(brief(first)).toEqual(['a 2 gpu']);
    const second = distribute(svc.workload(), snapshotOf(sites, promisedForDistribution(first, [])));
    expect(brief(second)).toEqual(['b 2 gpu']);
  });

  it('is deterministic whatever the order of sites and current assignments', () => {
    const current: Assignment[] = [
      { site: 'shanghai', variant: 'gpu', replicas: 1 },
      { site: 'beijing', variant: 'gpu', replicas: 2 },
    ];
    const a = JSON.stringify(distribute(chat().workload(5), snapshotOf(lab()), DEFAULT_PLACEMENT_CONFIG, current));
    const s = labSites();
    const b = JSON.stringify(
      distribute(chat().workload(5), snapshotOf([s.beijing, s.guizhou, s.shanghai]), DEFAULT_PLACEMENT_CONFIG, [...current].reverse()),
    );
    expect(b).toBe(a);
  });

  it('bounds its record at more than MAX_RECORDED_CANDIDATES sites, unless asked for the complete record', () => {
    const count = MAX_RECORDED_CANDIDATES + 6;
    const sites = Array.from({ length: count }, (_, i) => makeSite(`s${String(i).padStart(3, '0')}`).pool(gpuPool('g').nvidia('L40S', 2)));
    const svc = makeInferenceService().replicas(2).variant(variant('gpu').nvidia('L40S', 1));
    const bounded = distribute(svc.workload(), snapshotOf(sites));
    expect(bounded.record.candidates).toHaveLength(MAX_RECORDED_CANDIDATES);
    expect(bounded.record.message).toMatch(/; 6 more sites not listed \(6 feasible\)$/);
    const complete = distribute(svc.workload(), snapshotOf(sites), DEFAULT_PLACEMENT_CONFIG, [], { completeRecord: true });
    expect(complete.record.candidates).toHaveLength(count);
    expect(complete.record.message).not.toMatch(/not listed/);
    expect(complete.assignments).toEqual(bounded.assignments);
  });
});
