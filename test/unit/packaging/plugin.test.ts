// The kubectl plugin's pure parts: what approve and rollback decide, how Argo CD management is
// recognised and the change to commit is written, the status view and the watch's exit rule.
import assert from 'node:assert/strict';
import type { TenantCutover } from '../../../src/api/index.js';
import { runPlugin } from '../../../src/cli/plugin.js';
import { argoManagement, changeToCommit } from '../../../src/cli/plugin/argocd.js';
import { decideEdit } from '../../../src/cli/plugin/edits.js';
import { budgetBar, formatBytes, renderTable, renderTenant } from '../../../src/cli/plugin/render.js';
import { settledExit } from '../../../src/cli/plugin/watch.js';

function cutover(
  spec: Partial<TenantCutover['spec']> = {},
  status: TenantCutover['status'] = {},
  metadata: TenantCutover['metadata'] = {},
): TenantCutover {
  return {
    apiVersion: 'tenantshift.io/v1alpha1',
    kind: 'TenantCutover',
    metadata: { name: 'tenant-a', namespace: 'shop', generation: 3, ...metadata },
    spec: {
      replicationRef: { name: 'tenant-a' },
      routing: { pgbouncer: { pool: 'main', database: 'tenant_a' } },
      approved: false,
      rollback: false,
      maxWritePause: '2s',
      ...spec,
    },
    status,
  };
}

const ready = (status: 'True' | 'False', reason: string, message = reason) => ({
  type: 'Ready',
  status,
  reason,
  message,
  lastTransitionTime: '2025-01-01T00:00:00Z',
  observedGeneration: 3,
});

