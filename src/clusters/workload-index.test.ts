import { describe, expect, it } from 'vitest';
import { LABEL_WORKLOAD } from '../api/names.ts';
import { WorkloadIndex } from './workload-index.ts';

const of = (workload: string | undefined) => ({ metadata: { name: 'x', ...(workload !== undefined && { labels: { [LABEL_WORKLOAD]: workload } }) } });

describe('WorkloadIndex', () => {
  it('finds ids by workload, follows a move, and drops an id only when the store no longer holds it', () => {
    const index = new WorkloadIndex();
    index.add('Job/ns/a-1', of('a'));
    index.add('Job/ns/a-2', of('a'));
    index.add('Job/ns/b-1', of('b'));
    index.add('Job/ns/plain', of(undefined));
    expect([...index.ids('a')].sort()).toEqual(['Job/ns/a-1', 'Job/ns/a-2']);
    index.add('Job/ns/a-2', of('b'));
    expect([...index.ids('a')]).toEqual(['Job/ns/a-1']);
    expect([...index.ids('b')].sort()).toEqual(['Job/ns/a-2', 'Job/ns/b-1']);
    index.dropUnless('Job/ns/a-1', true);
    expect([...index.ids('a')]).toEqual(['Job/ns/a-1']);
    index.dropUnless('Job/ns/a-1', false);
    expect([...index.ids('a')]).toEqual([]);
    expect([...index.ids('nobody')]).toEqual([]);
  });
});
