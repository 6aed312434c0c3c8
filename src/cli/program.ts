// The tree of every `tenantshift` command, without actions: the dispatcher (main.ts) adds them; the
// help, the completion scripts and the tests read the tree as it is.
import { Command } from 'commander';
import { operatorCommand } from '../runtime/config.js';
import {
  completionCommand,
  crdsCommand,
  demoCommand,
  devCommand,
  PLUGIN_COMMANDS,
  pluginCommand,
  routeAgentCommand,
  validateCommand,
} from './commands.js';

/** Every command of `tenantshift`, without actions (help, completion and the tests read it). */
export function commandTree(): Command {
  const program = new Command('tenantshift')
    .usage('<command> [options]')
    .description(
      'Moves a live multi-tenant PostgreSQL estate into AWS RDS one tenant at a time.\n' +
        'Run `tenantshift <command> --help` for the options and environment variables of each.',
    );
  for (const cmd of [devCommand(), operatorCommand(), routeAgentCommand(), demoCommand()]) program.addCommand(cmd);
  for (const name of PLUGIN_COMMANDS) program.addCommand(pluginCommand(name));
  for (const cmd of [validateCommand(), crdsCommand(), completionCommand()]) program.addCommand(cmd);
  return program.addHelpText(
    'after',
    '\nThe plugin commands status, approve, rollback and watch are also `kubectl tenantshift <command>`.',
  );
}
