// Prometheus counters of AWS API calls, registered on a Registry the caller passes in (no global
// registry). Labels are bounded: service, the SDK operation name, and the error code class.
import { Counter, type Registry } from 'prom-client';

export interface AwsMetrics {
  requests: Counter<'service' | 'operation'>;
  errors: Counter<'service' | 'operation' | 'code'>;
}

export function createAwsMetrics(registry: Registry): AwsMetrics {
  const registers = [registry];
  return {
    requests: new Counter({
      name: 'tenantshift_aws_requests_total',
      help: 'AWS API calls made by the operator, by service (ec2, rds) and operation.',
      labelNames: ['service', 'operation'],
      registers,
    }),
    errors: new Counter({
      name: 'tenantshift_aws_request_errors_total',
      help: 'AWS API calls that failed, by service, operation and error class (throttled, transient, not-found, conflict, terminal).',
      labelNames: ['service', 'operation', 'code'],
      registers,
    }),
  };
}
