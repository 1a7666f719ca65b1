import { describe, expect, it } from 'vitest';
import { Interner } from './interner.ts';

describe('Interner', () => {
  it('hands back the first value held under a key, and holds no more than its bound', () => {
    const interner = new Interner<{ cpu: string }>(2);
    const a = { cpu: '1' };
    expect(interner.of('a', a)).toBe(a);
    expect(interner.of('a', { cpu: '1' })).toBe(a);
    const b = { cpu: '2' };
    expect(interner.of('b', b)).toBe(b);
    const c = { cpu: '3' };
    expect(interner.of('c', c)).toBe(c);
    expect(interner.of('c', { cpu: '3' })).not.toBe(c);
    expect(interner.size).toBe(2);
  });

  it('refuses a negative bound', () => {
    expect(() => new Interner(-1)).toThrow(/at least 0/);
  });
});
