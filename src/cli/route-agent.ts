// `tenantshift route-agent`: runs beside one PgBouncer and serves its pool's TenantCutover routes.
// Credentials (the PgBouncer admin URL, the shared token) come from the environment, i.e. Secrets.
import { hostname } from 'node:os';
import { KubeConfig } from '@kubernetes/client-node';
import { createLogger } from '../observability/logger.js';
import { helpText, parseCommandLine, PROCESS_OUTPUT, underTenantshift } from '../runtime/commandLine.js';
import { RouteAgent } from '../routing/agent.js';
import { routeAgentCommand } from './commands.js';
import { registerSecret, urlPassword } from '../redact.js';

interface RouteAgentOptions {
  pool?: string;
  routesFile?: string;
  listen: string;
  advertiseUrl?: string;
  identity?: string;
  leaseNamespace?: string;
  kubeconfig?: string;
}

export async function runRouteAgent(argv: string[]): Promise<number> {
  const env = process.env;
  const cmd = underTenantshift(routeAgentCommand());
  const code = parseCommandLine(cmd, argv, PROCESS_OUTPUT);
  if (code !== undefined) return code;
  const o = cmd.opts<RouteAgentOptions>();
  const values = {
    pool: o.pool,
    'routes-file': o.routesFile,
    listen: o.listen,
    'advertise-url': o.advertiseUrl,
    identity: o.identity ?? hostname(),
    'lease-namespace': o.leaseNamespace,
    kubeconfig: o.kubeconfig,
  };
  const missing = [
    ['--pool', values.pool],
    ['--routes-file', values['routes-file']],
    ['--lease-namespace', values['lease-namespace']],
    ['TENANTSHIFT_PGBOUNCER_ADMIN_URL', env.TENANTSHIFT_PGBOUNCER_ADMIN_URL],
    ['TENANTSHIFT_ROUTE_AGENT_TOKEN', env.TENANTSHIFT_ROUTE_AGENT_TOKEN],
  ]
    .filter(([, v]) => !v)
    .map(([k]) => k);
  if (missing.length > 0) {
    process.stderr.write(`tenantshift route-agent: missing ${missing.join(', ')}\n\n${helpText(underTenantshift(routeAgentCommand()))}`);
    return 2;
  }
  registerSecret(env.TENANTSHIFT_ROUTE_AGENT_TOKEN);
  registerSecret(urlPassword(env.TENANTSHIFT_PGBOUNCER_ADMIN_URL));
  const [host, portText] = (values.listen as string).split(/:(?=\d+$)/);
  const log = createLogger({ fields: { component: 'route-agent', pool: values.pool } });
  const kc = new KubeConfig();
  if (values.kubeconfig) kc.loadFromFile(values.kubeconfig);
  else kc.loadFromDefault();
  const agent = new RouteAgent({
    kc,
    log,
    pool: values.pool as string,
    identity: values.identity as string,
    adminUrl: env.TENANTSHIFT_PGBOUNCER_ADMIN_URL as string,
    routesFile: values['routes-file'] as string,
    token: env.TENANTSHIFT_ROUTE_AGENT_TOKEN as string,
    listenHost: host ?? '0.0.0.0',
    listenPort: Number(portText ?? 8090),
    ...(values['advertise-url'] ? { advertiseUrl: values['advertise-url'] } : {}),
    leaseNamespace: values['lease-namespace'] as string,
  });
  await agent.start();
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  log.info('Route agent stopping', { signal });
  await agent.stop();
  setTimeout(() => process.exit(0), 1000).unref();
  return 0;
}
