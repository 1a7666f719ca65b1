import { describe, expect, it } from 'vitest';
import { absenceOf, readCell, readNumber } from './measure.ts';

describe('readNumber', () => {
  const cases: Array<{ in: string; wantValue?: number; wantAbsence?: string; wantInvalid?: boolean }> = [
    { in: '81559', wantValue: 81559 },
    { in: ' 652.37', wantValue: 652.37 },
    { in: '81559 MiB', wantValue: 81559 },
    { in: '69.85 W', wantValue: 69.85 },
    { in: '0 %', wantValue: 0 },
    { in: '59.0C', wantValue: 59 },
    { in: '114.0W', wantValue: 114 },
    { in: '0.0%', wantValue: 0 },
    { in: '[N/A]', wantAbsence: 'unsupported' },
    { in: 'N/A', wantAbsence: 'unsupported' },
    { in: 'NA', wantAbsence: 'unsupported' },
    { in: '-', wantAbsence: 'unsupported' },
    { in: '', wantAbsence: 'unsupported' },
    { in: '[Not Supported]', wantAbsence: 'unsupported' },
    { in: '[Requested functionality has been deprecated]', wantAbsence: 'unsupported' },
    { in: '[Unknown Error]', wantAbsence: 'error' },
    { in: '[Insufficient Permissions]', wantAbsence: 'error' },
    { in: '[Function Not Found]', wantAbsence: 'error' },
    { in: '[Something New]', wantAbsence: 'error' },
    { in: '[GPU is lost]', wantAbsence: 'lost' },
    { in: '[GPU requires reset]', wantAbsence: 'reset-required' },
    { in: 'Enabled', wantInvalid: true },
    { in: '12abc', wantInvalid: true },
    { in: '1e3', wantInvalid: true },
  ];
  it.each(cases)('"$in"', ({ in: raw, wantValue, wantAbsence, wantInvalid }) => {
    const got = readNumber(raw);
    if (wantInvalid === true) {
      expect(got.ok).toBe(false);
      return;
    }
    expect(got).toEqual({ ok: true, ...(wantValue === undefined ? {} : { value: wantValue }), ...(wantAbsence === undefined ? {} : { absence: wantAbsence }) });
    // An absent value must never be reported as 0.
    if (wantAbsence !== undefined && got.ok) expect(got.value).toBeUndefined();
  });
});

describe('readCell', () => {
  it('keeps words as text and absence tokens as absent', () => {
    expect(readCell('Not Active')).toEqual({ kind: 'text', value: 'Not Active' });
    expect(readCell(' [N/A] ')).toEqual({ kind: 'absent', absence: 'unsupported', token: '[N/A]' });
    expect(absenceOf('No')).toBeUndefined();
  });
});
