// The operator's side of the route agents' API: a pause an agent cannot confirm within the move's
// budget fails the move at that budget (found by the torture test: PgBouncer's PAUSE waits for a
// long transaction, and the request waited 65 s for it while the freeze budget was 3 s).
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { RouteAgentClient } from '../../../src/routing/client.js';

describe('RouteAgentClient', function () {
  this.timeout(10_000);
  let server: Server;
  let endpoint: string;
  const held: Array<() => void> = [];

  before(async () => {
    // An agent whose PgBouncer never finishes its PAUSE: the request is taken and never answered.
    server = createServer((_req, res) => held.push(() => res.end('{}')));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    for (const release of held) release();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const client = (): RouteAgentClient => {
    const kc = new KubeConfig();
    kc.loadFromClusterAndUser({ name: 'none', server: 'https://127.0.0.1:1', skipTLSVerify: true }, { name: 'none' });
    return new RouteAgentClient({ kc, namespace: 'agents', token: 'x' });
  };

  it('gives up on a pause the agent does not confirm within the move’s deadline, naming the agent and the deadline', async () => {
    await assert.rejects(
      client().pause([{ identity: 'local-0', endpoint }], 'tenant', 'move-1', 300),
      /local-0: .*not confirmed within the 300 ms deadline/,
    );
  });
});
