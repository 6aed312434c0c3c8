// `tenantshift dev up|env|down`: the local stack's command forms (DESIGN.md fixes them).
import { devDown, devEnv, devUp, shellExports } from '../devstack/stack.js';
import { parseCommandLine, PROCESS_OUTPUT, underTenantshift } from '../runtime/commandLine.js';
import { devCommand } from './commands.js';

interface DevOptions {
  stateDir: string;
  operator?: boolean;
}

export async function runDev(argv: string[]): Promise<number> {
  const dev = underTenantshift(devCommand());
  let chosen: { sub: string; opts: DevOptions } | undefined;
  for (const sub of dev.commands)
    sub.action((opts: DevOptions) => {
      chosen = { sub: sub.name(), opts };
    });
  const code = parseCommandLine(dev, argv, PROCESS_OUTPUT);
  if (code !== undefined) return code;
  if (!chosen) return 2;
  const { stateDir, operator } = chosen.opts;
  switch (chosen.sub) {
    case 'up':
      await devUp({ stateDir, withOperator: operator !== false });
      return 0;
    case 'env':
      process.stdout.write(`${shellExports(devEnv(stateDir))}\n`);
      return 0;
    default:
      await devDown(stateDir);
      return 0;
  }
}
