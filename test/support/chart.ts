// What the chart tests (test/integration/packaging, e2e/packaging) share: helm (built once into the
// cache) with its own empty home, rendering to parsed documents, kubectl of the stack.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ensureHelm } from '../../src/devstack/helm.js';
import { packageRoot } from '../../src/devstack/paths.js';

export const CHART = join(packageRoot(), 'charts', 'tenantshift');

export interface Doc {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

export interface Tool {
  (args: string[], input?: string): { status: number | null; stdout: string; stderr: string };
}

function tool(binary: string, env: NodeJS.ProcessEnv): Tool {
  return (args, input) => {
    const r = spawnSync(binary, args, { env, input, encoding: 'utf8', maxBuffer: 32 * 1024 * 1024 });
    if (r.error) throw new Error(`${binary} could not run: ${r.error.message}`);
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
}

/** helm with a private, empty configuration: no repositories or plugins of the machine leak in. */
export async function helmTool(kubeconfig: string): Promise<Tool> {
  const binary = await ensureHelm();
  const home = mkdtempSync(join(tmpdir(), 'tenantshift-helm-'));
  return tool(binary, {
    PATH: process.env.PATH ?? '',
    HOME: home,
    KUBECONFIG: kubeconfig,
    HELM_CACHE_HOME: join(home, 'cache'),
    HELM_CONFIG_HOME: join(home, 'config'),
    HELM_DATA_HOME: join(home, 'data'),
  });
}

/** Any other command, with this process's environment. */
export function runCommand(command: string, args: string[]): ReturnType<Tool> {
  return tool(command, process.env)(args);
}

/** kubectl of the stack; HOME is a scratch directory because kubectl caches discovery under ~/.kube. */
export function kubectlTool(env: Record<string, string>): Tool {
  return tool(env.TENANTSHIFT_KUBECTL as string, {
    PATH: process.env.PATH ?? '',
    HOME: scratchHome(),
    KUBECONFIG: env.KUBECONFIG as string,
  });
}

export function scratchHome(): string {
  return mkdtempSync(join(tmpdir(), 'tenantshift-home-'));
}

export function ok(r: ReturnType<Tool>, what: string): string {
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status}):\n${r.stderr}${r.stdout.slice(0, 4000)}`);
  return r.stdout;
}

/** `helm template` of the chart with --set pairs, parsed; empty documents dropped. */
export function render(helm: Tool, release: string, namespace: string, sets: string[] = []): Doc[] {
  const out = ok(
    helm(['template', release, CHART, '--namespace', namespace, ...sets.flatMap((s) => ['--set', s])]),
    `helm template ${sets.join(' ')}`,
  );
  return parseAllDocuments(out)
    .map((d) => d.toJS() as Doc | null)
    .filter((d): d is Doc => d !== null);
}

export function toYamlStream(docs: Doc[]): string {
  return docs.map((d) => JSON.stringify(d)).join('\n---\n');
}

/** Labels only Helm means: plain manifests applied with kubectl carry the rest. */
const HELM_ONLY_LABELS = new Set(['helm.sh/chart', 'app.kubernetes.io/managed-by']);

/**
 * config/rbac/ as the chart renders it for release "tenantshift" in tenantshift-system (the chart is
 * the source; these files serve those who apply plain manifests). File name -> content.
 */
export function plainRbac(helm: Tool): Record<string, string> {
  const files: Record<string, string[]> = {
    'operator.yaml': [
      'templates/serviceaccount.yaml',
      'templates/rbac-operator.yaml',
      'templates/rbac-leases.yaml',
      'templates/rbac-secrets.yaml',
    ],
    'route-agent.yaml': ['templates/rbac-route-agent.yaml', 'templates/route-agent-lease-policy.yaml'],
  };
  const header: Record<string, string> = {
    'operator.yaml':
      "# The operator's ServiceAccount and RBAC for namespace tenantshift-system, watching all namespaces,\n# writing LandingZone " +
      'connection Secrets in tenantshift-system only.',
    'route-agent.yaml':
      "# The route agent sidecar's ServiceAccount and RBAC, with PgBouncer and the heartbeat Leases in tenantshift-system, and the\n" +
      '# ValidatingAdmissionPolicy that keeps it to its own heartbeat Lease.',
  };
  return Object.fromEntries(
    Object.entries(files).map(([file, templates]) => {
      const out = ok(
        helm(['template', 'tenantshift', CHART, '--namespace', 'tenantshift-system', ...templates.flatMap((t) => ['--show-only', t])]),
        `helm template --show-only ${templates.join(' ')}`,
      );
      const kept = out
        .split('\n')
        .filter((line) => !HELM_ONLY_LABELS.has(line.trim().split(':')[0] as string))
        .filter((line) => !line.startsWith('# Source: '))
        .join('\n');
      return [
        file,
        `${header[file]}\n# Generated from charts/tenantshift (see test/integration/packaging/chart-render.test.ts); do not edit by ` +
          `hand.\n${kept.replace(/^---\n/, '').trimEnd()}\n`,
      ];
    }),
  );
}
