import { HttpMethod, RequestContext, type ConfigurationOptions, type V1Node } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { KubernetesNodeWriter, type NodeApi } from './node-writer.ts';

interface Call {
  readonly method: string;
  readonly param: { name: string; body?: unknown; fieldManager?: string };
  readonly contentType: string | undefined;
}

/** contentTypeOf runs the call's middleware on a request the way client-node does, and reads the final header. */
async function contentTypeOf(options: ConfigurationOptions | undefined): Promise<string | undefined> {
  const req = new RequestContext('https://example/api/v1/nodes/n', HttpMethod.PATCH);
  req.setHeaderParam('Content-Type', 'application/json-patch+json'); // what client-node picks by itself
  for (const m of options?.middleware ?? []) await m.pre(req).toPromise();
  return req.getHeaders()['Content-Type'];
}

function fakeApi(node: V1Node): { api: NodeApi; calls: Call[] } {
  const calls: Call[] = [];
  const record = async (method: string, param: Call['param'], options?: ConfigurationOptions): Promise<V1Node> => {
    calls.push({ method, param, contentType: await contentTypeOf(options) });
    return node;
  };
  const api = {
    readNode: (param: Call['param']) => record('readNode', param),
    patchNode: (param: Call['param'], options?: ConfigurationOptions) => record('patchNode', param, options),
    patchNodeStatus: (param: Call['param'], options?: ConfigurationOptions) => record('patchNodeStatus', param, options),
  } as unknown as NodeApi;
  return { api, calls };
}

describe('KubernetesNodeWriter', () => {
  it('reads the annotation and our condition, leaving the other conditions alone', async () => {
    const { api } = fakeApi({
      metadata: { name: 'n', annotations: { 'suanwang.io/devices': '{"v":1}' } },
      status: {
        conditions: [
          { type: 'Ready', status: 'True' },
          { type: 'AcceleratorHealthy', status: 'False', reason: 'DevicesUnhealthy', message: 'm', lastTransitionTime: new Date('2026-01-01T00:00:00Z') },
        ],
      },
    });
    expect(await new KubernetesNodeWriter(api).read('n')).toEqual({
      annotation: '{"v":1}',
      condition: { status: 'False', reason: 'DevicesUnhealthy', message: 'm', lastTransitionTime: '2026-01-01T00:00:00.000Z' },
    });
  });

  it('writes the annotation with a JSON merge patch and the condition with a strategic merge patch on status', async () => {
    const { api, calls } = fakeApi({});
    const w = new KubernetesNodeWriter(api);
    await w.writeAnnotation('n', '{"v":1}');
    await w.writeCondition('n', {
      type: 'AcceleratorHealthy',
      status: 'True',
      reason: 'AllDevicesHealthy',
      message: 'ok',
      lastHeartbeatTime: 't',
      lastTransitionTime: 't',
    });
    expect(calls).toEqual([
      {
        method: 'patchNode',
        param: { name: 'n', body: { metadata: { annotations: { 'suanwang.io/devices': '{"v":1}' } } }, fieldManager: 'suanwang-node-reporter' },
        contentType: 'application/merge-patch+json',
      },
      {
        method: 'patchNodeStatus',
        param: {
          name: 'n',
          body: {
            status: {
              conditions: [
                { type: 'AcceleratorHealthy', status: 'True', reason: 'AllDevicesHealthy', message: 'ok', lastHeartbeatTime: 't', lastTransitionTime: 't' },
              ],
            },
          },
          fieldManager: 'suanwang-node-reporter',
        },
        contentType: 'application/strategic-merge-patch+json',
      },
    ]);
  });

  it('classifies failures', async () => {
    const api = { readNode: () => Promise.reject(Object.assign(new Error('x'), { code: 404, body: '{"reason":"NotFound"}' })) } as unknown as NodeApi;
    await expect(new KubernetesNodeWriter(api).read('n')).rejects.toMatchObject({ name: 'ApiError', code: 'NotFound' });
  });
});
