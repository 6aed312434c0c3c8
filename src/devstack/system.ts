// System prerequisites of the local stack: Debian packages and the unprivileged user that runs
// PostgreSQL and PgBouncer (both refuse to run as root, and CI runs as root).
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { runOrThrow, type RunAs } from './process.js';
import { say } from './progress.js';

export const PG_BIN = process.env.TENANTSHIFT_PG_BIN ?? '/usr/lib/postgresql/15/bin';
export const SERVER_USER = 'tenantshift';

interface Requirement {
  what: string;
  present: () => boolean;
  debianPackage: string;
}

const REQUIREMENTS: Requirement[] = [
  { what: 'PostgreSQL 15 server', present: () => existsSync(`${PG_BIN}/postgres`), debianPackage: 'postgresql-15' },
  { what: 'PostgreSQL 15 client tools', present: () => existsSync(`${PG_BIN}/pg_dump`), debianPackage: 'postgresql-client-15' },
  { what: 'PgBouncer', present: () => onPath('pgbouncer'), debianPackage: 'pgbouncer' },
  { what: 'openssl (the stack CA and certificates)', present: () => onPath('openssl'), debianPackage: 'openssl' },
  { what: 'Go toolchain (builds kube-apiserver and etcd)', present: () => onPath('go'), debianPackage: 'golang-go' },
  { what: 'Python 3 with venv (runs moto)', present: () => pythonHasVenv(), debianPackage: 'python3-venv' },
];

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

function onPath(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function pythonHasVenv(): boolean {
  return spawnSync('python3', ['-c', 'import venv, ensurepip'], { stdio: 'ignore' }).status === 0;
}

/**
 * Installs missing Debian packages when running as root; otherwise fails with the exact command
 * the user has to run.
 */
export function ensureSystemPackages(extra: Requirement[] = []): void {
  const missing = [...REQUIREMENTS, ...extra].filter((r) => !r.present());
  if (missing.length === 0) return;
  const pkgs = [...new Set(missing.map((r) => r.debianPackage))];
  const command = `apt-get update && apt-get install -y ${pkgs.join(' ')}`;
  if (!isRoot()) {
    throw new Error(`Missing ${missing.map((r) => r.what).join(', ')}. Install with: sudo sh -c '${command}'`);
  }
  say(`Installing system packages: ${pkgs.join(', ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  runOrThrow('apt-get', ['update', '-q'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  runOrThrow('apt-get', ['install', '-y', '-q', ...pkgs], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const still = missing.filter((r) => !r.present());
  if (still.length > 0) {
    throw new Error(`Installed ${pkgs.join(' ')} but still missing: ${still.map((r) => r.what).join(', ')}`);
  }
}

export const PROMTOOL: Requirement = { what: 'promtool', present: () => onPath('promtool'), debianPackage: 'prometheus' };

/** The identity PostgreSQL and PgBouncer run as: ourselves, or a system user when we are root. */
export function serverIdentity(): RunAs | undefined {
  if (!isRoot()) return undefined;
  if (spawnSync('id', ['-u', SERVER_USER], { stdio: 'ignore' }).status !== 0) {
    say(`Creating system user ${SERVER_USER} to run PostgreSQL and PgBouncer (they refuse to run as root)`);
    runOrThrow('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', SERVER_USER]);
  }
  const uid = Number(runOrThrow('id', ['-u', SERVER_USER]).trim());
  const gid = Number(runOrThrow('id', ['-g', SERVER_USER]).trim());
  return { uid, gid };
}
