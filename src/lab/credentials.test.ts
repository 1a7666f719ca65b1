import { describe, expect, it } from 'vitest';
import { load } from 'js-yaml';
import { kubeconfigYaml, LAB_ADMIN_USER, LAB_OPERATOR_USER, newToken, tokenFileText } from './credentials.ts';

describe('lab credentials', () => {
  it('render a token file with one line per identity, groups quoted as the apiserver reads them', () => {
    const text = tokenFileText([
      { token: 'a1', user: LAB_ADMIN_USER, groups: ['system:masters'] },
      { token: 'o2', user: LAB_OPERATOR_USER, groups: ['system:masters', 'x'] },
      { token: 'n3', user: 'nobody', groups: [] },
    ]);
    expect(text).toBe('a1,suanwang-lab-admin,suanwang-lab-admin,"system:masters"\no2,suanwang-lab-operator,suanwang-lab-operator,"system:masters,x"\nn3,nobody,nobody\n');
  });

  it('give every identity its own kubeconfig user entry', () => {
    const kc = load(kubeconfigYaml({ cluster: 'east', server: 'https://127.0.0.1:6443', caPem: 'PEM', token: 't', user: 'operator' })) as {
      users: Array<{ name: string; user: { token: string } }>;
      contexts: Array<{ context: { user: string } }>;
    };
    expect(kc.users).toEqual([{ name: 'suanwang-lab-east-operator', user: { token: 't' } }]);
    expect(kc.contexts[0]?.context.user).toBe('suanwang-lab-east-operator');
    expect(kubeconfigYaml({ cluster: 'east', server: 's', caPem: 'PEM', token: 't' })).toContain('name: suanwang-lab-east-admin');
  });

  it('mint distinct random tokens', () => {
    expect(newToken()).toMatch(/^[0-9a-f]{48}$/);
    expect(newToken()).not.toBe(newToken());
  });
});
