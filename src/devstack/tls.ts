// The local stack's TLS: a CA generated per stack and one server certificate it signs for
// 127.0.0.1 and localhost, which both PostgreSQL servers and both PgBouncers present. Clients of the
// stack (tests, the demo, the operator through its Secrets) verify it with sslmode=verify-full.
import { chmodSync, chownSync, writeFileSync } from 'node:fs';
import type { SpawnSyncOptions } from 'node:child_process';
import { join } from 'node:path';
import { runOrThrow, type RunAs } from './process.js';
import { mkdirOwned } from './postgres.js';

export interface StackTls {
  dir: string;
  /** The CA's certificate (PEM file): sslrootcert for every client. */
  caFile: string;
  certFile: string;
  /** The server key, readable by the server user only (PostgreSQL refuses a key others can read). */
  keyFile: string;
}

export function stackTlsFiles(runtimeDir: string): StackTls {
  const dir = join(runtimeDir, 'tls');
  return { dir, caFile: join(dir, 'ca.pem'), certFile: join(dir, 'server.pem'), keyFile: join(dir, 'server.key') };
}

/** Generates the CA and the server certificate (openssl, 2048-bit RSA, valid 30 days). */
export function createStackTls(runtimeDir: string, runAs: RunAs | undefined): StackTls {
  const tls = stackTlsFiles(runtimeDir);
  mkdirOwned(tls.dir, runAs, 0o755);
  const caKey = join(tls.dir, 'ca.key');
  const csr = join(tls.dir, 'server.csr');
  const ext = join(tls.dir, 'server.ext');
  const quiet: SpawnSyncOptions = { stdio: ['ignore', 'pipe', 'pipe'], cwd: tls.dir };
  runOrThrow(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      caKey,
      '-out',
      tls.caFile,
      '-days',
      '30',
      '-subj',
      '/CN=tenantshift local CA',
    ],
    quiet,
  );
  runOrThrow('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', tls.keyFile, '-out', csr, '-subj', '/CN=localhost'], quiet);
  writeFileSync(ext, 'subjectAltName = IP:127.0.0.1, DNS:localhost\nextendedKeyUsage = serverAuth\n');
  runOrThrow(
    'openssl',
    [
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      tls.caFile,
      '-CAkey',
      caKey,
      '-CAcreateserial',
      '-out',
      tls.certFile,
      '-days',
      '30',
      '-extfile',
      ext,
    ],
    quiet,
  );
  chmodOwned(tls.keyFile, 0o600, runAs);
  chmodOwned(caKey, 0o600, undefined);
  for (const f of [tls.caFile, tls.certFile]) chmodOwned(f, 0o644, runAs);
  return tls;
}

function chmodOwned(file: string, mode: number, runAs: RunAs | undefined): void {
  chmodSync(file, mode);
  if (runAs) chownSync(file, runAs.uid, runAs.gid);
}
