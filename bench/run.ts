// `npm run bench`: runs every benchmark under dist/bench/<name>/run.js (or only those named on the
// command line), one after another, each in its own process against the running local stack.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const benches = readdirSync(here, { withFileTypes: true })
  .filter((e) => e.isDirectory() && existsSync(join(here, e.name, 'run.js')))
  .map((e) => e.name)
  .filter((name) => wanted.length === 0 || wanted.includes(name))
  .sort();
if (benches.length === 0) {
  console.error(`bench: nothing to run${wanted.length > 0 ? ` named ${wanted.join(', ')}` : ''}`);
  process.exit(2);
}
let failed = 0;
for (const name of benches) {
  console.log(`bench: ${name}`);
  const r = spawnSync(process.execPath, ['--enable-source-maps', join(here, name, 'run.js')], { stdio: 'inherit' });
  if (r.status !== 0) failed += 1;
}
process.exit(failed > 0 ? 1 : 0);
