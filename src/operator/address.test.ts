import { describe, expect, it } from 'vitest';
import { parseDuration } from './duration.ts';
import { formatAddress, parseListen } from './listen.ts';

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

describe('parseListen', () => {
  it.each([
    ['127.0.0.1:7443', { host: '127.0.0.1', port: 7443 }],
    ['localhost:0', { host: 'localhost', port: 0 }],
    ['[::1]:7443', { host: '::1', port: 7443 }],
  ])('%s', (text, want) => {
    expect(parseListen(text)).toEqual(want);
  });

  it.each(['7443', '127.0.0.1', '127.0.0.1:70000', '::1:7443', 'a b:1'])('rejects %j', (text) => {
    expect(parseListen(text)).toBeUndefined();
  });

  it('brackets IPv6 hosts when formatting', () => {
    expect(formatAddress('::1', 7443)).toBe('[::1]:7443');
    expect(formatAddress('127.0.0.1', 7443)).toBe('127.0.0.1:7443');
  });
});
