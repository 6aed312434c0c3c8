// Sequences are not replicated: at the switch every sequence the tenant's tables use (owned, identity,
// or only named by a column DEFAULT, in whatever schema, or listed in spec.extraSequences) is set on
// the other side past every value the serving side handed out, plus a safety gap counted in increments, in the sequence's own direction
// and within its bounds. Each sequence is read from itself (last_value, is_called): pg_sequences shows
// NULL after a RESTART and for a role without privileges, and computes every sequence of the database.
import pg from 'pg';

export interface SequenceValue {
  /** format('%I.%I'): a quoted, qualified name. */
  name: string;
  /** The last value this side handed out; null when it handed out none (new, or RESTARTed since). */
  lastValue: string | null;
  /** Where the sequence stands: nextval() returns `position` next if not `called`, else position + increment. */
  position: string;
  called: boolean;
  increment: string;
  min: string;
  max: string;
}

interface Definition {
  name: string;
  increment: string;
  min: string;
  max: string;
}

/** Sequences of the tenant: in its schemas, named by a DEFAULT of its tables (wherever they live), or listed (schema.name). */
const USED_SEQUENCES = `
  SELECT s.oid FROM pg_class s JOIN pg_namespace n ON n.oid = s.relnamespace
   WHERE s.relkind = 'S' AND (n.nspname = ANY($1::text[]) OR n.nspname || '.' || s.relname = ANY($2::text[]))
  UNION
  -- sequences named by a DEFAULT of a tenant table, wherever they live
  SELECT d.refobjid FROM pg_attrdef ad
    JOIN pg_class c ON c.oid = ad.adrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_depend d ON d.classid = 'pg_attrdef'::regclass AND d.objid = ad.oid AND d.refclassid = 'pg_class'::regclass
    JOIN pg_class s ON s.oid = d.refobjid AND s.relkind = 'S'
   WHERE n.nspname = ANY($1::text[])`;

/** The tenant's sequences and their definitions (pg_sequence: no privilege needed, no per-sequence work). */
async function definitions(client: pg.Client, schemas: string[], extra: string[]): Promise<Definition[]> {
  const res = await client.query<Definition>(
    `WITH used AS (${USED_SEQUENCES})
     SELECT format('%I.%I', n.nspname, s.relname) AS name, q.seqincrement::text AS increment,
            q.seqmin::text AS min, q.seqmax::text AS max
       FROM used u JOIN pg_class s ON s.oid = u.oid JOIN pg_namespace n ON n.oid = s.relnamespace
       JOIN pg_sequence q ON q.seqrelid = s.oid
      ORDER BY 1`,
    [schemas, extra],
  );
  return res.rows;
}

/** A sequence outside the tenant's schemas, as CREATE SEQUENCE needs it on a server that lacks it. */
export interface OutsideSequence {
  schema: string;
  name: string;
  /** format('%I.%I'). */
  qualified: string;
  type: string;
  increment: string;
  min: string;
  max: string;
  start: string;
  cache: string;
  cycle: boolean;
  /** Its grants on the source: role name ('PUBLIC' for everyone) and privilege (USAGE, SELECT, UPDATE). */
  grants: Array<{ grantee: string; privilege: string }>;
}

/** The tenant's sequences that live outside its schemas (schema copies do not carry them). */
export async function outsideSequences(client: pg.Client, schemas: string[], extra: string[]): Promise<OutsideSequence[]> {
  const res = await client.query<OutsideSequence>(
    `WITH used AS (${USED_SEQUENCES})
     SELECT n.nspname AS schema, s.relname AS name, format('%I.%I', n.nspname, s.relname) AS qualified,
            format_type(q.seqtypid, NULL) AS type, q.seqincrement::text AS increment, q.seqmin::text AS min,
            q.seqmax::text AS max, q.seqstart::text AS start, q.seqcache::text AS cache, q.seqcycle AS cycle,
            coalesce((SELECT json_agg(json_build_object('grantee', CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE a.grantee::regrole::text END,
                                                        'privilege', a.privilege_type))
                        FROM aclexplode(s.relacl) a WHERE a.grantee <> s.relowner), '[]'::json) AS grants
       FROM used u JOIN pg_class s ON s.oid = u.oid JOIN pg_namespace n ON n.oid = s.relnamespace
       JOIN pg_sequence q ON q.seqrelid = s.oid
      WHERE n.nspname <> ALL($1::text[])
      ORDER BY 3`,
    [schemas, extra],
  );
  return res.rows;
}

