// The health endpoint: /healthz (the process works), /readyz (caches synced and, when leader,
// reconciling) and /metrics (the operator's own prom-client registry).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface HealthChecks {
  live(): boolean;
  ready(): boolean;
}

export interface HealthServerOptions {
  port: number;
  host?: string;
  registry: Registry;
  checks: HealthChecks;
}

export interface HealthServer {
  readonly port: number;
  close(): Promise<void>;
}

export async function startHealthServer(opts: HealthServerOptions): Promise<HealthServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const answer = (ok: boolean): void => {
      res.writeHead(ok ? 200 : 503, { 'Content-Type': 'text/plain; charset=utf-8' }).end(ok ? 'ok\n' : 'not ready\n');
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405).end();
      return;
    }
    switch (path) {
      case '/healthz':
      case '/livez':
        return answer(opts.checks.live());
      case '/readyz':
        return answer(opts.checks.ready());
      case '/metrics':
        opts.registry.metrics().then(
          (text) => res.writeHead(200, { 'Content-Type': opts.registry.contentType }).end(text),
          () => res.writeHead(500).end('metrics unavailable\n'),
        );
        return;
      default:
        res.writeHead(404).end('not found\n');
    }
  });
  // Probes hold no state worth keeping a socket for; idle keep-alive sockets would delay close().
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
