// Deleting after a switch: the target is the tenant's live database from then on. Deleting the
// TenantCutover and then the SchemaReplication (even with deletionPolicy: Delete) must keep every
// row on the target, must never start forward replication (copy_data) into it again, and must leave
// no slot, subscription or publication of the tenant on either server.
import assert from 'node:assert/strict';
import { EventsV1Api } from '@kubernetes/client-node';
import pg from 'pg';
import { balancedBook, checkInvariants } from '../../src/devstack/traffic.js';
import { OPERATOR_NAMESPACE } from '../../src/devstack/controlplane.js';
import { restartRouteAgent } from '../../src/devstack/stack.js';
import { replicationNames } from '../../src/postgres/names.js';
import { RouteAgentClient } from '../../src/routing/client.js';
import type { AgentStatus } from '../../src/routing/protocol.js';
import { withConnection } from '../../test/support/databases.js';
import { diesAt, until } from '../../test/support/operator.js';
import { appCanWrite, appWritePrivileges, bouncerDatabases, tenantFixture, type TenantFixture } from '../../test/support/tenant.js';

interface Leftovers {
  slots: string[];
  subscriptions: string[];
  publications: string[];
}

async function leftovers(c: pg.Client): Promise<Leftovers> {
  const rows = async (sql: string): Promise<string[]> => (await c.query<{ n: string }>(sql)).rows.map((r) => r.n);
  return {
    slots: await rows('SELECT slot_name AS n FROM pg_replication_slots WHERE database = current_database() ORDER BY 1'),
    subscriptions: await rows(
      'SELECT subname AS n FROM pg_subscription WHERE subdbid = (SELECT oid FROM pg_database WHERE datname = current_database()) ' +
        'ORDER BY 1',
    ),
    publications: await rows("SELECT pubname AS n FROM pg_publication WHERE pubname LIKE 'ts\\_%' ORDER BY 1"),
  };
}

/** What the stack's first route agent serves and whom it names each database's owner. */
async function routeAgents(t: TenantFixture): Promise<AgentStatus> {
  const client = new RouteAgentClient({
    kc: t.cluster.kc,
    namespace: OPERATOR_NAMESPACE,
    token: t.cluster.env.TENANTSHIFT_ROUTE_AGENT_TOKEN as string,
  });
  const [first] = await client.status(await client.agents('local'));
  return first as AgentStatus;
}

async function reasons(t: TenantFixture, kind: string): Promise<string[]> {
  const events = await t.cluster.kc.makeApiClient(EventsV1Api).listNamespacedEvent({ namespace: t.ns });
  return events.items.filter((e) => e.regarding?.kind === kind).map((e) => `${e.reason}: ${e.note ?? ''}`);
}

describe('Deleting a switched tenant’s objects keeps the serving copy', function () {
  this.timeout(300_000);

  it('keeps every row on the target, never replicates forward into it again, and leaves nothing behind', async () => {
    const t = await tenantFixture('tcdel', 20);
    try {
      await t.startOperator('del-op');
      await t.createReplication({ deletionPolicy: 'Delete' });
      await t.createCutover({ maxWritePause: '1500ms', retry: { attempts: 3, backoff: '1s' } });
      await t.waitRouteOwned();
      const traffic = t.walletTraffic();
      await until('traffic', () => traffic.count > 100, 60_000);
      await t.patchCutover({ approved: true });
      await t.waitCutover('the switch', (c) => c.status?.activeSide === 'target' && !c.status?.step);
      const moved = traffic.count;
      await until('traffic on the target', () => traffic.count > moved + 100, 60_000);
      const report = await traffic.stop();
      assert.deepEqual(report.failures.slice(0, 3), []);
      const book = balancedBook(t.accounts, report.acknowledged);
      const onTarget = () => withConnection(t.db.target, (c) => checkInvariants(c, t.wallet, report.acknowledged));
      assert.deepEqual(await onTarget(), book);

      await t.deleteAndWait('tenantcutovers');
      const names = replicationNames(t.ns, 'tcdel');
      // The SchemaReplication keeps knowing, from its own status, that the target serves.
      await until(
        'the SchemaReplication to report the target serving without its TenantCutover',
        async () => {
          const serving = (await t.replication()).status?.conditions?.find((c) => c.type === 'TargetServing');
          return serving?.status === 'True' && serving.reason === 'CutoverDeleted';
        },
        60_000,
      );
      // Two passes later still no forward subscription into the serving target, no forward slot on the source.
      await new Promise((r) => setTimeout(r, 5_000));
      const target = await withConnection(t.db.target, leftovers);
      assert.ok(!target.subscriptions.includes(names.subscription), `forward subscription re-created: ${target.subscriptions.join(', ')}`);
      assert.ok(!(await withConnection(t.db.source, leftovers)).slots.includes(names.slot), 'forward slot re-created on the source');
      assert.equal((await t.replication()).status?.phase, 'TargetServing');
      assert.deepEqual(await onTarget(), book);

      // The route outlives its TenantCutover, across the route agents' own restarts.
      const revision = (await routeAgents(t)).routes[t.route]?.revision ?? 0;
      for (const i of [0, 1]) await restartRouteAgent(t.cluster.stateDir, i);
      await until(
        'the restarted agents to serve the kept route',
        async () => (await routeAgents(t)).owners?.[t.route]?.startsWith('ConfigMap tenantshift-system/') === true,
        30_000,
      );
      assert.deepEqual(
        (await bouncerDatabases(t.cluster.env, t.route)).map((d) => d?.port),
        [t.db.target.port, t.db.target.port],
        'a PgBouncer lost the route of the deleted TenantCutover when its agent restarted',
      );
      // A new TenantCutover here adopts it: the target stays served, at the next revision.
      await t.createCutover({ maxWritePause: '1500ms' });
      const adopted = await t.waitRouteOwned();
      assert.equal(adopted.status?.activeSide, 'target');
      assert.equal(adopted.status?.route?.revision, revision + 1);
      await until('the kept route to be released', async () => !(await routeAgents(t)).owners?.[t.route]?.startsWith('ConfigMap'), 30_000);
      await t.deleteAndWait('tenantcutovers');

      await t.deleteAndWait('schemareplications');
      assert.deepEqual(await onTarget(), book, 'the serving copy was dropped');
      const kept = (await reasons(t, 'SchemaReplication')).filter((r) => r.startsWith('TargetDataKept'));
      assert.equal(kept.length, 1, 'no TargetDataKept event says why deletionPolicy Delete kept the schemas');
      const empty: Leftovers = { slots: [], subscriptions: [], publications: [] };
      assert.deepEqual(await withConnection(t.db.target, leftovers), empty, 'left behind on the target');
      assert.deepEqual(await withConnection(t.db.source, leftovers), empty, 'left behind on the source');
    } finally {
      await t.dispose();
    }
  });
});

