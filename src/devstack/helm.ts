// Builds helm once into the cache, keyed by the version hack/helm/go.mod pins, for the chart's tests
// (lint, template). Concurrent runs serialize on a lock directory so that only one of them builds.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { goBuild, publish, withLock } from './build.js';
import { cacheDir, packageRoot } from './paths.js';
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
  await withLock(join(cacheDir(), 'helm.lock'), 'helm build', async () => {
    if (existsSync(binary)) return; // another run built it while we waited
    const tmp = `${outDir}.tmp-${process.pid}`;
    mkdirSync(tmp, { recursive: true });
    say(`Building helm ${version} from its Go module into ${outDir} (first run only; a few minutes on 2 cores)`);
    await withHeartbeat(
      'helm build',
      goBuild(join(packageRoot(), 'hack', 'helm'), [
        '-trimpath',
        '-ldflags',
        `-X helm.sh/helm/v3/internal/version.version=${version}`,
        '-o',
        join(tmp, 'helm'),
        'helm.sh/helm/v3/cmd/helm',
      ]),
    );
    publish(tmp, outDir);
  });
  return binary;
}
