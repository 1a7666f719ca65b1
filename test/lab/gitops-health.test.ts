/**
 * Health as GitOps tools read it, by their own code (docs/gitops-health.md): kstatus, the library Flux's health
 * checks call, and the Argo CD health checks in docs/argocd run by gopher-lua, the interpreter Argo CD embeds — both
 * through tools/gitops-health (built by tools/build-binaries.sh). First on objects the operator's status code puts in
 * every state, then on lab objects: a job that fits (in progress, then current once it succeeded), a job of 1,000
 * workers that no site can ever hold (failed), a Site and a Queue.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { InferenceService, Queue, Site, TrainingJob } from '../../src/api/generated/types.ts';
import { API_VERSION } from '../../src/api/names.ts';
import { admittedStatus } from '../../src/controllers/inference/admission-status.ts';
import { invalidSpecStatus, nextInferenceStatus, type RecordedDecision } from '../../src/controllers/inference/status.ts';
import { makeService, memberDeployment, memberService, variant as inferenceVariant } from '../../src/controllers/inference/testing.ts';
import { nextQueueStatus } from '../../src/controllers/queues/queue-status.ts';
import { computeSiteStatus, type SiteStatusConfig } from '../../src/controllers/site/site-status.ts';
import { makeSession, makeSite, T0 } from '../../src/controllers/site/testing.ts';
import { nextStatus, type StatusUpdate } from '../../src/controllers/training/status.ts';
import { makeTrainingJob, memberJob, variant } from '../../src/controllers/training/testing.ts';
import type { ConnectionVerdict } from '../../src/clusters/site-clients.ts';
import { findBinary, REPO_ROOT } from '../../src/lab/binaries.ts';
import { applyYaml, getTrainingJob } from './support/hub.ts';
import { eventually, kubectl, kubectlJson } from './support/shared-lab.ts';
import { h100Job, useWorkloadNamespace } from './support/workload-namespace.ts';

/** Report is one object as tools/gitops-health prints it with -o json. */
interface Report {
  readonly kind: string;
  readonly name: string;
  readonly kstatus: { readonly status: string; readonly message: string };
  readonly lua: { readonly status: string; readonly message: string };
  readonly error?: string;
}

