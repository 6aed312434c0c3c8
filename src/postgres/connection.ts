// Connection settings from a Kubernetes Secret's keys (host, port, dbname, user, password, sslmode,
// sslrootcert) to node-pg options and to libpq conninfo strings, honouring sslmode exactly.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import pg from 'pg';
import { conditionError } from '../errors.js';
import { databaseNameProblem, hostProblem, portProblem } from '../api/routecheck.js';
import { Reasons } from '../api/conditions.js';
import { registerSecret } from '../redact.js';

export const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;
export type SslMode = (typeof SSL_MODES)[number];

export interface ConnectionInfo {
  host: string;
  port: number;
  dbname: string;
  user: string;
  password: string;
  sslmode: SslMode;
  /** PEM of the CA that signed the server's certificate. */
  sslrootcert?: string;
  /**
   * Where the server that subscribes to this one finds, on its own host, a CA file that verifies this
   * server (Secret key `subscriber-sslrootcert-path`): a subscription's conninfo can only name a file.
   */
  subscriberRootCertPath?: string;
  /**
   * Optional login for the one step vanilla PostgreSQL 15 reserves to superusers and RDS does not:
   * creating a subscription (see createSubscription). Never set for RDS.
   */
  privileged?: { user: string; password: string };
}

export class ConnectionSecretError extends Error {
  override name = 'ConnectionSecretError';
}

/** Parses a Secret's data (base64 values, as the API returns them) into connection settings. */
export function connectionFromSecretData(secretName: string, data: Record<string, string> | undefined): ConnectionInfo {
  const get = (key: string): string | undefined => {
    const raw = data?.[key];
    return raw === undefined ? undefined : Buffer.from(raw, 'base64').toString('utf8');
  };
  const missing = ['host', 'dbname', 'user', 'password'].filter((k) => !get(k));
  if (missing.length > 0) {
    throw new ConnectionSecretError(`Secret ${secretName} lacks the key(s) ${missing.join(', ')}`);
  }
  const port = Number(get('port') ?? '5432');
  // Named by key, never repeated: a mistaken value may be a whole DSN with its password.
  const wrong = hostProblem(get('host'), 'host') ?? portProblem(port, 'port') ?? databaseNameProblem(get('dbname'), 'dbname');
  if (wrong) throw new ConnectionSecretError(`Secret ${secretName}: ${wrong}`);
  registerSecret(get('password'));
  return {
    host: get('host') as string,
    port,
    dbname: get('dbname') as string,
    user: get('user') as string,
    password: get('password') as string,
    ...tlsFromSecret(secretName, get),
    ...privilegedFromSecret(secretName, get),
  };
}

function tlsFromSecret(
  secretName: string,
  get: (key: string) => string | undefined,
): Pick<ConnectionInfo, 'sslmode' | 'sslrootcert' | 'subscriberRootCertPath'> {
  const sslrootcert = get('sslrootcert');
  const sslmode = (get('sslmode') ?? defaultSslMode(get('host') as string, sslrootcert)) as SslMode;
  if (!SSL_MODES.includes(sslmode)) {
    throw new ConnectionSecretError(`Secret ${secretName}: sslmode is not one of ${SSL_MODES.join(', ')}`);
  }
  if ((sslmode === 'verify-ca' || sslmode === 'verify-full') && !sslrootcert) {
    throw new ConnectionSecretError(`Secret ${secretName} has sslmode ${sslmode} but no sslrootcert (the CA's PEM)`);
  }
  const subscriberRootCertPath = get('subscriber-sslrootcert-path');
  // A file name on another host, quoted into a conninfo: absolute, one line, no control characters.
  if (subscriberRootCertPath !== undefined && !/^\/\P{Cc}*$/u.test(subscriberRootCertPath)) {
    throw new ConnectionSecretError(`Secret ${secretName}: subscriber-sslrootcert-path is not an absolute file path on one line`);
  }
  return { sslmode, ...(sslrootcert ? { sslrootcert } : {}), ...(subscriberRootCertPath ? { subscriberRootCertPath } : {}) };
}

function privilegedFromSecret(secretName: string, get: (key: string) => string | undefined): Pick<ConnectionInfo, 'privileged'> {
  const user = get('privileged-user');
  const password = get('privileged-password');
  if (!user !== !password) {
    throw new ConnectionSecretError(`Secret ${secretName} has only one of privileged-user and privileged-password; give both or neither`);
  }
  registerSecret(password);
  return user && password ? { privileged: { user, password } } : {};
}

/**
 * A Secret that names no sslmode never gets libpq's `prefer`, which talks plaintext to a server (or a
 * man in the middle) that declines TLS: verify-full with a CA to verify against, require without one.
 * A Unix socket carries no TLS in PostgreSQL, so there it is disable. A Secret may still name any mode.
 */
