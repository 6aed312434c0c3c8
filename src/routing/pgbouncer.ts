// PgBouncer's admin console (PAUSE, RESUME, RELOAD, SHOW) and the routes file the route agent owns:
// an %include'd list of [databases] entries, never the rest of PgBouncer's configuration.
import { readFile, rename, writeFile } from 'node:fs/promises';
import pg from 'pg';
import { databaseNameProblem, routeProblem } from '../api/routecheck.js';

export interface Route {
  host: string;
  port: number;
  dbname: string;
}

/** One `name = host=... port=... dbname=...` line per route, sorted so equal maps render equally. */
export function renderRoutes(routes: Record<string, Route>): string {
  const lines = Object.keys(routes)
    .sort()
    .map((db) => {
      const r = routes[db] as Route;
      // The last guard: every way in checks too (api/routecheck.ts); a line PgBouncer would misread is never written.
      const problem = databaseNameProblem(db, 'the PgBouncer database name') ?? routeProblem(r, `the route of a database`);
      if (problem) throw new Error(`refusing to write the routes file: ${problem}`);
      return `${quoteDbName(db)} = host=${quoteValue(r.host)} port=${r.port} dbname=${quoteValue(r.dbname)}`;
    });
  return `;; managed by tenantshift route-agent: do not edit\n${lines.join('\n')}\n`;
}

// PgBouncer reads database names and values with its own ini parser: quote anything unusual.
function quoteDbName(name: string): string {
  return /^[A-Za-z0-9_.-]+$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

function quoteValue(v: string): string {
  return /^[A-Za-z0-9_.:-]+$/.test(v) ? v : `'${v.replace(/'/g, "''")}'`;
}

/** Writes the file atomically (rename), so a RELOAD never reads half of it. */
export async function writeRoutesFile(file: string, content: string): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, content, { mode: 0o644 });
  await rename(tmp, file);
}

/**
 * The routes file and the RELOAD that makes PgBouncer read it, done only when PgBouncer does not
 * already serve these routes. A RELOAD is not free: PgBouncer 1.18 closes every server connection
 * of every database of the pool on each one, changed or not, and a connection it closes while it is
 * still logging in makes PgBouncer refuse that database's new clients for `server_login_retry`
 * ("server login has been failing"). So a retried flip, a convergence pass or an agent restarted over
 * its own file costs the pool nothing; a RELOAD that failed is done again on the next apply.
 */
export class RoutesFile {
  /** The content PgBouncer was last RELOADed with (unknown after a restart). */
  private applied: string | undefined;

  constructor(
    private readonly file: string,
    private readonly admin: PgBouncerAdmin,
  ) {}

  /** Writes and RELOADs when needed; true when it RELOADed. */
  async apply(routes: Record<string, Route>): Promise<boolean> {
    const content = renderRoutes(routes);
    const onDisk = await readFile(this.file, 'utf8').catch(() => undefined);
    if (onDisk === content && (this.applied === content || (this.applied === undefined && (await this.served(routes))))) {
      this.applied = content;
      return false;
    }
    this.applied = undefined;
    if (onDisk !== content) await writeRoutesFile(this.file, content);
    await this.admin.reload();
    this.applied = content;
    return true;
  }

  /** PgBouncer routes every one of these databases as given (after a restart: was our file RELOADed?). */
  private async served(routes: Record<string, Route>): Promise<boolean> {
    const live = await this.admin.routes();
    return Object.entries(routes).every(([db, r]) => {
      const seen = live[db];
      return seen !== undefined && seen.host === r.host && seen.port === r.port && seen.dbname === r.dbname;
    });
  }
}

export class PgBouncerAdmin {
  /** Connections kept open for the next command (`keep` of them). */
  private readonly idle: pg.Client[] = [];
  private closed = false;

  /**
   * `keep`: how many admin connections to keep open between commands (the route agent's). A new one
   * costs a TLS handshake and a SCRAM exchange, 14 ms on the local stack against 0.2 ms for a command
   * on an open one, and a move takes three (PAUSE, RELOAD, RESUME) inside its freeze. 0 (the default):
   * each command on a connection of its own, closed after it (a short-lived process exits at once).
   */
  constructor(
    private readonly url: string,
    private readonly opts: { keep?: number } = {},
  ) {}

  /** Runs one admin command on a connection no other command uses meanwhile (PAUSE blocks; RESUME must be able to overtake it). */
  async command<T extends pg.QueryResultRow = pg.QueryResultRow>(sql: string): Promise<T[]> {
    const kept = this.idle.pop();
    try {
      return await this.run<T>(kept ?? (await this.open()), sql);
    } catch (err) {
      // A kept connection PgBouncer closed meanwhile (a restart) fails before PgBouncer answers: once
      // more on a new one. An answer of PgBouncer's (an ErrorResponse) is final.
      if (!kept || (err as { severity?: string }).severity !== undefined) throw err;
      return this.run<T>(await this.open(), sql);
    }
  }

  /** Ends the kept connections; later commands each use a connection of their own. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.idle.splice(0).map((c) => c.end().catch(() => undefined)));
  }

  private async run<T extends pg.QueryResultRow>(client: pg.Client, sql: string): Promise<T[]> {
    let rows: T[];
    try {
      rows = (await client.query<T>(sql)).rows;
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    if (!this.closed && this.idle.length < (this.opts.keep ?? 0)) this.idle.push(client);
    else await client.end().catch(() => undefined);
    return rows;
  }

  private async open(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 5000 });
    // PgBouncer may close an admin connection under us (a cancelled PAUSE, a restart): the query fails, not the process.
    client.on('error', () => undefined);
    client.on('end', () => {
      const at = this.idle.indexOf(client);
      if (at >= 0) this.idle.splice(at, 1);
    });
    await client.connect();
    return client;
  }

  pause(database: string): Promise<unknown> {
    return this.command(`PAUSE ${adminIdent(database)}`);
  }

  async resume(database: string): Promise<void> {
    try {
      await this.command(`RESUME ${adminIdent(database)}`);
    } catch (err) {
      // "database is not paused": RESUME is idempotent for us.
      if (!/not paused/i.test((err as Error).message)) throw err;
    }
  }

  reload(): Promise<unknown> {
    return this.command('RELOAD');
  }

  /** Pool mode per configured database (null in SHOW DATABASES means the global default). */
  async poolModes(): Promise<Record<string, string>> {
    const config = await this.command<{ key: string; value: string }>('SHOW CONFIG');
    const fallback = config.find((c) => c.key === 'pool_mode')?.value ?? 'session';
    const dbs = await this.command<{ name: string; pool_mode: string | null }>('SHOW DATABASES');
    return Object.fromEntries(dbs.map((d) => [d.name, d.pool_mode ?? fallback]));
  }

  /** host/port/database per configured database, as PgBouncer currently routes it. */
  async routes(): Promise<Record<string, Route & { paused: boolean }>> {
    const dbs = await this.command<{ name: string; host: string | null; port: number; database: string; paused: number }>('SHOW DATABASES');
    return Object.fromEntries(
      dbs.map((d) => [d.name, { host: d.host ?? '', port: Number(d.port), dbname: d.database, paused: Number(d.paused) === 1 }]),
    );
  }
}

/** Admin console commands take a bare name; refuse anything that could be another command. */
function adminIdent(name: string): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(name))
    throw new Error(`database name ${JSON.stringify(name)} cannot be used with PgBouncer's admin console`);
  return name;
}
