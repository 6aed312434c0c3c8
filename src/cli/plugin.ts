// `tenantshift status|approve|rollback|watch` (also `kubectl tenantshift ...` through the
// kubectl-tenantshift executable): a tenant's move at a glance, its approval and rollback (as a change
// to commit when Argo CD manages the object), and a live view of the move.
import { parseArgs } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { parseDurationMs } from '../api/duration.js';
import { runEdit, type Edit } from './plugin/edits.js';
import { PluginObjects } from './plugin/objects.js';
import { renderTable, renderTenant } from './plugin/render.js';
import { watchTenant } from './plugin/watch.js';

export const PLUGIN_USAGE = `Usage: kubectl tenantshift <command> [NAME] [options]   (or: tenantshift <command> ...)

Commands (NAME is a TenantCutover):
  status [NAME]            the move at a glance: route, step, write pause, replication, lag, validation gate;
                           without NAME, one line per TenantCutover (-A: all namespaces)
  approve NAME [--withdraw]  set spec.approved (true, or false with --withdraw)
  rollback NAME [--cancel]   set spec.rollback (true: back to the source; false with --cancel)
  watch NAME [--interval 1s] [--until-settled]
                           live progress of the move; --until-settled exits 0 once Ready, 1 when it gave up

Options:
  -n, --namespace NS       namespace (default: the kubeconfig context's, else "default")
  -A, --all-namespaces     status: every namespace
      --kubeconfig FILE    (default: $KUBECONFIG or ~/.kube/config)
      --context NAME       kubeconfig context

On objects Argo CD manages, approve and rollback change nothing in the cluster: they print the
change to commit to Git and exit 3 (self-heal would revert a live edit).
`;

const COMMANDS = ['status', 'approve', 'rollback', 'watch'] as const;
type Command = (typeof COMMANDS)[number];

export function isPluginCommand(command: string | undefined): command is Command {
  return (COMMANDS as readonly string[]).includes(command ?? '');
}

export interface PluginIo {
  out(text: string): void;
  err(text: string): void;
  tty: boolean;
}

const processIo: PluginIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  tty: Boolean(process.stdout.isTTY),
};

type Values = ReturnType<typeof parseCli>['values'];

interface Invocation {
  command: Command;
  name: string | undefined;
  values: Values;
  intervalMs: number;
}

interface CommandContext extends Invocation {
  objects: PluginObjects;
  io: PluginIo;
  namespace: string;
  signal: AbortSignal | undefined;
}

/** Runs one plugin command; `kc` and `signal` are injectable so that tests drive it against a real API. */
export async function runPlugin(argv: string[], deps: { io?: PluginIo; kc?: KubeConfig; signal?: AbortSignal } = {}): Promise<number> {
  const io = deps.io ?? processIo;
  const invocation = parseInvocation(argv, io);
  if (typeof invocation === 'number') return invocation;
  const { values } = invocation;
  const kc = deps.kc ?? loadKubeConfig(values.kubeconfig, values.context);
  const namespace = values.namespace ?? kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'default';
  const objects = new PluginObjects(kc);
  return RUNNERS[invocation.command]({ ...invocation, objects, io, namespace, signal: deps.signal });
}

/** The command line checked, or the exit code when it is help or wrong (after saying so). */
function parseInvocation(argv: string[], io: PluginIo): Invocation | number {
  let parsed: ReturnType<typeof parseCli>;
  try {
    parsed = parseCli(argv);
  } catch (err) {
    io.err(`tenantshift: ${(err as Error).message}\n\n${PLUGIN_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, name, ...extra] = positionals;
  if (values.help || command === undefined) {
    io.out(PLUGIN_USAGE);
    return values.help ? 0 : 2;
  }
  const problem = argumentProblem(command, name, extra);
  if (problem || !isPluginCommand(command)) {
    io.err(`tenantshift: ${problem}\n\n${PLUGIN_USAGE}`);
    return 2;
  }
  const intervalMs = parseInterval(values.interval);
  if (intervalMs === undefined) {
    io.err(`tenantshift: --interval must be a duration of at least 100ms like 500ms, 1s or 1m, got "${values.interval}"\n`);
    return 2;
  }
  return { command, name, values, intervalMs };
}

async function runStatus({ objects, io, namespace, name, values }: CommandContext): Promise<number> {
  if (name) {
    const view = await objects.view(namespace, name);
    if (!view) {
      io.err(`TenantCutover ${namespace}/${name} not found\n`);
      return 1;
    }
    io.out(renderTenant(view, new Date()));
    return 0;
  }
  io.out(renderTable(await objects.views(values['all-namespaces'] ? undefined : namespace)));
  return 0;
}

async function runWatch(ctx: CommandContext): Promise<number> {
  return watchTenant(ctx.objects, {
    namespace: ctx.namespace,
    name: ctx.name as string,
    intervalMs: ctx.intervalMs,
    tty: ctx.io.tty,
    untilSettled: ctx.values['until-settled'],
    signal: ctx.signal ?? interruptSignal(),
    out: ctx.io.out,
    err: ctx.io.err,
  });
}

const RUNNERS: Record<Command, (ctx: CommandContext) => Promise<number>> = {
  status: runStatus,
  approve: ({ objects, io, namespace, name, values }) =>
    runEdit(objects, io, namespace, name as string, values.withdraw ? 'withdraw' : 'approve'),
  rollback: ({ objects, io, namespace, name, values }) =>
    runEdit(objects, io, namespace, name as string, (values.cancel ? 'cancel-rollback' : 'rollback') satisfies Edit),
  watch: runWatch,
};

function argumentProblem(command: string, name: string | undefined, extra: string[]): string | undefined {
  if (!isPluginCommand(command)) return `unknown command "${command}"`;
  if (extra.length > 0) return `unexpected "${extra.join(' ')}"`;
  if (command !== 'status' && !name) return `${command} needs the name of a TenantCutover`;
  return undefined;
}

function parseCli(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      namespace: { type: 'string', short: 'n' },
      'all-namespaces': { type: 'boolean', short: 'A', default: false },
      kubeconfig: { type: 'string' },
      context: { type: 'string' },
      withdraw: { type: 'boolean', default: false },
      cancel: { type: 'boolean', default: false },
      interval: { type: 'string', default: '1s' },
      'until-settled': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
}

function loadKubeConfig(file: string | undefined, context: string | undefined): KubeConfig {
  const kc = new KubeConfig();
  if (file) kc.loadFromFile(file);
  else kc.loadFromDefault();
  if (context) kc.setCurrentContext(context);
  return kc;
}

/** --interval in the API's duration grammar (500ms, 2s, 1m), at least 100ms; undefined when refused. */
export function parseInterval(text: string): number | undefined {
  let ms: number;
  try {
    ms = parseDurationMs(text);
  } catch {
    return undefined;
  }
  return ms >= 100 ? ms : undefined;
}

/** Ctrl-C ends the watch cleanly (exit 0) instead of killing the process mid-write. */
function interruptSignal(): AbortSignal {
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  process.once('SIGTERM', () => controller.abort());
  return controller.signal;
}
