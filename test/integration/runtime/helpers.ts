// Shared by the runtime integration tests: polling, API readiness after a restart, operator processes.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { packageRoot } from '../../../src/devstack/paths.js';
import { freePort } from '../../../src/devstack/process.js';

export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = (err as Error).message.split('\n')[0] ?? '';
    }
    if (Date.now() > deadline)
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${last})` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** After restartDaemon: the API answers again. */
export async function waitForApi(kc: KubeConfig, timeoutMs = 60_000): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  await until('the kube-apiserver to answer', async () => (await core.listNamespace({ limit: 1 })) !== undefined, timeoutMs);
}

export interface OperatorProcess {
  identity: string;
  port: number;
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

export async function startOperator(opts: {
  env: Record<string, string>;
  identity: string;
  namespace: string;
  args?: string[];
  /** Extra environment, e.g. TENANTSHIFT_FAILPOINT for crash tests. */
  extraEnv?: Record<string, string>;
}): Promise<OperatorProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(packageRoot(), 'dist', 'src', 'cli', 'main.js'), 'operator', ...(opts.args ?? [])], {
    cwd: packageRoot(),
    env: {
      PATH: process.env.PATH ?? '',
      KUBECONFIG: opts.env.KUBECONFIG as string,
      TENANTSHIFT_OPERATOR_NAMESPACE: opts.namespace,
      TENANTSHIFT_WATCH_NAMESPACES: opts.namespace,
      TENANTSHIFT_IDENTITY: opts.identity,
      TENANTSHIFT_HEALTH_PORT: String(port),
      TENANTSHIFT_HEALTH_HOST: '127.0.0.1',
      TENANTSHIFT_LOG_LEVEL: 'debug',
      TENANTSHIFT_ROUTE_AGENT_TOKEN: opts.env.TENANTSHIFT_ROUTE_AGENT_TOKEN ?? '',
      TENANTSHIFT_ROUTE_AGENT_NAMESPACE: opts.env.TENANTSHIFT_OPERATOR_NAMESPACE ?? '',
      // The stack's pool declares its PgBouncer replicas, as a production install does (routeAgent.pools).
      ...(opts.env.TENANTSHIFT_ROUTE_AGENTS ? { TENANTSHIFT_ROUTE_AGENTS: opts.env.TENANTSHIFT_ROUTE_AGENTS } : {}),
      ...(opts.extraEnv ?? {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { identity: opts.identity, port, child, output: () => out, exited };
}

export async function httpStatus(port: number, path: string): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  await res.text();
  return res.status;
}

/** The value of an unlabelled metric, from /metrics. */
export async function metric(port: number, name: string): Promise<number | undefined> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
}

export async function stopProcess(p: OperatorProcess | undefined, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill(signal);
  await p.exited;
}
