import { describe, expect, it } from 'vitest';
import { usageText } from './flag-usage.ts';
import { defineCommand } from './flags.ts';

describe('usageText', () => {
  it('renders the synopsis, description, flags with their defaults and notes, and the footer', () => {
    const demo = defineCommand({
      name: 'demo',
      usage: 'suanwang demo --dir DIR [flags]',
      description: 'Does a demo.\n  indented lines stay as written',
      flags: {
        dir: { type: 'string', value: 'DIR', required: true, help: 'folder to write (created when missing)' },
        lease: { type: 'duration', default: 90_000, help: 'how long a silent site stays Ready' },
        count: { type: 'int', value: 'N', default: 3, help: 'how many' },
        level: { type: 'enum', values: ['low', 'mid', 'high'], default: 'mid', value: 'LEVEL', help: 'how loud' },
        site: { type: 'repeated', value: 'NAME', help: 'a site' },
        once: { type: 'boolean', short: 'o', help: 'run once' },
        'a-rather-long-flag-name': { type: 'host:port', help: 'where' },
      },
      footer: 'Exit codes: 0 done, 2 bad flags.',
    });
    expect(usageText(demo)).toBe(
      [
        'Usage: suanwang demo --dir DIR [flags]',
        '',
        'Does a demo.',
        '  indented lines stay as written',
        '',
        'Flags:',
        '  --dir DIR         folder to write (created when missing; required)',
        '  --lease DURATION  how long a silent site stays Ready (default 1m30s)',
        '  --count N         how many (default 3)',
        '  --level LEVEL     how loud: low, mid or high (default mid)',
        '  --site NAME       a site (repeatable)',
        '  -o, --once        run once',
        '  --a-rather-long-flag-name HOST:PORT',
        '                    where',
        '  -h, --help        show this help',
        '',
        'DURATION is a number with a unit: 500ms, 40s, 2m, 1h, or a sum such as 1m30s.',
        '',
        'Exit codes: 0 done, 2 bad flags.',
      ].join('\n'),
    );
  });

  it('lists sections in order of their first flag, with -h under the general flags or else the last section', () => {
    const sectioned = defineCommand({
      name: 's',
      usage: ['suanwang s --node NAME', 'suanwang s --lab FILE'],
      flags: {
        node: { type: 'string', value: 'NAME', section: 'One node:', help: 'the node' },
        lab: { type: 'string', value: 'FILE', section: 'Lab:', help: 'the topology' },
        model: { type: 'string', value: 'NAME', section: 'One node:', help: 'the model' },
      },
    });
    expect(usageText(sectioned)).toBe(
      [
        'Usage:',
        '  suanwang s --node NAME',
        '  suanwang s --lab FILE',
        '',
        'One node:',
        '  --node NAME   the node',
        '  --model NAME  the model',
        '',
        'Lab:',
        '  --lab FILE    the topology',
        '  -h, --help    show this help',
      ].join('\n'),
    );
    const general = defineCommand({ name: 'g', usage: 'g', flags: { a: { type: 'boolean', help: 'a' }, b: { type: 'boolean', section: 'More:', help: 'b' } } });
    expect(usageText(general)).toBe(['Usage: g', '', 'Flags:', '  --a         a', '  -h, --help  show this help', '', 'More:', '  --b         b'].join('\n'));
  });

  it('wraps long descriptions at 118 columns under their flag, and starts a line at each newline', () => {
    const words = Array.from({ length: 40 }, (_, i) => `word${i}`).join(' ');
    const wrapped = defineCommand({ name: 'w', usage: 'w', flags: { text: { type: 'string', help: `${words}\nsecond paragraph` } } });
    const lines = usageText(wrapped).split('\n');
    const rows = lines.slice(lines.indexOf('Flags:') + 1, lines.indexOf('  -h, --help    show this help'));
    expect(rows.length).toBeGreaterThan(2);
    for (const r of rows) expect(r.length).toBeLessThanOrEqual(118);
    expect(rows.slice(1).every((r) => r.startsWith(' '.repeat(16)) && r[16] !== ' ')).toBe(true);
    expect(rows.join(' ').split(/ +/).filter((w) => w !== '').join(' ')).toBe(`--text VALUE ${words} second paragraph`);
    expect(rows.at(-1)?.trim()).toBe('second paragraph');
  });
});
