// The committed TypeScript types must be what scripts/gen-proto.sh makes from the proto today: regenerate into a
// temporary folder and compare file by file.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadAgentProtocol } from './load.ts';
import type { NodePool } from './messages.ts';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '../..');
const committed = join(here, 'generated');

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

describe('generated wire types', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'suanwang-gen-proto-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('are up to date with proto/suanwang/agent/v1/agent.proto (run scripts/gen-proto.sh)', () => {
    const out = join(tmp, 'generated');
    // PATH starts with this Node so the script's own setup finds it without installing anything.
    execFileSync('bash', [join(repo, 'scripts/gen-proto.sh'), out], {
      cwd: repo,
      env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env['PATH'] ?? ''}` },
      stdio: 'pipe',
    });
    expect(files(out)).toEqual(files(committed));
    for (const f of files(committed)) expect({ file: f, text: readFileSync(join(out, f), 'utf8') }).toEqual({ file: f, text: readFileSync(join(committed, f), 'utf8') });
  }, 60_000);

  it('describe the package the loader reads at run time', () => {
    const proto = loadAgentProtocol();
    expect(Object.keys(proto.SiteAgent.service).sort()).toEqual(['Register', 'Session']);
    expect(proto.SiteAgent.service.Session.requestStream && proto.SiteAgent.service.Session.responseStream).toBe(true);
    // A message round trip keeps an optional 0 and leaves an unset optional absent.
    const enc = proto.SiteAgent.service.Session.requestSerialize({ seq: 3, heartbeat: { snapshotGeneration: 2, nodesReady: 0 } });
    const dec = proto.SiteAgent.service.Session.requestDeserialize(enc);
    expect(dec).toMatchObject({ seq: 3, payload: 'heartbeat', heartbeat: { snapshotGeneration: 2, nodesReady: 0 } });
    expect(dec.heartbeat).not.toHaveProperty('nodesTotal');
  });

  it('carry pull mode: a member sync to the agent and a member report back, field by field', () => {
    const session = loadAgentProtocol().SiteAgent.service.Session;
    const job = { kind: 'Job', namespace: 'ml', name: 'train-0' };
    // Every field set: what goes in comes back, under its payload name.
    const memberSync = {
      full: true,
      apply: [{ ref: job, manifestJson: '{"kind":"Job"}', contentHash: 'h1' }],
      remove: [{ kind: 'Service', namespace: 'ml', name: 'old' }],
      generation: 12,
      part: 1,
      parts: 3,
    };
    const sync = session.responseDeserialize(session.responseSerialize({ memberSync }));
    expect(sync).toEqual({ payload: 'memberSync', memberSync });
    const memberReport = {
      full: false,
      states: [
        { ref: job, objectJson: '{"status":{}}', appliedHash: 'h1' },
        { ref: { ...job, name: 'train-1' }, appliedHash: 'h2', refusalReason: 'ImageNotAllowed', refusalMessage: 'not from here' },
      ],
      gone: [{ kind: 'Deployment', namespace: 'ml', name: 'serve' }],
      appliedGeneration: 12,
    };
    const report = session.requestDeserialize(session.requestSerialize({ seq: 8, memberReport }));
    expect(report).toEqual({ seq: 8, payload: 'memberReport', memberReport });
  });

  it('tell a pool without a free shape from one whose shape is empty', () => {
    const proto = loadAgentProtocol();
    const roundTrip = (pool: NodePool) => {
      const enc = proto.SiteAgent.service.Session.requestSerialize({ seq: 1, snapshot: { site: 's', generation: 1, nodePools: [pool] } });
      return proto.SiteAgent.service.Session.requestDeserialize(enc).snapshot?.nodePools?.[0];
    };
    expect(roundTrip({ name: 'old-agent' })).not.toHaveProperty('freeShape');
    // Present with no buckets: an empty repeated field decodes absent, the message around it does not.
    expect(roundTrip({ name: 'nothing-schedulable', freeShape: { buckets: [] } })?.freeShape).toEqual({});
    const shaped = roundTrip({ name: 'p', freeShape: { buckets: [{ nodes: 2, devices: 0, cpu: '0', memory: '1Gi' }] } });
    expect(shaped?.freeShape?.buckets).toMatchObject([{ nodes: 2, cpu: '0', memory: '1Gi' }]);
    // A zero count may travel or not (proto3 has no presence for it; other encoders leave zeros out): the operator
    // reads an absent count as 0 (src/controllers/site/pool-status.ts).
    expect(shaped?.freeShape?.buckets?.[0]?.devices ?? 0).toBe(0);
  });
});
