/**
 * CliError is a problem the user can fix: a bad flag or a file that cannot be used. Commands print its message on one
 * line, without a stack trace, and exit with its code.
 */

/** CliError is a problem the user can fix; exitCode is 2 for flags (usage errors), 1 for files. */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly exitCode: number;
  constructor(message: string, exitCode: number) {
    super(message);
    this.exitCode = exitCode;
  }
}

/**
 * reportCliError prints err for the user as `<command>: <message>`, with a pointer to --help for a usage error, and
 * returns the exit code.
 */
export function reportCliError(command: string, err: CliError, writeLine: (line: string) => void): number {
  writeLine(`${command}: ${err.message}`);
  if (err.exitCode === 2) writeLine(`Run \`suanwang ${command} --help\` for usage.`);
  return err.exitCode;
}
