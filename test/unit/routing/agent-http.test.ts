// The route agent's HTTP surface refuses what it must not act on before any operation runs: a pause
// deadline past the largest write-pause budget (a PgBouncer held paused for a day), a missing move id,
// a body too large (the socket is closed, nothing is buffered past the limit).
import assert from 'node:assert/strict';
import { request } from 'node:http';
import type { AddressInfo, Server } from 'node:net';
import { agentServer, type AgentOperations } from '../../../src/routing/agent-http.js';
import { MAX_PAUSE_DEADLINE_MS } from '../../../src/routing/protocol.js';

const TOKEN = 'a-token-for-the-test';
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

interface Answer {
  status: number;
  body: string;
}

function post(port: number, path: string, body: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' } },
      (res) => {
        let data = '';
        res.on('data', (c: Buffer) => (data += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('route agent HTTP: requests refused before anything is done', () => {
  let server: Server;
  let port: number;
  const calls: string[] = [];
  const ops: AgentOperations = {
    status: () => Promise.resolve({ status: 200, body: { identity: 'x', pool: 'p', routes: {}, paused: [], poolModes: {} } }),
    pause: (r) => (calls.push(`pause ${r.database}`), Promise.resolve({ status: 200, body: { paused: true } })),
    flip: (r) => (calls.push(`flip ${r.database}`), Promise.resolve({ status: 200, body: {} })),
    resume: (r) => (calls.push(`resume ${r.database}`), Promise.resolve({ status: 200, body: {} })),
  };

  before(async () => {
    server = agentServer(ops, TOKEN, quiet);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));
  beforeEach(() => calls.splice(0));

  const pause = (body: unknown): Promise<Answer> => post(port, '/v1/pause', JSON.stringify(body));

  it('takes a pause within the largest budget', async () => {
    const a = await pause({ database: 'wallet_eu', moveId: 'm-1', deadlineInMs: MAX_PAUSE_DEADLINE_MS });
    assert.equal(a.status, 200, a.body);
    assert.deepEqual(calls, ['pause wallet_eu']);
  });

  for (const [what, deadlineInMs] of [
    ['a day', 86_400_000],
    ['negative', -1],
    ['a string', '5000'],
    ['not an integer', 1.5],
    ['missing', undefined],
  ] as const) {
    it(`refuses a pause deadline that is ${what}, naming the field`, async () => {
      const a = await pause({ database: 'wallet_eu', moveId: 'm-1', deadlineInMs });
      assert.equal(a.status, 400, a.body);
      assert.match(a.body, /deadlineInMs/);
      assert.deepEqual(calls, []);
    });
  }

  for (const [path, body] of [
    ['/v1/pause', { database: 'wallet_eu', deadlineInMs: 1000 }],
    ['/v1/flip', { database: 'wallet_eu', moveId: 7, route: { host: 'h', port: 5432, dbname: 'd', side: 'target', revision: 2 } }],
    ['/v1/resume', { database: 'wallet_eu', moveId: 'm'.repeat(300) }],
  ] as const) {
    it(`refuses ${path} without a usable moveId`, async () => {
      const a = await post(port, path, JSON.stringify(body));
      assert.equal(a.status, 400, a.body);
      assert.match(a.body, /moveId/);
      assert.deepEqual(calls, []);
    });
  }

  it('takes a resume without a moveId (a release by hand names no move)', async () => {
    const a = await post(port, '/v1/resume', JSON.stringify({ database: 'wallet_eu' }));
    assert.equal(a.status, 200, a.body);
  });

  it('answers a body over the limit with 413 and closes the connection, then serves the next request', async () => {
    const huge = JSON.stringify({ database: 'wallet_eu', moveId: 'm-1', deadlineInMs: 1000, pad: 'x'.repeat(1024 * 1024) });
    const a = await post(port, '/v1/pause', huge).catch((err: Error) => ({ status: -1, body: err.message }));
    assert.ok(a.status === 413 || a.status === -1, `status ${a.status}: ${a.body}`);
    assert.deepEqual(calls, []);
    const next = await pause({ database: 'wallet_eu', moveId: 'm-1', deadlineInMs: 1000 });
    assert.equal(next.status, 200, next.body);
  });
});
