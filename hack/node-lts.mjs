#!/usr/bin/env node
// Runs a script on the Node.js LTS the image and CI use (NODE_VERSION below), whatever Node started
// npm. Node 20 is out of support and @kubernetes/client-node 2.x needs Node >= 22.19.
//
//   node hack/node-lts.mjs [node options] script.js [args]
//
// When the running Node is already of that major, the script runs on it. Otherwise the official
// build is taken from the npm registry (package node-<platform>-<arch>, which carries the real
// binary) once into ~/.cache/tenantshift (or $TENANTSHIFT_CACHE_DIR) and the script runs on it.
// Plain JavaScript on purpose: it must run on the old Node before anything is compiled.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { constants, homedir } from 'node:os';
import { join, resolve } from 'node:path';

export const NODE_VERSION = '24.22.3';
const MAJOR = NODE_VERSION.split('.')[0];

function cacheDir() {
  if (process.env.TENANTSHIFT_CACHE_DIR) return resolve(process.env.TENANTSHIFT_CACHE_DIR);
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'tenantshift');
}

function say(message) {
  process.stderr.write(`tenantshift: ${message}\n`);
}

function run(command, args, cwd) {
  const r = spawnSync(command, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${(r.stderr || r.error?.message || '').trim()}`);
}

/** The cached Node binary, installed from the npm registry on first use. */
function cachedNode() {
  const dir = join(cacheDir(), `node-v${NODE_VERSION}`);
  const binary = join(dir, 'bin', 'node');
  if (existsSync(binary)) return binary;
  const pkg = `node-${process.platform}-${process.arch}@${NODE_VERSION}`;
  say(`Installing Node.js ${NODE_VERSION} (${pkg} from the npm registry) into ${dir}: the suite runs on the LTS the image uses`);
  mkdirSync(cacheDir(), { recursive: true });
  const work = mkdtempSync(join(cacheDir(), '.node-'));
  try {
    run('npm', ['pack', pkg, '--silent'], work);
    const tgz = readdirSync(work).find((f) => f.endsWith('.tgz'));
    if (!tgz) throw new Error(`npm pack ${pkg} produced no archive`);
    run('tar', ['xzf', tgz], work);
    if (!existsSync(join(work, 'package', 'bin', 'node'))) throw new Error(`${pkg} has no bin/node`);
    rmSync(dir, { recursive: true, force: true });
    renameSync(join(work, 'package'), dir);
  } catch (err) {
    throw new Error(
      `Could not install Node.js ${NODE_VERSION} for ${process.platform}-${process.arch} (${err.message}). ` +
        `Install Node.js ${MAJOR} yourself and run the command with it.`,
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return binary;
}

function main() {
  const args = process.argv.slice(2);
  const node = process.versions.node.split('.')[0] === MAJOR ? process.execPath : cachedNode();
  const child = spawn(node, args, { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => {
    process.exitCode = code ?? 128 + (constants.signals[signal] ?? 0);
  });
}

try {
  main();
} catch (err) {
  say(err.message);
  process.exitCode = 1;
}
