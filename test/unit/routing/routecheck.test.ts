// Nothing PgBouncer's ini parser would misread reaches its routes file: checked where a route enters
// (a Secret, an agent request) and again before the file is written; refusals name the field only.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { connectionFromSecretData } from '../../../src/postgres/connection.js';
import { agentServer, type AgentOperations } from '../../../src/routing/agent-http.js';
import { renderRoutes } from '../../../src/routing/pgbouncer.js';
import { routeProblem } from '../../../src/api/routecheck.js';

const INJECTED_PORT = '5432\nevil = host=attacker.example port=5432 dbname=loot';

describe('route checks', () => {
  it('takes host names, addresses and socket directories; refuses what would break a line', () => {
    for (const host of ['127.0.0.1', '::1', 'tenant.abc123.eu-west-1.rds.amazonaws.com', '/var/run/postgresql'])
      assert.equal(routeProblem({ host, port: 5432, dbname: 'wallet' }), undefined, host);
    assert.match(routeProblem({ host: 'h\nevil = host=x', port: 5432, dbname: 'd' }) ?? '', /^route\.host /);
    assert.match(routeProblem({ host: 'h', port: INJECTED_PORT, dbname: 'd' }) ?? '', /^route\.port /);
    assert.match(routeProblem({ host: 'h', port: 0, dbname: 'd' }) ?? '', /^route\.port /);
    assert.match(routeProblem({ host: 'h', port: 5432, dbname: "d'\n" }) ?? '', /^route\.dbname /);
    assert.match(routeProblem({ host: 'h', port: 5432, dbname: 'd', revision: -1 }) ?? '', /^route\.revision /);
    assert.doesNotMatch(routeProblem({ host: 'h', port: INJECTED_PORT, dbname: 'd' }) ?? '', /evil|attacker/, 'the value is echoed');
  });

  it('never writes a routes file line PgBouncer would misread', () => {
    assert.equal(renderRoutes({ 'tenant-a': { host: '10.0.0.1', port: 5432, dbname: "o'brien" } }).includes("dbname='o''brien'"), true);
    const bad = { host: '10.0.0.1', port: INJECTED_PORT as unknown as number, dbname: 'd' };
    assert.throws(() => renderRoutes({ a: bad }), /refusing to write the routes file: .*port/);
    assert.throws(() => renderRoutes({ 'a\nevil': { host: 'h', port: 1, dbname: 'd' } }), /PgBouncer database name/);
  });

  it('refuses a Secret whose host, port or dbname is not one, without repeating it', () => {
    const b64 = (v: string): string => Buffer.from(v).toString('base64');
    const secret = (over: Record<string, string>) =>
      Object.fromEntries(
        Object.entries({ host: 'db', port: '5432', dbname: 'd', user: 'u', password: 'p', ...over }).map(([k, v]) => [k, b64(v)]),
      );
    const dsn = 'postgresql://u:S3cret!@db:5432/d';
    assert.throws(
      () => connectionFromSecretData('legacy', secret({ host: dsn })),
      (e: Error) => /host is not/.test(e.message) && !e.message.includes('S3cret'),
    );
    assert.throws(
      () => connectionFromSecretData('legacy', secret({ port: INJECTED_PORT })),
      (e: Error) => /port is not/.test(e.message) && !/evil/.test(e.message),
    );
    assert.throws(() => connectionFromSecretData('legacy', secret({ dbname: 'd\nx' })), /dbname is not a database name/);
    assert.equal(connectionFromSecretData('legacy', secret({})).host, 'db');
  });

  it('the route agent refuses a flip carrying an injected port before doing anything', async () => {
    let flipped = 0;
    const ops: AgentOperations = {
      status: async () => ({ status: 200, body: {} as never }),
      pause: async () => ({ status: 200, body: {} }),
      flip: async () => ((flipped += 1), { status: 200, body: {} }),
      resume: async () => ({ status: 200, body: {} }),
    };
    const warnings: unknown[] = [];
    const log = { info: () => undefined, warn: (_: string, f?: unknown) => warnings.push(f), error: () => undefined };
    const server = agentServer(ops, 'tok', log as never);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as AddressInfo;
      const body = {
        database: 'tenant-a',
        moveId: 'm',
        route: { side: 'target', host: 'h', port: INJECTED_PORT, dbname: 'd', revision: 2 },
      };
      const res = await fetch(`http://127.0.0.1:${port}/v1/flip`, {
        method: 'POST',
        headers: { authorization: 'Bearer tok', 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      assert.equal(res.status, 400);
      const answer = (await res.json()) as { error: string };
      assert.match(answer.error, /route\.port is not an integer/);
      assert.equal(flipped, 0, 'the agent acted on a refused request');
      assert.doesNotMatch(JSON.stringify(warnings), /evil/, 'the log repeats the value');
    } finally {
      server.close();
    }
  });
});
