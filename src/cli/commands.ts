// The commands of `tenantshift`, defined once: the dispatcher (main.ts) builds its tree from them, each
// subcommand's module parses its own words with the same definition, the help and the completion
// scripts are generated from them. Light on purpose: the modules that run a command are loaded only
// when it runs. Every variable a command reads is an option's "(env: X)" or a line of its
// "Environment:" table below.
import { FAILPOINT_VARIABLE } from '../failpoint.js';
import { Argument, Command, type CommanderError, Option } from 'commander';
import { DEFAULT_STATE_DIR } from '../devstack/paths.js';
import { withEnvironment, type EnvVar } from '../runtime/commandLine.js';

/** What the local stack reads: where it caches its downloads and builds, and the PostgreSQL tools. */
export const DEV_ENVIRONMENT: readonly EnvVar[] = [
  { name: 'TENANTSHIFT_CACHE_DIR', help: 'download and build cache (default: $XDG_CACHE_HOME/tenantshift)' },
  { name: 'XDG_CACHE_HOME', help: 'base of the default cache (default: ~/.cache)' },
  { name: 'TENANTSHIFT_PG_BIN', help: 'directory of the PostgreSQL server and client tools (default: /usr/lib/postgresql/15/bin)' },
];

export const ROUTE_AGENT_ENVIRONMENT: readonly EnvVar[] = [
  {
    name: 'TENANTSHIFT_PGBOUNCER_ADMIN_URL',
    help: "PgBouncer's admin console, postgresql://user:password@host:port/pgbouncer (from a Secret)",
  },
  { name: 'TENANTSHIFT_ROUTE_AGENT_TOKEN', help: "the operator's token for pause/flip/resume requests (from a Secret)" },
  FAILPOINT_VARIABLE,
];

export const VALIDATE_ENVIRONMENT: readonly EnvVar[] = [
  { name: 'PGUSER', help: 'user when a URL names none (default: postgres)' },
  { name: 'PGPASSWORD', help: 'password when a URL has none' },
  { name: 'PGSSLMODE', help: 'sslmode when a URL has none (default: prefer)' },
];

export const PLUGIN_ENVIRONMENT: readonly EnvVar[] = [
  { name: 'KUBECONFIG', help: 'kubeconfig file(s) when --kubeconfig is not given (default: ~/.kube/config)' },
];

const stateDir = (def: string): Option => new Option('--state-dir <dir>', 'state directory of the local stack').default(def);

export function devCommand(): Command {
  const dev = new Command('dev')
    .description(
      'The local stack, shaped like production: kube-apiserver, PostgreSQL source and an RDS-like target, two PgBouncer ' +
        'replicas with their route agents, TLS everywhere, moto, the operator.',
    )
    .summary('the local stack (up, env, down)');
  const up = dev
    .command('up')
    .description('start the local stack and wait until it is ready (again on a live stack: changes nothing)')
    .addOption(stateDir(DEFAULT_STATE_DIR))
    .option('--no-operator', 'leave the operator out, to run it by hand with `tenantshift operator`');
  const env = dev
    .command('env')
    .description('print export lines for the running local stack (KUBECONFIG, SOURCE_URL, ...)')
    .addOption(stateDir(DEFAULT_STATE_DIR));
  const down = dev.command('down').description('stop every process of the local stack').addOption(stateDir(DEFAULT_STATE_DIR));
  for (const c of [dev, up, env, down]) withEnvironment(c, DEV_ENVIRONMENT);
  return dev;
}

export function demoCommand(): Command {
  const cmd = new Command('demo')
    .description('The main job on the local stack, end to end: replication, live traffic, validation, a cutover.')
    .summary('the main job on the local stack')
    .addOption(stateDir('.tenantshift/demo'))
    .option('--keep', 'keep the stack running afterwards', false);
  return withEnvironment(cmd, DEV_ENVIRONMENT);
}

export function crdsCommand(): Command {
  const crds = new Command('crds').description('The CustomResourceDefinitions.').summary('regenerate crds/ from src/api');
  crds.command('generate').description('write the CRDs from src/api').option('--out <dir>', 'directory (default: crds/ of the package)');
  return crds;
}

export function validateCommand(): Command {
  const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];
  const cmd = new Command('validate')
    .usage('--source URL --target URL --schema NAME [--schema NAME ...] [options]')
    .summary('compare schemas row by row (exit 0 identical, 1 not, 2 could not compare)')
    .description(
      'Compares every table of the schemas row by row (by key ranges hashed inside each server) and prints ' +
        "one line per difference, naming the table and the row's primary key. Values are compared by their " +
        'text form. While logical replication runs between the two, differences that only reflect its lag ' +
        'are re-checked and not reported.',
    )
    .option('--source <url>', 'the source server (required)')
    .option('--target <url>', 'the target server (required)')
    .addOption(new Option('--schema <name>', 'a schema to compare (required; repeat for more)').argParser(collect))
    .option('--parallelism <n>', 'connections per server (default: 2)')
    .option('--rate <rows>', 'at most this many rows per second read from each server')
    .option('--slot <name>', "the logical slot on the source feeding the target (default: found from the target's subscriptions)")
    .option('--no-live', 'compare as of now: no re-check after replication catches up')
    .option('--catch-up-timeout <secs>', 'how long a re-check waits for replication (default: 30)')
    .option('--range-rows <n>', 'rows per first-level range (default: 10000)')
    .option('--max-differences <n>', 'differences searched per table before the rest are summarized (default: 1000)')
    .option('--output <file>', 'write the full report (every difference) as JSON')
    .option('--json', 'print the report as JSON instead of lines')
    .addHelpText(
      'after',
      '\nURLs: postgresql://user:password@host:port/dbname?sslmode=verify-full&sslrootcert=/path/ca.pem\n' +
        'Exit status: 0 identical, 1 different, 2 could not compare.',
    );
  return withEnvironment(cmd, VALIDATE_ENVIRONMENT);
}

