import { describe, expect, it } from 'vitest';
import { parseQuantity } from '../api/quantity.ts';
import { quantity } from './quantities.ts';

describe('quantity (parseQuantity, remembered)', () => {
  const inputs = ['64', '512Gi', '1.5', '500m', 96, ' 8 ', 'x', '1e400', '', '-1', '16Ei'];

  it('gives what parseQuantity gives, the first time and every time after, invalid strings included', () => {
    for (let round = 0; round < 3; round++) {
      for (const q of inputs) expect(quantity(q), `round ${round}: ${String(q)}`).toBe(parseQuantity(q));
    }
  });

  it('still answers right after thousands of distinct strings have cleared its memory', () => {
    for (let i = 0; i < 10_000; i++) expect(quantity(`${i}Mi`)).toBe(i * 2 ** 20);
    for (const q of inputs) expect(quantity(q)).toBe(parseQuantity(q));
  });
});
