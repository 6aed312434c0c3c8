// The kubectl plugin against the real kube-apiserver: status of a tenant (its TenantCutover and
// SchemaReplication), approve and rollback as patches, the change to commit for an Argo CD managed
// object (which stays untouched), the watch following a move until it settles, and kubectl itself
// finding and running `kubectl tenantshift` on PATH.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { TenantCutover } from '../../../src/api/index.js';
import { runPlugin, type PluginIo } from '../../../src/cli/plugin.js';
import { packageRoot } from '../../../src/devstack/paths.js';
import { testCluster, type TestCluster } from '../../support/cluster.js';

const GROUP = 'tenantshift.io';
const VERSION = 'v1alpha1';

function capture(): PluginIo & { text(): string } {
  let out = '';
  return { out: (t) => void (out += t), err: (t) => void (out += t), tty: false, text: () => out };
}

const condition = (type: string, status: string, reason: string, message: string, generation: number) => ({
  type,
  status,
  reason,
  message,
  lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
  observedGeneration: generation,
});

describe('packaging: kubectl plugin against the API', function () {
  let cluster: TestCluster;
  let api: CustomObjectsApi;
  let ns = '';

  const cutover = async (name: string): Promise<TenantCutover> =>
    (await api.getNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: ns,
      plural: 'tenantcutovers',
      name,
    })) as TenantCutover;
  const patchStatus = async (plural: string, name: string, status: Record<string, unknown>): Promise<void> => {
    await api.patchNamespacedCustomObjectStatus(
      { group: GROUP, version: VERSION, namespace: ns, plural, name, body: { status } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  };
  const createCutover = async (name: string, metadata: Record<string, unknown> = {}): Promise<void> => {
    await api.createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: ns,
      plural: 'tenantcutovers',
      body: {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: 'TenantCutover',
        metadata: { name, ...metadata },
        spec: {
          replicationRef: { name: 'tenant-a' },
          routing: { pgbouncer: { pool: 'main', database: name.replace(/-/g, '_') } },
          maxWritePause: '2s',
        },
      },
    });
  };
  const plugin = async (...argv: string[]): Promise<{ code: number; text: string }> => {
    const io = capture();
    const code = await runPlugin([...argv, '-n', ns], { io, kc: cluster.kc });
    return { code, text: io.text() };
  };

  before(async () => {
    cluster = await testCluster();
    api = cluster.kc.makeApiClient(CustomObjectsApi);
    ns = await cluster.newNamespace('plugin');
    await api.createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: ns,
      plural: 'schemareplications',
      body: {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: 'SchemaReplication',
        metadata: { name: 'tenant-a' },
        spec: {
          tenant: 'tenant-a',
          source: { secretRef: { name: 'legacy-db' } },
          target: { secretRef: { name: 'rds-db' } },
          schemas: ['tenant_a_wallet'],
        },
      },
    });
    await patchStatus('schemareplications', 'tenant-a', {
      observedGeneration: 1,
      phase: 'Streaming',
      lag: { bytes: 2048, seconds: 0 },
      tables: { total: 4, ready: 4 },
      conditions: [condition('Ready', 'True', 'Succeeded', 'every table streams', 1)],
    });
    await createCutover('tenant-a');
    await patchStatus('tenantcutovers', 'tenant-a', {
      observedGeneration: 1,
      phase: 'WaitingForApproval',
      activeSide: 'source',
      route: { side: 'source', host: 'legacy.example.invalid', port: 5432, dbname: 'wallet', revision: 1 },
      conditions: [condition('Ready', 'True', 'Succeeded', 'the source serves; set spec.approved: true to switch', 1)],
    });
  });

  it('shows a tenant at a glance, and every tenant of a namespace in a table', async () => {
    const one = await plugin('status', 'tenant-a');
    assert.equal(one.code, 0, one.text);
    assert.match(one.text, /Route +pool main, database tenant_a -> source \(legacy\.example\.invalid:5432\/wallet, revision 1\)/);
    assert.match(one.text, /Replication +tenant-a: Streaming, Ready True, tables 4\/4, lag 2\.0 KiB/);
    assert.match(one.text, /Move +phase WaitingForApproval, approved no/);
    const all = await plugin('status');
    assert.match(all.text, new RegExp(`^${ns} +tenant-a +source +WaitingForApproval +- +True +Ready +2\\.0 KiB +- +no$`, 'm'));
    assert.equal((await plugin('status', 'nobody')).code, 1);
  });

  it('approves with a patch; approving again changes nothing; rollback waits for the switch', async () => {
    const approve = await plugin('approve', 'tenant-a');
    assert.equal(approve.code, 0, approve.text);
    const after = await cutover('tenant-a');
    assert.equal(after.spec.approved, true);
    const again = await plugin('approve', 'tenant-a');
    assert.match(again.text, /already approved/);
    assert.equal((await cutover('tenant-a')).metadata.resourceVersion, after.metadata.resourceVersion, 'no write the second time');
    const early = await plugin('rollback', 'tenant-a');
    assert.equal(early.code, 1);
    assert.match(early.text, /nothing to roll back/);
    await patchStatus('tenantcutovers', 'tenant-a', { activeSide: 'target', phase: 'Serving' });
    assert.equal((await plugin('rollback', 'tenant-a')).code, 0);
    assert.equal((await cutover('tenant-a')).spec.rollback, true);
    assert.equal((await plugin('rollback', 'tenant-a', '--cancel')).code, 0);
    assert.equal((await cutover('tenant-a')).spec.rollback, false);
  });

  it('prints the change to commit for an object Argo CD manages, and leaves it untouched', async () => {
    await createCutover('tenant-argo', {
      annotations: { 'argocd.argoproj.io/tracking-id': `tenants:${GROUP}/TenantCutover:${ns}/tenant-argo` },
    });
    const before = await cutover('tenant-argo');
    const r = await plugin('approve', 'tenant-argo');
    assert.equal(r.code, 3, r.text);
    assert.match(r.text, /managed by Argo CD \(application tenants\)/);
    assert.match(
      r.text,
      new RegExp(
        `kind: TenantCutover\\n  metadata:\\n    name: tenant-argo\\n    namespace: ${ns}\\n  spec:\\n-   approved: false\\n\\+   ` +
          `approved: true`,
      ),
    );
    assert.match(r.text, /Nothing was changed in the cluster/);
    const after = await cutover('tenant-argo');
    assert.equal(after.spec.approved, false);
    assert.equal(after.metadata.resourceVersion, before.metadata.resourceVersion);
  });

  it('watches a move step by step until it settles', async function () {
    this.timeout(60_000);
    await createCutover('tenant-watch');
    await patchStatus('tenantcutovers', 'tenant-watch', {
      observedGeneration: 1,
      activeSide: 'source',
      phase: 'Serving',
      step: 'Freezing',
      movingTo: 'target',
      freezeStartedAt: new Date().toISOString(),
      conditions: [condition('Ready', 'False', 'Reconciling', 'moving', 1)],
    });
    const io = capture();
    const stop = new AbortController();
    const safety = setTimeout(() => stop.abort(), 45_000); // never hang the suite; the assertions below say what went wrong
    const watching = runPlugin(['watch', 'tenant-watch', '-n', ns, '--interval', '200ms', '--until-settled'], {
      io,
      kc: cluster.kc,
      signal: stop.signal,
    });
    const seen = async (pattern: RegExp): Promise<void> => {
      for (let i = 0; i < 200 && !pattern.test(io.text()); i++) await new Promise((r) => setTimeout(r, 100));
    };
    await seen(/Step +Freezing/);
    await patchStatus('tenantcutovers', 'tenant-watch', { step: 'Flipping' });
    await seen(/Step +Flipping/);
    await patchStatus('tenantcutovers', 'tenant-watch', {
      step: null,
      movingTo: null,
      activeSide: 'target',
      phase: 'Serving',
      writePause: { milliseconds: 412 },
      conditions: [condition('Ready', 'True', 'Succeeded', 'the target serves the tenant', 1)],
    });
    const code = await watching;
    clearTimeout(safety);
    assert.equal(stop.signal.aborted, false, `the watch did not settle:\n${io.text()}`);
    assert.equal(code, 0);
    const text = io.text();
    assert.ok(text.indexOf('Step         Freezing') < text.indexOf('Step         Flipping'), text);
    assert.match(text, /Write pause +412 ms/);
  });

  it('runs as `kubectl tenantshift` when kubectl finds kubectl-tenantshift on PATH', () => {
    const bin = mkdtempSync(join(tmpdir(), 'tenantshift-plugin-'));
    const entry = join(packageRoot(), 'dist', 'src', 'cli', 'plugin.js');
    // The same shape as the package's kubectl-tenantshift bin: node running the CLI with kubectl's arguments.
    writeFileSync(
      join(bin, 'kubectl-tenantshift'),
      `#!/bin/sh\nexec "${process.execPath}" --input-type=module -e 'const m = await import(${JSON.stringify(`file://${entry}`)}); process.exitCode = await m.runPlugin(process.argv.slice(1));' -- "$@"\n`,
    );
    chmodSync(join(bin, 'kubectl-tenantshift'), 0o755);
    const r = spawnSync(cluster.env.TENANTSHIFT_KUBECTL as string, ['tenantshift', 'status', 'tenant-a', '-n', ns], {
      encoding: 'utf8',
      // HOME: kubectl caches discovery under ~/.kube; keep that out of the tree and the user's home.
      env: { PATH: `${bin}:${process.env.PATH ?? ''}`, HOME: bin, KUBECONFIG: cluster.env.KUBECONFIG as string },
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`TenantCutover ${ns}/tenant-a`));
  });
});