export function defaultSslMode(host: string, sslrootcert: string | undefined): SslMode {
  if (host.startsWith('/')) return 'disable';
  return sslrootcert ? 'verify-full' : 'require';
}

export class ConnectionUrlError extends Error {
  override name = 'ConnectionUrlError';
}

/**
 * Connection settings from a postgresql:// URL, as libpq reads one: user, password and sslmode
 * default to PGUSER, PGPASSWORD and PGSSLMODE (then postgres, none, prefer); `sslrootcert` names a
 * file, whose PEM is read. `what` names the URL in messages, which never repeat it (it carries the
 * password).
 */
export function parseConnectionUrl(url: string, what: string, env: NodeJS.ProcessEnv = process.env): ConnectionInfo {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ConnectionUrlError(`${what} is not a valid URL (postgresql://user:password@host:port/dbname)`);
  }
  if (u.protocol !== 'postgresql:' && u.protocol !== 'postgres:') throw new ConnectionUrlError(`${what} must be a postgresql:// URL`);
  if (!u.hostname) throw new ConnectionUrlError(`${what} names no host`);
  const sslmode = sslModeOf(u, what, env);
  const sslrootcert = rootCertOf(u, what);
  const user = decodeURIComponent(u.username) || env.PGUSER || 'postgres';
  return {
    host: u.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: u.port ? Number(u.port) : 5432,
    dbname: decodeURIComponent(u.pathname.slice(1)) || user,
    user,
    password: decodeURIComponent(u.password) || env.PGPASSWORD || '',
    sslmode,
    ...(sslrootcert ? { sslrootcert } : {}),
  };
}

function sslModeOf(u: URL, what: string, env: NodeJS.ProcessEnv): SslMode {
  const sslmode = (u.searchParams.get('sslmode') ?? env.PGSSLMODE ?? 'prefer') as SslMode;
  if (!SSL_MODES.includes(sslmode)) {
    throw new ConnectionUrlError(`${what} has sslmode "${sslmode}"; use one of ${SSL_MODES.join(', ')}`);
  }
  return sslmode;
}

