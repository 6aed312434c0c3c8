// `tenantshift dev up|env|down`: the local stack's command forms (DESIGN.md fixes them).
import { parseArgs } from 'node:util';
import { DEFAULT_STATE_DIR } from '../devstack/paths.js';
import { devDown, devEnv, devUp, shellExports } from '../devstack/stack.js';

export async function runDev(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: {
      'state-dir': { type: 'string', default: DEFAULT_STATE_DIR },
      'no-operator': { type: 'boolean', default: false },
    },
    strict: true,
  });
  const stateDir = values['state-dir'] as string;
  switch (sub) {
    case 'up':
      await devUp({ stateDir, withOperator: !values['no-operator'] });
      return 0;
    case 'env':
      process.stdout.write(`${shellExports(devEnv(stateDir))}\n`);
      return 0;
    case 'down':
      await devDown(stateDir);
      return 0;
    default:
      process.stderr.write('Usage: tenantshift dev up|env|down [--state-dir DIR] [--no-operator]\n');
      return 2;
  }
}
