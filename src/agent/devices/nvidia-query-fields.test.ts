import { describe, expect, it } from 'vitest';
import { NVIDIA_QUERY_FIELDS, canonicalField, parseHelpQueryGpu, pickQueryFields } from './nvidia-query-fields.ts';
import { fixture } from './test-fixtures.ts';

/**
 * helpText writes `nvidia-smi --help-query-gpu` in the driver's format: a quoted name (with aliases joined by "or")
 * alone on a line, then a description that may itself contain quoted words.
 */
function helpText(entries: ReadonlyArray<string | readonly string[]>): string {
  const body = entries.map((e) => {
    const names = typeof e === 'string' ? [e] : e;
    return `${names.map((n) => `"${n}"`).join(' or ')}\nDescription of ${names[0] ?? ''}, e.g. "YYYY/MM/DD HH:MM:SS.msec".\n`;
  });
  return ['List of valid properties to query for the switch "--query-gpu=":', '', ...body, 'Section about clocks_event_reasons properties', ''].join('\n');
}

const CLOCK = ['active', 'hw_slowdown', 'sw_thermal_slowdown'];
const plain = NVIDIA_QUERY_FIELDS.filter((f) => !f.startsWith('clocks_event_reasons.'));
/** A 590-series driver: both clock spellings on one line. */
const HELP_590 = helpText([
  ...plain,
  ...CLOCK.map((c) => [`clocks_event_reasons.${c}`, `clocks_throttle_reasons.${c}`]),
  ['pci.bus_id', 'gpu_bus_id'],
]);
/** An older driver: only the throttle spelling, and no memory.reserved or gpu_recovery_action. */
const HELP_OLD = helpText([
  ...plain.filter((f) => f !== 'memory.reserved' && f !== 'gpu_recovery_action'),
  ...CLOCK.map((c) => `clocks_throttle_reasons.${c}`),
]);

describe('pickQueryFields', () => {
  it('the default field list is the 30 fields of the shared fixtures', () => {
    expect(NVIDIA_QUERY_FIELDS.join(',')).toBe(fixture('nvidia-smi_query_fields.txt').trim());
  });

  const cases: Array<{
    name: string;
    help: string;
    wantOk: boolean;
    wantQueryHas?: string[];
    wantFieldsHas?: string[];
    wantDropped?: string[];
    wantReason?: RegExp;
  }> = [
    {
      name: 'current driver supports every wanted field',
      help: HELP_590,
      wantOk: true,
      wantQueryHas: ['clocks_event_reasons.active', 'gpu_recovery_action'],
      wantDropped: [],
    },
    {
      name: 'old driver: throttle spelling queried, canonical name kept, unknown fields dropped',
      help: HELP_OLD,
      wantOk: true,
      wantQueryHas: ['clocks_throttle_reasons.active', 'clocks_throttle_reasons.hw_slowdown'],
      wantFieldsHas: ['clocks_event_reasons.active'],
      wantDropped: ['memory.reserved', 'gpu_recovery_action'],
    },
    {
      name: 'help without index cannot identify rows',
      help: helpText(['name', 'memory.total']),
      wantOk: false,
      wantReason: /required field\(s\) index/,
    },
    { name: 'not help text at all', help: 'Segmentation fault\n', wantOk: false, wantReason: /listed no fields/ },
    { name: 'empty help', help: '', wantOk: false, wantReason: /listed no fields/ },
  ];
  it.each(cases)('$name', ({ help, wantOk, wantQueryHas, wantFieldsHas, wantDropped, wantReason }) => {
    const got = pickQueryFields(help);
    expect(got.ok).toBe(wantOk);
    if (!got.ok) {
      expect(got.reason).toMatch(wantReason ?? /./);
      return;
    }
    expect(got.query).toHaveLength(got.fields.length);
    for (const q of wantQueryHas ?? []) expect(got.query).toContain(q);
    for (const f of wantFieldsHas ?? []) expect(got.fields).toContain(f);
    expect(got.dropped).toEqual(wantDropped);
    expect(got.fields).not.toContain('clocks_throttle_reasons.active');
    expect(got.fields[0]).toBe('index');
  });

  it('keeps the wanted order so columns line up with the field list', () => {
    const got = pickQueryFields(HELP_590);
    expect(got.ok && got.fields).toEqual(NVIDIA_QUERY_FIELDS);
  });
});

describe('parseHelpQueryGpu', () => {
  it('reads names and aliases but not quoted words inside descriptions', () => {
    const names = parseHelpQueryGpu(HELP_590);
    expect(names.has('clocks_throttle_reasons.active')).toBe(true);
    expect(names.has('gpu_bus_id')).toBe(true);
    expect(names.has('YYYY/MM/DD HH:MM:SS.msec')).toBe(false);
    expect(names.has('--query-gpu=')).toBe(false);
  });
});

describe('canonicalField', () => {
  it.each([
    ['clocks_throttle_reasons.hw_slowdown', 'clocks_event_reasons.hw_slowdown'],
    ['gpu_bus_id', 'pci.bus_id'],
    ['memory.total', 'memory.total'],
  ])('%s -> %s', (input, want) => {
    expect(canonicalField(input)).toBe(want);
  });
});
