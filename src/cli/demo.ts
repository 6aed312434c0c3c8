// `tenantshift demo`: the main job on the local stack. Today: bring the stack up with the operator,
// apply the samples of every kind, show where each stands with `kubectl get`, tear down (unless --keep).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { packageRoot } from '../devstack/paths.js';
import { say } from '../devstack/progress.js';
import { devDown, devUp } from '../devstack/stack.js';

const DEMO_NAMESPACE = 'tenantshift-demo';

export async function runDemo(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { 'state-dir': { type: 'string', default: '.tenantshift/demo' }, keep: { type: 'boolean', default: false } },
    strict: true,
  });
  const stateDir = values['state-dir'] as string;
  const state = await devUp({ stateDir, withOperator: true });
  try {
    const kubectl = (args: string[], input?: string): string => {
      const res = spawnSync(state.kubectl, args, { encoding: 'utf8', input, env: { ...process.env, KUBECONFIG: state.kubeconfig } });
      if (res.status !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${res.stderr.trim()}`);
      return res.stdout;
    };
    const show = (args: string[]): void => {
      process.stdout.write(`\n$ kubectl ${args.join(' ')}\n${kubectl(args)}`);
    };
    say(`Applying the samples of every kind into namespace ${DEMO_NAMESPACE}`);
    kubectl(['apply', '-f', '-'], `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${DEMO_NAMESPACE}\n`);
    show(['apply', '-n', DEMO_NAMESPACE, '-f', join(packageRoot(), 'config', 'samples')]);
    show(['get', 'tenantshift', '-n', DEMO_NAMESPACE]);
    show(['explain', 'tenantcutover.spec.maxWritePause']);
    return 0;
  } finally {
    if (values.keep) {
      say(`Stack kept running: eval "$(tenantshift dev env --state-dir ${stateDir})"; stop it with \`tenantshift dev down --state-dir ${stateDir}\``);
    } else {
      await devDown(stateDir);
    }
  }
}
