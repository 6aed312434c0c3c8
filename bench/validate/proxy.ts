// A counting TCP relay in front of a server: measures the bytes each method pulls from the servers
// and can hold the server-to-client direction to a bandwidth, to show what a WAN link does.
import net from 'node:net';

export interface Relay {
  port: number;
  /** Bytes sent from the server to clients since the last reset. */
  bytesToClient(): number;
  reset(): void;
  close(): Promise<void>;
}

export async function startRelay(host: string, port: number, megabitsPerSecond?: number): Promise<Relay> {
  let bytes = 0;
  const sockets = new Set<net.Socket>();
  const bytesPerMs = megabitsPerSecond ? (megabitsPerSecond * 1e6) / 8 / 1000 : undefined;
  const server = net.createServer((client) => {
    const upstream = net.connect(port, host);
    sockets.add(client).add(upstream);
    let freeAt = 0;
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (!bytesPerMs) {
        client.write(chunk);
        return;
      }
      // Serialize chunks onto the simulated link: each leaves once the link has carried the ones before.
      freeAt = Math.max(freeAt, Date.now()) + chunk.length / bytesPerMs;
      upstream.pause();
      setTimeout(
        () => {
          client.write(chunk);
          upstream.resume();
        },
        Math.max(0, freeAt - Date.now()),
      );
    });
    const close = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    for (const s of [client, upstream]) {
      s.on('error', close);
      s.on('close', close);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    bytesToClient: () => bytes,
    reset: () => {
      bytes = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
