// The command-line tools the packaging tests run: promtool and a Lua interpreter from Debian (installed
// on first use like the stack's packages), and helpers that run them on this repository's files.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ensureSystemPackages, PROMTOOL } from '../../../src/devstack/system.js';
import { packageRoot } from '../../../src/devstack/paths.js';

type Requirement = NonNullable<Parameters<typeof ensureSystemPackages>[0]>[number];

const onPath = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

/** Argo CD runs health checks in gopher-lua (Lua 5.1); the scripts avoid everything newer, so 5.4 runs them alike. */
export const LUA: Requirement = {
  what: 'Lua interpreter (Argo CD health checks)',
  present: () => onPath('lua5.4'),
  debianPackage: 'lua5.4',
};

export function repoPath(...parts: string[]): string {
  return join(packageRoot(), ...parts);
}

export interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function run(command: string, args: string[], opts: { cwd?: string; input?: string } = {}): Ran {
  const r = spawnSync(command, args, { cwd: opts.cwd, input: opts.input, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  if (r.error) throw new Error(`${command} could not run: ${r.error.message}`);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function ensurePromtool(): void {
  ensureSystemPackages([PROMTOOL]);
}

export function ensureLua(): void {
  ensureSystemPackages([LUA]);
}

/** A JSON value as a Lua table constructor (null members are dropped: Lua tables cannot hold nil). */
export function toLua(value: unknown): string {
  if (value === null || value === undefined) return 'nil';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `{${value.map(toLua).join(', ')}}`;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== null && v !== undefined);
  return `{${entries.map(([k, v]) => `[${JSON.stringify(k)}] = ${toLua(v)}`).join(', ')}}`;
}

/** Runs an Argo CD health script on `obj` the way Argo CD does: `obj` global, the chunk returns hs. */
export function luaHealth(script: string, obj: unknown): { status: string; message: string } {
  const program =
    `obj = ${toLua(obj)}\nlocal hs = (function()\n${script}\nend)()\nio.write(tostring(hs.status), "\\n", ` + `tostring(hs.message))\n`;
  const r = run('lua5.4', ['-'], { input: program });
  if (r.status !== 0) throw new Error(`lua5.4 failed: ${r.stderr}`);
  const [status, ...message] = r.stdout.split('\n');
  return { status: status as string, message: message.join('\n') };
}
