// A TCP proxy in front of the kube-apiserver that a test can cut: a network partition as a client
// sees it, where requests hang (no reset, no answer) on old and new connections alike.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';

export class CutProxy {
  private cutOff = false;
  private readonly pairs = new Set<[Socket, Socket | undefined]>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(upstream: { host: string; port: number }): Promise<CutProxy> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const proxy = new CutProxy(server, typeof address === 'object' && address ? address.port : 0);
    server.on('connection', (client) => proxy.accept(client, upstream));
    return proxy;
  }

  /** A copy of `kc` whose current cluster is reached through the proxy. */
  kubeConfig(kc: KubeConfig): KubeConfig {
    const copy = new KubeConfig();
    copy.loadFromString(kc.exportConfig());
    const current = copy.getCurrentCluster();
    if (!current) throw new Error('the kubeconfig names no current cluster');
    const server = new URL(current.server);
    server.hostname = '127.0.0.1';
    server.port = String(this.port);
    copy.clusters = copy.clusters.map((c) => (c.name === current.name ? { ...c, server: server.toString().replace(/\/$/, '') } : c));
    return copy;
  }

  /** From now on nothing passes either way; connections stay open and silent. */
  cut(): void {
    this.cutOff = true;
    for (const [client, up] of this.pairs) {
      client.unpipe();
      up?.unpipe();
      client.pause();
      up?.pause();
    }
  }

  /** Stalled connections are closed; new ones pass again. */
  restore(): void {
    this.cutOff = false;
    for (const [client, up] of this.pairs) {
      client.destroy();
      up?.destroy();
    }
    this.pairs.clear();
  }

  async stop(): Promise<void> {
    this.restore();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket, upstream: { host: string; port: number }): void {
    client.on('error', () => undefined);
    if (this.cutOff) {
      this.pairs.add([client, undefined]);
      return;
    }
    const up = connect(upstream.port, upstream.host);
    up.on('error', () => client.destroy());
    const pair: [Socket, Socket] = [client, up];
    this.pairs.add(pair);
    const forget = (): void => void this.pairs.delete(pair);
    client.on('close', forget);
    client.pipe(up);
    up.pipe(client);
  }
}
