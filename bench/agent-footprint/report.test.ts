import { describe, expect, it } from 'vitest';
import { staleNote } from './report.ts';

describe('staleNote', () => {
  it('says nothing without a reporter', () => {
    expect(staleNote({ staleAtSteady: undefined, staleOf: undefined, maxReportAgeSeconds: 90 })).toBe('');
  });

  it('says the reports were fresh when none was stale', () => {
    expect(staleNote({ staleAtSteady: 0, staleOf: 993, maxReportAgeSeconds: 90 })).toContain("every accelerator node's device report was fresh (under the agent's 90 s max age)");
  });

  it('names how many were stale, of how many, and that the steady figures may include a burst of health events', () => {
    const note = staleNote({ staleAtSteady: 9, staleOf: 997, maxReportAgeSeconds: 90 });
    expect(note).toContain('9 of 997 accelerator nodes');
    expect(note).toContain('the steady figures may include such a burst');
  });
});
