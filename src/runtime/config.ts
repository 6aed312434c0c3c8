// The operator's configuration in one place: every setting has a flag and an environment variable
// (flags win), a default, and a check. Durations are written like 500ms, 15s, 2m.
import { FAILPOINT_VARIABLE } from '../failpoint.js';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { Command, type CommanderError, Option } from 'commander';
import { LOG_LEVELS, type LogLevel } from '../observability/levels.js';
import { parseDurationMs } from '../api/duration.js';
import { helpText, parseOrError, SILENT, underTenantshift, usageMessage, withEnvironment, type EnvVar } from './commandLine.js';

export interface OperatorConfig {
  kubeconfig?: string;
  /** Namespaces to watch; empty means all. */
  namespaces: string[];
  workers: number;
  identity: string;
  lease: { name: string; namespace: string; durationMs: number; renewDeadlineMs: number; retryPeriodMs: number };
  resyncPeriodMs: number;
  health: { port: number; host: string };
  logLevel: LogLevel;
  /** How long in-flight reconciles may finish after SIGTERM before they are abandoned. */
  shutdownGraceMs: number;
  /** Initial copies that may run at once against one source server; more wait (waves). */
  maxInitialCopiesPerSource: number;
  /** pool -> the route agents (PgBouncer replicas) it has: a move waits until that many are live. */
  routeAgents: Record<string, number>;
  help: boolean;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

interface Setting {
  flag: string;
  /** The value's name in the help, e.g. <duration>. */
  arg: string;
  env: string;
  help: string;
  default?: string;
}

const SETTINGS = {
  kubeconfig: {
    flag: 'kubeconfig',
    arg: '<file>',
    env: 'KUBECONFIG',
    help: 'kubeconfig file (default: $KUBECONFIG, which may list several files, ~/.kube/config, or in-cluster)',
  },
  namespaces: {
    flag: 'namespaces',
    arg: '<list>',
    env: 'TENANTSHIFT_WATCH_NAMESPACES',
    help: 'comma-separated namespaces to watch (default: all)',
    default: '',
  },
  workers: {
    flag: 'workers',
    arg: '<n>',
    env: 'TENANTSHIFT_WORKERS',
    help: 'concurrent reconciles per controller (1 to 64)',
    default: '2',
  },
  identity: { flag: 'identity', arg: '<name>', env: 'TENANTSHIFT_IDENTITY', help: 'leader election identity (default: hostname)' },
  leaseName: {
    flag: 'lease-name',
    arg: '<name>',
    env: 'TENANTSHIFT_LEASE_NAME',
    help: 'name of the leader Lease',
    default: 'tenantshift-operator',
  },
  leaseNamespace: {
    flag: 'lease-namespace',
    arg: '<ns>',
    env: 'TENANTSHIFT_OPERATOR_NAMESPACE',
    help: 'namespace of the leader Lease, must exist (default: the pod namespace in-cluster)',
  },
  leaseDuration: {
    flag: 'lease-duration',
    arg: '<duration>',
    env: 'TENANTSHIFT_LEASE_DURATION',
    help: 'lease validity after a renewal',
    default: '15s',
  },
  renewDeadline: {
    flag: 'renew-deadline',
    arg: '<duration>',
    env: 'TENANTSHIFT_RENEW_DEADLINE',
    help: 'leader steps down when it cannot renew this long',
    default: '10s',
  },
  retryPeriod: {
    flag: 'retry-period',
    arg: '<duration>',
    env: 'TENANTSHIFT_RETRY_PERIOD',
    help: 'pause between lease acquire/renew attempts',
    default: '2s',
  },
  resyncPeriod: {
    flag: 'resync-period',
    arg: '<duration>',
    env: 'TENANTSHIFT_RESYNC_PERIOD',
    help: 'every object is reconciled at least this often',
    default: '60s',
  },
  healthPort: {
    flag: 'health-port',
    arg: '<port>',
    env: 'TENANTSHIFT_HEALTH_PORT',
    help: 'port of /healthz, /readyz and /metrics',
    default: '8081',
  },
  healthHost: {
    flag: 'health-host',
    arg: '<host>',
    env: 'TENANTSHIFT_HEALTH_HOST',
    help: 'address the health server listens on',
    default: '0.0.0.0',
  },
  logLevel: { flag: 'log-level', arg: '<level>', env: 'TENANTSHIFT_LOG_LEVEL', help: LOG_LEVELS.join(' | '), default: 'info' },
  shutdownGrace: {
    flag: 'shutdown-grace',
    arg: '<duration>',
    env: 'TENANTSHIFT_SHUTDOWN_GRACE',
    help: 'time in-flight reconciles get on shutdown',
    default: '5s',
  },
  maxInitialCopiesPerSource: {
    flag: 'max-initial-copies-per-source',
    arg: '<n>',
    env: 'TENANTSHIFT_MAX_INITIAL_COPIES_PER_SOURCE',
    help: 'initial schema copies that may run at once against one source server; more wait (a positive integer)',
    default: '4',
  },
  routeAgents: {
    flag: 'route-agents',
    arg: '<pool=n,...>',
    env: 'TENANTSHIFT_ROUTE_AGENTS',
    help:
      'PgBouncer replicas (route agents) of each pool, e.g. main=3,eu=2: a move of a pool waits until that many agents are live ' +
      'and names the missing ones (a pool not listed: whatever agents are live)',
    default: '',
  },
} as const satisfies Record<string, Setting>;

type Key = keyof typeof SETTINGS;

/** What the operator reads from the environment beyond its settings: credentials from Secrets and tools. */
export const OPERATOR_ENVIRONMENT: readonly EnvVar[] = [
  { name: 'TENANTSHIFT_ROUTE_AGENT_TOKEN', help: 'token shared with the route agents (from a Secret); authenticates pause/flip/resume' },
  { name: 'TENANTSHIFT_ROUTE_AGENT_NAMESPACE', help: "namespace of the route agents' heartbeat Leases (default: the lease namespace)" },
  { name: 'TENANTSHIFT_PG_BIN', help: 'directory of pg_dump and pg_restore (default: /usr/lib/postgresql/15/bin)' },
  FAILPOINT_VARIABLE,
  { name: 'AWS_ENDPOINT_URL', help: 'AWS API endpoint instead of the regional one (e.g. a local moto)' },
  { name: 'AWS_ACCESS_KEY_ID', help: "AWS credentials, read by the AWS SDK's default credential chain" },
  { name: 'AWS_SECRET_ACCESS_KEY', help: 'the secret of AWS_ACCESS_KEY_ID' },
  { name: 'AWS_SESSION_TOKEN', help: 'a session token with temporary credentials' },
  { name: 'AWS_PROFILE', help: 'a profile of ~/.aws/config and ~/.aws/credentials' },
  { name: 'AWS_ROLE_ARN', help: 'IAM roles for service accounts: the role to assume (set by EKS)' },
  { name: 'AWS_WEB_IDENTITY_TOKEN_FILE', help: 'IAM roles for service accounts: the token file (set by EKS)' },
];

/** `tenantshift operator`, its options built from SETTINGS: each shows its variable, "(env: X)". */
export function operatorCommand(): Command {
  const cmd = new Command('operator')
    .description('Runs the tenantshift controllers with leader election.')
    .summary('run the operator')
    .helpOption('-h, --help', 'this text');
  for (const s of Object.values(SETTINGS) as Setting[]) {
    const option = new Option(`--${s.flag} ${s.arg}`, s.help).env(s.env);
    cmd.addOption(s.default ? option.default(s.default) : option);
  }
  withEnvironment(cmd, OPERATOR_ENVIRONMENT);
  return cmd.addHelpText('after', '\nDurations are written like 500ms, 15s, 2m or 1m30s; flags win over the environment.');
}

export function operatorUsage(): string {
  return helpText(underTenantshift(operatorCommand()));
}

const IN_CLUSTER_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

export function loadOperatorConfig(
  argv: string[],
  env: NodeJS.ProcessEnv,
  inClusterNamespaceFile = IN_CLUSTER_NAMESPACE_FILE,
): OperatorConfig {
  const flags = parseFlags(argv);
  if (flags === 'help') return { ...defaults(), help: true };
  const get = (k: Key): string | undefined => {
    const s: Setting = SETTINGS[k];
    const v = flags.get(s.flag) ?? env[s.env];
    return v !== undefined && v !== '' ? v : s.default;
  };
  const durationOf = (k: Key): number => parseDuration(get(k) as string, `--${SETTINGS[k].flag}`);
  const leaseNamespace = get('leaseNamespace') ?? readInClusterNamespace(inClusterNamespaceFile);
  if (!leaseNamespace) {
    throw new ConfigError('No namespace for the leader Lease: set TENANTSHIFT_OPERATOR_NAMESPACE or --lease-namespace');
  }
  const lease = {
    name: get('leaseName') as string,
    namespace: leaseNamespace,
    durationMs: durationOf('leaseDuration'),
    renewDeadlineMs: durationOf('renewDeadline'),
    retryPeriodMs: durationOf('retryPeriod'),
  };
  if (!(lease.retryPeriodMs < lease.renewDeadlineMs && lease.renewDeadlineMs < lease.durationMs)) {
    throw new ConfigError(
      'Lease timings must satisfy retry-period < renew-deadline < lease-duration, ' +
        `got ${lease.retryPeriodMs}ms, ${lease.renewDeadlineMs}ms, ${lease.durationMs}ms`,
    );
  }
  const level = get('logLevel') as string;
  if (!(LOG_LEVELS as readonly string[]).includes(level))
    throw new ConfigError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got "${level}"`);
  // KUBECONFIG itself is read by KubeConfig.loadFromDefault (it may list several files); only the flag names one.
  const kubeconfig = flags.get('kubeconfig');
  return {
    ...(kubeconfig ? { kubeconfig } : {}),
    namespaces: (get('namespaces') ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    workers: parseInteger(get('workers') as string, '--workers', 1, 64),
    identity: get('identity') ?? hostname(),
    lease,
    resyncPeriodMs: durationOf('resyncPeriod'),
    health: { port: parseInteger(get('healthPort') as string, '--health-port', 0, 65535), host: get('healthHost') as string },
    logLevel: level as LogLevel,
    shutdownGraceMs: durationOf('shutdownGrace'),
    maxInitialCopiesPerSource: parseInteger(get('maxInitialCopiesPerSource') as string, '--max-initial-copies-per-source', 1),
    routeAgents: parseRouteAgents(get('routeAgents') ?? ''),
    help: false,
  };
}

/** `main=3,eu=2` -> { main: 3, eu: 2 }. */
function parseRouteAgents(value: string): Record<string, number> {
  const pools: Record<string, number> = {};
  for (const entry of value
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const [pool, count, ...rest] = entry.split('=').map((p) => p.trim());
    if (!pool || count === undefined || rest.length > 0)
      throw new ConfigError(`--route-agents takes pool=count pairs like main=3,eu=2, got "${entry}"`);
    pools[pool] = parseInteger(count, `--route-agents ${pool}`, 1);
  }
  return pools;
}

function defaults(): OperatorConfig {
  return {
    namespaces: [],
    workers: 2,
    identity: hostname(),
    lease: { name: 'tenantshift-operator', namespace: '', durationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 },
    resyncPeriodMs: 60_000,
    health: { port: 8081, host: '0.0.0.0' },
    logLevel: 'info',
    shutdownGraceMs: 5_000,
    maxInitialCopiesPerSource: 4,
    routeAgents: {},
    help: false,
  };
}

/** The flags given on the command line (by their flag name), or 'help'; the environment is read by the caller. */
function parseFlags(argv: string[]): Map<string, string> | 'help' {
  const cmd = underTenantshift(operatorCommand());
  const err = parseOrError(cmd, argv, SILENT);
  if (err?.code === 'commander.helpDisplayed') return 'help';
  if (err) throw new ConfigError(configMessage(err, cmd.args));
  const out = new Map<string, string>();
  for (const option of cmd.options) {
    const name = option.attributeName();
    if (cmd.getOptionValueSource(name) === 'cli') out.set(option.long?.slice(2) as string, cmd.getOptionValue(name) as string);
  }
  return out;
}

function configMessage(err: CommanderError, args: string[]): string {
  const quoted = /'([^']*)'/.exec(err.message)?.[1] ?? '';
  switch (err.code) {
    case 'commander.unknownOption':
      return `Unknown option ${quoted} (see --help)`;
    case 'commander.optionMissingArgument':
      return `Option ${quoted.split(' ')[0]} needs a value`;
    case 'commander.excessArguments':
      return `Unexpected argument "${args[0] ?? quoted}"`;
    default:
      return usageMessage(err);
  }
}

/** A flag's duration in the API's grammar (what the CRDs accept: 500ms, 15s, 1m30s); a bare number is refused. */
export function parseDuration(text: string, what: string): number {
  try {
    return parseDurationMs(text.trim());
  } catch {
    throw new ConfigError(`${what} must be a duration like 500ms, 15s, 2m or 1m30s (units ms, s, m, h), got "${text}"`);
  }
}

function parseInteger(text: string, what: string, min: number, max?: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || (max !== undefined && n > max)) throw new ConfigError(rangeMessage(what, min, max, text));
  return n;
}

function rangeMessage(what: string, min: number, max: number | undefined, text: string): string {
  if (max === undefined) return `${what} must be ${min === 1 ? 'a positive integer' : `an integer of at least ${min}`}, got "${text}"`;
  return `${what} must be an integer from ${min} to ${max}, got "${text}"`;
}

function readInClusterNamespace(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}
