// `tenantshift crds generate`: writes crds/ from src/api, the single source of truth.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeCrds } from '../api/generate.js';
import { packageRoot } from '../devstack/paths.js';

export async function runCrds(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const { values } = parseArgs({ args: rest, options: { out: { type: 'string' } }, strict: true });
  if (sub !== 'generate') {
    process.stderr.write('Usage: tenantshift crds generate [--out DIR]\n');
    return 2;
  }
  const out = values.out ?? join(packageRoot(), 'crds');
  writeCrds(out);
  process.stdout.write(`CRDs written to ${out}\n`);
  return 0;
}
