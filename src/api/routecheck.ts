// What may reach PgBouncer's routes file. Its ini parser knows no escape for a line break: a `port`
// of `5432\nevil = host=...` would add a database `evil` on RELOAD, and a quoted value with a newline
// makes RELOAD stop reading the file there (later routes go stale, a restart is fatal). A route is
// checked where it enters (a Secret, status.route, a retained ConfigMap, an agent request) and again
// before the file is written. The problem names the field and never repeats the value.
/** What a route names (the agent's Route, without its side and revision). */
interface Route {
  host: string;
  port: number;
  dbname: string;
}

const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
/** A DNS name, an IPv4 or IPv6 address, or a Unix socket directory. */
export const HOST_PATTERN = `^(?:${LABEL}(?:\\.${LABEL})*\\.?|[0-9A-Fa-f:.]+|/[A-Za-z0-9_./-]+)$`;
const HOST = new RegExp(HOST_PATTERN);
/** For the CRD schema (RE2 at admission): no control character. */
export const DATABASE_NAME_PATTERN = '^[^\\x00-\\x1f\\x7f]+$';
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

export function hostProblem(host: unknown, field: string): string | undefined {
  if (typeof host !== 'string' || host.length === 0 || host.length > 253 || !HOST.test(host))
    return `${field} is not a host name, an IP address or a socket directory`;
  return undefined;
}

export function portProblem(port: unknown, field: string): string | undefined {
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) return `${field} is not an integer from 1 to 65535`;
  return undefined;
}

/** A PostgreSQL database name, or a PgBouncer database name: 1-63 bytes, no control character. */
export function databaseNameProblem(name: unknown, field: string): string | undefined {
  if (typeof name !== 'string' || name.length === 0 || Buffer.byteLength(name) > 63 || CONTROL.test(name))
    return `${field} is not a database name (1 to 63 bytes, no control characters)`;
  return undefined;
}

/** Undefined when the route can be written; else what is wrong with it, by field (`what` prefixes them). */
export function routeProblem(route: unknown, what = 'route'): string | undefined {
  if (typeof route !== 'object' || route === null) return `${what} is missing or not an object`;
  const r = route as Partial<Route> & { revision?: unknown };
  const revision =
    r.revision !== undefined && (typeof r.revision !== 'number' || !Number.isInteger(r.revision) || r.revision < 0)
      ? `${what}.revision is not a non-negative integer`
      : undefined;
  return (
    hostProblem(r.host, `${what}.host`) ??
    portProblem(r.port, `${what}.port`) ??
    databaseNameProblem(r.dbname, `${what}.dbname`) ??
    revision
  );
}
