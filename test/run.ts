// `npm test`: starts one local stack for the whole run (no operator: tests start their own),
// runs every unit, integration and e2e suite with mocha, and stops the stack, pass or fail.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Mocha from 'mocha';
import { devDown, devUp } from '../src/devstack/stack.js';
import { packageRoot } from '../src/devstack/paths.js';

const SUITES = ['dist/test/unit', 'dist/test/integration', 'dist/e2e'];

function testFiles(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.flatMap((e) => {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) return testFiles(p);
    return e.endsWith('.test.js') ? [p] : [];
  });
}

async function main(): Promise<number> {
  const root = packageRoot();
  const stateDir = resolve(process.env.TENANTSHIFT_TEST_STATE_DIR ?? join(root, '.tenantshift', 'test'));
  process.env.TENANTSHIFT_TEST_STATE_DIR = stateDir;
  const grep = process.argv[2];
  let stopping = false;
  let failed = true;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await devDown(stateDir);
  };
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      void stop().finally(() => process.exit(130));
    });
  }
  // A stack left over by a killed run would hold ports and processes: stop it first.
  await devDown(stateDir);
  try {
    await devUp({ stateDir, withOperator: false });
    const mocha = new Mocha({ timeout: 120_000, reporter: 'spec', ...(grep ? { grep } : {}) });
    for (const file of SUITES.flatMap((s) => testFiles(join(root, s))).sort()) mocha.addFile(file);
    await mocha.loadFilesAsync();
    const runner = mocha.run();
    const failures = await new Promise<number>((res) => runner.on('end', () => res(runner.failures)));
    const stats = runner.stats;
    // The plain closing line CI reads, beside mocha's own summary.
    console.log(`tests: ${stats?.passes ?? 0} passed, ${stats?.failures ?? failures} failed, ${stats?.pending ?? 0} skipped`);
    failed = failures > 0 || (stats?.passes ?? 0) === 0;
    return failed ? 1 : 0;
  } finally {
    await stop();
    // CI keeps only what is printed: the servers' complaints, for a failure that does not reproduce.
    if (failed) printServerComplaints(join(stateDir, 'logs'));
  }
}

function printServerComplaints(logDir: string): void {
  let files: string[];
  try {
    files = readdirSync(logDir).filter((f) => /^(pgbouncer|postgres-).*\.log$/.test(f));
  } catch {
    return;
  }
  for (const file of files.sort()) {
    const lines = readFileSync(join(logDir, file), 'utf8')
      .split('\n')
      .filter((l) => /FATAL|ERROR|WARNING|login failed|server_login_retry|closing because: server/.test(l));
    if (lines.length === 0) continue;
    console.log(`--- ${file}: last ${Math.min(lines.length, 20)} of ${lines.length} complaints`);
    for (const l of lines.slice(-20)) console.log(l.slice(0, 400));
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`tenantshift tests: ${(err as Error).message}`);
    process.exit(1);
  },
);