/** Of the listed sequences (schema.name), those this server does not have. */
export async function missingSequences(client: pg.Client, names: string[]): Promise<string[]> {
  if (names.length === 0) return [];
  const res = await client.query<{ name: string }>(
    `SELECT x AS name FROM unnest($1::text[]) x
      WHERE NOT EXISTS (SELECT 1 FROM pg_class s JOIN pg_namespace n ON n.oid = s.relnamespace
                         WHERE s.relkind = 'S' AND n.nspname || '.' || s.relname = x)
      ORDER BY 1`,
    [names],
  );
  return res.rows.map((r) => r.name);
}

/**
 * Creates on this server those of `wanted` it lacks (and their schemas), and gives each the source's
 * grants it misses (a grantee this server lacks is left out until it exists: copyRoles creates roles
 * after this runs). Returns the names created.
 */
export async function ensureSequences(client: pg.Client, wanted: OutsideSequence[]): Promise<string[]> {
  const missing = new Set(
    await missingSequences(
      client,
      wanted.map((w) => `${w.schema}.${w.name}`),
    ),
  );
  const created: string[] = [];
  for (const w of wanted.filter((x) => missing.has(`${x.schema}.${x.name}`))) {
    // Every value comes from pg_sequence (integers, a type name from format_type): nothing user-typed is spliced.
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${pg.escapeIdentifier(w.schema)}`);
    await client.query(
      `CREATE SEQUENCE IF NOT EXISTS ${w.qualified} AS ${w.type} INCREMENT BY ${BigInt(w.increment)} MINVALUE ${BigInt(w.min)} ` +
        `MAXVALUE ${BigInt(w.max)} START WITH ${BigInt(w.start)} CACHE ${BigInt(w.cache)}${w.cycle ? ' CYCLE' : ' NO CYCLE'}`,
    );
    created.push(w.qualified);
  }
  const grants = wanted.flatMap((w) =>
    w.grants.filter((g) => /^(USAGE|SELECT|UPDATE)$/.test(g.privilege)).map((g) => ({ ...g, seq: w.qualified })),
  );
  if (grants.length === 0) return created;
  const due = await client.query<{ i: number }>(
    `SELECT g.i FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS g(grantee, seq, privilege, i)
      WHERE CASE WHEN g.grantee = 'PUBLIC' THEN NOT has_sequence_privilege('public', g.seq, g.privilege)
                 WHEN to_regrole(g.grantee) IS NULL THEN false
                 ELSE NOT has_sequence_privilege(to_regrole(g.grantee), g.seq, g.privilege) END`,
    [grants.map((g) => g.grantee), grants.map((g) => g.seq), grants.map((g) => g.privilege)],
  );
  for (const { i } of due.rows) {
    const g = grants[Number(i) - 1];
    // grantee is regrole output (quoted where needed) or PUBLIC; privilege one of three words.
    if (g) await client.query(`GRANT ${g.privilege} ON SEQUENCE ${g.seq} TO ${g.grantee}`);
  }
  return created;
}

/** Sequences per statement that reads them from themselves: a UNION's planning grows faster than its branches. */
const READ_CHUNK = 100;

/**
 * Each sequence's own state. One that handed out a value answers pg_sequence_last_value (one query
 * for all, a few ms for a thousand); one that did not (new, or RESTARTed since: NULL there) is read
 * from itself, `last_value` being where it stands, in statements of READ_CHUNK (one UNION of a
 * thousand took 440 ms to plan and run, ten of a hundred 56 ms; bench/scale).
 */
async function positions(client: pg.Client, names: string[]): Promise<Map<string, { position: string; called: boolean }>> {
  const out = new Map<string, { position: string; called: boolean }>();
  if (names.length === 0) return out;
  const last = await client.query<{ name: string; last: string | null }>(
    'SELECT n AS name, pg_catalog.pg_sequence_last_value(n::regclass)::text AS last FROM unnest($1::text[]) AS n',
    [names],
  );
  for (const r of last.rows) if (r.last !== null) out.set(r.name, { position: r.last, called: true });
  const uncalled = names.filter((n) => !out.has(n));
  for (let from = 0; from < uncalled.length; from += READ_CHUNK) {
    const chunk = uncalled.slice(from, from + READ_CHUNK);
    // `name` came from format('%I.%I'): already quoted identifiers.
    const sql = chunk.map((n, i) => `SELECT ${i} AS i, last_value::text AS position, is_called AS called FROM ${n}`).join(' UNION ALL ');
    const res = await client.query<{ i: number; position: string; called: boolean }>(sql);
    for (const r of res.rows) out.set(chunk[r.i] as string, { position: r.position, called: r.called });
  }
  return out;
}

export async function readSequences(client: pg.Client, schemas: string[], extra: string[] = []): Promise<SequenceValue[]> {
  const defs = await definitions(client, schemas, extra);
  return valuesAt(defs, await positions(client, names(defs)));
}

/**
 * Where the side taking over must stand so that its next value lies past everything `from` handed out
 * (and past where it stands already), `gap` increments further, within the bounds: setval(value, called).
 * A sequence the serving side exhausted stays exhausted: it must not hand out a value again.
 */
export function nextPosition(from: SequenceValue, onto: SequenceValue, gap: number): { value: bigint; called: boolean } {
  const inc = BigInt(from.increment);
  const [min, max] = [BigInt(from.min), BigInt(from.max)];
  const up = inc > 0n;
  const nextOf = (s: SequenceValue): bigint => (s.called ? BigInt(s.position) + inc : BigInt(s.position));
  const beyond = (a: bigint, b: bigint): boolean => (up ? a > b : a < b);
  const fromNext = nextOf(from);
  let want = fromNext + BigInt(gap) * inc;
  const ontoNext = nextOf(onto);
  if (beyond(ontoNext, want)) want = ontoNext;
  if (want > max || want < min) {
    // The gap does not fit: the farthest value within the bounds, if the serving side has not reached it.
    const edge = up ? max : min;
    if (beyond(fromNext, edge)) return { value: edge, called: true }; // exhausted on the serving side
    return { value: edge, called: false };
  }
  return { value: want, called: false };
}

/**
 * The switch's sequences in two round trips of time: the tenant's sequences from the serving side's
 * catalog, then where each stands on both sides at once (two servers, two sessions), then one setval
 * for all on the side taking over. Returns the values set.
 */
export async function syncSequences(
  from: pg.Client,
  onto: pg.Client,
  schemas: string[],
  extra: string[],
  gap: number,
): Promise<Array<{ name: string; value: string }>> {
  const defs = await definitions(from, schemas, extra);
  if (defs.length === 0) return [];
  const [at, there] = await Promise.all([positions(from, names(defs)), readSequenceStates(onto, defs)]);
  return setPast(onto, valuesAt(defs, at), there, gap);
}

async function setPast(
  client: pg.Client,
  values: SequenceValue[],
  states: SequenceValue[],
  gap: number,
): Promise<Array<{ name: string; value: string }>> {
  const onto = new Map(states.map((s) => [s.name, s]));
  const plan = values.flatMap((v) => {
    const there = onto.get(v.name);
    return there ? [{ name: v.name, ...nextPosition(v, there, gap) }] : [];
  });
  if (plan.length === 0) return [];
  const res = await client.query<{ name: string; value: string }>(
    `SELECT v.name, setval(v.name::regclass, v.val, v.called)::text AS value
       FROM unnest($1::text[], $2::bigint[], $3::boolean[]) AS v(name, val, called)`,
    [plan.map((p) => p.name), plan.map((p) => p.value.toString()), plan.map((p) => p.called)],
  );
  return res.rows;
}

const names = (defs: Definition[]): string[] => defs.map((d) => d.name);

/** Each definition with where it stands (a sequence `positions` did not find stands at its minimum, uncalled). */
function valuesAt(defs: Definition[], at: Map<string, { position: string; called: boolean }>): SequenceValue[] {
  return defs.map((d) => {
    const p = at.get(d.name) ?? { position: d.min, called: false };
    return { ...d, ...p, lastValue: p.called ? p.position : null };
  });
}

/** The same sequences on this server (by name; a sequence missing here is left out), with the given definitions. */
async function readSequenceStates(client: pg.Client, defs: Definition[]): Promise<SequenceValue[]> {
  const present = await client.query<{ name: string }>(
    `SELECT format('%I.%I', n.nspname, s.relname) AS name FROM pg_class s JOIN pg_namespace n ON n.oid = s.relnamespace
      WHERE s.relkind = 'S' AND format('%I.%I', n.nspname, s.relname) = ANY($1::text[])`,
    [names(defs)],
  );
  const here = new Set(present.rows.map((r) => r.name));
  const mine = defs.filter((d) => here.has(d.name));
  return valuesAt(mine, await positions(client, names(mine)));
}
