// Builds helm once into the cache, keyed by the version hack/helm/go.mod pins, for the chart's tests
// (lint, template). Concurrent runs serialize on a lock directory so that only one of them builds.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir, packageRoot } from './paths.js';
import { isAlive, sleep } from './process.js';
import { say, withHeartbeat } from './progress.js';

/** The helm version the build module requires: one place to change it. */
export function helmVersion(): string {
  const mod = readFileSync(join(packageRoot(), 'hack', 'helm', 'go.mod'), 'utf8');
  const pin = /^require\s+helm\.sh\/helm\/v3\s+(v\S+)/m.exec(mod);
  if (!pin?.[1]) throw new Error('hack/helm/go.mod does not require helm.sh/helm/v3 at a version');
  return pin[1];
}

/** The path of the cached helm binary, built from hack/helm on first use (about two minutes on 2 cores). */
export async function ensureHelm(): Promise<string> {
  const version = helmVersion();
  const outDir = join(cacheDir(), 'helm', version);
  const binary = join(outDir, 'helm');
  if (existsSync(binary)) return binary;
  mkdirSync(cacheDir(), { recursive: true });
  await withLock(join(cacheDir(), 'helm.lock'), async () => {
    if (existsSync(binary)) return; // another run built it while we waited
    const tmp = `${outDir}.tmp-${process.pid}`;
    mkdirSync(tmp, { recursive: true });
    say(`Building helm ${version} from its Go module into ${outDir} (first run only; a few minutes on 2 cores)`);
    await withHeartbeat(
      'helm build',
      run('go', ['build', '-trimpath', '-ldflags', `-X helm.sh/helm/v3/internal/version.version=${version}`, '-o', join(tmp, 'helm'), 'helm.sh/helm/v3/cmd/helm'], join(packageRoot(), 'hack', 'helm')),
    );
    rmSync(outDir, { recursive: true, force: true });
    renameSync(tmp, outDir);
  });
  return binary;
}

function run(command: string, args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, CGO_ENABLED: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString()).slice(-8000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', (err) => reject(new Error(`${command} could not run: ${err.message}`)));
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} failed (exit ${code}):\n${output}`))));
  });
}

/** A lock directory holding the owner's pid; a lock whose owner died is taken over. */
async function withLock(lockDir: string, work: () => Promise<void>): Promise<void> {
  let waited = false;
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(join(lockDir, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number(readOrEmpty(join(lockDir, 'pid')));
      if (owner && !isAlive(owner)) {
        rmSync(lockDir, { recursive: true, force: true });
        continue;
      }
      if (!waited) say(`Waiting for another helm build (pid ${owner || '?'}) to finish`);
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

function readOrEmpty(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
