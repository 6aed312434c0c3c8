// Raw JSON GETs against the API server with the kubeconfig's credentials: the informer lists through
// this so that listed objects have exactly the shape watch events have (no typed re-serialization).
import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { ApiException, type KubeConfig } from '@kubernetes/client-node';
import { OperatorError } from '../errors.js';

export type Query = Record<string, string | number | boolean | undefined>;

export interface GetOptions {
  timeoutMs?: number;
  /** Aborting destroys the request: a stopping informer must not wait for a hung API server. */
  signal?: AbortSignal;
}

export async function getJson<T>(kc: KubeConfig, path: string, query: Query = {}, opts: GetOptions = {}): Promise<T> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new OperatorError('terminal', 'The kubeconfig has no current cluster');
  const url = new URL(cluster.server.replace(/\/+$/, '') + path);
  for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
  const https: RequestOptions & Record<string, unknown> = {};
  await kc.applyToHTTPSOptions(https);
  const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
  return new Promise<T>((resolve, reject) => {
    const req = send(url, { ...https, method: 'GET', headers: { ...(https.headers ?? {}), Accept: 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const status = res.statusCode ?? 0;
        if (status < 200 || status >= 300) {
          // The same exception type the generated clients throw, so fromUnknown() classifies both alike.
          reject(new ApiException<string>(status, `GET ${url.pathname} failed`, body, {}));
          return;
        }
        try {
          resolve(JSON.parse(body) as T);
        } catch {
          reject(new OperatorError('transient', `GET ${url.pathname} returned invalid JSON`));
        }
      });
    });
    req.setTimeout(opts.timeoutMs ?? 60_000, () => req.destroy(Object.assign(new Error('Request timed out'), { name: 'TimeoutError' })));
    const onAbort = (): void => {
      req.destroy(Object.assign(new Error('Request aborted'), { name: 'AbortError' }));
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    req.on('close', () => opts.signal?.removeEventListener('abort', onAbort));
    req.on('error', reject);
    req.end();
  });
}
