// The ACLs a move saves before its fence, on the RDS-like target (no superuser): kept on the side's own
// server, named by the guarded status write, so a save whose status write failed (a deposed operator's)
// never counts and goes at the next save; a status written by an earlier version is still read.
import assert from 'node:assert/strict';
import type pg from 'pg';
import type { TenantCutover, TenantCutoverStatus } from '../../../src/api/index.js';
import { connect } from '../../../src/postgres/connection.js';
import type { SavedGrant } from '../../../src/postgres/fence.js';
import { loadGrants } from '../../../src/postgres/savedgrants.js';
import { saveGrantsOf, savedGrantsOf } from '../../../src/reconcilers/tenantcutover/grants.js';
import type { World } from '../../../src/reconcilers/tenantcutover/observe.js';
import { CutoverStatus } from '../../../src/reconcilers/tenantcutover/status.js';
import { newDatabasePair, type DatabasePair } from '../../support/databases.js';
import { testCluster } from '../../support/cluster.js';

const GRANTS: SavedGrant[] = [
  { table: '"wallet"."accounts"', acl: '{app=arwd/owner,owner=arwdDxt/owner}' },
  { table: '"wallet"."ledger"', acl: null, columns: [{ column: 'note', acl: '{app=w/owner}' }] },
];

describe('saved grants live on their side, named by the status (real PostgreSQL, RDS-like target)', function () {
  this.timeout(60_000);
  let db: DatabasePair;
  let target: pg.Client;
  let source: pg.Client;
  const uid = '5d1c7c0e-0000-4000-8000-000000000001';

  const world = (): Pick<World, 'obj' | 'sides'> =>
    ({
      obj: { metadata: { name: 'tenant-a', uid } } as TenantCutover,
      sides: { source: { client: source }, target: { client: target } },
    }) as unknown as Pick<World, 'obj' | 'sides'>;

  /** A CutoverStatus whose status writes land in `written`, or fail like a deposed operator's. */
  const statusOf = (status: TenantCutoverStatus, fail = false) => {
    const written: Array<Partial<TenantCutoverStatus>> = [];
    const obj = { metadata: { name: 'tenant-a', uid, generation: 1 }, status } as unknown as TenantCutover;
    const st = new CutoverStatus(obj, {
      now: () => 0,
      persist: async (patch) => {
        if (fail) throw new Error('the status of tenant-a was changed by another writer; this change is not applied');
        written.push(patch);
      },
    });
    return { st, written };
  };

  const rows = async (c: pg.Client): Promise<number> =>
    Number((await c.query<{ n: string }>('SELECT count(*) AS n FROM tenantshift.saved_grants WHERE cutover = $1', [uid])).rows[0]?.n);

  before(async () => {
    db = await newDatabasePair((await testCluster()).env, 'savedgrants');
    target = await connect(db.target);
    source = await connect(db.source);
  });
  after(async () => {
    await target?.end();
    await source?.end();
    await db?.drop();
  });

  it('saves on the side itself (creating its table there) and names the save in status', async () => {
    const { st, written } = statusOf({});
    await saveGrantsOf(world(), st, 'target', GRANTS);
    const set = st.status.savedGrantSets?.target;
    assert.ok(set, 'the status names the save');
    assert.equal(set.tables, 2);
    assert.equal(written.length, 1);
    assert.deepEqual(await savedGrantsOf(world(), st.status, 'target'), GRANTS, 'read back as saved, column ACLs too');
    assert.equal(await rows(target), 1);
    await assert.rejects(source.query('SELECT 1 FROM tenantshift.saved_grants'), /does not exist/, 'nothing was written on the other side');
  });

  it('a save whose status write fails never counts, and the next save removes it', async () => {
    const { st: first } = statusOf({});
    await saveGrantsOf(world(), first, 'target', GRANTS);
    const named = first.status.savedGrantSets?.target;
    assert.ok(named);
    // A deposed operator reads the side after the new leader revoked it and saves what it sees: its
    // status write fails (resourceVersion, Superseded); the row it wrote is there but not named.
    const revoked: SavedGrant[] = [{ table: '"wallet"."accounts"', acl: '{owner=arwdDxt/owner}' }];
    const { st: deposed } = statusOf(first.status, true);
    await assert.rejects(saveGrantsOf(world(), deposed, 'target', revoked), /another writer/);
    assert.equal(await rows(target), 2, 'the deposed save is on the server');
    assert.deepEqual(await savedGrantsOf(world(), first.status, 'target'), GRANTS, 'the named save is what counts');
    // The next save that lands prunes every other save of this TenantCutover.
    const { st: next } = statusOf(first.status);
    await saveGrantsOf(world(), next, 'target', GRANTS.slice(0, 1));
    assert.equal(await rows(target), 1);
    assert.deepEqual(await savedGrantsOf(world(), next.status, 'target'), GRANTS.slice(0, 1));
  });

  it('a save that is gone is an error that says where it was looked for', async () => {
    await assert.rejects(
      loadGrants(target, uid, { id: 'no-such-save', tables: 3 }),
      /save no-such-save of 3 tables.*tenantshift"?\.saved_grants.*by hand/,
    );
    assert.deepEqual(await loadGrants(target, uid, { id: 'no-such-save', tables: 0 }), [], 'an empty save is not looked up');
  });

  it('reads a status an earlier version wrote, and replaces it at the next save', async () => {
    const legacy: TenantCutoverStatus = { savedGrants: [{ table: '"wallet"."accounts"', acl: '{app=arwd/owner}' }] };
    const { st, written } = statusOf(legacy);
    assert.deepEqual(await savedGrantsOf(world(), st.status, 'source'), [{ table: '"wallet"."accounts"', acl: '{app=arwd/owner}' }]);
    await saveGrantsOf(world(), st, 'source', GRANTS);
    assert.ok('savedGrants' in (written[0] ?? {}) && written[0]?.savedGrants === undefined, 'the inline list is removed');
    assert.equal(st.status.savedGrants, undefined);
    assert.deepEqual(await savedGrantsOf(world(), st.status, 'source'), GRANTS);
  });
});
