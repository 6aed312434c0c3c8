// The operator's configuration in one place: every setting has a flag and an environment variable
// (flags win), a default, and a check. Durations are written like 500ms, 15s, 2m.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { LOG_LEVELS, type LogLevel } from '../observability/logger.js';
import { parseDurationMs } from '../api/duration.js';

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
  env: string;
  help: string;
  default?: string;
}

const SETTINGS = {
  kubeconfig: { flag: 'kubeconfig', env: 'KUBECONFIG', help: 'kubeconfig file (default: $KUBECONFIG, ~/.kube/config, or in-cluster)' },
  namespaces: {
    flag: 'namespaces',
    env: 'TENANTSHIFT_WATCH_NAMESPACES',
    help: 'comma-separated namespaces to watch (default: all)',
    default: '',
  },
  workers: { flag: 'workers', env: 'TENANTSHIFT_WORKERS', help: 'concurrent reconciles per controller', default: '2' },
  identity: { flag: 'identity', env: 'TENANTSHIFT_IDENTITY', help: 'leader election identity (default: hostname)' },
  leaseName: { flag: 'lease-name', env: 'TENANTSHIFT_LEASE_NAME', help: 'name of the leader Lease', default: 'tenantshift-operator' },
  leaseNamespace: { flag: 'lease-namespace', env: 'TENANTSHIFT_OPERATOR_NAMESPACE', help: 'namespace of the leader Lease (must exist)' },
  leaseDuration: { flag: 'lease-duration', env: 'TENANTSHIFT_LEASE_DURATION', help: 'lease validity after a renewal', default: '15s' },
  renewDeadline: {
    flag: 'renew-deadline',
    env: 'TENANTSHIFT_RENEW_DEADLINE',
    help: 'leader steps down when it cannot renew this long',
    default: '10s',
  },
  retryPeriod: { flag: 'retry-period', env: 'TENANTSHIFT_RETRY_PERIOD', help: 'pause between lease acquire/renew attempts', default: '2s' },
  resyncPeriod: {
    flag: 'resync-period',
    env: 'TENANTSHIFT_RESYNC_PERIOD',
    help: 'every object is reconciled at least this often',
    default: '60s',
  },
  healthPort: { flag: 'health-port', env: 'TENANTSHIFT_HEALTH_PORT', help: 'port of /healthz, /readyz and /metrics', default: '8081' },
  healthHost: { flag: 'health-host', env: 'TENANTSHIFT_HEALTH_HOST', help: 'address the health server listens on', default: '0.0.0.0' },
  logLevel: { flag: 'log-level', env: 'TENANTSHIFT_LOG_LEVEL', help: LOG_LEVELS.join(' | '), default: 'info' },
  shutdownGrace: {
    flag: 'shutdown-grace',
    env: 'TENANTSHIFT_SHUTDOWN_GRACE',
    help: 'time in-flight reconciles get on shutdown',
    default: '5s',
  },
} as const satisfies Record<string, Setting>;

type Key = keyof typeof SETTINGS;

export function operatorUsage(): string {
  const lines = Object.values(SETTINGS).map((s: Setting) => {
    const def = s.default ? ` [default: ${s.default}]` : '';
    return `  --${s.flag.padEnd(16)} ${s.help}${def}\n  ${' '.repeat(18)} env ${s.env}`;
  });
  return (
    'Usage: tenantshift operator [options]\n\nRuns the tenantshift controllers with leader election.\n\n' +
    `Options:\n${lines.join('\n')}\n  --help             this text\n`
  );
}

const IN_CLUSTER_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

export function loadOperatorConfig(
  argv: string[],
  env: NodeJS.ProcessEnv,
  inClusterNamespaceFile = IN_CLUSTER_NAMESPACE_FILE,
): OperatorConfig {
  const flags = parseFlags(argv);
  if (flags.has('help')) return { ...defaults(), help: true };
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
    help: false,
  };
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
    help: false,
  };
}

/** `--name value` and `--name=value`; every option takes a value except --help. */
function parseFlags(argv: string[]): Map<string, string> {
  const known = new Set<string>(Object.values(SETTINGS).map((s: Setting) => s.flag));
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--help' || arg === '-h') {
      out.set('help', 'true');
      continue;
    }
    if (!arg.startsWith('--')) throw new ConfigError(`Unexpected argument "${arg}"`);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    if (!known.has(name)) throw new ConfigError(`Unknown option --${name} (see --help)`);
    const value = eq < 0 ? argv[++i] : arg.slice(eq + 1);
    if (value === undefined) throw new ConfigError(`Option --${name} needs a value`);
    out.set(name, value);
  }
  return out;
}

/** A flag's duration in the API's grammar (what the CRDs accept: 500ms, 15s, 1m30s); a bare number is refused. */
export function parseDuration(text: string, what: string): number {
  try {
    return parseDurationMs(text.trim());
  } catch {
    throw new ConfigError(`${what} must be a duration like 500ms, 15s, 2m or 1m30s (units ms, s, m, h), got "${text}"`);
  }
}

function parseInteger(text: string, what: string, min: number, max: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${what} must be an integer from ${min} to ${max}, got "${text}"`);
  return n;
}

function readInClusterNamespace(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}
