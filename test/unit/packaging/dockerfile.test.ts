// The container image, short of building it (no Docker engine here): its build context and COPY
// sources exist, the entrypoint's commands run from the build output, the runtime is non-root and
// matches the chart, and every package the code imports at run time is a production dependency.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { parse } from 'yaml';
import { PG_BIN } from '../../../src/devstack/system.js';
import { repoPath, run } from './tools.js';

interface Stage {
  name: string;
  lines: string[];
}

function stages(): Stage[] {
  const text = readFileSync(repoPath('Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  const out: Stage[] = [];
  for (const line of text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))) {
    const from = /^FROM\s+\S+(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) out.push({ name: from[1] ?? `stage${out.length}`, lines: [] });
    else out.at(-1)?.lines.push(line);
  }
  return out;
}

const runtime = (): Stage => stages().at(-1) as Stage;
const instruction = (stage: Stage, name: string): string[] =>
  stage.lines.filter((l) => l.toUpperCase().startsWith(`${name} `)).map((l) => l.slice(name.length + 1).trim());

/** The build context: .dockerignore excludes everything, then lists what goes in. */
function contextEntries(): string[] {
  const lines = readFileSync(repoPath('.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  assert.equal(lines[0], '*', '.dockerignore should start by excluding everything');
  return lines.slice(1).map((l) => {
    assert.ok(l.startsWith('!'), `.dockerignore: only re-inclusions after "*", got ${l}`);
    return l.slice(1).replace(/\/$/, '');
  });
}

function jsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? jsFiles(p) : p.endsWith('.js') ? [p] : [];
  });
}

describe('packaging: container image (Dockerfile)', () => {
  it('is multi-stage and its runtime stage copies build output, not sources', () => {
    assert.ok(stages().length >= 2, 'multi-stage');
    const copies = instruction(runtime(), 'COPY');
    assert.ok(
      copies.some((c) => c.startsWith('--from=build') && c.includes('dist/src')),
      copies.join('\n'),
    );
    assert.ok(!copies.some((c) => /(^|\s)src(\s|$)/.test(c) && !c.startsWith('--from')), 'the runtime stage must not copy src/');
  });

  it('copies only what the build context holds, and every COPY source exists', () => {
    const context = contextEntries();
    for (const stage of stages()) {
      for (const copy of instruction(stage, 'COPY').filter((c) => !c.startsWith('--from'))) {
        const sources = copy.split(/\s+/).slice(0, -1);
        for (const s of sources) {
          assert.ok(existsSync(repoPath(s)), `${stage.name}: COPY source ${s} does not exist`);
          assert.ok(
            context.some((c) => s === c || s.startsWith(`${c}/`)),
            `${stage.name}: COPY source ${s} is excluded by .dockerignore`,
          );
        }
      }
    }
  });

  it('runs as a numeric non-root user, the one the chart sets', () => {
    const user = instruction(runtime(), 'USER').at(-1) ?? '';
    const [uid, gid] = user.split(':').map(Number);
    assert.ok(uid !== undefined && uid > 0, `USER ${user}`);
    const values = parse(readFileSync(repoPath('charts', 'tenantshift', 'values.yaml'), 'utf8')) as {
      podSecurityContext: { runAsUser: number; runAsGroup: number };
      securityContext: { readOnlyRootFilesystem: boolean };
    };
    assert.equal(values.podSecurityContext.runAsUser, uid);
    assert.equal(values.podSecurityContext.runAsGroup, gid);
    assert.equal(values.securityContext.readOnlyRootFilesystem, true);
  });

  it('installs the PostgreSQL 15 client tools where the operator looks for them', () => {
    const text = readFileSync(repoPath('Dockerfile'), 'utf8');
    assert.match(text, /postgresql-client-15/);
    assert.match(text, /TENANTSHIFT_PG_BIN=\/usr\/lib\/postgresql\/15\/bin/);
    assert.equal(process.env.TENANTSHIFT_PG_BIN ?? '/usr/lib/postgresql/15/bin', PG_BIN);
    assert.match(readFileSync(repoPath('src', 'postgres', 'schemacopy.ts'), 'utf8'), /'\/usr\/lib\/postgresql\/15\/bin'/);
  });

  it('has an entrypoint whose commands (operator, route-agent) run from the build output', () => {
    const entry = JSON.parse(instruction(runtime(), 'ENTRYPOINT').at(-1) ?? '[]') as string[];
    const script = entry.find((a) => a.endsWith('.js')) as string;
    assert.ok(existsSync(repoPath(script)), `${script} is not in the build output (npm run build)`);
    for (const command of ['operator', 'route-agent']) {
      const r = run(process.execPath, [...entry.slice(1), command, '--help'], { cwd: repoPath() });
      assert.equal(r.status, 0, `${command} --help: ${r.stderr}`);
      assert.match(r.stdout, new RegExp(`Usage: tenantshift ${command}`));
    }
  });

  it('needs only production dependencies at run time (npm ci --omit=dev)', () => {
    const pkg = JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const builtins = new Set(builtinModules);
    const missing = new Set<string>();
    for (const file of jsFiles(repoPath('dist', 'src'))) {
      for (const m of readFileSync(file, 'utf8').matchAll(
        /(?:^|\s)(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(['"]([^'"]+)['"]\)/gm,
      )) {
        const spec = (m[1] ?? m[2]) as string;
        if (spec.startsWith('.') || spec.startsWith('node:') || builtins.has(spec)) continue;
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : (spec.split('/')[0] as string);
        if (!pkg.dependencies[name]) missing.add(`${name} (${file.slice(repoPath().length + 1)})`);
      }
    }
    assert.deepEqual([...missing], []);
  });
});
