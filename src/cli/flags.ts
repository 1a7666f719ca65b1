/**
 * One declaration per command of its flags (src/cli/flag-values.ts says which kinds there are), from which come the
 * typed values, the usage errors (exit 2, naming the flag and the bad value) and the --help text
 * (src/cli/flag-usage.ts). Node's util.parseArgs splits the command line underneath.
 */
import { parseArgs } from 'node:util';
import { CliError } from './cli-error.ts';
import { parseFlagValue, type BooleanFlag, type FlagSpec, type RepeatedFlag, type ValueOf } from './flag-values.ts';

/** FlagSpecs maps each flag's name, as written after "--", to its declaration. */
export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

/** CommandSpec declares one subcommand: its flags and the text of its --help around them. */
export interface CommandSpec<S extends FlagSpecs = FlagSpecs> {
  /** name is the subcommand ("agent"): errors start with it, and the hint names `suanwang <name> --help`. */
  readonly name: string;
  /** usage is the synopsis, one line per form, without "Usage:". */
  readonly usage: string | readonly string[];
  /** description is the text between the synopsis and the flags. */
  readonly description?: string;
  readonly flags: S;
  /** footer is the text after the flags: logs, exit codes, permissions. */
  readonly footer?: string;
  /** positionals lets words that are not flags through (subcommands such as `lab up`); otherwise they are an error. */
  readonly positionals?: boolean;
}

/** FlagValue is the type of one parsed flag: never undefined when the flag is required, has a default or is a switch. */
export type FlagValue<F extends FlagSpec> = F extends BooleanFlag | RepeatedFlag
  ? ValueOf<F>
  : F extends { readonly required: true } | { readonly default: unknown }
    ? ValueOf<F>
    : ValueOf<F> | undefined;

/** FlagValues is what parseCommandLine returns for a command's flags, keyed by flag name. */
export type FlagValues<S extends FlagSpecs> = { readonly [K in keyof S]: FlagValue<S[K]> };

/** CommandLine is a parsed command line: the flags' values and, for commands that take them, the other words. */
export interface CommandLine<S extends FlagSpecs> {
  readonly values: FlagValues<S>;
  readonly positionals: readonly string[];
}

/**
 * defineCommand returns its argument; it exists so that the flags keep their literal types (`required: true`, an
 * enum's words), from which parseCommandLine's result type follows.
 */
export function defineCommand<const S extends FlagSpecs>(spec: CommandSpec<S>): CommandSpec<S> {
  return spec;
}

/**
 * parseCommandLine parses argv against the command's flags. It returns 'help' for -h or --help (before checking
 * anything else), else the typed values, defaults applied. Throws CliError (exit 2) for an unknown flag, a missing
 * value, a required flag not given, a bad value, or a flag given without the one it needs or with one it conflicts
 * with; flags are checked in the order they are declared.
 */
export function parseCommandLine<S extends FlagSpecs>(command: CommandSpec<S>, argv: readonly string[]): CommandLine<S> | 'help' {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = {
    help: { type: 'boolean', short: 'h' },
  };
  for (const [name, spec] of Object.entries(command.flags)) {
    options[name] = {
      type: spec.type === 'boolean' ? 'boolean' : 'string',
      ...(spec.type === 'repeated' && { multiple: true }),
      ...(spec.short !== undefined && { short: spec.short }),
    };
  }
  let raw: Record<string, string | boolean | (string | boolean)[] | undefined>;
  let positionals: string[];
  try {
    ({ values: raw, positionals } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: command.positionals === true }));
  } catch (err: unknown) {
    throw new CliError(parseArgsMessage(err), 2);
  }
  if (raw['help'] === true) return 'help';

  const given = (name: string): boolean => raw[name] !== undefined;
  const values: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(command.flags)) {
    const flag = `--${name}`;
    const value = raw[name];
    if (value !== undefined && spec.needs !== undefined && !given(spec.needs)) throw new CliError(`${flag} needs --${spec.needs}`, 2);
    if (value !== undefined && spec.conflicts !== undefined && given(spec.conflicts)) {
      throw new CliError(`${flag} cannot be used with --${spec.conflicts}`, 2);
    }
    if (spec.type === 'boolean') {
      values[name] = value === true;
    } else if (spec.type === 'repeated') {
      const list = Array.isArray(value) ? value.map(String) : [];
      if (spec.required === true && list.length === 0) throw new CliError(`at least one ${flag} is required`, 2);
      if (list.includes('')) throw new CliError(`${flag} must not be empty`, 2);
      const parse = spec.parse;
      values[name] = parse === undefined ? list : list.map((v) => parse(v, flag));
    } else if (typeof value === 'string') {
      values[name] = parseFlagValue(flag, spec, value);
    } else if (spec.required === true) {
      throw new CliError(`${flag} is required`, 2);
    } else {
      values[name] = 'default' in spec ? spec.default : undefined;
    }
  }
  return { values: values as FlagValues<S>, positionals };
}

/** parseArgsMessage words util.parseArgs's commonest errors as the flags' own are: "unknown flag --x", "--x needs a value". */
function parseArgsMessage(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown }).code;
  const option = /'(?:-\w, )?(-[^' ]+)/.exec(message)?.[1];
  if (option === undefined) return message;
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unknown flag ${option}`;
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && message.endsWith('argument missing')) return `${option} needs a value`;
  return message;
}