export function routeAgentCommand(): Command {
  const cmd = new Command('route-agent')
    .usage('--pool NAME --routes-file FILE [options]')
    .summary("serve a PgBouncer pool's routes")
    .description("Runs beside one PgBouncer and serves its pool's TenantCutover routes.")
    .addOption(new Option('--pool <name>', 'the PgBouncer pool this agent serves (required)').env('TENANTSHIFT_POOL'))
    .addOption(
      new Option('--routes-file <file>', 'the [databases] file PgBouncer %includes; the agent owns it (required)').env(
        'TENANTSHIFT_ROUTES_FILE',
      ),
    )
    .addOption(
      new Option('--listen <host:port>', 'where the operator reaches the agent').env('TENANTSHIFT_AGENT_LISTEN').default('0.0.0.0:8090'),
    )
    .addOption(
      new Option('--advertise-url <url>', 'URL announced in the heartbeat Lease (default: http://HOST:PORT)').env(
        'TENANTSHIFT_AGENT_ADVERTISE_URL',
      ),
    )
    .addOption(new Option('--identity <name>', 'replica identity (default: hostname)').env('TENANTSHIFT_IDENTITY'))
    .addOption(new Option('--lease-namespace <ns>', 'namespace of the heartbeat Leases (required)').env('TENANTSHIFT_OPERATOR_NAMESPACE'))
    .addOption(new Option('--kubeconfig <file>', 'kubeconfig file (default: in-cluster)').env('KUBECONFIG'));
  return withEnvironment(cmd, ROUTE_AGENT_ENVIRONMENT);
}

export const PLUGIN_COMMANDS = ['status', 'approve', 'rollback', 'watch'] as const;
export type PluginCommand = (typeof PLUGIN_COMMANDS)[number];

const PLUGIN_DESCRIPTIONS: Record<PluginCommand, [string, string]> = {
  status: [
    '[name]',
    'the move at a glance: route, step, write pause, replication, lag, validation gate; ' +
      'without NAME, one line per TenantCutover (-A: all namespaces)',
  ],
  approve: ['<name>', 'set spec.approved (true, or false with --withdraw)'],
  rollback: ['<name>', 'set spec.rollback (true: back to the source; false with --cancel)'],
  watch: ['<name>', 'live progress of the move; --until-settled exits 0 once Ready, 1 when it gave up'],
};

/** A plugin command without its NAME is told so in the plugin's words, whichever tree parsed it. */
export function missingNameMessage(err: CommanderError, command: string | undefined): string | undefined {
  if (err.code !== 'commander.missingArgument' || !(PLUGIN_COMMANDS as readonly string[]).includes(command ?? '')) return undefined;
  return `tenantshift: ${command} needs the name of a TenantCutover\n(add --help for usage)\n`;
}

const ARGO_NOTE =
  '\nOn objects Argo CD manages, approve and rollback change nothing in the cluster: they print the\n' +
  'change to commit to Git and exit 3 (self-heal would revert a live edit).';

/** A plugin command (also `kubectl tenantshift <command>`); NAME is a TenantCutover. */
export function pluginCommand(name: PluginCommand): Command {
  const [arg, description] = PLUGIN_DESCRIPTIONS[name];
  const cmd = new Command(name)
    .description(description)
    .addArgument(new Argument(arg, 'a TenantCutover'))
    .option('-n, --namespace <ns>', 'namespace (default: the kubeconfig context\'s, else "default")');
  if (name === 'status') cmd.option('-A, --all-namespaces', 'every namespace');
  cmd.option('--kubeconfig <file>', 'kubeconfig file').option('--context <name>', 'kubeconfig context');
  if (name === 'approve') cmd.option('--withdraw', 'set spec.approved to false');
  if (name === 'rollback') cmd.option('--cancel', 'set spec.rollback to false');
  if (name === 'watch')
    cmd.option('--interval <duration>', 'refresh interval, at least 100ms', '1s').option('--until-settled', 'exit once settled');
  if (name === 'approve' || name === 'rollback') cmd.addHelpText('after', ARGO_NOTE);
  return withEnvironment(cmd, PLUGIN_ENVIRONMENT);
}

/** `tenantshift completion bash|zsh`. */
export function completionCommand(): Command {
  return new Command('completion')
    .description('print a shell completion script: eval "$(tenantshift completion bash)", or put it in your bash/zsh completions')
    .addArgument(new Argument('<shell>', 'the shell').choices(['bash', 'zsh']));
}
