import { describe, expect, it } from 'vitest';
import { MAX_QUANTITY } from '../quantity.ts';
import { QUANTITY_PATTERN, quantity } from './builders.ts';

const pattern = new RegExp(QUANTITY_PATTERN);

const FACTOR: Readonly<Record<string, number>> = {
  '': 1,
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** valueOf computes what a quantity string the pattern accepts stands for, independently of parseQuantity. */
function valueOf(s: string): number {
  const m = /^\+?([0-9]*\.?[0-9]*)(?:[eE]\+?([0-9]+)|([a-zA-Z]*))$/.exec(s);
  if (m === null) throw new Error(`test cannot read ${s}`);
  const mantissa = Number(m[1]);
  return m[2] === undefined ? mantissa * (FACTOR[m[3] ?? ''] ?? NaN) : mantissa * 10 ** Number(m[2]);
}

/** random is a small seeded generator (mulberry32), so a failure reproduces. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('QUANTITY_PATTERN', () => {
  it.each(['8', '500m', '1.5', '.5', '1.', '+4', '512Gi', '2e9', '2E9', '1e+3', '1e18', '9E', '7Ei', '9223372036854775807', '0.000000001'])(
    'accepts %s',
    (q) => {
      expect(pattern.test(q)).toBe(true);
    },
  );

  it.each([
    ['1e400', 'an exponent no quantity needs (Infinity as a double)'],
    ['1E400', 'the same, upper case'],
    ['1e19', 'an exponent beyond the largest SI suffix (E = 1e18)'],
    ['1e0018', 'an exponent with more than two digits'],
    ['9'.repeat(400), 'more integer digits than int64 has'],
    ['99999999999999999999', '20 integer digits'],
    ['0.1234567891', 'more decimals than Kubernetes keeps (nano)'],
    ['1e-3', 'a negative exponent'],
    ['-1', 'a negative value'],
    ['1GB', 'not a suffix'],
  ])('refuses %s: %s', (q) => {
    expect(pattern.test(q)).toBe(false);
  });

  it('accepts only values that are finite doubles, far from overflowing a sum (property over random strings)', () => {
    const next = random(11);
    const digits = (n: number): string => Array.from({ length: n }, () => String(Math.floor(next() * 10))).join('');
    const suffixes = [...Object.keys(FACTOR), 'e', 'E', 'e+'];
    let accepted = 0;
    for (let i = 0; i < 20_000; i++) {
      const int = digits(Math.floor(next() * 24));
      const frac = next() < 0.3 ? `.${digits(Math.floor(next() * 12))}` : '';
      const suffix = suffixes[Math.floor(next() * suffixes.length)] ?? '';
      const exp = suffix.startsWith('e') || suffix.startsWith('E') ? digits(1 + Math.floor(next() * 4)) : '';
      const q = `${int}${frac}${suffix}${exp}`;
      if (!pattern.test(q)) continue;
      accepted++;
      const v = valueOf(q);
      expect(Number.isFinite(v), q).toBe(true);
      expect(v, q).toBeLessThan(1e38);
    }
    expect(accepted).toBeGreaterThan(1000);
  });

  it('bounds integer quantities to int64 as well', () => {
    expect(quantity('A test quantity.').maximum).toBe(2 ** 63);
    expect(MAX_QUANTITY).toBe(2 ** 63);
  });
});
