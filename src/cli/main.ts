// The `tenantshift` command: one commander tree (commands.ts) for routing, help and completion; each
// subcommand's module is loaded only when it runs, and parses its words with the same definition.
import { ApiException } from '@kubernetes/client-node';
import { type Command, CommanderError } from 'commander';
import { fromUnknown } from '../errors.js';
import { exitCodeOf, helpText, prepare, PROCESS_OUTPUT, type CommandOutput } from '../runtime/commandLine.js';
import { missingNameMessage, PLUGIN_COMMANDS } from './commands.js';
import { commandTree } from './program.js';

/** Runs a subcommand with the words after its name (`dev up ...` gets `up ...`). */
type Runner = (rest: string[], command: string) => Promise<number>;

const runPluginCommand: Runner = async (rest, command) => (await import('./plugin.js')).runPlugin([command, ...rest]);

const RUNNERS: Record<string, Runner> = {
  dev: async (rest) => (await import('./dev.js')).runDev(rest),
  operator: async (rest) => (await import('./operator.js')).runOperator(rest),
  ...Object.fromEntries(PLUGIN_COMMANDS.map((c) => [c, runPluginCommand])),
  validate: async (rest) => (await import('./validate.js')).runValidate(rest),
  'route-agent': async (rest) => (await import('./route-agent.js')).runRouteAgent(rest),
  demo: async (rest) => (await import('./demo.js')).runDemo(rest),
  crds: async (rest) => (await import('./crds.js')).runCrds(rest),
};

function leaves(cmd: Command): Command[] {
  return cmd.commands.length === 0 ? [cmd] : cmd.commands.flatMap(leaves);
}

export async function main(argv: string[], io: CommandOutput = PROCESS_OUTPUT): Promise<number> {
  let errors = '';
  const program = prepare(commandTree(), { out: (t) => io.out(t), err: (t) => (errors += t) });
  if (argv.length === 0) {
    io.out(helpText(program));
    return 2;
  }
  let code = 0;
  const [command, ...rest] = argv as [string, ...string[]];
  for (const leaf of leaves(program)) {
    if (leaf.name() === 'completion') {
      leaf.action(async (shell: 'bash' | 'zsh') => {
        io.out((await import('./completion.js')).completionScript(commandTree(), shell));
      });
    } else {
      const run = RUNNERS[command];
      leaf.action(async () => {
        code = await (run as Runner)(rest, command);
      });
    }
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err;
    io.err(missingNameMessage(err, command) ?? errors);
    return exitCodeOf(err);
  }
  return code;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // An ApiException's own message carries response headers: print the classified message only.
    process.stderr.write(`tenantshift: ${err instanceof ApiException ? fromUnknown(err).message : (err as Error).message}\n`);
    process.exitCode = 1;
  },
);
