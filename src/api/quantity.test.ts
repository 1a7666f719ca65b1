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
