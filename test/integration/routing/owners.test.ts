// One owner per PgBouncer database in the whole cluster, and a route that outlives its TenantCutover:
// route agents against a real PgBouncer of their own and the real kube-apiserver. TenantCutovers are
// written by hand here (no operator watches these namespaces); the retained route is written as the
// operator's finalizer writes it.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { RouteAgent } from '../../../src/routing/agent.js';
import { RouteAgentClient } from '../../../src/routing/client.js';
import type { AgentStatus, RoutedRoute } from '../../../src/routing/protocol.js';
import { retainedRouteName } from '../../../src/routing/retained.js';
import { scratchBouncer, startScratchAgent, type ScratchBouncer } from '../../support/bouncer.js';
import { testCluster, type TestCluster } from '../../support/cluster.js';
import { until } from '../../support/operator.js';

const GROUP = 'tenantshift.io';
const VERSION = 'v1alpha1';
const TOKEN = randomBytes(16).toString('hex');

describe('route agents: one owner per PgBouncer database, and routes kept for deleted TenantCutovers', function () {
  this.timeout(120_000);
  let cluster: TestCluster;
  let bouncer: ScratchBouncer;
  let home: string;
  let elsewhere: string;
  let pool: string;
  let agent: RouteAgent | undefined;
  const api = (): CustomObjectsApi => cluster.kc.makeApiClient(CustomObjectsApi);
  const ref = (namespace: string, name: string) => ({ group: GROUP, version: VERSION, plural: 'tenantcutovers', namespace, name });

  /** A TenantCutover of the scratch pool's database that publishes `route`, as an operator would. */
  async function claim(namespace: string, name: string, route: RoutedRoute): Promise<void> {
    await api().createNamespacedCustomObject({
      ...ref(namespace, name),
      body: {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: 'TenantCutover',
        metadata: { name },
        spec: { replicationRef: { name }, routing: { pgbouncer: { pool, database: bouncer.database } } },
      },
    });
    await api().patchNamespacedCustomObjectStatus(
      { ...ref(namespace, name), body: { status: { route } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  }

  async function restartAgent(): Promise<AgentStatus> {
    await agent?.stop();
    const started = await startScratchAgent(bouncer, {
      kc: cluster.kc,
      pool,
      identity: 'owners-0',
      token: TOKEN,
      leaseNamespace: home,
      convergeIntervalMs: 300,
    });
    agent = started.agent;
    const [status] = await new RouteAgentClient({ kc: cluster.kc, namespace: home, token: TOKEN }).status([started.ref]);
    return status as AgentStatus;
  }

  const served = async (): Promise<string | undefined> => (await bouncer.admin.routes())[bouncer.database]?.dbname;

  before(async () => {
    cluster = await testCluster();
    bouncer = await scratchBouncer(cluster.stateDir);
    home = await cluster.newNamespace('owners');
    elsewhere = await cluster.newNamespace('owners-other');
    pool = `owners-${randomBytes(3).toString('hex')}`;
  });

  after(async () => {
    await agent?.stop();
    await bouncer?.stop();
  });

  it('serves the oldest claim only, keeps a deleted one’s route across a restart, and lets only its namespace adopt it', async () => {
    const mine: RoutedRoute = { ...bouncer.route, side: 'target', revision: 3 };
    const theirs: RoutedRoute = { ...bouncer.route, dbname: 'postgres', side: 'target', revision: 9 };
    await claim(home, 'first', mine);
    await new Promise((r) => setTimeout(r, 1100)); // creation timestamps have second precision
    await claim(elsewhere, 'second', theirs);
    let status = await restartAgent();
    assert.equal(await served(), mine.dbname, 'a later claim in another namespace took the database over');
    assert.equal(status.owners?.[bouncer.database], `TenantCutover ${home}/first`);

    // Deleted: the operator's finalizer keeps its route, then the object goes; the agent restarts.
    const operatorSide = new RouteAgentClient({ kc: cluster.kc, namespace: home, token: TOKEN });
    await operatorSide.retainRoute(pool, bouncer.database, mine, { namespace: home, name: 'first' });
    await api().deleteNamespacedCustomObject(ref(home, 'first'));
    status = await restartAgent();
    assert.equal(await served(), mine.dbname, 'the restarted agent dropped the route of the deleted TenantCutover');
    assert.equal(status.owners?.[bouncer.database], `ConfigMap ${home}/${retainedRouteName(pool, bouncer.database)}`);
    assert.equal(status.routes[bouncer.database]?.revision, 3);

    // A TenantCutover of the same namespace adopts it (a higher revision); the other namespace still cannot.
    const adopted: RoutedRoute = { ...bouncer.route, dbname: 'template1', side: 'target', revision: 4 };
    await claim(home, 'third', adopted);
    await until('the agent to serve the adopter’s route', async () => (await served()) === 'template1', 20_000);
    const reread = await new RouteAgentClient({ kc: cluster.kc, namespace: home, token: TOKEN }).agents(pool);
    const [after] = await operatorSide.status(reread);
    assert.equal(after?.owners?.[bouncer.database], `TenantCutover ${home}/third`);
    assert.deepEqual(await operatorSide.retainedRoute(pool, bouncer.database).then((r) => r?.route), mine);
  });
});
