// `tenantshift crds generate`: writes crds/ from src/api, the single source of truth.
import { join } from 'node:path';
import { writeCrds } from '../api/generate.js';
import { packageRoot } from '../devstack/paths.js';
import { parseCommandLine, PROCESS_OUTPUT, underTenantshift } from '../runtime/commandLine.js';
import { crdsCommand } from './commands.js';

export async function runCrds(argv: string[]): Promise<number> {
  const crds = underTenantshift(crdsCommand());
  let opts: { out?: string } | undefined;
  for (const sub of crds.commands)
    sub.action((o: { out?: string }) => {
      opts = o;
    });
  const code = parseCommandLine(crds, argv, PROCESS_OUTPUT);
  if (code !== undefined) return code;
  if (!opts) return 2;
  const out = opts.out ?? join(packageRoot(), 'crds');
  writeCrds(out);
  process.stdout.write(`CRDs written to ${out}\n`);
  return 0;
}
