/**
 * The kinds of value a command-line flag takes, and how one raw string becomes a typed value. Every command words a
 * bad value the same way, naming the flag and what it got: `--lease must be a positive duration such as …, got "0"`.
 * Durations use the project's one parser (src/api/duration.ts), addresses the operator's (src/operator/listen.ts).
 */
import { formatDuration, parseDuration } from '../api/duration.ts';
import { formatAddress, parseListen, type ListenAddress } from '../operator/listen.ts';
import { CliError } from './cli-error.ts';

/** FlagBase is what every flag declares for parsing and for its line in --help. */
interface FlagBase {
  /** help is the flag's description in --help; its default, values and "required" are added from the declaration. */
  readonly help: string;
  /** value names the flag's value in --help (NAME, DIR, FILE); each kind has its own otherwise. */
  readonly value?: string;
  /** short is a one-letter alias, e.g. 'v' for -v. */
  readonly short?: string;
  /** section is the heading this flag is listed under in --help (default "Flags:"); sections keep their order. */
  readonly section?: string;
  /** needs names another flag without which this one is a usage error (e.g. every --leader-elect-* needs --leader-elect). */
  readonly needs?: string;
  /** conflicts names another flag that cannot be given together with this one. */
  readonly conflicts?: string;
}

/**
 * StringFlag is text; an empty value is a usage error. `parse` checks and narrows it further (a site name, say): it
 * throws CliError in its own words, or returns the value, whose type the flag's value then has.
 */
export interface StringFlag<T extends string = string> extends FlagBase {
  readonly type: 'string';
  readonly default?: NoInfer<T>;
  readonly required?: boolean;
  readonly parse?: (raw: string, flag: string) => T;
}

/** BooleanFlag is a switch: true when given, else false. */
export interface BooleanFlag extends FlagBase {
  readonly type: 'boolean';
}

/** DurationFlag is a duration such as 40s, 500ms or 1m30s (src/api/duration.ts), parsed into milliseconds. */
export interface DurationFlag extends FlagBase {
  readonly type: 'duration';
  /** default in milliseconds; --help shows it as a duration. */
  readonly default?: number;
  readonly required?: boolean;
  /** min is the least milliseconds accepted (default 1: a positive duration); with 0, "0" is accepted too. */
  readonly min?: number;
  /** bare is the unit of a number written without one ("180"); without it such a number is a usage error. */
  readonly bare?: 'ms' | 's';
}

/** HostPortFlag is an address, HOST:PORT with IPv6 hosts in brackets ([::1]:7443). */
export interface HostPortFlag extends FlagBase {
  readonly type: 'host:port';
  readonly required?: boolean;
  /** port0 accepts port 0, which a listening address uses to ask for a free port; a dialled address cannot. */
  readonly port0?: boolean;
}

/** IntFlag is a whole number written in decimal digits. */
export interface IntFlag extends FlagBase {
  readonly type: 'int';
  readonly default?: number;
  readonly required?: boolean;
  /** min is the least number accepted (default 0). */
  readonly min?: number;
}

/** EnumFlag is one of a fixed list of words; --help lists them. */
export interface EnumFlag<V extends string = string> extends FlagBase {
  readonly type: 'enum';
  readonly values: readonly V[];
  readonly default?: NoInfer<V>;
  readonly required?: boolean;
}

/** RepeatedFlag is text given any number of times (--site a --site b), in the order given; `parse` as for StringFlag. */
export interface RepeatedFlag<T extends string = string> extends FlagBase {
  readonly type: 'repeated';
  /** required asks for at least one. */
  readonly required?: boolean;
  readonly parse?: (raw: string, flag: string) => T;
}

/** FlagSpec is the declaration of one flag. */
export type FlagSpec = StringFlag | BooleanFlag | DurationFlag | HostPortFlag | IntFlag | EnumFlag | RepeatedFlag;

/** HostPort is a parsed HOST:PORT flag; address is the text to dial or bind, IPv6 hosts bracketed. */
export interface HostPort extends ListenAddress {
  readonly address: string;
}

/** ValueOf is the type a flag of kind F parses into. */
export type ValueOf<F extends FlagSpec> = F extends StringFlag<infer T>
  ? T
  : F extends BooleanFlag
    ? boolean
    : F extends DurationFlag | IntFlag
      ? number
      : F extends HostPortFlag
        ? HostPort
        : F extends EnumFlag<infer V>
          ? V
          : F extends RepeatedFlag<infer T>
            ? readonly T[]
            : never;