function rootCertOf(u: URL, what: string): string | undefined {
  const rootCertPath = u.searchParams.get('sslrootcert');
  if (!rootCertPath) return undefined;
  try {
    return readFileSync(rootCertPath, 'utf8');
  } catch (err) {
    throw new ConnectionUrlError(
      `${what} names sslrootcert ${rootCertPath}, which cannot be read: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
    );
  }
}

/** node-pg client options; `prefer` and `allow` start without TLS only where libpq would fall back. */
export function clientConfig(info: ConnectionInfo, overrides: Partial<pg.ClientConfig> = {}): pg.ClientConfig {
  return {
    host: info.host,
    port: info.port,
    database: info.dbname,
    user: info.user,
    password: info.password,
    ssl: tlsOptions(info),
    application_name: 'tenantshift',
    connectionTimeoutMillis: 10_000,
    ...overrides,
  };
}

export function tlsOptions(info: ConnectionInfo): false | ConnectionOptions {
  switch (info.sslmode) {
    case 'disable':
    case 'allow':
      return false;
    case 'prefer':
    case 'require':
      // libpq's require does not verify the certificate (unless a root cert is given: then verify-ca).
      return info.sslrootcert ? { ca: info.sslrootcert, checkServerIdentity: () => undefined } : { rejectUnauthorized: false };
    case 'verify-ca':
      return { ca: info.sslrootcert, rejectUnauthorized: true, checkServerIdentity: () => undefined };
    case 'verify-full':
      // Node checks the host against the certificate either way; an IP address is no TLS server name (SNI).
      return { ca: info.sslrootcert, rejectUnauthorized: true, ...(isIP(info.host) ? {} : { servername: info.host }) };
  }
}

/**
 * Every operator session resolves names in pg_catalog only: a tenant's schema (or `public`) can plant
 * a function or operator that matches a call of ours better than pg_catalog's and would run with our
 * rights (CVE-2018-1058's shape). Our SQL names every tenant object schema-qualified.
 */
export const OPERATOR_SESSION_OPTIONS = '-c search_path=pg_catalog,pg_temp';

/**
 * What one statement of a session may take, by the work it does (values as PostgreSQL shows them).
 * statement_timeout: nothing the operator runs can hang a worker forever (a CREATE SUBSCRIPTION
 * waiting for the source's oldest transaction, a catalog query behind a stuck server). lock_timeout:
 * the application's writes never queue behind an operator statement waiting for a lock. A failure is
 * retried with backoff and says what to look for (classifyPgError). pg_dump's and pg_restore's
 * scripts lift both for themselves, as they always do; the fence sets its own inside the freeze.
 */
export const SESSION_LIMITS = {
  reconcile: { statementTimeout: '2min', lockTimeout: '10s' },
  /** Validation hashes whole tables in one statement each: the longer budget. */
  validation: { statementTimeout: '30min', lockTimeout: '10s' },
} as const;

export interface SessionLimits {
  statementTimeout: string;
  lockTimeout: string;
}

/** The startup options of an operator session: pinned search_path and the limits of its work. */
export function sessionOptions(kind: keyof typeof SESSION_LIMITS = 'reconcile', overrides: Partial<SessionLimits> = {}): string {
  const limits = { ...SESSION_LIMITS[kind], ...overrides };
  return `${OPERATOR_SESSION_OPTIONS} -c statement_timeout=${limits.statementTimeout} -c lock_timeout=${limits.lockTimeout}`;
}

/** Opens an operator session; for sslmode=prefer a server without TLS is accepted, as libpq does. */
export async function connect(info: ConnectionInfo, overrides: Partial<pg.ClientConfig> = {}): Promise<pg.Client> {
  overrides = { options: sessionOptions(), ...overrides };
  const client = survivable(new pg.Client(clientConfig(info, overrides)));
  try {
    await client.connect();
    return client;
  } catch (err) {
    if (info.sslmode === 'prefer' && /does not support SSL/i.test((err as Error).message)) {
      const plain = survivable(new pg.Client(clientConfig({ ...info, sslmode: 'disable' }, overrides)));
      await plain.connect();
      return plain;
    }
    throw err;
  }
}

/**
 * A server that ends an idle connection (a restart, idle_in_transaction_session_timeout on the
 * fence) emits 'error' on the client; unheard, that would kill the process. The next query on the
 * client fails instead, where the caller handles it.
 */
function survivable(client: pg.Client): pg.Client {
  client.on('error', () => undefined);
  return client;
}

/** Runs `work` with a fresh connection that is always closed afterwards. */
export async function withClient<T>(info: ConnectionInfo, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = await connect(info);
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** What a subscription may do when its publisher asks to be verified and the subscriber cannot (no CA file named). */
export type SubscriptionSslFallback = 'None' | 'Require';

/**
 * A libpq conninfo for a server-side connection (CREATE SUBSCRIPTION), never weaker than the
 * publisher's Secret asks. The subscriber verifies with a CA file on its own host
 * (`subscriberRootCertPath`); where verify-ca/verify-full is asked and no such file is named, it
 * refuses (SubscriberCannotVerify, checked again later) unless the spec accepts `require` for it.
 */
export function conninfo(info: ConnectionInfo, fallback: SubscriptionSslFallback = 'None', what = 'the subscription'): string {
  let sslmode: SslMode = info.sslmode;
  const verifying = sslmode === 'verify-ca' || sslmode === 'verify-full';
  const path = info.subscriberRootCertPath;
  if (verifying && !path) {
    if (fallback !== 'Require') {
      throw conditionError(
        Reasons.SubscriberCannotVerify,
        `${what} would connect to ${info.host}:${info.port} with sslmode=${sslmode}, but the subscribing server needs a CA file ` +
          'of its own to verify it: add the key subscriber-sslrootcert-path (that file’s path on the subscribing server) to ' +
          'the publisher’s Secret, or set spec.subscriptionSslFallback: Require on the SchemaReplication to accept an ' +
          'encrypted connection that does not verify the server',
        60_000,
      );
    }
    sslmode = 'require';
  }
  const parts: Array<[string, string]> = [
    ['host', info.host],
    ['port', String(info.port)],
    ['dbname', info.dbname],
    ['user', info.user],
    ['password', info.password],
    ['sslmode', sslmode],
  ];
  if (path && sslmode !== 'disable') parts.push(['sslrootcert', path]);
  return parts.map(([k, v]) => `${k}=${quoteConninfoValue(v)}`).join(' ');
}

function quoteConninfoValue(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** The environment pg_dump and psql need for these settings (the CA goes through a file). */
export function libpqEnv(info: ConnectionInfo, rootCertFile?: string): NodeJS.ProcessEnv {
  return {
    PGHOST: info.host,
    PGPORT: String(info.port),
    PGDATABASE: info.dbname,
    PGUSER: info.user,
    PGPASSWORD: info.password,
    PGSSLMODE: info.sslmode,
    ...(rootCertFile ? { PGSSLROOTCERT: rootCertFile } : {}),
    PGAPPNAME: 'tenantshift',
    PGCONNECT_TIMEOUT: '10',
  };
}

/** A description for logs and messages: never the password. */
export function describeConnection(info: ConnectionInfo): string {
  return `${info.user}@${info.host}:${info.port}/${info.dbname} (sslmode=${info.sslmode})`;
}
