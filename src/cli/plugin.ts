// `tenantshift status|approve|rollback|watch` (also `kubectl tenantshift ...` through the
// kubectl-tenantshift executable): a tenant's move at a glance, its approval and rollback (as a change
// to commit when Argo CD manages the object), and a live view of the move.
import { KubeConfig } from '@kubernetes/client-node';
import { Command } from 'commander';
import { parseDurationMs } from '../api/duration.js';
import { exitCodeOf, helpText, parseOrError } from '../runtime/commandLine.js';
import { missingNameMessage, PLUGIN_COMMANDS, pluginCommand, type PluginCommand } from './commands.js';
import { runEdit, type Edit } from './plugin/edits.js';
import { PluginObjects } from './plugin/objects.js';
import { renderTable, renderTenant } from './plugin/render.js';
import { watchTenant } from './plugin/watch.js';

export function isPluginCommand(command: string | undefined): command is PluginCommand {
  return (PLUGIN_COMMANDS as readonly string[]).includes(command ?? '');
}

/** The plugin's own tree: `kubectl tenantshift <command>` (the same commands as under `tenantshift`). */
function pluginTree(): Command {
  const root = new Command('kubectl tenantshift')
    .usage('<command> [NAME] [options]   (or: tenantshift <command> ...)')
    .description("A tenant's move at a glance, its approval and rollback, and a live view of it (NAME is a TenantCutover).");
  for (const name of PLUGIN_COMMANDS) root.addCommand(pluginCommand(name));
  return root;
}

export function pluginUsage(): string {
  return helpText(pluginTree());
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

interface Values {
  namespace?: string;
  allNamespaces?: boolean;
  kubeconfig?: string;
  context?: string;
  withdraw?: boolean;
  cancel?: boolean;
  interval?: string;
  untilSettled?: boolean;
}

interface Invocation {
  command: PluginCommand;
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

/** Parses with commander; a missing NAME is said in the plugin's words. Undefined when the command is to run. */
function parse(root: Command, argv: string[], io: PluginIo): number | undefined {
  let errors = '';
  const err = parseOrError(root, argv, { out: (t) => io.out(t), err: (t) => (errors += t) });
  const message = err && missingNameMessage(err, argv[0]);
  if (message || errors) io.err(message || errors);
  return err ? exitCodeOf(err) : undefined;
}

/** The command line checked, or the exit code when it is help or wrong (after saying so). */
function parseInvocation(argv: string[], io: PluginIo): Invocation | number {
  const root = pluginTree();
  if (argv.length === 0) {
    io.out(helpText(root));
    return 2;
  }
  let chosen: Omit<Invocation, 'intervalMs'> | undefined;
  for (const cmd of root.commands) {
    cmd.action((name: string | undefined, values: Values) => {
      chosen = { command: cmd.name() as PluginCommand, name, values };
    });
  }
  const code = parse(root, argv, io);
  if (code !== undefined) return code;
  if (!chosen) return 2;
  const interval = chosen.values.interval ?? '1s';
  const intervalMs = parseInterval(interval);
  if (intervalMs === undefined) {
    io.err(`tenantshift: --interval must be a duration of at least 100ms like 500ms, 1s or 1m, got "${interval}"\n`);
    return 2;
  }
  return { ...chosen, intervalMs };
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
  io.out(renderTable(await objects.views(values.allNamespaces ? undefined : namespace)));
  return 0;
}

async function runWatch(ctx: CommandContext): Promise<number> {
  return watchTenant(ctx.objects, {
    namespace: ctx.namespace,
    name: ctx.name as string,
    intervalMs: ctx.intervalMs,
    tty: ctx.io.tty,
    untilSettled: ctx.values.untilSettled === true,
    signal: ctx.signal ?? interruptSignal(),
    out: ctx.io.out,
    err: ctx.io.err,
  });
}

const RUNNERS: Record<PluginCommand, (ctx: CommandContext) => Promise<number>> = {
  status: runStatus,
  approve: ({ objects, io, namespace, name, values }) =>
    runEdit(objects, io, namespace, name as string, values.withdraw ? 'withdraw' : 'approve'),
  rollback: ({ objects, io, namespace, name, values }) =>
    runEdit(objects, io, namespace, name as string, (values.cancel ? 'cancel-rollback' : 'rollback') satisfies Edit),
  watch: runWatch,
};

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
