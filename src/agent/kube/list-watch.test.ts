import type { KubernetesObject } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../runtime/clock.ts';
import type { SourceHandlers, SourceInformer } from '../../runtime/informer-supervisor.ts';
import { listWatchFactory } from './list-watch.ts';
import { FakeApiserver, json, status, type OpenWatch, type Seen } from './testing.ts';

interface Item extends KubernetesObject {
  readonly kept: string;
}

/** project keeps the name, version and one field, so the tests see it applied to every object. */
const project = (raw: unknown): Item => {
  const o = raw as { metadata: { name: string; resourceVersion: string }; spec?: { value?: string } };
  return { metadata: { name: o.metadata.name, resourceVersion: o.metadata.resourceVersion }, kept: o.spec?.value ?? '' };
};

const obj = (name: string, rv: string, value = 'v'): unknown => ({ metadata: { name, resourceVersion: rv, managedFields: [{}] }, spec: { value, big: 'x'.repeat(100) } });

class Recorder implements SourceHandlers<Item> {
  readonly calls: string[] = [];
  readonly items: Item[] = [];
  list(items: readonly Item[]): void {
    this.items.push(...items);
    this.calls.push(`list ${items.map((i) => `${i.metadata?.name}=${i.kept}`).join(',')}`);
  }
  upsert(o: Item): void {
    this.items.push(o);
    this.calls.push(`upsert ${o.metadata?.name}=${o.kept}`);
  }
  delete(o: Item): void {
    this.calls.push(`delete ${o.metadata?.name}`);
  }
  alive(what: 'connect' | 'bookmark'): void {
    this.calls.push(what);
  }
  error(err: unknown): void {
    this.calls.push(`error ${(err as { statusCode?: number }).statusCode ?? String(err)}`);
  }
}

/** until polls `cond`; with a clock, it moves the clock past any reconnect delay while it waits. */
async function until(what: string, cond: () => boolean, clock?: FakeClock): Promise<void> {
  const deadline = Date.now() + 3000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    clock?.advance(30_000);
    await new Promise((r) => setTimeout(r, 5));
  }
}

let fake: FakeApiserver;
let informer: SourceInformer | undefined;
afterEach(async () => {
  await informer?.stop();
  informer = undefined;
  await fake.stop();
});

/** serve answers lists with `list()` and opens a watch for every watch request. */
function serve(list: (seen: Seen) => unknown): OpenWatch[] {
  fake.handler = (seen, res) => {
    if (seen.query['watch'] === 'true') fake.watch(seen, res);
    else json(res, list(seen));
  };
  return fake.watches;
}

async function start(rec: Recorder, clock = new FakeClock(), watchIdleTimeoutMs = 5000): Promise<FakeClock> {
  const api = await fake.api();
  informer = listWatchFactory<Item>({ api, path: '/api/v1/pods', fieldSelector: 'spec.nodeName!=', project, clock, watchIdleTimeoutMs })(rec);
  await informer.start();
  return clock;
}

