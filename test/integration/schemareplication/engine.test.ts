// The SchemaReplication reconciler against two real PostgreSQL servers (Kubernetes answers come from
// a fixed reader here; the operator journey is in operator.test.ts): preflight, schema copy, initial
// copy, streaming, drift, suspend, schema add/remove, deletion with no slot left behind.
import assert from 'node:assert/strict';
import type pg from 'pg';
import type { SchemaReplication } from '../../../src/api/index.js';
import { createTenant, transfer } from '../../../src/devstack/estate.js';
import { replicationNames } from '../../../src/postgres/names.js';
import { cleanupSchemaReplication } from '../../../src/reconcilers/schemareplication/cleanup.js';
import { reconcileSchemaReplication, type Outcome, type ReconcileContext } from '../../../src/reconcilers/schemareplication/index.js';
import { testCluster } from '../../support/cluster.js';
import { directContext, directReplication } from '../../support/direct.js';
import { newDatabasePair, withConnection, type DatabasePair } from '../../support/databases.js';

interface Recorded {
  events: Array<{ type: string; reason: string; message: string }>;
}

function context(db: DatabasePair, rec: Recorded): ReconcileContext {
  return {
    ...directContext(db.source, db.target),
    events: {
      normal: (reason, message) => rec.events.push({ type: 'Normal', reason, message }),
      warning: (reason, message) => rec.events.push({ type: 'Warning', reason, message }),
    },
  };
}

function object(name: string, schemas: string[], extra: Partial<SchemaReplication['spec']> = {}): SchemaReplication {
  return directReplication('engine-test', name, schemas, extra);
}

/** Reconciles like the operator does (status carried over) until `until` holds or the budget ends. */
async function converge(obj: SchemaReplication, ctx: ReconcileContext, until: (o: Outcome) => boolean, attempts = 120): Promise<Outcome> {
  let last: Outcome | undefined;
  for (let i = 0; i < attempts; i++) {
    last = await reconcileSchemaReplication(obj, ctx);
    obj.status = last.status;
    if (until(last)) return last;
    await new Promise((r) => setTimeout(r, 500));
  }
  const ready = last?.status.conditions?.find((c) => c.type === 'Ready');
  assert.fail(`did not converge: phase ${last?.status.phase}, ${ready?.reason}: ${ready?.message}`);
}

const isReady = (o: Outcome): boolean => o.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
const readyReason = (o: Outcome): string | undefined => o.status.conditions?.find((c) => c.type === 'Ready')?.reason;

