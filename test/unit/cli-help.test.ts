// The command's help is its reference: for every command, --help names every flag and every variable
// the command reads. The variables are found in the command's source (the modules it imports), so a
// variable read without being documented fails here. Also the completion script, generated from the
// same command tree.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { completionScript } from '../../src/cli/completion.js';
import { commandTree } from '../../src/cli/program.js';
import { packageRoot } from '../../src/devstack/paths.js';
import { helpText } from '../../src/runtime/commandLine.js';

const ROOT = packageRoot();

/** The module that runs each top-level command. */
const MODULES: Record<string, string> = {
  dev: 'src/cli/dev.ts',
  operator: 'src/cli/operator.ts',
  'route-agent': 'src/cli/route-agent.ts',
  demo: 'src/cli/demo.ts',
  status: 'src/cli/plugin.ts',
  approve: 'src/cli/plugin.ts',
  rollback: 'src/cli/plugin.ts',
  watch: 'src/cli/plugin.ts',
  validate: 'src/cli/validate.ts',
  crds: 'src/cli/crds.ts',
  completion: 'src/cli/completion.ts',
};

/** Imported for a constant or a path only, never reading what else they read: `crds` takes packageRoot(). */
const NOT_RUN: Record<string, string[]> = { 'src/cli/crds.ts': ['src/devstack/paths.ts'] };

/**
 * The module and every src/ module it imports, directly or not (static and dynamic imports). Not
 * commands.ts: the definitions (and their documentation) of every command, loaded by each.
 */
function closure(entry: string): string[] {
  const seen = new Set<string>();
  const todo = [resolve(ROOT, entry)];
  while (todo.length > 0) {
    const file = todo.pop() as string;
    const name = relative(ROOT, file);
    if (seen.has(file) || name === join('src', 'cli', 'commands.ts') || NOT_RUN[entry]?.includes(name)) continue;
    seen.add(file);
    for (const m of readFileSync(file, 'utf8').matchAll(/(?:from|import\()\s*'(\.{1,2}\/[^']+)\.js'/g)) {
      const target = resolve(dirname(file), `${m[1]}.ts`);
      if (existsSync(target)) todo.push(target);
    }
  }
  return [...seen].map((f) => relative(ROOT, f));
}

/**
 * The TENANTSHIFT_ variables a command's modules name, except as an object key (a value set for a
 * child process). The local stack (src/devstack/) hands variables to the processes it starts: there
 * only process.env reads count.
 */
function variablesRead(entry: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const file of closure(entry)) {
    const text = readFileSync(join(ROOT, file), 'utf8');
    const pattern = file.startsWith(join('src', 'devstack'))
      ? /process\.env\.(TENANTSHIFT_[A-Z0-9_]+)/g
      : /\b(TENANTSHIFT_[A-Z0-9_]+)\b(?!\s*:)/g;
    for (const m of text.matchAll(pattern)) if (!found.has(m[1] as string)) found.set(m[1] as string, file);
  }
  return found;
}

function allCommands(cmd: Command): Command[] {
  return [cmd, ...cmd.commands.flatMap(allCommands)];
}

function topLevelOf(cmd: Command): string {
  let c = cmd;
  while (c.parent?.parent) c = c.parent;
  return c.name();
}

describe('cli: help and completion', () => {
  const tree = commandTree();
  const commands = allCommands(tree).slice(1);

  it('has a module for every top-level command', () => {
    assert.deepEqual(tree.commands.map((c) => c.name()).sort(), Object.keys(MODULES).sort());
  });

  for (const cmd of commands) {
    const path = `${topLevelOf(cmd) === cmd.name() ? '' : `${topLevelOf(cmd)} `}${cmd.name()}`;
    it(`tenantshift ${path} --help names every flag and every variable the command reads`, () => {
      const help = helpText(cmd).replace(/\s+/g, ' ');
      for (const option of cmd.options) {
        for (const flag of [option.long, option.short]) if (flag) assert.ok(help.includes(flag), `${flag} missing from the help`);
        if (option.envVar) assert.ok(help.includes(`env: ${option.envVar}`), `${option.envVar} missing from the help`);
      }
      for (const sub of cmd.commands) assert.ok(help.includes(sub.name()), `subcommand ${sub.name()} missing from the help`);
      // A command with subcommands reads what they read: each leaf documents it.
      if (cmd.commands.length > 0) return;
      for (const [name, file] of variablesRead(MODULES[topLevelOf(cmd)] as string)) {
        assert.ok(help.includes(name), `${name} (read in ${file}) is not in the help of tenantshift ${path}`);
      }
    });
  }

  it('documents the operator settings that were environment-only', () => {
    const help = helpText(tree.commands.find((c) => c.name() === 'operator') as Command);
    assert.match(help, /--max-initial-copies-per-source/);
    assert.match(help, /TENANTSHIFT_MAX_INITIAL_COPIES_PER_SOURCE/);
    assert.match(help, /Environment:[\s\S]*TENANTSHIFT_ROUTE_AGENT_TOKEN/);
    assert.match(help, /TENANTSHIFT_ROUTE_AGENT_NAMESPACE/);
  });

  it('generates a bash completion script naming every subcommand and long flag', () => {
    const script = completionScript(commandTree(), 'bash');
    for (const cmd of commands) {
      assert.ok(script.includes(cmd.name()), `${cmd.name()} missing from the completion`);
      for (const option of cmd.options) if (option.long) assert.ok(script.includes(option.long), `${option.long} missing`);
    }
    assert.match(completionScript(commandTree(), 'zsh'), /^#compdef tenantshift/);
  });

  const bash = spawnSync('bash', ['--version']).status === 0;
  (bash ? it : it.skip)('completes `tenantshift dev ` to up, env, down in bash', () => {
    const complete = (words: string[]): string[] => {
      const cword = words.length - 1;
      const quoted = words.map((w) => `'${w}'`).join(' ');
      const run = spawnSync(
        'bash',
        [
          '-c',
          `${completionScript(commandTree(), 'bash')}\nCOMP_WORDS=(${quoted}); COMP_CWORD=${cword}; ` +
            `_tenantshift tenantshift '${words[cword]}' '${words[cword - 1]}'; printf '%s\\n' "\${COMPREPLY[@]}"`,
        ],
        { encoding: 'utf8' },
      );
      assert.equal(run.status, 0, run.stderr);
      return run.stdout.split('\n').filter(Boolean);
    };
    assert.deepEqual(
      complete(['tenantshift', 'dev', '']).filter((w) => !w.startsWith('-')),
      ['up', 'env', 'down'],
    );
    assert.deepEqual(complete(['tenantshift', 'dev', 'up', '--no']), ['--no-operator']);
    assert.deepEqual(complete(['tenantshift', 'comp']), ['completion']);
    assert.deepEqual(complete(['tenantshift', 'operator', '--max']), ['--max-initial-copies-per-source']);
  });
});
