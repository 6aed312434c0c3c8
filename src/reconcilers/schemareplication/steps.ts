// The idempotent actions of the SchemaReplication reconciler, each one named for what it ensures.
import type pg from 'pg';
import type { SchemaInventory, TableInfo } from '../../postgres/catalog.js';
import { conninfo, type SubscriptionSslFallback, type ConnectionInfo } from '../../postgres/connection.js';
import type { ReplicationNames } from '../../postgres/names.js';
import { ensureRoles, rolesOfSchemas, type RoleSync } from '../../postgres/roles.js';
import { applyScript, dumpSchemas, keyDefinitions, sectionSql } from '../../postgres/schemacopy.js';
import {
  addColumnSql,
  createSubscription,
  ensureSlot,
  createTableSql,
  refreshSubscription,
  setSubscriptionEnabled,
} from '../../postgres/replication.js';
import type { SubscriptionAction } from './plan.js';
import { hasSqlState } from '../../postgres/errors.js';

/**
 * Copies the roles and the pre-data DDL (with primary keys and replica-identity indexes) of the
 * given schemas in one transaction: a crash leaves either all of it on the target or none.
 */
export async function copySchemaDefinitions(opts: {
  source: pg.Client;
  target: pg.Client;
  sourceInfo: ConnectionInfo;
  schemas: string[];
  copyRoles: boolean;
  copyRoleVerifiers: boolean;
}): Promise<RoleSync> {
  const roles: RoleSync = opts.copyRoles
    ? await ensureRoles(opts.target, await rolesOfSchemas(opts.source, opts.schemas), opts.copyRoleVerifiers)
    : { created: [], verifiersSet: [] };
  const dump = await dumpSchemas(opts.sourceInfo, opts.schemas);
  try {
    const pre = await sectionSql(dump, 'pre-data');
    const keys = await keyDefinitions(opts.source, opts.schemas);
    const script = [opts.copyRoles ? pre : stripOwnership(pre), ...keys.map((k) => `${k.sql};`)].join('\n');
    await applyScript(opts.target, script);
  } finally {
    await dump.dispose();
  }
  return roles;
}

/** Without role copying, ownership and grants would name roles the target may not have. */
function stripOwnership(sql: string): string {
  return sql
    .split('\n')
    .filter((line) => !/^ALTER .* OWNER TO /.test(line) && !/^(GRANT|REVOKE) /.test(line))
    .join('\n');
}

/** Secondary indexes, foreign keys, triggers: after the initial copy, excluding the keys made early. */
export async function copyPostData(opts: {
  source: pg.Client;
  target: pg.Client;
  sourceInfo: ConnectionInfo;
  schemas: string[];
  copyRoles: boolean;
}): Promise<void> {
  const dump = await dumpSchemas(opts.sourceInfo, opts.schemas);
  try {
    const keys = await keyDefinitions(opts.source, opts.schemas);
    const post = await sectionSql(dump, 'post-data', new Set(keys.map((k) => k.oid).filter((o) => o > 0)));
    try {
      await applyScript(opts.target, opts.copyRoles ? post : stripOwnership(post));
    } catch (err) {
      // The script is one transaction: an object that exists means an earlier run committed all of it
      // and crashed before its status was written.
      if (!hasSqlState(err, 'duplicateTable', 'duplicateObject')) throw err;
    }
  } finally {
    await dump.dispose();
  }
}

/** Additive source DDL applied to the target: new tables (their DDL and keys) and new columns. */
export async function applyAdditiveDrift(opts: {
  source: pg.Client;
  target: pg.Client;
  sourceInfo: ConnectionInfo;
  newTables: TableInfo[];
  newColumns: SchemaInventory['columns'];
}): Promise<void> {
  const statements: string[] = opts.newColumns.map(addColumnSql);
  for (const t of opts.newTables) {
    const table = await createTableSql(opts.source, t.oid);
    if (table) statements.push(table);
    const keys = await keyDefinitions(opts.source, [t.schema], [t.oid]);
    statements.push(...keys.map((k) => `${k.sql};`));
  }
  if (statements.length > 0) await applyScript(opts.target, statements.join('\n'));
}

export async function applySubscriptionAction(opts: {
  source: pg.Client;
  target: pg.Client;
  action: SubscriptionAction;
  names: ReplicationNames;
  sourceInfo: ConnectionInfo;
  targetInfo: ConnectionInfo;
  sslFallback?: SubscriptionSslFallback;
}): Promise<void> {
  const { target, action, names } = opts;
  switch (action.kind) {
    case 'create': {
      // Before the slot: a subscription that could not be as strong as the Secret asks leaves nothing behind.
      const publisher = conninfo(opts.sourceInfo, opts.sslFallback);
      // The slot first, on the source: the subscription then needs no slot of its own (and may run in a transaction).
      await ensureSlot(opts.source, names.slot);
      await createSubscription(
        { client: target, info: opts.targetInfo },
        {
          subscription: names.subscription,
          publication: names.publication,
          slot: names.slot,
          conninfo: publisher,
          enabled: action.enabled,
        },
      );
      return;
    }
    case 'enable':
    case 'disable':
      await setSubscriptionEnabled(target, names.subscription, action.kind === 'enable');
      return;
    case 'refresh':
      await refreshSubscription(target, names.subscription);
      return;
    case 'none':
      return;
  }
}
