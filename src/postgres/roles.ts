// The roles a tenant's schemas need on the target: every owner and grantee of the schemas and their
// objects, created when missing, with the source's SCRAM verifier where it is readable and allowed.
import pg from 'pg';
import { isScramVerifier } from './scram.js';
import { hasSqlState } from './errors.js';

export interface SourceRole {
  name: string;
  canLogin: boolean;
  inherit: boolean;
  /** The SCRAM verifier, when the source lets us read pg_authid (superuser) and it is SCRAM. */
  verifier?: string;
}

/** Owners and grantees (not PUBLIC) of the schemas, their relations, types and functions. */
export async function rolesOfSchemas(source: pg.Client, schemas: string[]): Promise<SourceRole[]> {
  const roles = await source.query<{ rolname: string; rolcanlogin: boolean; rolinherit: boolean }>(
    `WITH ns AS (SELECT oid, nspowner, nspacl FROM pg_namespace WHERE nspname = ANY($1::text[])),
     objs AS (
       SELECT relowner AS owner, relacl AS acl FROM pg_class WHERE relnamespace IN (SELECT oid FROM ns)
       UNION ALL SELECT typowner, typacl FROM pg_type WHERE typnamespace IN (SELECT oid FROM ns)
       UNION ALL SELECT proowner, proacl FROM pg_proc WHERE pronamespace IN (SELECT oid FROM ns)
       UNION ALL SELECT nspowner, nspacl FROM ns),
     ids AS (
       SELECT owner AS id FROM objs
       UNION SELECT (aclexplode(acl)).grantee FROM objs WHERE acl IS NOT NULL
       UNION SELECT (aclexplode(acl)).grantor FROM objs WHERE acl IS NOT NULL)
     SELECT r.rolname, r.rolcanlogin, r.rolinherit FROM pg_roles r JOIN ids ON ids.id = r.oid
      ORDER BY r.rolname COLLATE "C"`,
    [schemas],
  );
  const verifiers = await readVerifiers(
    source,
    roles.rows.map((r) => r.rolname),
  );
  return roles.rows.map((r) => ({
    name: r.rolname,
    canLogin: r.rolcanlogin,
    inherit: r.rolinherit,
    ...(verifiers.has(r.rolname) ? { verifier: verifiers.get(r.rolname) as string } : {}),
  }));
}

async function readVerifiers(source: pg.Client, names: string[]): Promise<Map<string, string>> {
  try {
    const res = await source.query<{ rolname: string; rolpassword: string | null }>(
      'SELECT rolname, rolpassword FROM pg_authid WHERE rolname = ANY($1::text[])',
      [names],
    );
    return new Map(
      res.rows.filter((r) => r.rolpassword && isScramVerifier(r.rolpassword)).map((r) => [r.rolname, r.rolpassword as string]),
    );
  } catch (err) {
    // Only superusers read pg_authid (RDS never lets anyone): roles are then created without one.
    if (hasSqlState(err, 'insufficientPrivilege')) return new Map();
    throw err;
  }
}

export interface RoleSync {
  created: string[];
  verifiersSet: string[];
}

/**
 * Creates the missing roles on the target; sets the source's verifier on roles without a password
 * only when `copyVerifiers` allows. Existing roles are left as they are (their owners manage them).
 */
export async function ensureRoles(target: pg.Client, roles: SourceRole[], copyVerifiers: boolean): Promise<RoleSync> {
  const existing = await target.query<{ rolname: string }>('SELECT rolname FROM pg_roles WHERE rolname = ANY($1::text[])', [
    roles.map((r) => r.name),
  ]);
  const have = new Set(existing.rows.map((r) => r.rolname));
  const result: RoleSync = { created: [], verifiersSet: [] };
  for (const role of roles) {
    if (have.has(role.name)) continue;
    const attrs = [role.canLogin ? 'LOGIN' : 'NOLOGIN', role.inherit ? 'INHERIT' : 'NOINHERIT'];
    if (copyVerifiers && role.verifier) {
      // A verifier is a hash, not a password; it cannot be a bind parameter in a utility statement.
      attrs.push(`PASSWORD ${pg.escapeLiteral(role.verifier)}`);
      result.verifiersSet.push(role.name);
    }
    await target.query(`CREATE ROLE ${pg.escapeIdentifier(role.name)} ${attrs.join(' ')}`);
    result.created.push(role.name);
  }
  return result;
}

/** Whether the session's role is a superuser (PostgreSQL 15 creates subscriptions only as one). */
export async function isSuperuser(client: pg.Client): Promise<boolean> {
  const res = await client.query<{ su: boolean }>('SELECT rolsuper AS su FROM pg_roles WHERE rolname = current_user');
  return res.rows[0]?.su ?? false;
}
