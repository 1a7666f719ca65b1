import { describe, expect, expectTypeOf, it } from 'vitest';
import { CliError } from './cli-error.ts';
import type { HostPort } from './flag-values.ts';
import { defineCommand, parseCommandLine, type CommandLine } from './flags.ts';

const DEMO = defineCommand({
  name: 'demo',
  usage: 'suanwang demo --name NAME [flags]',
  flags: {
    name: { type: 'string', value: 'NAME', required: true, help: 'who' },
    dir: { type: 'string', default: '.demo', help: 'where' },
    verbose: { type: 'boolean', short: 'v', help: 'say more' },
    lease: { type: 'duration', default: 40_000, help: 'how long' },
    grace: { type: 'duration', min: 0, help: 'how long, or 0' },
    tick: { type: 'duration', min: 100, help: 'how often' },
    timeout: { type: 'duration', bare: 's', help: 'seconds or a duration' },
    listen: { type: 'host:port', port0: true, help: 'where to listen' },
    target: { type: 'host:port', help: 'where to dial' },
    count: { type: 'int', min: 1, default: 2, help: 'how many' },
    level: { type: 'enum', values: ['low', 'high'], default: 'low', help: 'how loud' },
    tag: { type: 'repeated', help: 'a tag' },
    upper: { type: 'string', parse: (raw: string) => raw.toUpperCase(), help: 'shouted' },
    elect: { type: 'boolean', help: 'take part' },
    'elect-name': { type: 'string', needs: 'elect', help: 'the lease' },
    simulated: { type: 'boolean', help: 'no real devices' },
    tool: { type: 'string', conflicts: 'simulated', help: 'the real tool' },
  },
});

function parse(argv: string[]): CommandLine<typeof DEMO.flags> {
  const parsed = parseCommandLine(DEMO, argv);
  if (parsed === 'help') throw new Error('unexpected help');
  return parsed;
}

function usageError(argv: string[]): string {
  try {
    parseCommandLine(DEMO, argv);
  } catch (err: unknown) {
    if (!(err instanceof CliError)) throw err;
    expect(err.exitCode).toBe(2);
    return err.message;
  }
  throw new Error(`expected a usage error for ${argv.join(' ')}`);
}

