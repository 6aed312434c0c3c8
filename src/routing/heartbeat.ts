// The route agent's heartbeat: one Lease per agent replica, labelled with its pool and annotated with
// its endpoint, renewed while it runs and deleted on a clean stop, so the operator knows every live replica.
import { CoordinationV1Api, V1MicroTime, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import { createHash } from 'node:crypto';
import { errorFields } from '../errors.js';
import { AGENT_LABEL, AGENT_LEASE_SECONDS, ENDPOINT_ANNOTATION, POOL_LABEL } from './protocol.js';

/** The log lines routing writes, as a port (the process passes its logger in). */
export interface RoutingLog {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface HeartbeatOptions {
  kc: KubeConfig;
  log: RoutingLog;
  namespace: string;
  pool: string;
  identity: string;
  endpoint: string;
}

export function agentLeaseName(pool: string, identity: string): string {
  const slug = `${pool}-${identity}`
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .slice(0, 40)
    .replace(/^-+|-+$/g, '');
  return `route-agent-${slug}-${createHash('sha256').update(`${pool}/${identity}`).digest('hex').slice(0, 6)}`;
}

export class AgentHeartbeat {
  private readonly api: CoordinationV1Api;
  private timer: NodeJS.Timeout | undefined;
  private readonly name: string;

  constructor(private readonly opts: HeartbeatOptions) {
    this.api = opts.kc.makeApiClient(CoordinationV1Api);
    this.name = agentLeaseName(opts.pool, opts.identity);
  }

  async start(): Promise<void> {
    await this.beat().catch((err: unknown) => this.opts.log.warn('First heartbeat failed; retrying', errorFields(err)));
    this.timer = setInterval(
      () => {
        void this.beat().catch((err: unknown) => this.opts.log.warn('Heartbeat renewal failed', errorFields(err)));
      },
      (AGENT_LEASE_SECONDS * 1000) / 3,
    );
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.api.deleteNamespacedLease({ namespace: this.opts.namespace, name: this.name }).catch(() => undefined);
  }

  private lease(resourceVersion?: string): V1Lease {
    return {
      metadata: {
        name: this.name,
        namespace: this.opts.namespace,
        labels: { [AGENT_LABEL]: 'true', [POOL_LABEL]: this.opts.pool },
        annotations: { [ENDPOINT_ANNOTATION]: this.opts.endpoint },
        ...(resourceVersion ? { resourceVersion } : {}),
      },
      spec: { holderIdentity: this.opts.identity, leaseDurationSeconds: AGENT_LEASE_SECONDS, renewTime: new V1MicroTime() },
    };
  }

  private async beat(): Promise<void> {
    try {
      const current = await this.api.readNamespacedLease({ namespace: this.opts.namespace, name: this.name });
      await this.api.replaceNamespacedLease({
        namespace: this.opts.namespace,
        name: this.name,
        body: this.lease(current.metadata?.resourceVersion),
      });
    } catch (err) {
      if ((err as { code?: number }).code !== 404) throw err;
      await this.api.createNamespacedLease({ namespace: this.opts.namespace, body: this.lease() });
    }
  }
}
