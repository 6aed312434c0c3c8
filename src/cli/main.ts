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

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'dev':
      return (await import('./dev.js')).runDev(rest);
    case 'operator':
      return (await import('./operator.js')).runOperator(rest);
    case 'status':
    case 'approve':
    case 'rollback':
    case 'watch':
      return (await import('./plugin.js')).runPlugin([command, ...rest]);
    case 'validate':
      return (await import('./validate.js')).runValidate(rest);
    case 'route-agent':
      return (await import('./route-agent.js')).runRouteAgent(rest);
    case 'demo':
      return (await import('./demo.js')).runDemo(rest);
    case 'crds':
      return (await import('./crds.js')).runCrds(rest);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`tenantshift: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
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
