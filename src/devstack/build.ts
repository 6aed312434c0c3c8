// Builds the test infrastructure binaries once into the cache, keyed by version: kube-apiserver and
// kubectl from hack/controlplane, etcd from hack/etcd, and moto's virtual environment.
// Concurrent runs serialize on a lock directory so that only one of them builds.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir, ETCD_VERSION, KUBERNETES_VERSION, packageRoot } from './paths.js';
import { isAlive, runOrThrow, sleep } from './process.js';
import { say, withHeartbeat } from './progress.js';

const COMPLETE_MARKER = '.tenantshift-complete';

export interface Binaries {
  kubeApiserver: string;
  kubectl: string;
  etcd: string;
  motoServer: string;
}

export async function ensureBinaries(): Promise<Binaries> {
  const cache = cacheDir();
  const cp = join(cache, 'controlplane', KUBERNETES_VERSION);
  const etcdDir = join(cache, 'etcd', ETCD_VERSION);
  const motoDir = join(cache, 'moto', motoKey());
  const bins: Binaries = {
    kubeApiserver: join(cp, 'kube-apiserver'),
    kubectl: join(cp, 'kubectl'),
    etcd: join(etcdDir, 'etcd'),
    motoServer: join(motoDir, 'bin', 'moto_server'),
  };
  const motoReady = (): boolean => existsSync(join(motoDir, COMPLETE_MARKER));
  if (existsSync(bins.kubeApiserver) && existsSync(bins.kubectl) && existsSync(bins.etcd) && motoReady()) return bins;
  mkdirSync(cache, { recursive: true });
  await withLock(join(cache, 'build.lock'), 'tenantshift build', async () => {
    if (!existsSync(bins.etcd)) await buildEtcd(etcdDir);
    if (!existsSync(bins.kubeApiserver) || !existsSync(bins.kubectl)) await buildControlPlane(cp);
    if (!motoReady()) await buildMotoVenv(motoDir);
  });
  return bins;
}

async function buildControlPlane(outDir: string): Promise<void> {
  const v = 'k8s.io/component-base/version';
  const minor = KUBERNETES_VERSION.split('.')[1] ?? '';
  const tmp = `${outDir}.tmp-${process.pid}`;
  mkdirSync(tmp, { recursive: true });
  say(
    `Building kube-apiserver and kubectl ${KUBERNETES_VERSION} from Go modules into ${outDir} (first run only; several minutes on 2 cores)`,
  );
  await withHeartbeat(
    'kube-apiserver/kubectl build',
    goBuild(join(packageRoot(), 'hack', 'controlplane'), [
      '-trimpath',
      '-ldflags',
      `-X ${v}.gitVersion=${KUBERNETES_VERSION} -X ${v}.gitMajor=1 -X ${v}.gitMinor=${minor}`,
      '-o',
      `${tmp}/`,
      'k8s.io/kubernetes/cmd/kube-apiserver',
      'k8s.io/kubernetes/cmd/kubectl',
    ]),
  );
  publish(tmp, outDir);
}

async function buildEtcd(outDir: string): Promise<void> {
  const tmp = `${outDir}.tmp-${process.pid}`;
  mkdirSync(tmp, { recursive: true });
  say(`Building etcd ${ETCD_VERSION} from Go modules into ${outDir} (first run only; about two minutes)`);
  await withHeartbeat(
    'etcd build',
    goBuild(join(packageRoot(), 'hack', 'etcd'), ['-trimpath', '-o', join(tmp, 'etcd'), 'go.etcd.io/etcd/server/v3']),
  );
  publish(tmp, outDir);
}

function motoKey(): string {
  const req = readFileSync(join(packageRoot(), 'hack', 'moto', 'requirements.txt'), 'utf8');
  const pin = /^moto\[server\]==(\S+)/m.exec(req);
  return pin?.[1] ?? 'unpinned';
}

async function buildMotoVenv(outDir: string): Promise<void> {
  // A venv hard-codes its path in its scripts, so it is built in place; the marker says it is whole.
  rmSync(outDir, { recursive: true, force: true });
  say(`Installing moto ${motoKey()} into a Python virtual environment at ${outDir}`);
  runOrThrow('python3', ['-m', 'venv', outDir]);
  const requirements = join(packageRoot(), 'hack', 'moto', 'requirements.txt');
  await withHeartbeat(
    'moto install',
    run(join(outDir, 'bin', 'pip'), ['install', '-q', '--disable-pip-version-check', '-r', requirements], undefined),
  );
  writeFileSync(join(outDir, COMPLETE_MARKER), new Date().toISOString());
}

export function publish(tmp: string, outDir: string): void {
  rmSync(outDir, { recursive: true, force: true });
  renameSync(tmp, outDir);
}

export function goBuild(moduleDir: string, args: string[]): Promise<void> {
  return run('go', ['build', ...args], moduleDir, { ...process.env, CGO_ENABLED: '0' });
}

function run(command: string, args: string[], cwd: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString()).slice(-8000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', (err) => reject(new Error(`${command} could not run: ${err.message}`)));
    child.on('exit', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`${command} ${args.join(' ')} failed (exit ${code}):\n${output}`));
    });
  });
}

/** A lock directory holding the owner's pid; a lock whose owner died is taken over. */
export async function withLock(lockDir: string, what: string, work: () => Promise<void>): Promise<void> {
  let waited = false;
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(join(lockDir, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number(readSafe(join(lockDir, 'pid')));
      if (owner && !isAlive(owner)) {
        rmSync(lockDir, { recursive: true, force: true });
        continue;
      }
      if (!waited) say(`Waiting for another ${what} (pid ${owner || '?'}) to finish`);
      waited = true;
      await sleep(1000);
    }
  }
  try {
    await work();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

function readSafe(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
