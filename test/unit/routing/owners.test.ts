// One owner per (pool, database): the oldest TenantCutover, unless a route kept for a deleted one
// holds it; only a TenantCutover of that namespace with a newer revision takes a kept route over.
import assert from 'node:assert/strict';
import { ownersOf, type CutoverItem, type RetainedRoute } from '../../../src/routing/owners.js';
import type { RoutedRoute } from '../../../src/routing/protocol.js';
import { parseRetained, retainedRouteName } from '../../../src/routing/retained.js';
import { routeOwnership } from '../../../src/reconcilers/tenantcutover/routes.js';

const route = (revision: number, side: 'source' | 'target' = 'source'): RoutedRoute => ({
  host: 'db',
  port: 5432,
  dbname: 'app',
  side,
  revision,
});

function cutover(
  namespace: string,
  name: string,
  created: string,
  opts: { uid?: string; revision?: number; pool?: string } = {},
): CutoverItem {
  return {
    metadata: { namespace, name, creationTimestamp: created, uid: opts.uid ?? `${namespace}-${name}` },
    spec: { routing: { pgbouncer: { pool: opts.pool ?? 'main', database: 'tenant_a' } } },
    ...(opts.revision ? { status: { route: route(opts.revision) } } : {}),
  };
}

const kept = (namespace: string, revision: number): RetainedRoute => ({
  pool: 'main',
  database: 'tenant_a',
  route: route(revision, 'target'),
  namespace,
  keptIn: 'ConfigMap agents/tenantshift-route-main-tenant-a',
});

describe('routing: owners of PgBouncer databases', () => {
  it('gives a database to its oldest claim, then the smaller uid, whatever the revisions', () => {
    const owners = ownersOf(
      'main',
      [
        cutover('b', 'late', '2026-12-02T10:00:01Z', { revision: 9 }),
        cutover('a', 'early', '2026-12-02T10:00:00Z', { revision: 2 }),
        cutover('c', 'other-pool', '2026-12-01T00:00:00Z', { pool: 'eu' }),
      ],
      [],
    );
    assert.equal(owners.get('tenant_a')?.description, 'TenantCutover a/early');
    assert.equal(owners.get('tenant_a')?.route?.revision, 2);
    const tie = ownersOf(
      'main',
      [cutover('x', 'one', '2026-12-02T10:00:00Z', { uid: 'bbb' }), cutover('y', 'two', '2026-12-02T10:00:00Z', { uid: 'aaa' })],
      [],
    );
    assert.equal(tie.get('tenant_a')?.description, 'TenantCutover y/two');
  });

  it('keeps a deleted TenantCutover’s route the owner until its namespace adopts it with a newer revision', () => {
    assert.equal(ownersOf('main', [], [kept('a', 5)]).get('tenant_a')?.route?.revision, 5);
    const older = [cutover('b', 'elsewhere', '2020-01-01T00:00:00Z', { revision: 50 })];
    assert.equal(ownersOf('main', older, [kept('a', 5)]).get('tenant_a')?.description, 'ConfigMap agents/tenantshift-route-main-tenant-a');
    const notYet = [cutover('a', 'new', '2026-12-02T10:00:00Z', { revision: 1 })];
    assert.equal(ownersOf('main', notYet, [kept('a', 5)]).get('tenant_a')?.route?.revision, 5);
    const adopter = [cutover('a', 'new', '2026-12-02T10:00:00Z', { revision: 6 })];
    assert.equal(ownersOf('main', adopter, [kept('a', 5)]).get('tenant_a')?.description, 'TenantCutover a/new');
  });

  it('names kept routes per (pool, database) and reads back only well-formed ones', () => {
    const name = retainedRouteName('main', 'Tenant_A');
    assert.match(name, /^tenantshift-route-main-tenant-a-[0-9a-f]{10}$/);
    assert.notEqual(name, retainedRouteName('main', 'tenant_a'));
    const data = { pool: 'main', database: 'tenant_a', namespace: 'a', route: JSON.stringify(route(3, 'target')) };
    assert.deepEqual(parseRetained({ metadata: { namespace: 'agents', name }, data })?.route, route(3, 'target'));
    assert.equal(parseRetained({ metadata: { name }, data: { ...data, route: '{"host":1}' } }), undefined);
    assert.equal(parseRetained({ metadata: { name }, data: { ...data, route: 'not json' } }), undefined);
  });

  it('refuses a TenantCutover the agents name another owner for, naming that owner', () => {
    const agents = [{ identity: 'a', endpoint: 'x' }];
    const status = (owner: string) => [
      { identity: 'a', pool: 'main', routes: { tenant_a: route(2) }, owners: { tenant_a: owner }, paused: [], poolModes: {} },
    ];
    const mine = routeOwnership(agents, status('TenantCutover a/me'), 'tenant_a', route(2), 'TenantCutover a/me');
    assert.equal(mine.ok, true);
    const theirs = routeOwnership(agents, status('TenantCutover b/them'), 'tenant_a', route(2), 'TenantCutover a/me');
    assert.equal(theirs.ok, false);
    assert.equal(theirs.conflict, true);
    assert.match(theirs.message, /belongs to TenantCutover b\/them/);
  });
});