/** SingleValueFlag is a flag that takes exactly one value when given. */
export type SingleValueFlag = Exclude<FlagSpec, BooleanFlag | RepeatedFlag>;

/** DURATION_EXAMPLES is how every duration error shows the accepted form. */
const DURATION_EXAMPLES = 'such as 500ms, 40s, 2m or 1m30s';

/** badValue is the one wording of a value a flag does not accept. */
function badValue(flag: string, raw: string, want: string): CliError {
  return new CliError(`${flag} must be ${want}, got ${JSON.stringify(raw)}`, 2);
}

/** listOr renders words as "a, b or c". */
export function listOr(words: readonly string[]): string {
  return words.length <= 1 ? words.join('') : `${words.slice(0, -1).join(', ')} or ${words.at(-1) ?? ''}`;
}

/** wantOf says what a flag accepts, for errors: "a whole number of at least 1", "one of a, b, c". */
function wantOf(spec: Exclude<SingleValueFlag, StringFlag>): string {
  switch (spec.type) {
    case 'duration': {
      const min = spec.min ?? 1;
      const bare = spec.bare === undefined ? '' : `number of ${spec.bare === 's' ? 'seconds' : 'milliseconds'} or a `;
      if (min === 0) return `a ${bare}duration ${DURATION_EXAMPLES} (or 0)`;
      if (min === 1) return `a positive ${bare}duration ${DURATION_EXAMPLES}`;
      return `a ${bare}duration of at least ${formatDuration(min)} ${DURATION_EXAMPLES}`;
    }
    case 'host:port':
      return `HOST:PORT such as 127.0.0.1:7443 or [::1]:7443${spec.port0 === true ? '' : ' (port 1 to 65535)'}`;
    case 'int': {
      const min = spec.min ?? 0;
      return min === 0 ? 'a whole number' : `a whole number of at least ${min}`;
    }
    case 'enum':
      return `one of ${spec.values.join(', ')}`;
  }
}

const BARE_NUMBER = /^\d+(?:\.\d+)?$/;

/**
 * parseFlagValue turns the raw text of one flag (named as the user wrote it, e.g. "--lease") into its typed value;
 * throws CliError (exit 2) naming the flag and the value.
 */
export function parseFlagValue<F extends SingleValueFlag>(flag: string, spec: F, raw: string): ValueOf<F>;
export function parseFlagValue(flag: string, spec: SingleValueFlag, raw: string): string | number | HostPort {
  if (spec.type === 'string') {
    if (raw === '') throw new CliError(`${flag} must not be empty`, 2);
    return spec.parse === undefined ? raw : spec.parse(raw, flag);
  }
  const bad = (): CliError => badValue(flag, raw, wantOf(spec));
  switch (spec.type) {
    case 'duration': {
      const text = raw.trim();
      const bareUnit = spec.bare === 's' ? 1000 : 1;
      // "0" needs no unit: zero is zero in any of them.
      const ms = text === '0' ? 0 : spec.bare !== undefined && BARE_NUMBER.test(text) ? Math.round(Number(text) * bareUnit) : parseDuration(text);
      if (ms === undefined || ms < (spec.min ?? 1)) throw bad();
      return ms;
    }
    case 'host:port': {
      const parsed = parseListen(raw);
      if (parsed === undefined || (parsed.port === 0 && spec.port0 !== true)) throw bad();
      return { ...parsed, address: formatAddress(parsed.host, parsed.port) };
    }
    case 'int': {
      const n = Number(raw);
      if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < (spec.min ?? 0)) throw bad();
      return n;
    }
    case 'enum': {
      const known = spec.values.find((v) => v === raw);
      if (known === undefined) throw bad();
      return known;
    }
  }
}

const PLACEHOLDERS: Readonly<Record<FlagSpec['type'], string>> = {
  string: 'VALUE',
  boolean: '',
  duration: 'DURATION',
  'host:port': 'HOST:PORT',
  int: 'N',
  enum: 'VALUE',
  repeated: 'VALUE',
};

/** placeholder names a flag's value in --help and in "is required" errors: its own `value`, else its kind's. */
export function placeholder(spec: FlagSpec): string {
  return spec.value ?? PLACEHOLDERS[spec.type];
}

/** formatDefault renders a flag's default for --help: durations as durations, the rest as written. */
export function formatDefault(spec: FlagSpec): string | undefined {
  if (!('default' in spec) || spec.default === undefined) return undefined;
  return spec.type === 'duration' ? formatDuration(spec.default) : String(spec.default);
}
