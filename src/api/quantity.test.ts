import { describe, expect, it } from 'vitest';
import { formatBytes, formatCpu, parseQuantity } from './quantity.ts';

describe('parseQuantity', () => {
  const cases: Array<{ in: string | number; want: number | undefined }> = [
    { in: '96', want: 96 },
    { in: '500m', want: 0.5 },
    { in: '1024Gi', want: 1024 * 2 ** 30 },
    { in: '1.5Gi', want: 1.5 * 2 ** 30 },
    { in: '2G', want: 2e9 },
    { in: '1e3', want: 1000 },
    { in: '128974848', want: 128974848 },
    { in: 8, want: 8 },
    { in: '', want: undefined },
    { in: '12 Gi', want: undefined },
    { in: '1GB', want: undefined },
    { in: 'lots', want: undefined },
    { in: Number.NaN, want: undefined },
    // Finite and within int64, or not a quantity: a value that overflows never reaches placement arithmetic.
    { in: '1e400', want: undefined },
    { in: '1E400', want: undefined },
    { in: '9'.repeat(400), want: undefined },
    { in: `0.${'0'.repeat(400)}1e400`, want: undefined },
    { in: '1e19', want: undefined },
    { in: '16Ei', want: undefined },
    { in: Number.POSITIVE_INFINITY, want: undefined },
    { in: 1e19, want: undefined },
    { in: '9223372036854775807', want: 2 ** 63 },
    { in: '8Ei', want: 2 ** 63 },
    { in: '9E', want: 9e18 },
    { in: '1e18', want: 1e18 },
  ];
  it.each(cases)('$in -> $want', ({ in: input, want }) => {
    expect(parseQuantity(input)).toBe(want);
  });
});

describe('format', () => {
  it('renders bytes with the largest exact binary unit', () => {
    expect(formatBytes(2 ** 40)).toBe('1Ti');
    expect(formatBytes(1536 * 2 ** 20)).toBe('1536Mi');
    expect(formatBytes(3 * 2 ** 30)).toBe('3Gi');
    expect(formatBytes(1000)).toBe('1000');
  });
  it('renders cpu as cores or millicores', () => {
    expect(formatCpu(4)).toBe('4');
    expect(formatCpu(0.25)).toBe('250m');
  });
});
