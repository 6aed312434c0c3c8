// What every command of the tenantshift CLI shares (they are built with commander): the "Environment:"
// section of a command's help, generated from one table per command; where output goes; and how a parse
// ends: help exits 0, a usage error exits 2.
import { Command, CommanderError } from 'commander';

/** A variable a command reads that no flag stands for (credentials from Secrets, tool paths, ...). */
export interface EnvVar {
  name: string;
  help: string;
}

export interface CommandOutput {
  out(text: string): void;
  err(text: string): void;
}

export const PROCESS_OUTPUT: CommandOutput = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

export const SILENT: CommandOutput = { out: () => undefined, err: () => undefined };

/** The command as a subcommand of `tenantshift`, so that its help says "Usage: tenantshift <name> ...". */
export function underTenantshift(cmd: Command): Command {
  if (!cmd.parent) new Command('tenantshift').addCommand(cmd);
  return cmd;
}

/** Adds the "Environment:" section to the command's help, one line per variable. */
export function withEnvironment(cmd: Command, vars: readonly EnvVar[]): Command {
  if (vars.length === 0) return cmd;
  const width = Math.max(...vars.map((v) => v.name.length));
  const lines = vars.map((v) => `  ${v.name.padEnd(width)}  ${v.help}`);
  return cmd.addHelpText('after', `\nEnvironment:\n${lines.join('\n')}`);
}

/** The command and its subcommands: a usage error throws (see exitCodeOf) instead of exiting, output goes to `io`. */
export function prepare(cmd: Command, io: CommandOutput): Command {
  cmd
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s), outputError: (s, write) => write(s) })
    .showHelpAfterError('(add --help for usage)');
  for (const sub of cmd.commands) prepare(sub, io);
  return cmd;
}

/** The exit code a CommanderError stands for: 0 after help (or `help`), 2 for a usage error. */
export function exitCodeOf(err: CommanderError): number {
  return err.exitCode === 0 ? 0 : 2;
}

/**
 * Parses the words after the command's name: undefined when the command is to run (read `cmd.opts()`
 * and `cmd.processedArgs`, or what its subcommand's action kept), else the exit code to return.
 */
export function parseCommandLine(cmd: Command, argv: string[], io: CommandOutput): number | undefined {
  const err = parseOrError(cmd, argv, io);
  return err ? exitCodeOf(err) : undefined;
}

/** Like parseCommandLine, with the CommanderError (help or a usage error) instead of its exit code. */
export function parseOrError(cmd: Command, argv: string[], io: CommandOutput): CommanderError | undefined {
  prepare(cmd, io);
  if (cmd.commands.length === 0) cmd.action(() => undefined);
  try {
    cmd.parse(argv, { from: 'user' });
    return undefined;
  } catch (err) {
    if (err instanceof CommanderError) return err;
    throw err;
  }
}

/** The command's whole help, the "Environment:" section included. */
export function helpText(cmd: Command): string {
  let text = '';
  cmd.configureOutput({ writeOut: (s) => (text += s) });
  cmd.outputHelp();
  return text;
}

/** A usage error's message without commander's "error: " prefix and help hint. */
export function usageMessage(err: CommanderError): string {
  return err.message.replace(/^error: /, '').split('\n')[0] as string;
}