/** check runs kstatus and the Argo CD checks on `objects` and returns one report per object, in order. */
function check(objects: readonly object[]): Report[] {
  const bin = findBinary('gitops-health', process.env);
  const r = spawnSync(bin, ['--lua-dir', join(REPO_ROOT, 'docs/argocd'), '-o', 'json'], { input: JSON.stringify(objects), encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`gitops-health exited ${r.status}: ${r.stderr}\n${r.stdout}`);
  return JSON.parse(r.stdout) as Report[];
}

/** checkOne is check for one object. */
function checkOne(obj: object): Report {
  const [report] = check([obj]);
  if (report === undefined) throw new Error('gitops-health printed no report');
  return report;
}

/**
 * What the two tools must say together: kstatus InProgress with Argo CD Progressing (or Suspended, where the spec
 * holds the object back on purpose), Current with Healthy, Failed with Degraded.
 */
type Verdict = 'InProgress/Progressing' | 'InProgress/Suspended' | 'Current/Healthy' | 'Failed/Degraded';
const verdictOf = (r: Report): string => `${r.kstatus.status}/${r.lua.status}`;

// ---------------------------------------------------------------------------------------------------------------
// Objects in every state, computed by the operator's own status code (no cluster needed).

const at = (s: number): Date => new Date(T0 + s * 1000);

/** observed stamps the object as the apiserver returns it: generation 1, as the status observed it. */
function observed<T extends { metadata: { generation?: number } }>(obj: T): T {
  return { ...obj, metadata: { ...obj.metadata, generation: 1 } };
}

function trainingJob(workers = 2): TrainingJob {
  return makeTrainingJob('train').workers(workers).generation(1).variant(variant('h100').nvidia('H100', 8)).obj();
}
function walk(...updates: StatusUpdate[]): TrainingJob {
  let tj = trainingJob();
  for (const [i, u] of updates.entries()) tj = { ...tj, status: nextStatus(tj, u, at(i)) };
  return tj;
}
const noFit = { message: '0/1 sites fit: shanghai: needs 16 nvidia.com/gpu, 8 free' };
const placedOn: StatusUpdate = { kind: 'Placed', decision: { site: 'shanghai', variant: 'h100', epoch: 1 }, record: { message: 'placed on shanghai' } };
const job = (b: ReturnType<typeof memberJob>): StatusUpdate => ({ kind: 'Observed', job: b.obj() });

function service(): InferenceService {
  return makeService('chat').replicas(2, 3).generation(1).variant(inferenceVariant('gpu').nvidia(undefined, 1)).obj();
}
const three: RecordedDecision = { assignments: [{ site: 'shanghai', variant: 'gpu', replicas: 3 }], placement: { epoch: 1, message: 'placed 3/3' }, short: 0, sitesShort: 0 };
function serving(ready: number, decision: RecordedDecision = three): InferenceService {
  const s = service();
  const seen = new Map([['shanghai', { deployment: memberDeployment(s, 'shanghai').ready(ready).obj(), service: memberService(s, 'shanghai') }]]);
  return { ...s, status: nextInferenceStatus(s, decision, decision.assignments.length === 0 ? new Map() : seen, at(0)) };
}

const SITE_CFG: SiteStatusConfig = { leaseMs: 40_000, successThreshold: 2, lostAfterMs: 300_000 };
function site(build: (b: ReturnType<typeof makeSite>) => ReturnType<typeof makeSite>, session: Parameters<typeof computeSiteStatus>[1], now: number, connection?: ConnectionVerdict): Site {
  const s = observed(build(makeSite('shanghai')).obj());
  return { ...s, status: computeSiteStatus(s, session, now, SITE_CFG, connection === undefined ? {} : { connection }) };
}
const heardAt = (b: ReturnType<typeof makeSite>) => b.status({ lastHeartbeatTime: new Date(T0).toISOString().replace('.000Z', 'Z') });

function queue(generation: number, observedGeneration?: number): Queue {
  const q: Queue = { apiVersion: API_VERSION, kind: 'Queue', metadata: { name: 'research', generation }, spec: { quota: { 'nvidia.com/gpu': '16' } } };
  if (observedGeneration === undefined) return { ...q, status: nextQueueStatus(q, undefined, [], at(0)) };
  return { ...q, status: { observedGeneration } };
}

const STATES: ReadonlyArray<{ name: string; obj: () => object; want: Verdict }> = [
  // TrainingJob
  { name: 'TrainingJob just created (status as the CRD defaults it)', obj: () => ({ ...trainingJob(), status: { observedGeneration: 0 } }), want: 'InProgress/Progressing' },
  { name: 'TrainingJob waiting for capacity', obj: () => walk({ kind: 'Unschedulable', record: noFit }), want: 'InProgress/Progressing' },
  { name: 'TrainingJob waiting in its queue', obj: () => walk({ kind: 'Waiting', reason: 'QuotaExceeded', message: 'needs 16, queue has 8 left', record: noFit }), want: 'InProgress/Progressing' },
  { name: 'TrainingJob that can never fit', obj: () => walk({ kind: 'Unschedulable', record: noFit, never: true }), want: 'Failed/Degraded' },
  { name: 'TrainingJob placed', obj: () => walk(placedOn), want: 'InProgress/Progressing' },
  { name: 'TrainingJob running', obj: () => walk(placedOn, job(memberJob().active(2).ready(2))), want: 'InProgress/Progressing' },
  { name: 'TrainingJob restarting after a lost site', obj: () => walk(placedOn, { kind: 'Unplaced', outcome: 'SiteLost', message: 'lost' }), want: 'InProgress/Progressing' },
  { name: 'TrainingJob succeeded', obj: () => walk(placedOn, job(memberJob().succeeded(2).complete())), want: 'Current/Healthy' },
  { name: 'TrainingJob failed', obj: () => walk(placedOn, job(memberJob().failed('BackoffLimitExceeded', 'backoff limit'))), want: 'Failed/Degraded' },
  { name: 'TrainingJob suspended', obj: () => walk(placedOn, { kind: 'Suspended' }), want: 'InProgress/Suspended' },
  {
    name: 'TrainingJob whose spec changed since the status (generation 2, observed 1)',
    obj: () => {
      const tj = walk(placedOn, job(memberJob().active(2).ready(2)));
      return { ...tj, metadata: { ...tj.metadata, generation: 2 } };
    },
    want: 'InProgress/Progressing',
  },
  // InferenceService
  { name: 'InferenceService admitted, nothing placed', obj: () => ({ ...service(), status: admittedStatus(service(), { kind: 'Admit', queue: '', charge: {}, borrowed: {} }, at(0)) }), want: 'InProgress/Progressing' },
  { name: 'InferenceService below its minimum', obj: () => serving(1), want: 'InProgress/Progressing' },
  { name: 'InferenceService at its minimum, more desired', obj: () => serving(2), want: 'Current/Healthy' },
  { name: 'InferenceService all ready', obj: () => serving(3), want: 'Current/Healthy' },
  {
    name: 'InferenceService whose minimum can never fit',
    obj: () => serving(0, { ...three, assignments: [], short: 3, neverFits: '0 of 2 replicas fit: no site fits' }),
    want: 'Failed/Degraded',
  },
  { name: 'InferenceService with a spec that cannot be read', obj: () => ({ ...serving(3), status: invalidSpecStatus(serving(3), 'invalid spec: x', at(1)) }), want: 'Failed/Degraded' },
  // Site
  { name: 'Site whose agent never connected', obj: () => site((b) => b, undefined, T0), want: 'InProgress/Progressing' },
  { name: 'Site counting heartbeats', obj: () => site((b) => b, makeSession().heartbeats(1, T0).obj(), T0), want: 'InProgress/Progressing' },
  { name: 'Site Ready', obj: () => site((b) => b, makeSession().heartbeats(3, T0).obj(), T0), want: 'Current/Healthy' },
  { name: 'Site whose lease expired', obj: () => site(heardAt, undefined, T0 + 60_000), want: 'InProgress/Progressing' },
  { name: 'Site lost', obj: () => site(heardAt, undefined, T0 + 400_000), want: 'Failed/Degraded' },
  {
    name: 'Site whose kubeconfig is refused',
    obj: () => site((b) => b, makeSession().heartbeats(3, T0).obj(), T0, { ok: false, reason: 'KubeconfigNotAllowed', message: 'users[0].user.exec is not allowed' }),
    want: 'Failed/Degraded',
  },
  { name: 'Site cordoned', obj: () => site((b) => b.cordon(), makeSession().heartbeats(3, T0).obj(), T0), want: 'InProgress/Suspended' },
  // Queue
  { name: 'Queue just created (status as the CRD defaults it)', obj: () => queue(1, 0), want: 'InProgress/Progressing' },
  { name: 'Queue observed', obj: () => queue(1), want: 'Current/Healthy' },
  { name: 'Queue edited, not observed yet', obj: () => queue(2, 1), want: 'InProgress/Progressing' },
];

describe('kstatus and the Argo CD checks on objects in every state', () => {
  it('agree with the table, object by object, and name why', () => {
    const reports = check(STATES.map((s) => s.obj()));
    expect(reports).toHaveLength(STATES.length);
    const got = reports.map((r, i) => ({ state: STATES[i]?.name, verdict: verdictOf(r), error: r.error }));
    expect(got).toEqual(STATES.map((s) => ({ state: s.name, verdict: s.want, error: undefined })));
    // Every verdict but Current comes with a message a person can act on.
    for (const [i, r] of reports.entries()) {
      if (r.kstatus.status !== 'Current') expect(r.kstatus.message, STATES[i]?.name).not.toBe('');
      expect(r.lua.message, STATES[i]?.name).not.toBe('');
    }
  });

  it('a job that can never fit says so to both tools', () => {
    const r = checkOne(walk({ kind: 'Unschedulable', record: noFit, never: true }));
    expect(r.kstatus.message).toMatch(/^can never fit the federation as built/);
    expect(r.lua.message).toBe(r.kstatus.message);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Lab objects, as the operator writes them.

describe('kstatus and the Argo CD checks on lab objects', () => {
  const t = useWorkloadNamespace('gitops');
  const queueName = `gitops-${randomBytes(3).toString('hex')}`;
  afterAll(() => {
    kubectl(t.hub, ['delete', 'queue', queueName, '--ignore-not-found']);
  });

  const tj = (name: string): TrainingJob => getTrainingJob(t.hub, t.ns, name);

  it('a job that fits: in progress while it is placed and runs, current once it succeeded', async () => {
    applyYaml(t.hub, h100Job('fits', 1), t.ns);
    const seen = new Set<string>();
    const done = await eventually(
      () => {
        const obj = tj('fits');
        const r = checkOne(obj);
        const phase = obj.status?.phase ?? '(none)';
        seen.add(`${phase}:${verdictOf(r)}`);
        if (phase !== 'Succeeded') expect(verdictOf(r), `${phase}: ${r.kstatus.message}`).toBe('InProgress/Progressing');
        expect(phase).toBe('Succeeded');
        return r;
      },
      { timeoutMs: 120_000, intervalMs: 300 },
    );
    expect(verdictOf(done)).toBe('Current/Healthy');
    // It was seen in progress before it was done (kwok runs the pods for 12 s).
    expect([...seen].some((s) => s.endsWith(':InProgress/Progressing')), [...seen].join(', ')).toBe(true);
  });

  it('a job of 1,000 workers, which no site can ever hold: failed, while it stays Pending', async () => {
    applyYaml(t.hub, h100Job('huge', 1000), t.ns);
    const r = await eventually(
      () => {
        const report = checkOne(tj('huge'));
        expect(verdictOf(report), report.kstatus.message).toBe('Failed/Degraded');
        return report;
      },
      { timeoutMs: 60_000, intervalMs: 300 },
    );
    expect(r.kstatus.message).toMatch(/^can never fit the federation as built/);
    expect(tj('huge').status?.phase).toBe('Pending');
  });

  it('a Site of the lab: current while Ready', () => {
    for (const name of t.lab.sites) {
      const r = checkOne(kubectlJson<Site>(t.hub, ['get', 'site', name]));
      expect(verdictOf(r), `${name}: ${r.kstatus.message}`).toBe('Current/Healthy');
    }
  });

  it('a Queue: in progress as created (the CRD defaults observedGeneration to 0), current once the operator observed it', async () => {
    const created = kubectl(t.hub, ['create', '-o', 'json', '-f', '-'], {
      input: JSON.stringify({ apiVersion: API_VERSION, kind: 'Queue', metadata: { name: queueName }, spec: { quota: { 'nvidia.com/gpu': '8' } } }),
    });
    expect(created.code, created.stderr).toBe(0);
    const fresh = JSON.parse(created.stdout) as Queue;
    expect(fresh.status).toEqual({ observedGeneration: 0 });
    expect(verdictOf(checkOne(fresh))).toBe('InProgress/Progressing');
    await eventually(() => expect(verdictOf(checkOne(kubectlJson<Queue>(t.hub, ['get', 'queue', queueName])))).toBe('Current/Healthy'), {
      timeoutMs: 60_000,
      intervalMs: 300,
    });
    // A spec change is in progress until observed, then current again.
    kubectl(t.hub, ['patch', 'queue', queueName, '--type=merge', '-p', JSON.stringify({ spec: { weight: 2 } })]);
    await eventually(
      () => {
        const q = kubectlJson<Queue>(t.hub, ['get', 'queue', queueName]);
        expect(q.status?.observedGeneration).toBe(2);
        expect(verdictOf(checkOne(q))).toBe('Current/Healthy');
      },
      { timeoutMs: 60_000, intervalMs: 300 },
    );
  });
});
