// A deterministic schema for validation tests and the benchmark: the same call on two servers
// gives identical content. Bigint, composite, uuid and text keys, awkward values, a keyless table.
import pg from 'pg';

const id = pg.escapeIdentifier;

export interface FixtureOptions {
  /** Collation of the text primary key (e.g. "und-x-icu" on one side, "C" on the other). */
  codeCollation?: string;
  accounts?: number;
}

export async function createFixture(c: pg.Client, schema: string, opts: FixtureOptions = {}): Promise<void> {
  const s = id(schema);
  const accounts = opts.accounts ?? 3000;
  await c.query(`
    CREATE SCHEMA ${s};
    CREATE TABLE ${s}.accounts (
      id bigint PRIMARY KEY, owner text NOT NULL, balance numeric(18, 2) NOT NULL, fee numeric,
      note text, opened_at timestamptz NOT NULL, local_at timestamp, meta jsonb
    );
    CREATE TABLE ${s}.rounds (region text, round integer, stake numeric(18, 2) NOT NULL, detail text, PRIMARY KEY (region, round));
    CREATE TABLE ${s}.transfers (id uuid PRIMARY KEY, amount numeric NOT NULL, at timestamptz NOT NULL);
    CREATE TABLE ${s}.codes (code text COLLATE ${id(opts.codeCollation ?? 'C')} PRIMARY KEY, label text);
    CREATE TABLE ${s}.audit_log (at timestamptz NOT NULL, note text);
  `);
  await c.query(
    `INSERT INTO ${s}.accounts
     SELECT g, 'owner-' || g, g * 10.25, (g % 100) + 0.5,
            CASE WHEN g % 10 = 0 THEN NULL ELSE 'note ' || g END,
            timestamptz '2024-01-01 00:00:00+00' + g * interval '17 minutes',
            timestamp '2024-01-01 00:00:00' + g * interval '1 hour',
            jsonb_build_object('tier', CASE WHEN g % 3 = 0 THEN 'gold' ELSE 'silver' END, 'n', g)
       FROM generate_series(1, $1::int) g`,
    [accounts],
  );
  await c.query(`INSERT INTO ${s}.rounds
    SELECT r, g, g * 0.5, CASE WHEN g % 7 = 0 THEN '' ELSE repeat(r, 2) END
      FROM unnest(ARRAY['eu-west', 'EU-east', 'us', 'Ümlaut', 'a b']) r, generate_series(1, 400) g`);
  await c.query(`INSERT INTO ${s}.transfers
    SELECT md5('t' || g)::uuid, g / 4.0, timestamptz '2024-06-01 12:00:00+00' + g * interval '1 second' FROM generate_series(1, 2000) g`);
  // Keys whose order differs between collations: case, punctuation, digits and non-ASCII letters.
  await c.query(`INSERT INTO ${s}.codes
    SELECT (ARRAY['a', 'B', 'b', 'A', '_', 'Z', 'ä', 'ß', ' '])[1 + g % 9] || g, 'label ' || g FROM generate_series(1, 300) g`);
  await c.query(
    `INSERT INTO ${s}.audit_log SELECT timestamptz '2024-01-01 00:00:00+00' + g * interval '1 day', 'event ' || g FROM ` +
      `generate_series(1, 5) g`,
  );
}