describe("the agent's list+watch", () => {
  it('lists, then watches from the list version with bookmarks, projecting every object', async () => {
    fake = new FakeApiserver();
    const watches = serve(() => ({ metadata: { resourceVersion: '10' }, items: [obj('a', '5', 'one'), obj('b', '6', 'two')] }));
    const rec = new Recorder();
    await start(rec);
    await until('the watch', () => watches.length === 1);
    expect(watches[0]?.seen.query).toEqual({ fieldSelector: 'spec.nodeName!=', watch: 'true', allowWatchBookmarks: 'true', resourceVersion: '10' });
    const w = watches[0] as OpenWatch;
    w.event('ADDED', obj('c', '11', 'three'));
    w.raw(JSON.stringify({ type: 'MODIFIED', object: obj('a', '12', 'four') }).slice(0, 20));
    w.raw(`${JSON.stringify({ type: 'MODIFIED', object: obj('a', '12', 'four') }).slice(20)}\n`);
    w.raw('not json\n');
    w.event('BOOKMARK', { metadata: { resourceVersion: '13' } });
    w.event('DELETED', obj('b', '14'));
    await until('the events', () => rec.calls.length === 6);
    expect(rec.calls).toEqual(['connect', 'list a=one,b=two', 'upsert c=three', 'upsert a=four', 'bookmark', 'delete b']);
    expect(rec.items.every((i) => Object.keys(i).join() === 'metadata,kept' && Object.keys(i.metadata ?? {}).join() === 'name,resourceVersion')).toBe(true);
    expect(fake.seen[0]?.query).toMatchObject({ fieldSelector: 'spec.nodeName!=', limit: '500' });

    // A watch that ends cleanly is re-opened from the last version seen, at once the first time.
    w.end();
    await until('the re-watch', () => watches.length === 2);
    expect(watches[1]?.seen.query['resourceVersion']).toBe('14');
    expect(rec.calls.at(-1)).toBe('connect');
    expect(fake.seen.filter((s) => s.query['watch'] !== 'true')).toHaveLength(1);
  });

  it('waits 1 s, then 2 s, before re-watching a watch that keeps ending with nothing in it', async () => {
    fake = new FakeApiserver();
    const watches = serve(() => ({ metadata: { resourceVersion: '1' }, items: [] }));
    const rec = new Recorder();
    const clock = await start(rec);
    await until('the watch', () => watches.length === 1);
    watches[0]?.end();
    await until('the first re-watch', () => watches.length === 2);
    watches[1]?.end();
    await until('the delay', () => clock.nextTimerIn() === 1000);
    clock.advance(1000);
    await until('the second re-watch', () => watches.length === 3);
    watches[2]?.end();
    await until('the longer delay', () => clock.nextTimerIn() === 2000);
    clock.advance(2000);
    await until('the third re-watch', () => watches.length === 4);
    // An event resets the delay.
    watches[3]?.event('ADDED', obj('a', '2'));
    await until('the event', () => rec.calls.includes('upsert a=v'));
    watches[3]?.end();
    await until('the next re-watch', () => watches.length === 5);
  });

  it('relists after a 410, as an ERROR event or as the watch answer', async () => {
    fake = new FakeApiserver();
    let lists = 0;
    let refuseNextWatch = false;
    fake.handler = (seen, res) => {
      if (seen.query['watch'] !== 'true') return json(res, { metadata: { resourceVersion: String(100 * ++lists) }, items: [obj(`l${lists}`, String(100 * lists))] });
      if (refuseNextWatch) {
        refuseNextWatch = false;
        return status(res, 410, 'Expired', 'too old resource version');
      }
      fake.watch(seen, res);
    };
    const rec = new Recorder();
    const clock = await start(rec);
    await until('the watch', () => fake.watches.length === 1);
    fake.watches[0]?.event('ERROR', { kind: 'Status', code: 410, reason: 'Expired' });
    fake.watches[0]?.end();
    await until('the relist', () => lists === 2 && fake.watches.length === 2, clock);
    expect(fake.watches[1]?.seen.query['resourceVersion']).toBe('200');
    refuseNextWatch = true;
    fake.watches[1]?.end();
    await until('the relist after a refused watch', () => lists === 3 && fake.watches.length === 3, clock);
    expect(fake.watches[2]?.seen.query['resourceVersion']).toBe('300');
    expect(rec.calls.filter((c) => c.startsWith('error'))).toEqual([]);
  });

  it('re-watches at once from the last version when the watch goes silent', async () => {
    fake = new FakeApiserver();
    const watches = serve(() => ({ metadata: { resourceVersion: '7' }, items: [] }));
    const rec = new Recorder();
    await start(rec, new FakeClock(), 150);
    await until('the watch', () => watches.length === 1);
    watches[0]?.event('ADDED', obj('a', '8'));
    await until('the silent watch to be dropped and re-opened', () => watches.length === 2);
    expect(watches[1]?.seen.query['resourceVersion']).toBe('8');
  });

  it('reports any other failure once and does nothing more', async () => {
    fake = new FakeApiserver();
    fake.handler = (_s, res) => status(res, 403, 'Forbidden');
    const rec = new Recorder();
    await start(rec);
    await until('the error', () => rec.calls.includes('error 403'));
    await new Promise((r) => setTimeout(r, 50));
    expect(rec.calls).toEqual(['connect', 'error 403']);
    expect(fake.seen).toHaveLength(1);

    // A watch refused with anything but 410 is reported too.
    await informer?.stop();
    let listed = false;
    fake.handler = (seen, res) => {
      if (seen.query['watch'] !== 'true') {
        listed = true;
        return json(res, { metadata: { resourceVersion: '1' }, items: [] });
      }
      status(res, 500, 'InternalError');
    };
    const again = new Recorder();
    informer = listWatchFactory<Item>({ api: await fake.api(), path: '/api/v1/pods', project, clock: new FakeClock() })(again);
    await informer.start();
    await until('the watch error', () => again.calls.includes('error 500'));
    expect(listed).toBe(true);
    expect(again.calls).toEqual(['connect', 'list ', 'error 500']);
  });

  it('reports nothing after stop, and closes its watch', async () => {
    fake = new FakeApiserver();
    const watches = serve(() => ({ metadata: { resourceVersion: '1' }, items: [] }));
    const rec = new Recorder();
    await start(rec);
    await until('the watch', () => watches.length === 1);
    await informer?.stop();
    watches[0]?.event('ADDED', obj('late', '2'));
    await new Promise((r) => setTimeout(r, 50));
    expect(rec.calls).toEqual(['connect', 'list ']);
    await until('the watch connection to close', () => fake.seen.length === 2 && watches.length === 1);
  });
});
