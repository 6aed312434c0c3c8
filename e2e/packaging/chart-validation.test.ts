// A validation under the chart's RBAC: the operator, running as the chart's ServiceAccount, brings a
// SchemaReplication up on real PostgreSQL, compares it row by row on request and records the full
// list in a ConfigMap it owns; a ConfigMap of that name that is someone else's is left alone.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { CoreV1Api, EventsV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { stopProcess, until, startOperator, type OperatorProcess } from '../../test/support/operator.js';
import { CHART, helmTool, ok, type Tool } from '../../test/support/chart.js';
import { tenantFixture, type TenantFixture } from '../../test/support/tenant.js';
import type { SchemaReplicationStatus } from '../../src/api/index.js';
import { serviceAccountKubeconfig } from './access.js';

type Validation = NonNullable<SchemaReplicationStatus['validation']>;

describe("packaging: a validation under the chart's ServiceAccount", function () {
  let t: TenantFixture;
  let helm: Tool;
  let rel = '';
  let release = '';
  let operator: OperatorProcess | undefined;

  before(async function () {
    this.timeout(30 * 60_000); // the first run builds helm from its Go module
    t = await tenantFixture('chartval');
    helm = await helmTool(t.cluster.env.KUBECONFIG as string);
    rel = await t.cluster.newNamespace('chartval-rel');
    release = `tv-${randomBytes(3).toString('hex')}`;
    const sets = [
      'crds.install=false',
      `operator.watchNamespaces={${t.ns}}`,
      'routeAgent.rbac.create=false',
      `routeAgent.token.secretName=${release}-token`,
    ];
    ok(helm(['install', release, CHART, '--namespace', rel, ...sets.flatMap((s) => ['--set', s])]), 'helm install');
    const { file } = await serviceAccountKubeconfig(t.cluster.kc, rel, `${release}-tenantshift`);
    operator = await startOperator({
      env: { KUBECONFIG: file },
      identity: `${release}-0`,
      namespace: rel,
      extraEnv: {
        TENANTSHIFT_WATCH_NAMESPACES: t.ns,
        TENANTSHIFT_ROUTE_AGENT_NAMESPACE: rel,
        TENANTSHIFT_ROUTE_AGENT_TOKEN: 'test-token',
        TENANTSHIFT_LOG_LEVEL: 'info',
      },
    });
  });

  after(async function () {
    this.timeout(120_000);
    await stopProcess(operator, 'SIGTERM');
    if (release) helm(['uninstall', release, '--namespace', rel]);
    await t?.dispose();
  });

  const requestValidation = async (token: string): Promise<void> => {
    await t.api.patchNamespacedCustomObject(
      {
        group: 'tenantshift.io',
        version: 'v1alpha1',
        namespace: t.ns,
        plural: 'schemareplications',
        name: t.name,
        body: { metadata: { annotations: { 'tenantshift.io/validate': token } } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  };
  const validated = async (token: string): Promise<Validation> =>
    until(
      `validation ${token} done`,
      async () => {
        const v = (await t.replication()).status?.validation;
        return v?.requestToken === token && v.state !== 'Running' ? v : undefined;
      },
      180_000,
    );
  const withLog = async <T>(work: Promise<T>): Promise<T> =>
    work.catch((err: unknown) => {
      throw new Error(`${(err as Error).message}\noperator log (tail):\n${operator?.output().slice(-3000) ?? ''}`);
    });

  it('replicates, validates on request and writes the full report to a ConfigMap the SchemaReplication owns', async function () {
    this.timeout(300_000);
    await withLog(t.createReplication());
    await requestValidation('first');
    const v = await withLog(validated('first'));
    assert.equal(v.state, 'Done', JSON.stringify(v));
    assert.equal(v.result, 'identical', JSON.stringify(v));
    assert.equal(v.fullReport, `${t.name}-validation`);
    const cm = await t.cluster.kc.makeApiClient(CoreV1Api).readNamespacedConfigMap({ namespace: t.ns, name: `${t.name}-validation` });
    const uid = (await t.replication()).metadata.uid;
    assert.deepEqual(
      cm.metadata?.ownerReferences?.map((o) => [o.kind, o.name, o.uid]),
      [['SchemaReplication', t.name, uid]],
    );
    assert.equal(cm.data?.['differences.txt'], '');
    assert.doesNotMatch(operator?.output() ?? '', /forbidden|\b403\b/i, 'the operator hit a permission it lacks');
  });

  it("leaves a ConfigMap of that name that is someone else's alone, and says so in an Event", async function () {
    this.timeout(300_000);
    const core = t.cluster.kc.makeApiClient(CoreV1Api);
    const name = `${t.name}-validation`;
    await core.deleteNamespacedConfigMap({ namespace: t.ns, name });
    await core.createNamespacedConfigMap({
      namespace: t.ns,
      body: { metadata: { name }, data: { 'notes.txt': 'the DBA team keeps this' } },
    });
    await requestValidation('second');
    const v = await withLog(validated('second'));
    assert.equal(v.state, 'Done', JSON.stringify(v));
    assert.equal(v.result, 'identical');
    assert.equal(v.fullReport, undefined, 'no report ConfigMap is named when none was written');
    const cm = await core.readNamespacedConfigMap({ namespace: t.ns, name });
    assert.deepEqual(cm.data, { 'notes.txt': 'the DBA team keeps this' });
    assert.equal(cm.metadata?.ownerReferences, undefined);
    const event = await until('the ValidationReportNotWritten Event', async () => {
      const list = await t.cluster.kc.makeApiClient(EventsV1Api).listNamespacedEvent({ namespace: t.ns });
      return list.items.find((e) => e.reason === 'ValidationReportNotWritten');
    });
    assert.match(event.note ?? '', new RegExp(`ConfigMap ${name} exists and is not this SchemaReplication's`));
    assert.equal(event.type, 'Warning');
  });
});