describe('parseCommandLine', () => {
  it('applies the defaults and leaves optional flags without one undefined', () => {
    const { values } = parse(['--name', 'x']);
    expect(values).toEqual({
      name: 'x',
      dir: '.demo',
      verbose: false,
      lease: 40_000,
      grace: undefined,
      tick: undefined,
      timeout: undefined,
      listen: undefined,
      target: undefined,
      count: 2,
      level: 'low',
      tag: [],
      upper: undefined,
      elect: false,
      'elect-name': undefined,
      simulated: false,
      tool: undefined,
    });
  });

  it('parses every kind of value into its type', () => {
    const { values } = parse([
      '--name=x',
      '-v',
      '--lease',
      '1m30s',
      '--grace',
      '0',
      '--tick',
      '100ms',
      '--timeout',
      '1.5',
      '--listen',
      '[::]:0',
      '--target',
      'hub.example:7443',
      '--count',
      '7',
      '--level',
      'high',
      '--upper',
      'abc',
    ]);
    expect(values).toMatchObject({
      name: 'x',
      verbose: true,
      lease: 90_000,
      grace: 0,
      tick: 100,
      timeout: 1500,
      listen: { host: '::', port: 0, address: '[::]:0' },
      target: { host: 'hub.example', port: 7443, address: 'hub.example:7443' },
      count: 7,
      level: 'high',
      upper: 'ABC',
    });
  });

  it('types each value by its declaration: defined when required, defaulted or a switch', () => {
    const { values } = parse(['--name', 'x']);
    expectTypeOf(values.name).toEqualTypeOf<string>();
    expectTypeOf(values.dir).toEqualTypeOf<string>();
    expectTypeOf(values.verbose).toEqualTypeOf<boolean>();
    expectTypeOf(values.lease).toEqualTypeOf<number>();
    expectTypeOf(values.grace).toEqualTypeOf<number | undefined>();
    expectTypeOf(values.listen).toEqualTypeOf<HostPort | undefined>();
    expectTypeOf(values.level).toEqualTypeOf<'low' | 'high'>();
    expectTypeOf(values.tag).toEqualTypeOf<readonly string[]>();
  });

  it('keeps a repeated flag in the order given', () => {
    expect(parse(['--name', 'x', '--tag', 'b', '--tag', 'a', '--tag=c']).values.tag).toEqual(['b', 'a', 'c']);
  });

  it('returns help for -h or --help before checking anything else', () => {
    expect(parseCommandLine(DEMO, ['--help'])).toBe('help');
    expect(parseCommandLine(DEMO, ['--count', 'many', '-h'])).toBe('help');
  });

  it('passes positionals through only for commands that take them', () => {
    const sub = defineCommand({ name: 'sub', usage: 'suanwang sub <up|down>', positionals: true, flags: { dir: { type: 'string', help: 'where' } } });
    expect(parseCommandLine(sub, ['up', '--dir', 'd', 'extra'])).toEqual({ values: { dir: 'd' }, positionals: ['up', 'extra'] });
    expect(usageError(['--name', 'x', 'up'])).toMatch(/'up'/);
  });

  const errors: { name: string; argv: string[]; want: string }[] = [
    { name: 'a required flag missing', argv: [], want: '--name is required' },
    { name: 'an unknown flag', argv: ['--name', 'x', '--bogus'], want: 'unknown flag --bogus' },
    { name: 'a flag without its value', argv: ['--name'], want: '--name needs a value' },
    { name: 'an empty string', argv: ['--name='], want: '--name must not be empty' },
    { name: 'a duration without a unit', argv: ['--name', 'x', '--lease', '40'], want: '--lease must be a positive duration such as 500ms, 40s, 2m or 1m30s, got "40"' },
    { name: 'a zero duration', argv: ['--name', 'x', '--lease', '0'], want: '--lease must be a positive duration such as 500ms, 40s, 2m or 1m30s, got "0"' },
    { name: 'a negative duration where 0 is allowed', argv: ['--name', 'x', '--grace=-1s'], want: '--grace must be a duration such as 500ms, 40s, 2m or 1m30s (or 0), got "-1s"' },
    { name: 'a duration under the minimum', argv: ['--name', 'x', '--tick', '99ms'], want: '--tick must be a duration of at least 100ms such as 500ms, 40s, 2m or 1m30s, got "99ms"' },
    { name: 'a bad bare duration', argv: ['--name', 'x', '--timeout', 'soon'], want: '--timeout must be a positive number of seconds or a duration such as 500ms, 40s, 2m or 1m30s, got "soon"' },
    { name: 'an address without a port', argv: ['--name', 'x', '--listen', 'localhost'], want: '--listen must be HOST:PORT such as 127.0.0.1:7443 or [::1]:7443, got "localhost"' },
    { name: 'an unbracketed IPv6 address', argv: ['--name', 'x', '--listen', '::1:7443'], want: '--listen must be HOST:PORT such as 127.0.0.1:7443 or [::1]:7443, got "::1:7443"' },
    { name: 'port 0 to dial', argv: ['--name', 'x', '--target', 'hub:0'], want: '--target must be HOST:PORT such as 127.0.0.1:7443 or [::1]:7443 (port 1 to 65535), got "hub:0"' },
    { name: 'a port out of range', argv: ['--name', 'x', '--target', 'hub:65536'], want: '--target must be HOST:PORT such as 127.0.0.1:7443 or [::1]:7443 (port 1 to 65535), got "hub:65536"' },
    { name: 'a number that is not whole', argv: ['--name', 'x', '--count', '1.5'], want: '--count must be a whole number of at least 1, got "1.5"' },
    { name: 'a number under the minimum', argv: ['--name', 'x', '--count', '0'], want: '--count must be a whole number of at least 1, got "0"' },
    { name: 'a word not in the enum', argv: ['--name', 'x', '--level', 'loud'], want: '--level must be one of low, high, got "loud"' },
    { name: 'an empty repeated value', argv: ['--name', 'x', '--tag', 'a', '--tag='], want: '--tag must not be empty' },
    { name: 'a value for a switch', argv: ['--name', 'x', '--verbose=yes'], want: "Option '-v, --verbose' does not take an argument" },
    { name: 'a flag without the one it needs', argv: ['--name', 'x', '--elect-name', 'l'], want: '--elect-name needs --elect' },
    { name: 'two flags that conflict', argv: ['--name', 'x', '--tool', 'smi', '--simulated'], want: '--tool cannot be used with --simulated' },
  ];
  it.each(errors)('names the flag and the value for $name (exit 2)', ({ argv, want }) => {
    expect(usageError(argv)).toBe(want);
  });

  it('accepts a flag that needs another when both are given, and a default does not count as given', () => {
    expect(parse(['--name', 'x', '--elect', '--elect-name', 'l']).values['elect-name']).toBe('l');
    const withDefault = defineCommand({
      name: 'd',
      usage: 'd',
      flags: { on: { type: 'boolean', help: 'on' }, period: { type: 'duration', default: 2000, needs: 'on', help: 'period' } },
    });
    expect(parseCommandLine(withDefault, [])).toEqual({ values: { on: false, period: 2000 }, positionals: [] });
  });

  it('asks for at least one of a required repeated flag, and lets parse narrow and word its errors', () => {
    const sites = defineCommand({
      name: 'sites',
      usage: 'sites',
      flags: {
        site: {
          type: 'repeated',
          required: true,
          help: 'a site',
          parse: (raw: string, flag: string) => {
            if (!/^[a-z]+$/.test(raw)) throw new CliError(`${flag} ${JSON.stringify(raw)} is not lower-case`, 2);
            return raw;
          },
        },
      },
    });
    expect(() => parseCommandLine(sites, [])).toThrow('at least one --site is required');
    expect(() => parseCommandLine(sites, ['--site', 'a', '--site', 'B'])).toThrow('--site "B" is not lower-case');
    expect(parseCommandLine(sites, ['--site', 'a'])).toEqual({ values: { site: ['a'] }, positionals: [] });
  });
});
