import { KubeConfig, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { FakeClock } from './clock.ts';
import type { SourceHandlers } from './informer-supervisor.ts';
import { listWatchInformerFactory, type WatchFn } from './list-watch-informer.ts';
import { deferred, flush } from './testing.ts';

// These tests run client-node's real ListWatch with the one HTTP call (Watch.watch) and the list replaced by stubs.
// They pin down the behaviour list-watch-informer.ts documents relying on; real apiserver tests live in test/lab.

interface WatchCall {
  readonly query: Record<string, string | number | boolean | undefined>;
  readonly emit: (phase: string, obj: KubernetesObject) => void;
  readonly done: (err: unknown) => void;
  readonly controller: AbortController;
}

function makeObj(name: string, rv: string): KubernetesObject {
  return { metadata: { namespace: 'ns', name, resourceVersion: rv } };
}

function setup(list: () => Promise<KubernetesListObject<KubernetesObject>>) {
  const clock = new FakeClock(0);
  const watches: WatchCall[] = [];
  const watchFn: WatchFn = async (_path, query, callback, done) => {
    const controller = new AbortController();
    watches.push({ query, emit: (phase, obj) => callback(phase, obj, { type: phase, object: obj }), done, controller });
    return controller;
  };
  const events: string[] = [];
  const handlers: SourceHandlers<KubernetesObject> = {
    list: (items) => events.push(`list:${items.map((i) => i.metadata?.name).join(',')}`),
    upsert: (obj) => events.push(`upsert:${obj.metadata?.name}@${obj.metadata?.resourceVersion}`),
    delete: (obj) => events.push(`delete:${obj.metadata?.name}`),
    alive: (what) => events.push(what),
    error: (err) => events.push(`error:${err instanceof Error ? err.message : String(err)}`),
  };
  const factory = listWatchInformerFactory<KubernetesObject>({
    kubeConfig: new KubeConfig(),
    path: '/apis/example.com/v1/things',
    list,
    clock,
    watchFn,
  });
  return { clock, watches, events, informer: factory(handlers) };
}

const listOf = (rv: string, ...items: KubernetesObject[]) => async () => ({ metadata: { resourceVersion: rv }, items });

describe('listWatchInformerFactory', () => {
  it('reports connect, the list (before its replayed adds), then watches from its version with bookmarks on', async () => {
    const h = setup(listOf('10', makeObj('a', '5')));
    await h.informer.start();
    expect(h.events).toEqual(['connect', 'list:a', 'upsert:a@5']);
    expect(h.watches).toHaveLength(1);
    expect(h.watches[0]?.query).toMatchObject({ resourceVersion: '10', allowWatchBookmarks: true });
  });

  it('forwards watch events and reports bookmarks as liveness', async () => {
    const h = setup(listOf('10'));
    await h.informer.start();
    const w = h.watches[0];
    w?.emit('ADDED', makeObj('b', '11'));
    w?.emit('MODIFIED', makeObj('b', '12'));
    w?.emit('BOOKMARK', { metadata: { resourceVersion: '13' } });
    w?.emit('DELETED', makeObj('b', '14'));
    expect(h.events.slice(2)).toEqual(['upsert:b@11', 'upsert:b@12', 'bookmark', 'delete:b']);
  });

  it('reports a non-410 watch failure as error and does not reconnect by itself', async () => {
    const h = setup(listOf('10'));
    await h.informer.start();
    h.watches[0]?.done(Object.assign(new Error('Forbidden'), { statusCode: 403 }));
    await flush();
    expect(h.events.at(-1)).toBe('error:Forbidden');
    h.clock.advance(60_000);
    await flush();
    expect(h.watches).toHaveLength(1);
  });

  it('relists by itself after a 410 on the watch', async () => {
    let rv = 10;
    const h = setup(async () => ({ metadata: { resourceVersion: String(rv++) }, items: [] }));
    await h.informer.start();
    h.watches[0]?.done(Object.assign(new Error('Gone'), { statusCode: 410 }));
    await flush();
    expect(h.events).toEqual(['connect', 'list:', 'connect', 'list:']);
    expect(h.watches[1]?.query.resourceVersion).toBe('11');
  });

  it('after stop forwards nothing and never opens another watch', async () => {
    const h = setup(listOf('10'));
    await h.informer.start();
    // A clean close reconnects at once; a second one sleeps (through our clock) before reconnecting.
    h.watches[0]?.done(null);
    await flush();
    expect(h.watches).toHaveLength(2);
    h.watches[1]?.done(null);
    await flush();
    expect(h.watches).toHaveLength(2);

    await h.informer.stop();
    const before = h.events.length;
    h.watches[1]?.emit('ADDED', makeObj('late', '99'));
    h.watches[1]?.done(new DOMException('This operation was aborted', 'AbortError'));
    h.clock.advance(60_000);
    await flush();
    expect(h.watches).toHaveLength(2);
    expect(h.events.length).toBe(before);
  });

  it('a list that resolves after stop does not go on to watch', async () => {
    const pending = deferred<KubernetesListObject<KubernetesObject>>();
    const h = setup(() => pending.promise);
    void h.informer.start();
    await flush();
    await h.informer.stop();
    pending.resolve({ metadata: { resourceVersion: '1' }, items: [makeObj('a', '1')] });
    await flush();
    expect(h.watches).toHaveLength(0);
    expect(h.events).toEqual(['connect']);
  });
});
