// Registers one controller per tenantshift kind with the manager, and how events of one kind map to
// keys of another.
import { CoreV1Api } from '@kubernetes/client-node';
import type { LandingZone, SchemaReplication, TenantCutover } from '../api/index.js';
import { createCutoverMetrics } from '../observability/cutover-metrics.js';
import { createReplicationMetrics } from '../observability/replication-metrics.js';
import { registerValidationMetrics } from '../observability/validation-metrics.js';
import type { Manager } from '../runtime/manager.js';
import { RouteAgentClient } from '../routing/client.js';
import { LANDING_ZONES, SCHEMA_REPLICATIONS, TENANT_CUTOVERS } from './kinds.js';
import { AwsClientFactory, awsClientOptionsFromEnv, createAwsMetrics } from '../aws/index.js';
import { SecretsManagerPasswords } from '../aws/secretsmanager.js';
import { RdsTrustStore } from '../aws/truststore.js';
import { LandingZoneReconciler } from './landingzone.js';
import { SchemaReplicationReconciler } from './schemareplication.js';
import { TenantCutoverReconciler } from './tenantcutover.js';
import { ValidationRunner } from './validation.js';

export interface ControllerSettings {
  /** Shared with the route agents (from a Secret): authenticates pause/flip/resume requests. */
  routeAgentToken: string;
  /** Where the route agents' heartbeat Leases live (default: the operator's lease namespace). */
  routeAgentNamespace?: string;
  /** Initial copies that may run at once against one source server; more wait (waves). */
  maxInitialCopiesPerSource?: number;
  /** pool -> the route agents it has (--route-agents): a move waits until that many are live. */
  routeAgents?: Record<string, number>;
}

export function registerControllers(manager: Manager, settings: ControllerSettings): void {
  const core = manager.kc.makeApiClient(CoreV1Api);
  const cutovers = manager.informer<TenantCutover>(TENANT_CUTOVERS);
  const replications = manager.informer<SchemaReplication>(SCHEMA_REPLICATIONS);
  const landingZones = manager.informer<LandingZone>(LANDING_ZONES);

  registerValidationMetrics(manager.metrics.registry, replications);
  const replicationController = manager.addController<SchemaReplication>({
    name: 'schemareplication',
    resource: SCHEMA_REPLICATIONS,
    reconciler: new SchemaReplicationReconciler({
      core,
      status: manager.status,
      finalizers: manager.finalizers,
      events: manager.events,
      metrics: createReplicationMetrics(manager.metrics.registry),
      cutovers,
      landingZones,
      validations: new ValidationRunner({ core, status: manager.status, events: manager.events, replications, log: manager.log }),
      replications,
      maxInitialCopiesPerSource: settings.maxInitialCopiesPerSource ?? 4,
    }),
  });
  // A cutover's move changes who owns the forward path: its SchemaReplication looks again at once.
  cutovers.addHandler((_key, cutover) => {
    if (cutover?.metadata?.namespace) replicationController.queue.add(`${cutover.metadata.namespace}/${cutover.spec.replicationRef.name}`);
  });
  manager.addController<TenantCutover>({
    name: 'tenantcutover',
    resource: TENANT_CUTOVERS,
    reconciler: new TenantCutoverReconciler({
      core,
      status: manager.status,
      finalizers: manager.finalizers,
      events: manager.events,
      routing: new RouteAgentClient({
        kc: manager.kc,
        namespace: settings.routeAgentNamespace ?? manager.config.lease.namespace,
        token: settings.routeAgentToken,
        expected: settings.routeAgents ?? {},
      }),
      replications,
      cutovers,
      metrics: createCutoverMetrics(manager.metrics.registry, cutovers),
    }),
  });
  manager.addController<LandingZone>({
    name: 'landingzone',
    resource: LANDING_ZONES,
    reconciler: new LandingZoneReconciler({
      core,
      status: manager.status,
      finalizers: manager.finalizers,
      events: manager.events,
      aws: new AwsClientFactory({ ...awsClientOptionsFromEnv(process.env), metrics: createAwsMetrics(manager.metrics.registry) }),
      trustStore: new RdsTrustStore(),
      managedPasswords: new SecretsManagerPasswords(awsClientOptionsFromEnv(process.env)),
    }),
  });
}
