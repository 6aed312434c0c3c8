// The chart installed for real on the test stack's kube-apiserver (helm install, then upgrade), and its
// RBAC proven both ways: the operator, running as the chart's ServiceAccount, does its whole job
// (leads, adds finalizers, writes status, reads Secrets by name, records Events), and access reviews
// show that it, and the route agent, can do nothing more.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { CoreV1Api, CustomObjectsApi, EventsV1Api, CoordinationV1Api } from '@kubernetes/client-node';
import { testCluster, type TestCluster } from '../../test/support/cluster.js';
import { startOperator, stopProcess, until, type OperatorProcess } from '../../test/support/operator.js';
import { CHART, helmTool, ok, type Tool } from '../../test/support/chart.js';
import { allowed, describeAccess, serviceAccountKubeconfig, type Access } from './access.js';

const TS = 'tenantshift.io';
const saUser = (ns: string, name: string): string => `system:serviceaccount:${ns}:${name}`;

async function expectAccess(cluster: TestCluster, user: string, can: Access[], cannot: Access[]): Promise<void> {
  const wrong: string[] = [];
  for (const a of can) if (!(await allowed(cluster.kc, user, a))) wrong.push(`should ${describeAccess(a)}`);
  for (const a of cannot) if (await allowed(cluster.kc, user, a)) wrong.push(`should NOT ${describeAccess(a)}`);
  assert.deepEqual(wrong, [], user);
}

