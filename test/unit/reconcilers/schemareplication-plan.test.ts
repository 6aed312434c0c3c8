// The pure decisions of the SchemaReplication reconciler.
import assert from 'node:assert/strict';
import type { SchemaInventory, TableInfo } from '../../../src/postgres/catalog.js';
import { evaluatePreflight, type SourceFacts, type TargetFacts } from '../../../src/postgres/preflight.js';
import type { SubscriptionState } from '../../../src/postgres/replication.js';
import {
  detectDrift,
  schemasReadyForPostData,
  schemasToCopy,
  subscriptionAction,
  tablesNeedingFullIdentity,
  tablesToPublish,
} from '../../../src/reconcilers/schemareplication/plan.js';

function table(schema: string, name: string, extra: Partial<TableInfo> = {}): TableInfo {
  return {
    schema,
    name,
    oid: 1,
    kind: 'r',
    unlogged: false,
    hasPrimaryKey: true,
    replicaIdentity: 'd',
    estimatedRows: 0,
    bytes: 0,
    ...extra,
  };
}

function inv(tables: TableInfo[], columns: SchemaInventory['columns'] = [], missingSchemas: string[] = []): SchemaInventory {
  return { missingSchemas, tables, sequences: [], fingerprint: '', columns };
}

const goodSource: SourceFacts = {
  walLevel: 'logical',
  freeSlots: 10,
  freeWalSenders: 10,
  slotExists: false,
  canReplicate: true,
  isSuperuser: true,
  unreadable: [],
  notOwned: [],
  oldestXactAgeSeconds: null,
  largeObjectColumns: [],
};
const goodTarget: TargetFacts = { canSubscribe: true, freeWorkers: 4, subscriptionExists: false };

