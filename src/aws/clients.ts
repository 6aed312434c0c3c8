// EC2 and RDS clients per region: endpoint from AWS_ENDPOINT_URL (moto, LocalStack) or the SDK's own
// resolution, credentials from the SDK's default chain (IRSA, pod identity); one observer sees every call.
import { EC2Client } from '@aws-sdk/client-ec2';
import { RDSClient } from '@aws-sdk/client-rds';
import type { AwsMetrics } from './metrics.js';
import { classifyAwsError } from './errors.js';

export interface AwsClients {
  ec2: EC2Client;
  rds: RDSClient;
}

/** Where a reconciler gets clients; tests hand in mocked or counting ones. */
export interface AwsClientSource {
  forRegion(region: string): AwsClients;
}

/** One AWS request as the observer sees it, after it finished. */
export interface AwsCallRecord {
  service: 'ec2' | 'rds';
  operation: string;
  region: string;
  /** '' on success, else the error's AWS name. */
  error: string;
}

export interface AwsClientFactoryOptions {
  /** Overrides endpoint resolution for every service, e.g. moto's http://127.0.0.1:5000. */
  endpoint?: string;
  /**
   * Static credentials for tests against moto only; production leaves this unset so the SDK's default
   * chain (environment, web identity/IRSA, pod identity, instance profile) is used.
   */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** SDK attempts per call (SDK retries, bounded); the work queue backs off beyond that. */
  maxAttempts?: number;
  metrics?: AwsMetrics;
  /** Called after every request, e.g. to count calls per reconcile in tests. */
  onCall?: (call: AwsCallRecord) => void;
}

/** Options from the process environment; AWS keys are never read here, the SDK chain does that. */
export function awsClientOptionsFromEnv(env: NodeJS.ProcessEnv): AwsClientFactoryOptions {
  const endpoint = env.AWS_ENDPOINT_URL?.trim();
  return endpoint ? { endpoint } : {};
}

interface MiddlewareContext {
  commandName?: string;
}

export class AwsClientFactory implements AwsClientSource {
  // Clients keep connection pools: one pair per region for the life of the factory.
  private readonly byRegion = new Map<string, AwsClients>();

  constructor(private readonly opts: AwsClientFactoryOptions = {}) {}

  forRegion(region: string): AwsClients {
    let clients = this.byRegion.get(region);
    if (!clients) {
      const config = {
        region,
        maxAttempts: this.opts.maxAttempts ?? 3,
        ...(this.opts.endpoint ? { endpoint: this.opts.endpoint } : {}),
        ...(this.opts.credentials ? { credentials: this.opts.credentials } : {}),
      };
      const ec2 = new EC2Client(config);
      const rds = new RDSClient(config);
      this.observe(ec2, 'ec2', region);
      this.observe(rds, 'rds', region);
      clients = { ec2, rds };
      this.byRegion.set(region, clients);
    }
    return clients;
  }

  /** Closes every client's connections. */
  destroy(): void {
    for (const { ec2, rds } of this.byRegion.values()) {
      ec2.destroy();
      rds.destroy();
    }
    this.byRegion.clear();
  }

  private observe(client: EC2Client | RDSClient, service: 'ec2' | 'rds', region: string): void {
    const { metrics, onCall } = this.opts;
    if (!metrics && !onCall) return;
    // The initialize step runs once per send(), outside the SDK's retries: one record per logical call.
    (client.middlewareStack as { add: (mw: unknown, opts: { step: 'initialize'; name: string }) => void }).add(
      (next: (args: unknown) => Promise<unknown>, context: MiddlewareContext) => async (args: unknown) => {
        const operation = (context.commandName ?? 'Unknown').replace(/Command$/, '');
        let error = '';
        try {
          return await next(args);
        } catch (e) {
          const classified = classifyAwsError(e, operation);
          error = classified.reason ?? 'Error';
          metrics?.errors.inc({ service, operation, code: classified.code });
          throw e;
        } finally {
          metrics?.requests.inc({ service, operation });
          onCall?.({ service, operation, region, error });
        }
      },
      { step: 'initialize', name: 'tenantshiftCallObserver' },
    );
  }
}