describe('packaging: kubectl plugin decisions and views', () => {
  it('approve sets spec.approved once; again changes nothing', () => {
    assert.deepEqual(decideEdit(cutover(), 'approve'), {
      kind: 'change',
      spec: { approved: true },
      note: 'the operator switches to the target once every precondition holds',
    });
    assert.equal(decideEdit(cutover({ approved: true }), 'approve').kind, 'unchanged');
    assert.equal(decideEdit(cutover({ approved: true }), 'withdraw').kind, 'change');
  });

  it('rollback is refused while the source serves and once the cutover is complete', () => {
    assert.match((decideEdit(cutover({ approved: true }), 'rollback') as { message: string }).message, /nothing to roll back/);
    assert.equal(decideEdit(cutover({ approved: true, complete: true }, { activeSide: 'target' }), 'rollback').kind, 'refuse');
    assert.deepEqual((decideEdit(cutover({ approved: true }, { activeSide: 'target' }), 'rollback') as { spec: unknown }).spec, {
      rollback: true,
    });
    // During a move to the target the rollback is recorded: the operator reverses once the switch lands.
    assert.equal(decideEdit(cutover({ approved: true }, { step: 'Freezing', movingTo: 'target' }), 'rollback').kind, 'change');
    assert.equal(decideEdit(cutover({ approved: true, rollback: true }, { activeSide: 'target' }), 'cancel-rollback').kind, 'change');
  });

  it('recognises Argo CD by tracking-id, or by the instance label with Argo CD managed-by or field manager', () => {
    assert.equal(
      argoManagement({ annotations: { 'argocd.argoproj.io/tracking-id': 'tenants:tenantshift.io/TenantCutover:shop/tenant-a' } })
        ?.application,
      'tenants',
    );
    assert.equal(
      argoManagement({ labels: { 'app.kubernetes.io/instance': 'tenants', 'app.kubernetes.io/managed-by': 'argocd' } })?.application,
      'tenants',
    );
    assert.ok(
      argoManagement({
        labels: { 'app.kubernetes.io/instance': 'tenants' },
        managedFields: [{ manager: 'argocd-controller', operation: 'Apply' }],
      }),
    );
    // Helm sets the instance label too: that alone is not Argo CD.
    assert.equal(
      argoManagement({ labels: { 'app.kubernetes.io/instance': 'tenants', 'app.kubernetes.io/managed-by': 'Helm' } }),
      undefined,
    );
    assert.equal(argoManagement({}), undefined);
  });

  it('writes the change to commit as the manifest identity and a spec diff', () => {
    const text = changeToCommit({
      apiVersion: 'tenantshift.io/v1alpha1',
      kind: 'TenantCutover',
      namespace: 'shop',
      name: 'tenant-a',
      current: { approved: false },
      desired: { approved: true },
    });
    assert.equal(
      text,
      '  apiVersion: tenantshift.io/v1alpha1\n  kind: TenantCutover\n  metadata:\n    name: tenant-a\n    namespace: shop\n  spec:\n-   ' +
        'approved: false\n+   approved: true\n',
    );
  });

  it('shows a move at a glance, with the freeze against its budget', () => {
    const now = new Date('2025-01-01T00:00:10.000Z');
    const view = renderTenant(
      {
        cutover: cutover(
          { approved: true, requireValidationWithin: '1h' },
          {
            phase: 'Serving',
            step: 'Freezing',
            movingTo: 'target',
            activeSide: 'source',
            freezeStartedAt: '2025-01-01T00:00:09.500Z',
            route: { side: 'source', host: 'legacy', port: 5432, dbname: 'wallet', revision: 1 },
            writePause: { milliseconds: 420 },
            history: [
              {
                moveId: 'm1',
                to: 'target',
                result: 'Aborted',
                reason: 'write pause exceeded',
                startedAt: '2025-01-01T00:00:00Z',
                finishedAt: '2025-01-01T00:00:02Z',
                writePauseMilliseconds: 2010,
                steps: [
                  { name: 'Paused', atMilliseconds: 0 },
                  { name: 'Fenced', atMilliseconds: 12 },
                ],
              },
            ],
            conditions: [ready('False', 'Reconciling', 'moving'), { ...ready('True', 'Succeeded'), type: 'PreconditionsMet' }],
          },
        ),
        replication: {
          apiVersion: 'tenantshift.io/v1alpha1',
          kind: 'SchemaReplication',
          metadata: { name: 'tenant-a', namespace: 'shop' },
          spec: {
            tenant: 'tenant-a',
            source: { secretRef: { name: 's' } },
            target: { secretRef: { name: 't' } },
            schemas: ['tenant_a_wallet'],
          },
          status: {
            phase: 'Streaming',
            lag: { bytes: 3 * 1024 * 1024, seconds: 1 },
            tables: { total: 12, ready: 12 },
            conditions: [ready('True', 'Succeeded')],
          },
        },
      },
      now,
    );
    assert.match(view, /Route +pool main, database tenant_a -> source \(legacy:5432\/wallet, revision 1\)/);
    assert.match(view, /Step +Freezing \(moving to the target\)/);
    assert.match(view, /Freeze +\[#####\.+\] 500 ms of 2000 ms/);
    assert.match(view, /Write pause +420 ms \(budget 2s\)/);
    assert.match(view, /Replication +tenant-a: Streaming, Ready True, tables 12\/12, lag 3\.0 MiB \/ 1 s/);
    assert.match(view, /Validation +required within 1h; preconditions True \(Succeeded\)/);
    assert.match(view, /Last move +Aborted to the target 8s ago, 2010 ms pause: write pause exceeded/);
    assert.match(view, /Its freeze +Paused \+0ms, Fenced \+12ms/);
  });

  it('lists cutovers one per line', () => {
    const table = renderTable([
      {
        cutover: cutover(
          { approved: true },
          { activeSide: 'target', phase: 'Serving', writePause: { milliseconds: 380 }, conditions: [ready('True', 'Succeeded')] },
        ),
      },
    ]);
    assert.match(table, /^NAMESPACE +NAME +ACTIVE +PHASE +STEP +READY +REPLICATION +LAG +PAUSE +APPROVED$/m);
    assert.match(table, /^shop +tenant-a +target +Serving +- +True +missing +- +380ms +yes$/m);
    assert.equal(formatBytes(512), '512 B');
    assert.equal(budgetBar(3000, 2000, 4), '[####] 3000 ms of 2000 ms');
  });

  it('watch --until-settled ends on Ready of the current generation, or when retries are exhausted', () => {
    assert.equal(settledExit(cutover({}, { conditions: [ready('True', 'Succeeded')] })), 0);
    assert.equal(settledExit(cutover({}, { step: 'Freezing', conditions: [ready('True', 'Succeeded')] })), undefined);
    assert.equal(settledExit(cutover({}, { conditions: [{ ...ready('True', 'Succeeded'), observedGeneration: 2 }] })), undefined);
    assert.equal(
      settledExit(
        cutover(
          {},
          { conditions: [ready('False', 'RetriesExhausted'), { ...ready('True', 'RetriesExhausted'), type: 'RetriesExhausted' }] },
        ),
      ),
      1,
    );
  });

  it('refuses bad arguments with usage and exit 2', async () => {
    const out: string[] = [];
    const io = { out: (t: string) => void out.push(t), err: (t: string) => void out.push(t), tty: false };
    assert.equal(await runPlugin(['approve'], { io }), 2);
    assert.match(out.join(''), /approve needs the name of a TenantCutover/);
    assert.equal(await runPlugin(['status', '--bogus'], { io }), 2);
    assert.equal(await runPlugin(['--help'], { io }), 0);
  });
});