describe('SchemaReplication plan', () => {
  it('publishes only tables that exist on the target, never partitions', () => {
    const src = inv([table('a', 't1'), table('a', 't2'), table('a', 'p1', { partitionOf: 'a.p' }), table('a', 'p', { kind: 'p' })]);
    const tgt = inv([table('a', 't1'), table('a', 'p'), table('a', 'p1')]);
    assert.deepEqual(
      tablesToPublish(src, tgt).map((t) => t.name),
      ['t1', 'p'],
    );
  });

  it('copies the DDL only of schemas present on the source and missing on the target', () => {
    assert.deepEqual(schemasToCopy(['a', 'b', 'c'], inv([], [], ['c']), inv([], [], ['a', 'c'])), ['a']);
  });

  it('names every table without a key and lets the spec opt tables in to REPLICA IDENTITY FULL', () => {
    const inventory = inv([
      table('Odd Schema', 'log', { hasPrimaryKey: false }),
      table('a', 'ok'),
      table('a', 'nokey', { hasPrimaryKey: false }),
    ]);
    const blocking = evaluatePreflight({ source: goodSource, target: goodTarget, inventory, replicaIdentityFull: [] }).filter(
      (f) => f.blocking,
    );
    assert.equal(blocking[0]?.reason, 'TableWithoutPrimaryKey');
    assert.match(blocking[0]?.message ?? '', /"Odd Schema"\.log, a\.nokey/);
    const optedIn = evaluatePreflight({
      source: goodSource,
      target: goodTarget,
      inventory,
      replicaIdentityFull: ['"Odd Schema".log', 'a.nokey'],
    });
    assert.equal(optedIn.filter((f) => f.blocking).length, 0);
    assert.deepEqual(
      tablesNeedingFullIdentity(inventory, ['a.nokey']).map((t) => t.name),
      ['nokey'],
    );
  });

  it('warns, without blocking, where the subscriber logs statements its role may not keep a password out of', () => {
    const findings = evaluatePreflight({
      source: goodSource,
      target: { ...goodTarget, statementLogging: 'log_statement=ddl' },
      inventory: inv([table('a', 'ok')]),
      replicaIdentityFull: [],
    });
    const logged = findings.find((f) => f.reason === 'SubscriberLogsStatements');
    assert.equal(logged?.blocking, false);
    assert.match(logged?.message ?? '', /log_statement=ddl/);
    assert.match(logged?.message ?? '', /parameter group/);
    assert.equal(
      evaluatePreflight({ source: goodSource, target: goodTarget, inventory: inv([table('a', 'ok')]), replicaIdentityFull: [] }).find(
        (f) => f.reason === 'SubscriberLogsStatements',
      ),
      undefined,
    );
  });

  it("warns where a move's fence would not fit the lock table, naming the server and the setting to raise", () => {
    const tables = Array.from({ length: 1200 }, (_, i) => table('big', `t${i}`));
    const small = { perTransaction: 64, sessions: 10 };
    const roomy = { perTransaction: 64, sessions: 300 };
    const findings = evaluatePreflight({
      source: { ...goodSource, locks: roomy },
      target: { ...goodTarget, locks: small },
      inventory: inv(tables),
      replicaIdentityFull: [],
    });
    const room = findings.find((f) => f.reason === 'LockTableTooSmall');
    assert.equal(room?.blocking, false);
    assert.match(room?.message ?? '', /1200 tables and partitions/);
    assert.match(room?.message ?? '', /the target's holds 640 .*at least 240/);
    assert.doesNotMatch(room?.message ?? '', /the source's/);
    const fits = evaluatePreflight({
      source: { ...goodSource, locks: roomy },
      target: { ...goodTarget, locks: roomy },
      inventory: inv(tables),
      replicaIdentityFull: [],
    });
    assert.equal(
      fits.find((f) => f.reason === 'LockTableTooSmall'),
      undefined,
    );
  });

  it('blocks a tenant whose tables reference large objects, naming the columns and what to do', () => {
    const findings = evaluatePreflight({
      source: { ...goodSource, largeObjectColumns: ['w.docs.scan', 'w.kyc.photo'] },
      target: goodTarget,
      inventory: inv([table('w', 'docs'), table('w', 'kyc')]),
      replicaIdentityFull: [],
    });
    const lo = findings.find((f) => f.reason === 'LargeObjectsNotReplicated');
    assert.equal(lo?.blocking, true, 'large objects left behind by a move must block it, not warn');
    assert.match(lo?.message ?? '', /w\.docs\.scan, w\.kyc\.photo/);
    assert.match(lo?.message ?? '', /bytea/);
  });

  it('reports each source problem with what to do', () => {
    const findings = evaluatePreflight({
      source: {
        ...goodSource,
        walLevel: 'replica',
        freeSlots: 1,
        canReplicate: false,
        isSuperuser: false,
        notOwned: ['a.t'],
        oldestXactAgeSeconds: 900,
      },
      target: { ...goodTarget, canSubscribe: false, freeWorkers: 0 },
      inventory: inv([table('a', 't', { unlogged: true })], [], ['missing']),
      replicaIdentityFull: [],
    });
    const reasons: string[] = findings.map((f) => f.reason);
    for (const r of [
      'SchemaNotFound',
      'WalLevelNotLogical',
      'SourceRoleCannotReplicate',
      'NoFreeReplicationSlot',
      'SourceTablesNotOwned',
      'LongTransactionOnSource',
      'UnloggedTable',
      'TargetRoleCannotSubscribe',
      'NoFreeLogicalReplicationWorker',
      'ReverseReplicationNeedsSuperuser',
    ]) {
      assert.ok(reasons.includes(r), `missing ${r}`);
    }
    assert.equal(findings.find((f) => f.reason === 'ReverseReplicationNeedsSuperuser')?.blocking, false);
  });

  it('decides create, suspend, resume and refresh of the subscription', () => {
    const pub = [table('a', 't1'), table('a', 't2')];
    const sub = (enabled: boolean, names: string[]): SubscriptionState => ({
      oid: 1,
      enabled,
      slotName: 's',
      tables: names.map((n) => ({ schema: 'a', name: n, state: 'r' })),
      applyErrors: 0,
      syncErrors: 0,
    });
    assert.deepEqual(subscriptionAction(undefined, pub, false), { kind: 'create', enabled: true });
    assert.deepEqual(subscriptionAction(undefined, pub, true), { kind: 'create', enabled: false });
    assert.deepEqual(subscriptionAction(undefined, [], false), { kind: 'none' });
    assert.deepEqual(subscriptionAction(sub(true, ['t1', 't2']), pub, true), { kind: 'disable' });
    assert.deepEqual(subscriptionAction(sub(false, ['t1', 't2']), pub, false), { kind: 'enable' });
    assert.deepEqual(subscriptionAction(sub(true, ['t1']), pub, false), { kind: 'refresh' });
    assert.deepEqual(subscriptionAction(sub(false, ['t1']), pub, true), { kind: 'none' }, 'REFRESH is refused on a disabled subscription');
    assert.deepEqual(subscriptionAction(sub(true, ['t1', 't2']), pub, false), { kind: 'none' });
  });

  it('applies post-data per schema only once all its tables are ready', () => {
    const pub = [table('a', 't1'), table('b', 't2')];
    const sub: SubscriptionState = {
      oid: 1,
      enabled: true,
      slotName: 's',
      tables: [
        { schema: 'a', name: 't1', state: 'r' },
        { schema: 'b', name: 't2', state: 'd' },
      ],
      applyErrors: 0,
      syncErrors: 0,
    };
    assert.deepEqual(schemasReadyForPostData(['a', 'b'], sub, pub, []), ['a']);
    assert.deepEqual(schemasReadyForPostData(['a', 'b'], sub, pub, ['a']), []);
  });

  it('classifies drift: new tables and columns are additive, type changes and target-only objects are not', () => {
    const col = (t: string, c: string, type = 'text') => ({ schema: 'a', table: t, column: c, type });
    const src = inv([table('a', 't'), table('a', 'new')], [col('t', 'id', 'bigint'), col('t', 'extra'), col('new', 'id', 'bigint')]);
    const tgt = inv([table('a', 't')], [col('t', 'id', 'bigint')]);
    const d = detectDrift(src, tgt, ['a']);
    assert.equal(d.additive, true);
    assert.deepEqual(
      d.newTables.map((t) => t.name),
      ['new'],
    );
    assert.deepEqual(
      d.newColumns.map((c) => c.column),
      ['extra'],
    );
    assert.ok(d.differences.some((m) => m.includes('a.t.extra')));
    const changed = detectDrift(inv([table('a', 't')], [col('t', 'id', 'integer')]), tgt, ['a']);
    assert.equal(changed.additive, false);
    assert.match(changed.differences[0] ?? '', /a\.t\.id is integer on the source but bigint on the target/);
    assert.equal(detectDrift(tgt, tgt, ['a']).differences.length, 0);
  });
});

describe('SchemaReplication preflight: the target is another database', () => {
  it('blocks a target that is the source database itself (same system identifier and database)', () => {
    const server = (systemIdentifier: string, database: string) => ({ systemIdentifier, database });
    const reasons = (source: ReturnType<typeof server>, target: ReturnType<typeof server>) =>
      evaluatePreflight({
        source: goodSource,
        target: goodTarget,
        inventory: inv([]),
        replicaIdentityFull: [],
        servers: { source, target },
      }).map((f) => f.reason);
    assert.deepEqual(reasons(server('7', 'app'), server('7', 'app')), ['SameDatabase']);
    assert.deepEqual(reasons(server('7', 'app'), server('7', 'app_copy')), []);
    assert.deepEqual(reasons(server('7', 'app'), server('8', 'app')), []);
  });
});
