import { describe, expect, it } from 'vitest';
import { formatAddress, parseListen } from './listen.ts';

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
