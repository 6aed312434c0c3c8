// The `tenantshift` command: dispatches to its subcommands, each loaded only when it runs.
import { ApiException } from '@kubernetes/client-node';
import { fromUnknown } from '../errors.js';

const USAGE = `Usage: tenantshift <command> [options]

Commands:
  dev up [--state-dir DIR] [--no-operator]   start the local stack (kube-apiserver, PostgreSQL source and
                                             target, PgBouncer, moto, the operator) and wait until ready
  dev env [--state-dir DIR]                  print export lines for the running local stack
  dev down [--state-dir DIR]                 stop every process of the local stack
  operator [--kubeconfig FILE] [...]         run the operator (see \`tenantshift operator --help\`)
  route-agent --pool NAME --routes-file FILE  serve a PgBouncer pool's routes (see --help)
  demo [--state-dir DIR] [--keep]            the main job on the local stack
  status [NAME] [-n NS | -A]                 a tenant's move at a glance (also: kubectl tenantshift ...)
  approve NAME [--withdraw]                  set spec.approved (prints the change to commit under Argo CD)
  rollback NAME [--cancel]                   set spec.rollback (prints the change to commit under Argo CD)
  watch NAME [--interval 1s] [--until-settled]  live progress of a move
  validate --source URL --target URL --schema NAME [--schema NAME ...]
                                             compare schemas row by row (exit 0 identical, 1 not, 2 could not compare)
  crds generate [--out DIR]                  regenerate crds/ from src/api
`;

type Subcommand = (rest: string[], command: string) => Promise<number>;

const SUBCOMMANDS: Record<string, Subcommand> = {
  dev: async (rest) => (await import('./dev.js')).runDev(rest),
  operator: async (rest) => (await import('./operator.js')).runOperator(rest),
  status: runPluginCommand,
  approve: runPluginCommand,
  rollback: runPluginCommand,
  watch: runPluginCommand,
  validate: async (rest) => (await import('./validate.js')).runValidate(rest),
  'route-agent': async (rest) => (await import('./route-agent.js')).runRouteAgent(rest),
  demo: async (rest) => (await import('./demo.js')).runDemo(rest),
  crds: async (rest) => (await import('./crds.js')).runCrds(rest),
};

async function runPluginCommand(rest: string[], command: string): Promise<number> {
  return (await import('./plugin.js')).runPlugin([command, ...rest]);
}

const HELP = new Set(['help', '--help', '-h']);

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || HELP.has(command)) {
    process.stdout.write(USAGE);
    return command === undefined ? 2 : 0;
  }
  const run = Object.hasOwn(SUBCOMMANDS, command) ? SUBCOMMANDS[command] : undefined;
  if (run) return run(rest, command);
  process.stderr.write(`tenantshift: unknown command "${command}"\n\n${USAGE}`);
  return 2;
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
