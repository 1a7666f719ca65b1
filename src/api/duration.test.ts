import { describe, expect, it } from 'vitest';
import { parseDuration } from './duration.ts';

describe('parseDuration', () => {
  it.each([
    ['40s', 40_000],
    ['500ms', 500],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['1m30s', 90_000],
    ['1.5s', 1500],
    ['0s', 0],
  ])('%s is %d ms', (text, want) => {
    expect(parseDuration(text)).toBe(want);
  });

  it.each(['', '40', 's', '10x', '-5s', '5 s', '5s extra'])('rejects %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});
