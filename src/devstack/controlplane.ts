// The local stack's control plane: etcd and a real kube-apiserver (RBAC, token auth, self-signed
// serving certificate), a kubeconfig for it, and our CRDs applied and Established.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { packageRoot } from './paths.js';
import { runOrThrow, startDaemon, waitUntil, type DaemonOptions } from './process.js';

export interface ControlPlaneSetup {
  dir: string;
  logDir: string;
  etcdBinary: string;
  apiserverBinary: string;
  etcdClientPort: number;
  etcdPeerPort: number;
  apiserverPort: number;
  adminToken: string;
}

export function startEtcd(setup: ControlPlaneSetup): number {
  const client = `http://127.0.0.1:${setup.etcdClientPort}`;
  const peer = `http://127.0.0.1:${setup.etcdPeerPort}`;
  return startDaemon({
    name: 'etcd',
    command: setup.etcdBinary,
    args: [
      '--name=default',
      `--data-dir=${join(setup.dir, 'etcd')}`,
      `--listen-client-urls=${client}`,
      `--advertise-client-urls=${client}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=default=${peer}`,
      '--unsafe-no-fsync=true',
      '--log-level=warn',
    ],
    logFile: join(setup.logDir, 'etcd.log'),
  });
}

export async function waitForEtcd(setup: ControlPlaneSetup, pid: number): Promise<void> {
  await waitUntil(
    'etcd',
    async () => {
      const res = await fetch(`http://127.0.0.1:${setup.etcdClientPort}/health`);
      return res.ok;
    },
    { timeoutMs: 30_000, pid, logFile: join(setup.logDir, 'etcd.log') },
  );
}

/** Writes the apiserver's keys and token file and returns how to launch it. */
export function apiserverDaemon(setup: ControlPlaneSetup): DaemonOptions {
  const certDir = join(setup.dir, 'apiserver-certs');
  mkdirSync(certDir, { recursive: true });
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  writeFileSync(join(setup.dir, 'sa.pub'), publicKey);
  writeFileSync(join(setup.dir, 'sa.key'), privateKey, { mode: 0o600 });
  writeFileSync(join(setup.dir, 'tokens.csv'), `${setup.adminToken},admin,admin,"system:masters"\n`, { mode: 0o600 });
  return {
    name: 'kube-apiserver',
    command: setup.apiserverBinary,
    args: [
      `--etcd-servers=http://127.0.0.1:${setup.etcdClientPort}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${setup.apiserverPort}`,
      `--cert-dir=${certDir}`,
      `--token-auth-file=${join(setup.dir, 'tokens.csv')}`,
      '--authorization-mode=RBAC',
      '--service-account-issuer=https://kubernetes.default.svc',
      `--service-account-key-file=${join(setup.dir, 'sa.pub')}`,
      `--service-account-signing-key-file=${join(setup.dir, 'sa.key')}`,
      '--service-cluster-ip-range=10.0.0.0/24',
      '--disable-admission-plugins=ServiceAccount',
      '--v=0',
    ],
    logFile: join(setup.logDir, 'kube-apiserver.log'),
  };
}

export function apiserverCa(setup: ControlPlaneSetup): string {
  return readFileSync(join(setup.dir, 'apiserver-certs', 'apiserver.crt'), 'utf8');
}

export async function waitForApiserver(setup: ControlPlaneSetup, pid: number): Promise<void> {
  await waitUntil(`kube-apiserver on port ${setup.apiserverPort}`, () => getReadyz(setup), {
    timeoutMs: 120_000,
    pid,
    logFile: join(setup.logDir, 'kube-apiserver.log'),
  });
}

function getReadyz(setup: ControlPlaneSetup): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: setup.apiserverPort,
        path: '/readyz',
        ca: apiserverCa(setup),
        headers: { Authorization: `Bearer ${setup.adminToken}` },
        timeout: 5000,
      },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      },
    );
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

export function writeKubeconfig(file: string, setup: ControlPlaneSetup): void {
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'tenantshift-dev',
        cluster: {
          server: `https://127.0.0.1:${setup.apiserverPort}`,
          'certificate-authority-data': Buffer.from(apiserverCa(setup)).toString('base64'),
        },
      },
    ],
    users: [{ name: 'admin', user: { token: setup.adminToken } }],
    contexts: [{ name: 'tenantshift-dev', context: { cluster: 'tenantshift-dev', user: 'admin', namespace: 'default' } }],
    'current-context': 'tenantshift-dev',
  };
  writeFileSync(file, stringify(config), { mode: 0o600 });
}

/** Applies crds/ with the kubectl of the same build and waits until every CRD is Established. */
export function applyCrds(kubectl: string, kubeconfig: string): string[] {
  const dir = join(packageRoot(), 'crds');
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort();
  if (files.length === 0) throw new Error(`no CRDs in ${dir}: run \`npm run crds\``);
  const env = { ...process.env, KUBECONFIG: kubeconfig };
  runOrThrow(kubectl, ['apply', '--server-side', '--force-conflicts', '--field-manager=tenantshift-dev', '-f', dir], { env });
  const names = files.map((f) => (parse(readFileSync(join(dir, f), 'utf8')) as { metadata: { name: string } }).metadata.name);
  runOrThrow(kubectl, ['wait', '--for=condition=Established', '--timeout=60s', ...names.map((n) => `crd/${n}`)], { env });
  return names;
}

export const OPERATOR_NAMESPACE = 'tenantshift-system';

/** The namespace the operator's Lease and Events live in; applying it again is a no-op. */
export function ensureOperatorNamespace(kubectl: string, kubeconfig: string): void {
  runOrThrow(kubectl, ['apply', '--server-side', '--field-manager=tenantshift-dev', '-f', '-'], {
    env: { ...process.env, KUBECONFIG: kubeconfig },
    input: `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${OPERATOR_NAMESPACE}\n`,
  });
}

export function newToken(): string {
  return randomBytes(24).toString('hex');
}
