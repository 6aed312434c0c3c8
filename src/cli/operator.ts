// `tenantshift operator`: reads the configuration, builds logger, metrics and manager, registers the
// controllers, runs until SIGTERM/SIGINT, then shuts down gracefully and exits 0.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { registerControllers } from '../controllers/index.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { createMetrics } from '../observability/metrics.js';
import { ConfigError, loadOperatorConfig, operatorUsage, type OperatorConfig } from '../runtime/config.js';
import { errorFields, fromUnknown } from '../errors.js';
import { Manager } from '../runtime/manager.js';
import { shutdownSignal } from '../runtime/shutdown.js';
import { registerSecret } from '../redact.js';

export async function runOperator(argv: string[]): Promise<number> {
  let config: OperatorConfig;
  try {
    config = loadOperatorConfig(argv, process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`tenantshift operator: ${err.message}\n`);
    return 2;
  }
  if (config.help) {
    process.stdout.write(operatorUsage());
    return 0;
  }
  const log = createLogger({ level: config.logLevel, fields: { identity: config.identity } });
  const kc = new KubeConfig();
  try {
    if (config.kubeconfig) kc.loadFromFile(config.kubeconfig);
    else kc.loadFromDefault();
  } catch (err) {
    log.error('Could not load the kubeconfig', { file: config.kubeconfig ?? process.env.KUBECONFIG, error: (err as Error).message });
    return 1;
  }
  const stop = shutdownSignal(log);
  try {
    return await runUntilSignal(kc, config, log, stop);
  } finally {
    // Keep-alive sockets of API clients must not hold the process open once we are done.
    setTimeout(() => process.exit(process.exitCode ?? 0), 2_000).unref();
  }
}

async function runUntilSignal(kc: KubeConfig, config: OperatorConfig, log: Logger, stop: Promise<NodeJS.Signals>): Promise<number> {
  if (!(await leaseNamespaceExists(kc, config.lease.namespace, log))) return 1;

  const registry = new Registry();
  const metrics = createMetrics(registry, { version: packageVersion(), processMetrics: true });
  const manager = new Manager({ kc, config, log, metrics });
  // The route agents' shared token comes from a Secret through the environment, like every credential
  // (OPERATOR_ENVIRONMENT in runtime/config.ts lists these variables for --help).
  registerSecret(process.env.TENANTSHIFT_ROUTE_AGENT_TOKEN);
  registerControllers(manager, {
    routeAgentToken: process.env.TENANTSHIFT_ROUTE_AGENT_TOKEN ?? '',
    ...(process.env.TENANTSHIFT_ROUTE_AGENT_NAMESPACE ? { routeAgentNamespace: process.env.TENANTSHIFT_ROUTE_AGENT_NAMESPACE } : {}),
    maxInitialCopiesPerSource: config.maxInitialCopiesPerSource,
    routeAgents: config.routeAgents,
  });
  try {
    await manager.start();
  } catch (err) {
    log.error('Operator could not start', errorFields(err));
    await manager.shutdown(0);
    return 1;
  }
  const signal = await stop;
  log.info('Shutting down', { signal, graceMs: config.shutdownGraceMs });
  await manager.shutdown();
  return 0;
}

/** The stack (or the chart) creates the lease namespace; without it leader election cannot work. */
async function leaseNamespaceExists(kc: KubeConfig, namespace: string, log: Logger): Promise<boolean> {
  try {
    await kc.makeApiClient(CoreV1Api).readNamespace({ name: namespace });
    return true;
  } catch (err) {
    const e = fromUnknown(err);
    if (e.code === 'not-found') {
      log.error(
        `Lease namespace "${namespace}" does not exist: create it, ` +
          'or set TENANTSHIFT_OPERATOR_NAMESPACE (--lease-namespace) to one that does',
        {
          namespace,
        },
      );
      return false;
    }
    // No RBAC to read namespaces, or the API is not up yet: leader election reports what follows.
    log.warn('Could not check the lease namespace', { namespace, ...e.toLogFields() });
    return true;
  }
}

/** The version in package.json (two levels above dist/src/cli), for tenantshift_build_info. */
function packageVersion(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const up of ['../../..', '../..']) {
    try {
      const pkg = JSON.parse(readFileSync(join(here, up, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'tenantshift' && pkg.version) return pkg.version;
    } catch {
      // try the next candidate
    }
  }
  return 'unknown';
}