async function count(c: pg.Client, table: string): Promise<number> {
  return Number((await c.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n);
}

async function slotsOf(db: DatabasePair): Promise<string[]> {
  return withConnection(db.source, async (c) =>
    (await c.query<{ slot_name: string }>('SELECT slot_name FROM pg_replication_slots WHERE database = current_database()')).rows.map(
      (r) => r.slot_name,
    ),
  );
}

describe('SchemaReplication engine (real PostgreSQL)', function () {
  this.timeout(180_000);
  let db: DatabasePair;
  let env: Record<string, string>;

  before(async () => {
    env = (await testCluster()).env;
  });
  beforeEach(async () => {
    db = await newDatabasePair(env, 'srengine');
  });
  afterEach(async () => {
    await db.drop();
  });

  it('copies schema and data, streams changes, and drops everything from the source on deletion', async () => {
    await withConnection(db.source, (c) => createTenant(c, { schemas: ['tenant_a_wallet', 'tenant_a_games'], accounts: 50, rounds: 2000 }));
    const rec: Recorded = { events: [] };
    const ctx = context(db, rec);
    const obj = object('tenant-a', ['tenant_a_wallet', 'tenant_a_games']);
    const done = await converge(obj, ctx, isReady);
    assert.equal(done.status.tables?.total, 3);
    assert.equal(done.status.tables?.ready, 3);
    assert.ok((done.status.bytesCopied ?? 0) > 100_000, `bytesCopied ${done.status.bytesCopied}`);

    await withConnection(db.source, (c) => transfer(c, 'tenant_a_wallet', 1, 2, '10.50', '00000000-0000-0000-0000-000000000001'));
    await converge(obj, ctx, () => false, 1).catch(() => undefined);
    // Streaming: the transfer arrives without another reconcile.
    let ledger = 0;
    for (let i = 0; i < 100 && ledger < 2; i++) {
      ledger = await withConnection(db.target, (c) => count(c, 'tenant_a_wallet.ledger'));
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(ledger, 2);
    await withConnection(db.target, async (c) => {
      assert.equal(await count(c, 'tenant_a_games.rounds'), 2000);
      const idx = await c.query("SELECT 1 FROM pg_indexes WHERE schemaname = 'tenant_a_wallet' AND indexname = 'ledger_account_idx'");
      assert.equal(idx.rowCount, 1, 'post-data index missing on the target');
      const fk = await c.query("SELECT 1 FROM pg_constraint WHERE contype = 'f' AND conrelid = 'tenant_a_wallet.ledger'::regclass");
      assert.equal(fk.rowCount, 1, 'foreign key missing on the target');
    });

    // A second pass of a converged object changes nothing on the servers.
    const again = await reconcileSchemaReplication(obj, ctx);
    assert.ok(isReady(again));
    assert.ok(!rec.events.slice(-1).some((e) => e.reason === 'SubscriptionCreated'));

    const cleaned = await cleanupSchemaReplication(obj, ctx);
    assert.equal(cleaned.finalizerDone, true);
    assert.deepEqual(await slotsOf(db), []);
    const names = replicationNames('engine-test', 'tenant-a');
    await withConnection(db.source, async (c) =>
      assert.equal((await c.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [names.publication])).rowCount, 0),
    );
    // deletionPolicy Retain (default): the target keeps its copy.
    await withConnection(db.target, async (c) => assert.equal(await count(c, 'tenant_a_games.rounds'), 2000));
  });

  it('blocks on a table without primary key, naming it, until the spec opts it in', async () => {
    await withConnection(db.source, (c) => createTenant(c, { schemas: ['tenant_b_wallet'], accounts: 5, withKeylessTable: true }));
    const rec: Recorded = { events: [] };
    const ctx = context(db, rec);
    const obj = object('tenant-b', ['tenant_b_wallet']);
    const first = await reconcileSchemaReplication(obj, ctx);
    assert.equal(readyReason(first), 'TableWithoutPrimaryKey');
    assert.match(first.status.conditions?.find((c) => c.type === 'Ready')?.message ?? '', /tenant_b_wallet\.audit_log/);
    assert.deepEqual(await slotsOf(db), [], 'nothing may be created while blocked');

    obj.spec.replicaIdentityFull = ['tenant_b_wallet.audit_log'];
    await converge(obj, ctx, isReady);
    await withConnection(db.source, (c) => c.query("DELETE FROM tenant_b_wallet.audit_log WHERE note = 'opened'"));
    let rows = 2;
    for (let i = 0; i < 100 && rows !== 1; i++) {
      rows = await withConnection(db.target, (c) => count(c, 'tenant_b_wallet.audit_log'));
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(rows, 1, 'a DELETE on the REPLICA IDENTITY FULL table did not replicate');
    assert.equal((await cleanupSchemaReplication(obj, ctx)).finalizerDone, true);
    assert.deepEqual(await slotsOf(db), []);
  });

  it('handles mixed-case, spaced, quoted and non-ASCII schema names; suspend, add and remove schemas; drift', async () => {
    const odd = 'Tenant "C" Wället';
    const games = 'tenant_c games';
    await withConnection(db.source, (c) => createTenant(c, { schemas: [odd, games], accounts: 10, rounds: 100 }));
    const ctx = context(db, { events: [] });
    const obj = object('tenant-c', [odd]);
    await converge(obj, ctx, isReady);

    obj.spec.suspend = true;
    const suspended = await converge(obj, ctx, (o) => o.status.phase === 'Suspended');
    assert.equal(readyReason(suspended), 'Suspended');
    await withConnection(db.target, async (c) => {
      const sub = await c.query('SELECT subenabled FROM pg_subscription WHERE subname = $1', [
        replicationNames('engine-test', 'tenant-c').subscription,
      ]);
      assert.equal(sub.rows[0]?.subenabled, false);
    });
    obj.spec.suspend = false;
    obj.spec.schemas = [odd, games];
    await converge(obj, ctx, (o) => isReady(o) && o.status.tables?.total === 3);
    await withConnection(db.target, async (c) => assert.equal(await count(c, `"tenant_c games".rounds`), 100));

    // Source DDL: a new column is drift until the spec allows additive changes.
    await withConnection(db.source, (c) => c.query(`ALTER TABLE "tenant_c games".rounds ADD COLUMN currency text`));
    const drifted = await reconcileSchemaReplication(obj, ctx);
    obj.status = drifted.status;
    assert.equal(readyReason(drifted), 'DriftDetected');
    assert.match(drifted.status.conditions?.find((c) => c.type === 'SchemaDrift')?.message ?? '', /"tenant_c games"\.rounds\.currency/);
    obj.spec.applyAdditiveDDL = true;
    await converge(obj, ctx, isReady);

    // Removing a schema stops replicating it; its copy stays on the target.
    obj.spec.schemas = [odd];
    const narrowed = await converge(obj, ctx, (o) => isReady(o) && o.status.tables?.total === 2);
    assert.equal(narrowed.status.tables?.ready, 2);
    await withConnection(db.target, async (c) => assert.equal(await count(c, `"tenant_c games".rounds`), 100));
    assert.equal((await cleanupSchemaReplication(obj, ctx)).finalizerDone, true);
    assert.deepEqual(await slotsOf(db), []);
  });

  it('waits for a copy slot when the source already runs its limit of initial copies', async () => {
    await withConnection(db.source, (c) => createTenant(c, { schemas: ['tenant_w_wallet'], accounts: 5 }));
    let running = 4;
    const ctx = { ...context(db, { events: [] }), initialCopies: { limit: 4, running: () => running } };
    const obj = object('tenant-w', ['tenant_w_wallet']);
    const waiting = await reconcileSchemaReplication(obj, ctx);
    assert.equal(readyReason(waiting), 'WaitingForCopySlot');
    assert.match(waiting.status.conditions?.find((c) => c.type === 'Ready')?.message ?? '', /4 initial copies already run/);
    assert.deepEqual(await slotsOf(db), [], 'a waiting object must not start its copy');
    running = 3;
    obj.status = waiting.status;
    await converge(obj, ctx, isReady);
    assert.equal((await cleanupSchemaReplication(obj, ctx)).finalizerDone, true);
  });

  it('leaves no slot behind when deleted during the initial copy', async () => {
    await withConnection(db.source, (c) =>
      createTenant(c, { schemas: ['tenant_d_wallet', 'tenant_d_games'], accounts: 10, rounds: 300_000 }),
    );
    const ctx = context(db, { events: [] });
    const obj = object('tenant-d', ['tenant_d_wallet', 'tenant_d_games'], { deletionPolicy: 'Delete' });
    await converge(obj, ctx, (o) => o.status.phase === 'Syncing');
    let cleaned: Outcome;
    do {
      cleaned = await cleanupSchemaReplication(obj, ctx);
      obj.status = cleaned.status;
    } while (!cleaned.finalizerDone);
    assert.deepEqual(await slotsOf(db), []);
    await withConnection(db.target, async (c) => {
      assert.equal(
        (await c.query("SELECT 1 FROM pg_namespace WHERE nspname LIKE 'tenant_d%'")).rowCount,
        0,
        'deletionPolicy Delete keeps the schemas',
      );
    });
  });
});