describe('packaging: Helm chart installed', function () {
  let cluster: TestCluster;
  let helm: Tool;
  const releases: Array<{ name: string; namespace: string }> = [];
  let operator: OperatorProcess | undefined;
  // The namespaced installation: release namespace, two watched, one for LandingZone Secrets, PgBouncer's, one outside.
  let rel = '';
  let w1 = '';
  let w2 = '';
  let lz = '';
  let pgb = '';
  let other = '';
  let release = '';

  before(async function () {
    this.timeout(30 * 60_000); // the first run builds helm from its Go module
    cluster = await testCluster();
    helm = await helmTool(cluster.env.KUBECONFIG as string);
    [rel, w1, w2, lz, pgb, other] = await Promise.all(
      ['chart-rel', 'chart-w1', 'chart-w2', 'chart-lz', 'chart-pgb', 'chart-other'].map((p) => cluster.newNamespace(p)),
    );
    release = `ts-${randomBytes(3).toString('hex')}`;
  });

  after(async function () {
    this.timeout(120_000);
    await stopProcess(operator, 'SIGTERM');
    // Cluster-scoped objects (ClusterRoles, bindings) go with the releases; namespaces stay (no controller-manager).
    for (const r of releases) helm(['uninstall', r.name, '--namespace', r.namespace]);
  });

  const sets = (): string[] =>
    [
      // The harness applied the CRDs already; the rendering test dry-runs the chart's own.
      'crds.install=false',
      `operator.watchNamespaces={${w1},${w2}}`,
      `rbac.landingZoneNamespaces={${lz}}`,
      `routeAgent.namespace=${pgb}`,
    ].flatMap((s) => ['--set', s]);

  it("installs with helm, and an upgrade keeps the route agents' token", async function () {
    this.timeout(180_000);
    ok(helm(['install', release, CHART, '--namespace', rel, ...sets()]), 'helm install');
    releases.push({ name: release, namespace: rel });
    const core = cluster.kc.makeApiClient(CoreV1Api);
    const token = async (ns: string): Promise<string | undefined> =>
      (await core.readNamespacedSecret({ namespace: ns, name: 'tenantshift-route-agent-token' })).data?.token;
    const before = await token(rel);
    assert.ok(before);
    assert.equal(await token(pgb), before, 'the PgBouncer namespace gets the same token');
    ok(helm(['upgrade', release, CHART, '--namespace', rel, ...sets()]), 'helm upgrade');
    assert.equal(await token(rel), before, 'the token survives an upgrade');
    const deployment = await cluster.kc
      .makeApiClient(CustomObjectsApi)
      .getNamespacedCustomObject({ group: 'apps', version: 'v1', namespace: rel, plural: 'deployments', name: `${release}-tenantshift` });
    assert.ok(deployment);
  });

  it(
    "lets the operator do its job as the chart's ServiceAccount: lead, finalize, write status, read Secrets by name, record " + 'Events',
    async function () {
      this.timeout(180_000);
      const sa = `${release}-tenantshift`;
      const { file } = await serviceAccountKubeconfig(cluster.kc, rel, sa);
      const api = cluster.kc.makeApiClient(CustomObjectsApi);
      await api.createNamespacedCustomObject({
        group: TS,
        version: 'v1alpha1',
        namespace: w1,
        plural: 'tenantcutovers',
        body: {
          apiVersion: `${TS}/v1alpha1`,
          kind: 'TenantCutover',
          metadata: { name: 'tenant-a' },
          spec: { replicationRef: { name: 'missing' }, routing: { pgbouncer: { pool: 'main', database: 'tenant_a' } } },
        },
      });
      await api.createNamespacedCustomObject({
        group: TS,
        version: 'v1alpha1',
        namespace: w2,
        plural: 'schemareplications',
        body: {
          apiVersion: `${TS}/v1alpha1`,
          kind: 'SchemaReplication',
          metadata: { name: 'tenant-b' },
          spec: {
            tenant: 'tenant-b',
            source: { secretRef: { name: 'legacy-db' } },
            target: { secretRef: { name: 'rds-db' } },
            schemas: ['tenant_b'],
          },
        },
      });
      // A missing permission shows as a wait that never ends: the operator's own log then says which.
      const withLog = async <T>(work: Promise<T>): Promise<T> => {
        try {
          return await work;
        } catch (err) {
          throw new Error(`${(err as Error).message}\noperator log (tail):\n${operator?.output().slice(-3000) ?? ''}`);
        }
      };
      operator = await startOperator({
        env: { KUBECONFIG: file },
        identity: `${release}-0`,
        namespace: rel,
        extraEnv: {
          TENANTSHIFT_WATCH_NAMESPACES: `${w1},${w2}`,
          TENANTSHIFT_ROUTE_AGENT_NAMESPACE: rel,
          TENANTSHIFT_ROUTE_AGENT_TOKEN: 'test-token',
          TENANTSHIFT_LOG_LEVEL: 'info',
        },
      });
      const lease = await withLog(
        until(
          'the operator holds the leader Lease',
          async () => {
            const l = await cluster.kc
              .makeApiClient(CoordinationV1Api)
              .readNamespacedLease({ namespace: rel, name: 'tenantshift-operator' })
              .catch(() => undefined);
            return l?.spec?.holderIdentity === `${release}-0` ? l : undefined;
          },
          60_000,
        ),
      );
      assert.ok(lease);
      type Obj = { metadata: { finalizers?: string[] }; status?: { conditions?: Array<{ type: string; reason: string }> } };
      const readyReason = (o: Obj): string | undefined => o.status?.conditions?.find((c) => c.type === 'Ready')?.reason;
      const cutover = await withLog(
        until(
          'the cutover has a finalizer and a status',
          async () => {
            const o = (await api.getNamespacedCustomObject({
              group: TS,
              version: 'v1alpha1',
              namespace: w1,
              plural: 'tenantcutovers',
              name: 'tenant-a',
            })) as Obj;
            return o.metadata.finalizers?.length && readyReason(o) ? o : undefined;
          },
          60_000,
        ),
      );
      assert.equal(readyReason(cutover), 'ReferenceNotFound');
      // SecretNotFound (a 404) proves the Secret was looked up; without `get` it would be a 403.
      const replication = await withLog(
        until(
          'the replication reports its missing Secret',
          async () => {
            const o = (await api.getNamespacedCustomObject({
              group: TS,
              version: 'v1alpha1',
              namespace: w2,
              plural: 'schemareplications',
              name: 'tenant-b',
            })) as Obj;
            return readyReason(o) ? o : undefined;
          },
          60_000,
        ),
      );
      assert.equal(readyReason(replication), 'SecretNotFound', JSON.stringify(replication.status));
      assert.ok(replication.metadata.finalizers?.includes('tenantshift.io/replication-cleanup'));
      const events = await until('the leader election Event', async () => {
        const list = await cluster.kc.makeApiClient(EventsV1Api).listNamespacedEvent({ namespace: rel });
        return list.items.find((e) => e.reason === 'LeaderElected') ?? undefined;
      });
      assert.equal(events.reportingInstance, `${release}-0`);
      assert.doesNotMatch(operator.output(), /forbidden|\b403\b/i, 'the operator hit a permission it lacks');
    },
  );

  it('grants the operator nothing more: no Secret listing, no writes outside its namespaces, no CRD changes', async () => {
    const user = saUser(rel, `${release}-tenantshift`);
    const cr = (verb: string, resource: string, namespace?: string, subresource?: string): Access => ({
      verb,
      resource,
      group: TS,
      namespace,
      subresource,
    });
    const secrets = (verb: string, namespace?: string, name?: string): Access => ({ verb, resource: 'secrets', namespace, name });
    const leases = (verb: string, namespace?: string): Access => ({ verb, resource: 'leases', group: 'coordination.k8s.io', namespace });
    await expectAccess(
      cluster,
      user,
      [
        ...['get', 'list', 'watch', 'patch'].flatMap((v) => [
          cr(v, 'tenantcutovers', w1),
          cr(v, 'schemareplications', w2),
          cr(v, 'landingzones', w1),
        ]),
        cr('patch', 'tenantcutovers', w2, 'status'),
        cr('get', 'landingzones', w1, 'status'),
        secrets('get', w1, 'legacy-db'),
        { verb: 'create', resource: 'events', group: 'events.k8s.io', namespace: w2 },
        { verb: 'create', resource: 'events', group: 'events.k8s.io', namespace: rel },
        ...['get', 'create', 'update', 'list'].map((v) => leases(v, rel)),
        // Routes kept for deleted TenantCutovers, in the agents' (Lease) namespace.
        ...['get', 'list', 'create', 'update', 'delete'].map((verb) => ({ verb, resource: 'configmaps', namespace: rel })),
        ...['create', 'update', 'patch', 'delete', 'get'].map((v) => secrets(v, lz, 'eu-west-db')),
        { verb: 'get', resource: 'namespaces', name: rel },
        // A validation's full list of differences, beside the SchemaReplication.
        { verb: 'create', resource: 'configmaps', namespace: w2 },
        { verb: 'update', resource: 'configmaps', namespace: w1 },
      ],
      [
        secrets('list'),
        secrets('watch'),
        secrets('list', w1),
        secrets('watch', w1),
        secrets('get', other, 'legacy-db'),
        secrets('create', w1),
        secrets('delete', w1, 'legacy-db'),
        cr('list', 'tenantcutovers'),
        cr('list', 'tenantcutovers', other),
        cr('update', 'tenantcutovers', w1),
        cr('delete', 'tenantcutovers', w1),
        cr('create', 'schemareplications', w1),
        cr('update', 'tenantcutovers', w1, 'status'),
        { verb: 'delete', resource: 'customresourcedefinitions', group: 'apiextensions.k8s.io', name: 'tenantcutovers.tenantshift.io' },
        { verb: 'create', resource: 'customresourcedefinitions', group: 'apiextensions.k8s.io' },
        leases('delete', rel),
        leases('update', w1),
        { verb: 'create', resource: 'pods', namespace: rel },
        { verb: 'get', resource: 'namespaces', name: w1 },
        { verb: 'list', resource: 'namespaces' },
        { verb: 'create', resource: 'events', group: 'events.k8s.io', namespace: other },
        { verb: 'list', resource: 'configmaps', namespace: w1 },
        { verb: 'list', resource: 'configmaps' },
      ],
    );
  });

  it('grants the route agent its heartbeat Leases, read access to TenantCutovers and the kept routes only', async () => {
    await expectAccess(
      cluster,
      saUser(pgb, 'tenantshift-route-agent'),
      [
        { verb: 'list', resource: 'tenantcutovers', group: TS },
        { verb: 'get', resource: 'tenantcutovers', group: TS, namespace: w1 },
        ...['get', 'create', 'update', 'delete'].map((verb) => ({
          verb,
          resource: 'leases',
          group: 'coordination.k8s.io',
          namespace: rel,
        })),
        { verb: 'list', resource: 'configmaps', namespace: rel },
      ],
      [
        { verb: 'patch', resource: 'tenantcutovers', group: TS, namespace: w1 },
        { verb: 'get', resource: 'configmaps', namespace: rel },
        { verb: 'create', resource: 'configmaps', namespace: rel },
        { verb: 'list', resource: 'configmaps', namespace: w1 },
        { verb: 'patch', resource: 'tenantcutovers', group: TS, namespace: w1, subresource: 'status' },
        { verb: 'list', resource: 'schemareplications', group: TS },
        { verb: 'get', resource: 'secrets', namespace: pgb, name: 'pgbouncer-admin' },
        { verb: 'list', resource: 'leases', group: 'coordination.k8s.io', namespace: pgb },
        { verb: 'create', resource: 'leases', group: 'coordination.k8s.io', namespace: w1 },
      ],
    );
  });

  it(
    'watching all namespaces, grants cluster-wide reads but still no Secret listing and no Secret writes outside the LandingZone ' +
      'namespaces',
    async function () {
      this.timeout(180_000);
      const ns = await cluster.newNamespace('chart-cw');
      const name = `tsc-${randomBytes(3).toString('hex')}`;
      ok(
        helm([
          'install',
          name,
          CHART,
          '--namespace',
          ns,
          '--set',
          'crds.install=false',
          '--set',
          'routeAgent.rbac.create=false',
          '--set',
          `routeAgent.token.secretName=${name}-token`,
        ]),
        'helm install (all namespaces)',
      );
      releases.push({ name, namespace: ns });
      await expectAccess(
        cluster,
        saUser(ns, `${name}-tenantshift`),
        [
          { verb: 'list', resource: 'tenantcutovers', group: TS },
          { verb: 'watch', resource: 'landingzones', group: TS },
          { verb: 'patch', resource: 'schemareplications', group: TS, namespace: other, subresource: 'status' },
          { verb: 'get', resource: 'secrets', namespace: other, name: 'legacy-db' },
          { verb: 'create', resource: 'secrets', namespace: ns },
        ],
        [
          { verb: 'list', resource: 'secrets' },
          { verb: 'watch', resource: 'secrets' },
          { verb: 'create', resource: 'secrets', namespace: other },
          { verb: 'update', resource: 'secrets', namespace: other, name: 'legacy-db' },
          { verb: 'delete', resource: 'customresourcedefinitions', group: 'apiextensions.k8s.io', name: 'tenantcutovers.tenantshift.io' },
        ],
      );
    },
  );
});
