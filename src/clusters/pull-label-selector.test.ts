import { describe, expect, it } from 'vitest';
import { ApiError } from '../runtime/errors.ts';
import { matchesLabels, parseEqualityLabelSelector } from './pull-label-selector.ts';

const LABELS = { 'suanwang.io/workload': 'a', 'suanwang.io/namespace': 'team-a', tier: '' };

describe('equality label selectors', () => {
  const cases: ReadonlyArray<{ name: string; selector: string; wantMatch: boolean }> = [
    { name: 'empty selects everything', selector: '', wantMatch: true },
    { name: 'one term', selector: 'suanwang.io/workload=a', wantMatch: true },
    { name: 'two terms, double equals and blanks', selector: 'suanwang.io/workload==a , suanwang.io/namespace=team-a', wantMatch: true },
    { name: 'an empty value matches an empty label', selector: 'tier=', wantMatch: true },
    { name: 'another value', selector: 'suanwang.io/workload=b', wantMatch: false },
    { name: 'one of two terms misses', selector: 'suanwang.io/workload=a,suanwang.io/namespace=team-b', wantMatch: false },
    { name: 'a label the object lacks', selector: 'suanwang.io/epoch=1', wantMatch: false },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(matchesLabels(parseEqualityLabelSelector(c.selector), LABELS)).toBe(c.wantMatch);
    });
  }

  it('matches nothing but the empty selector against an object without labels', () => {
    expect(matchesLabels(parseEqualityLabelSelector(''), undefined)).toBe(true);
    expect(matchesLabels(parseEqualityLabelSelector('a=b'), undefined)).toBe(false);
  });

  for (const selector of ['a!=b', 'a in (b)', 'a', '!a', 'a=b,c']) {
    it(`refuses ${JSON.stringify(selector)}, naming the selector`, () => {
      let err: unknown;
      try {
        parseEqualityLabelSelector(selector);
      } catch (e: unknown) {
        err = e;
      }
      expect(err).toBeInstanceOf(ApiError);
      expect((err as ApiError).code).toBe('Invalid');
      expect((err as ApiError).message).toContain(`"${selector}"`);
    });
  }
});
