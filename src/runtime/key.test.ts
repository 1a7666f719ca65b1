import { describe, expect, it } from 'vitest';
import { makeKey, objectKey, parseKey } from './key.ts';

describe('keys', () => {
  it('round-trip namespaced and cluster-scoped objects', () => {
    const namespaced = objectKey('TrainingJob', { metadata: { namespace: 'ml', name: 'llm' } });
    const clusterScoped = makeKey('Site', undefined, 'east');
    expect([namespaced, clusterScoped]).toEqual(['TrainingJob/ml/llm', 'Site//east']);
    expect(parseKey(namespaced)).toEqual({ kind: 'TrainingJob', namespace: 'ml', name: 'llm' });
    expect(parseKey(clusterScoped)).toEqual({ kind: 'Site', namespace: '', name: 'east' });
  });

  it.each(['', 'a/b', 'a/b/c/d', '/ns/name', 'Kind/ns/'])('rejects %j', (key) => {
    expect(parseKey(key)).toBeUndefined();
  });
});