// A TenantCutover deleted while its move is in flight (the operator died in it): deletion first
// finishes the move (past the point of no return) or undoes it (before), then leaves the tenant on
// that one side, every acknowledged transfer there once, and a later SchemaReplication deletion
// leaves nothing on either server.
describe('Deleting a TenantCutover in the middle of a move', function () {
  this.timeout(300_000);

  for (const [point, serving] of [
    ['Paused', 'source'],
    ['WritesRevoked', 'source'],
    ['Drained', 'source'],
    ['RouteRecorded', 'target'],
    ['BetweenDirections', 'target'],
  ] as const) {
    it(`finishes or undoes the move first (operator killed at ${point}: the ${serving} serves), then goes`, async () => {
      const t = await tenantFixture(`tcdel${point.toLowerCase().slice(0, 5)}`, 20);
      try {
        const doomed = await t.startOperator('del-op', { TENANTSHIFT_FAILPOINT: point });
        await t.createReplication();
        await t.createCutover({ maxWritePause: '1500ms', retry: { attempts: 3, backoff: '1s' } });
        await t.waitRouteOwned();
        const traffic = t.walletTraffic();
        await until('traffic', () => traffic.count > 100, 60_000);
        await t.patchCutover({ approved: true });
        await diesAt(doomed, point);
        await t.deleteAndWait('tenantcutovers', () => t.startOperator('del-op'));
        const accounts = `${pg.escapeIdentifier(t.wallet)}.accounts`;
        const granted = await appWritePrivileges(t.db[serving], accounts);
        assert.deepEqual(
          granted.privileges,
          ['INSERT', 'UPDATE', 'DELETE'],
          `the ${serving} does not take the application's writes (ACL ${granted.acl})`,
        );
        // The side given up after the point of no return stays closed (a target never switched to is as it was).
        if (serving === 'target') assert.equal(await appCanWrite(t.db.source, accounts), false, 'the source takes writes too');
        const at = traffic.count;
        await until(`traffic on the ${serving}`, () => traffic.count > at + 100, 60_000);
        const report = await traffic.stop();
        // Refused while the killed move's fence stood (docs/cutover.md), never lost.
        const failed = report.failures.filter((f) => !/permission denied/.test(f.message));
        assert.deepEqual(failed.slice(0, 3), [], `${failed.length} client transaction(s) failed`);
        const book = balancedBook(t.accounts, report.acknowledged);
        assert.deepEqual(await withConnection(t.db[serving], (c) => checkInvariants(c, t.wallet, report.acknowledged)), book);
        await t.deleteAndWait('schemareplications');
        const empty: Leftovers = { slots: [], subscriptions: [], publications: [] };
        assert.deepEqual(await withConnection(t.db.target, leftovers), empty, 'left behind on the target');
        assert.deepEqual(await withConnection(t.db.source, leftovers), empty, 'left behind on the source');
        assert.deepEqual(await withConnection(t.db[serving], (c) => checkInvariants(c, t.wallet, report.acknowledged)), book);
      } finally {
        await t.dispose();
      }
    });
  }
});
