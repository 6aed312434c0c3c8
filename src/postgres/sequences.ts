// Sequences are not replicated: at the switch every sequence the tenant's tables use (owned, identity,
// or only named by a column DEFAULT, in whatever schema) is set on the other side, plus a safety gap.
import pg from 'pg';

export interface SequenceValue {
  /** format('%I.%I'): a quoted, qualified name. */
  name: string;
  /** null when the sequence was never used. */
  lastValue: string | null;
}

export async function readSequences(client: pg.Client, schemas: string[]): Promise<SequenceValue[]> {
  const res = await client.query<{ name: string; last_value: string | null }>(
    `WITH used AS (
       SELECT s.oid FROM pg_class s JOIN pg_namespace n ON n.oid = s.relnamespace
        WHERE s.relkind = 'S' AND n.nspname = ANY($1::text[])
       UNION
       -- sequences named by a DEFAULT of a tenant table, wherever they live
       SELECT d.refobjid FROM pg_attrdef ad
         JOIN pg_class c ON c.oid = ad.adrelid JOIN pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_depend d ON d.classid = 'pg_attrdef'::regclass AND d.objid = ad.oid AND d.refclassid = 'pg_class'::regclass
         JOIN pg_class s ON s.oid = d.refobjid AND s.relkind = 'S'
        WHERE n.nspname = ANY($1::text[]))
     SELECT format('%I.%I', ps.schemaname, ps.sequencename) AS name, ps.last_value::text AS last_value
       FROM pg_sequences ps JOIN pg_class s ON s.relname = ps.sequencename
       JOIN pg_namespace n ON n.oid = s.relnamespace AND n.nspname = ps.schemaname
      WHERE s.oid IN (SELECT oid FROM used)
      ORDER BY 1`,
    [schemas],
  );
  return res.rows.map((r) => ({ name: r.name, lastValue: r.last_value }));
}

/**
 * Sets each sequence on the other side to the read value plus `gap` (never lower than it already is),
 * in one statement; returns the values set.
 */
export async function applySequences(
  client: pg.Client,
  values: SequenceValue[],
  gap: number,
): Promise<Array<{ name: string; value: string }>> {
  const used = values.filter((v) => v.lastValue !== null);
  if (used.length === 0) return [];
  const res = await client.query<{ name: string; value: string }>(
    `SELECT v.name, setval(v.name::regclass, greatest(v.val + $3::bigint,
              (SELECT last_value FROM pg_sequences ps WHERE format('%I.%I', ps.schemaname, ps.sequencename) = v.name
                AND ps.last_value IS NOT NULL)), true)::text AS value
       FROM unnest($1::text[], $2::bigint[]) AS v(name, val)`,
    [used.map((v) => v.name), used.map((v) => v.lastValue), gap],
  );
  return res.rows;
}
