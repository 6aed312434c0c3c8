// Argo CD integration: the health Lua of each kind run by a real Lua interpreter on status fixtures,
// the argocd-cm snippet carrying exactly those scripts, and the example's sync waves in order.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { parse } from 'yaml';
import { HEALTH_CASES } from './health-fixtures.js';
import { ensureLua, luaHealth, repoPath } from './tools.js';

const script = (kind: string): string => readFileSync(repoPath('config', 'argocd', 'health', `${kind.toLowerCase()}.lua`), 'utf8');

describe('packaging: Argo CD health checks and sync waves', function () {
  before(function () {
    this.timeout(600_000); // a fresh machine installs Debian's lua5.4
    ensureLua();
  });

  for (const c of HEALTH_CASES) {
    it(`${c.kind}: ${c.name} is ${c.status}`, () => {
      const hs = luaHealth(script(c.kind), c.obj);
      assert.equal(hs.status, c.status, `message: ${hs.message}`);
      assert.ok(hs.message.includes(c.message), `"${hs.message}" does not mention "${c.message}"`);
    });
  }

  it('argocd-cm.yaml carries the three scripts unchanged', () => {
    const cm = parse(readFileSync(repoPath('config', 'argocd', 'argocd-cm.yaml'), 'utf8')) as { data: Record<string, string> };
    for (const kind of ['LandingZone', 'SchemaReplication', 'TenantCutover']) {
      assert.equal(
        cm.data[`resource.customizations.health.tenantshift.io_${kind}`],
        script(kind),
        `${kind}: regenerate config/argocd/argocd-cm.yaml from health/${kind.toLowerCase()}.lua`,
      );
    }
  });

  it('the scripts stay within Lua 5.1, which Argo CD runs', () => {
    for (const kind of ['LandingZone', 'SchemaReplication', 'TenantCutover']) {
      // Integer division, bitwise operators, goto and utf8 are 5.3+ and fail in gopher-lua.
      assert.doesNotMatch(script(kind), /\/\/|\bgoto\b|\butf8\.|[~&|]\s*\d|<<|>>/, kind);
    }
  });

  it('the example tenant syncs LandingZone, then SchemaReplication, then TenantCutover', () => {
    const dir = repoPath('config', 'argocd', 'tenants', 'tenant-a');
    const waves = Object.fromEntries(
      readdirSync(dir).map((f) => {
        const doc = parse(readFileSync(`${dir}/${f}`, 'utf8')) as { kind: string; metadata: { annotations: Record<string, string> } };
        return [doc.kind, Number(doc.metadata.annotations['argocd.argoproj.io/sync-wave'])];
      }),
    ) as Record<string, number>;
    assert.ok((waves.LandingZone as number) < (waves.SchemaReplication as number), JSON.stringify(waves));
    assert.ok((waves.SchemaReplication as number) < (waves.TenantCutover as number), JSON.stringify(waves));
  });
});
