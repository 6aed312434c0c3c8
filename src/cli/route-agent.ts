// `tenantshift route-agent`: runs beside one PgBouncer and serves its pool's TenantCutover routes.
// Credentials (the PgBouncer admin URL, the shared token) come from the environment, i.e. Secrets.
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { createLogger } from '../observability/logger.js';
import { RouteAgent } from '../routing/agent.js';

const USAGE = `Usage: tenantshift route-agent --pool NAME --routes-file FILE [options]

  --pool NAME             the PgBouncer pool this agent serves (TENANTSHIFT_POOL)
  --routes-file FILE      the [databases] file PgBouncer %includes; the agent owns it (TENANTSHIFT_ROUTES_FILE)
  --listen HOST:PORT      where the operator reaches the agent (default 0.0.0.0:8090; TENANTSHIFT_AGENT_LISTEN)
  --advertise-url URL     URL announced in the heartbeat Lease (default http://HOST:PORT; TENANTSHIFT_AGENT_ADVERTISE_URL)
  --identity NAME         replica identity (default: hostname; TENANTSHIFT_IDENTITY)
  --lease-namespace NS    namespace of the heartbeat Leases (TENANTSHIFT_OPERATOR_NAMESPACE)
  --kubeconfig FILE       (default: $KUBECONFIG or in-cluster)
Environment only (from Secrets): TENANTSHIFT_PGBOUNCER_ADMIN_URL, TENANTSHIFT_ROUTE_AGENT_TOKEN.
`;

export async function runRouteAgent(argv: string[]): Promise<number> {
  const env = process.env;
  const { values } = parseArgs({
    args: argv,
    options: {
      pool: { type: 'string', default: env.TENANTSHIFT_POOL },
      'routes-file': { type: 'string', default: env.TENANTSHIFT_ROUTES_FILE },
      listen: { type: 'string', default: env.TENANTSHIFT_AGENT_LISTEN ?? '0.0.0.0:8090' },
      'advertise-url': { type: 'string', default: env.TENANTSHIFT_AGENT_ADVERTISE_URL },
      identity: { type: 'string', default: env.TENANTSHIFT_IDENTITY ?? hostname() },
      'lease-namespace': { type: 'string', default: env.TENANTSHIFT_OPERATOR_NAMESPACE },
      kubeconfig: { type: 'string', default: env.KUBECONFIG },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
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
    process.stderr.write(`tenantshift route-agent: missing ${missing.join(', ')}\n\n${USAGE}`);
    return 2;
  }
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
