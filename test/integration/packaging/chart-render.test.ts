// The Helm chart as rendered: lint-clean, CRDs identical to crds/, an operator Deployment whose
// settings the operator accepts, monitoring objects that fit together, and every manifest accepted by
// the real kube-apiserver (server-side dry run), including the PgBouncer route agent example.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { parse, parseAllDocuments } from 'yaml';
import { operatorUsage, loadOperatorConfig } from '../../../src/runtime/config.js';
import { packageRoot } from '../../../src/devstack/paths.js';
import { ensureSystemPackages, PROMTOOL } from '../../../src/devstack/system.js';
import { testCluster, type TestCluster } from '../../support/cluster.js';
import { CHART, helmTool, kubectlTool, ok, plainRbac, render, runCommand, toYamlStream, type Doc, type Tool } from '../../support/chart.js';

const MONITORING = 'monitoring.coreos.com/v1';

interface Container {
  name: string;
  args?: string[];
  env?: Array<{
    name: string;
    value?: string;
    valueFrom?: { fieldRef?: { fieldPath: string }; secretKeyRef?: { name: string; key: string } };
  }>;
  securityContext?: Record<string, unknown>;
  livenessProbe?: { httpGet: { path: string } };
  readinessProbe?: { httpGet: { path: string } };
}

const kindOf = (docs: Doc[], kind: string): Doc[] => docs.filter((d) => d.kind === kind);
const podSpec = (d: Doc): { containers: Container[]; serviceAccountName: string; securityContext: Record<string, unknown> } =>
  (d.spec as { template: { spec: { containers: Container[]; serviceAccountName: string; securityContext: Record<string, unknown> } } })
    .template.spec;

describe('packaging: Helm chart rendering', function () {
  let helm: Tool;
  let kubectl: Tool;
  let cluster: TestCluster;

  before(async function () {
    this.timeout(30 * 60_000); // the first run builds helm from its Go module
    cluster = await testCluster();
    helm = await helmTool(cluster.env.KUBECONFIG as string);
    kubectl = kubectlTool(cluster.env);
  });

  it('passes `helm lint --strict` with the defaults and with every option on', () => {
    ok(helm(['lint', '--strict', CHART]), 'helm lint (defaults)');
    const all = [
      'operator.watchNamespaces={a,b}',
      'rbac.landingZoneNamespaces={platform}',
      'routeAgent.namespace=pgbouncer',
      'routeAgent.pools.main=3',
      'routeAgent.token.existingSecret=agent-token',
      'metrics.serviceMonitor.enabled=true',
      'metrics.prometheusRule.enabled=true',
      'crds.install=false',
      'image.digest=sha256:0123',
      'networkPolicy.enabled=true',
      'routeAgent.leasePolicy.requirePodBoundToken=false',
    ];
    ok(helm(['lint', '--strict', CHART, ...all.flatMap((s) => ['--set', s])]), 'helm lint (every option)');
  });

  it("keeps its CRD copies identical to crds/ (the generator's output)", () => {
    const generated = readdirSync(join(packageRoot(), 'crds')).sort();
    const copies = readdirSync(join(CHART, 'files', 'crds')).sort();
    assert.deepEqual(
      copies,
      generated,
      'charts/tenantshift/files/crds/ lists other files than crds/: cp crds/*.yaml charts/tenantshift/files/crds/',
    );
    for (const f of generated) {
      assert.equal(
        readFileSync(join(CHART, 'files', 'crds', f), 'utf8'),
        readFileSync(join(packageRoot(), 'crds', f), 'utf8'),
        `charts/tenantshift/files/crds/${f} is stale: cp crds/*.yaml charts/tenantshift/files/crds/`,
      );
    }
  });

  it('renders the CRDs as templates, with keep, or not at all with crds.install=false', () => {
    const crds = kindOf(render(helm, 'ts', 'tenantshift-system'), 'CustomResourceDefinition');
    const generated = readdirSync(join(packageRoot(), 'crds')).map(
      (f) => parse(readFileSync(join(packageRoot(), 'crds', f), 'utf8')) as Doc,
    );
    assert.equal(crds.length, generated.length);
    for (const want of generated) {
      const got = crds.find((c) => c.metadata.name === want.metadata.name) as Doc;
      assert.ok(got, want.metadata.name);
      assert.equal(got.metadata.annotations?.['helm.sh/resource-policy'], 'keep');
      assert.equal(got.metadata.labels?.['app.kubernetes.io/instance'], 'ts');
      const strip = (d: Doc): Doc => ({ ...d, metadata: { name: d.metadata.name } });
      assert.ok(
        isDeepStrictEqual(strip(got), strip(want)),
        `the rendered ${want.metadata.name} differs from crds/ beyond labels and annotations`,
      );
    }
    assert.equal(kindOf(render(helm, 'ts', 'tenantshift-system', ['crds.install=false']), 'CustomResourceDefinition').length, 0);
  });

  it('runs the operator with leader election on 2 replicas, probes, a locked-down container and settings the operator accepts', () => {
    const docs = render(helm, 'ts', 'tenantshift-system', [
      'operator.watchNamespaces={shop,games}',
      'routeAgent.pools.main=3',
      'routeAgent.pools.eu=2',
    ]);
    const [deployment] = kindOf(docs, 'Deployment');
    assert.ok(deployment);
    assert.equal((deployment.spec as { replicas: number }).replicas, 2);
    const pod = podSpec(deployment);
    const c = pod.containers[0] as Container;
    assert.deepEqual(c.args, ['operator']);
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.equal(c.securityContext?.readOnlyRootFilesystem, true);
    assert.equal(c.securityContext?.allowPrivilegeEscalation, false);
    assert.equal(c.livenessProbe?.httpGet.path, '/healthz');
    assert.equal(c.readinessProbe?.httpGet.path, '/readyz');
    const env = Object.fromEntries((c.env ?? []).map((e) => [e.name, e]));
    assert.equal(env.TENANTSHIFT_IDENTITY?.valueFrom?.fieldRef?.fieldPath, 'metadata.name', 'the pod name is the leader identity');
    assert.equal(env.TENANTSHIFT_OPERATOR_NAMESPACE?.valueFrom?.fieldRef?.fieldPath, 'metadata.namespace');
    assert.deepEqual(env.TENANTSHIFT_ROUTE_AGENT_TOKEN?.valueFrom?.secretKeyRef, { name: 'tenantshift-route-agent-token', key: 'token' });
    // Every variable is one the operator reads, and the operator accepts the rendered values.
    const known = operatorUsage() + readFileSync(join(packageRoot(), 'src', 'cli', 'operator.ts'), 'utf8');
    for (const name of Object.keys(env)) assert.ok(known.includes(name), `${name} is not a setting of the operator`);
    const literal = Object.fromEntries(Object.values(env).map((e) => [e.name, e.value ?? 'from-the-pod']));
    const config = loadOperatorConfig([], literal, '/nonexistent');
    assert.deepEqual(config.namespaces, ['shop', 'games']);
    assert.deepEqual(config.routeAgents, { eu: 2, main: 3 }, 'the replicas of each pool reach the operator');
    assert.equal(config.health.port, 8081);
    assert.equal(pod.serviceAccountName, 'ts-tenantshift');
    assert.equal(kindOf(docs, 'PodDisruptionBudget').length, 1);
  });

  it('matches config/rbac/, the plain RBAC manifests rendered from the chart', () => {
    const dir = join(packageRoot(), 'config', 'rbac');
    for (const [file, content] of Object.entries(plainRbac(helm))) {
      // TENANTSHIFT_UPDATE_PACKAGING=1 rewrites them after a change of the chart's RBAC.
      if (process.env.TENANTSHIFT_UPDATE_PACKAGING === '1') writeFileSync(join(dir, file), content);
      assert.equal(
        readFileSync(join(dir, file), 'utf8'),
        content,
        `config/rbac/${file} is stale: run this test with TENANTSHIFT_UPDATE_PACKAGING=1`,
      );
    }
  });

  it('uses an existing token Secret instead of generating one', () => {
    const docs = render(helm, 'ts', 'tenantshift-system', ['routeAgent.token.existingSecret=agent-token']);
    assert.equal(kindOf(docs, 'Secret').length, 0);
    const env = (podSpec(kindOf(docs, 'Deployment')[0] as Doc).containers[0] as Container).env ?? [];
    assert.equal(env.find((e) => e.name === 'TENANTSHIFT_ROUTE_AGENT_TOKEN')?.valueFrom?.secretKeyRef?.name, 'agent-token');
  });

  it('renders a ServiceMonitor that selects the metrics Service, and a PrometheusRule that promtool accepts', function () {
    this.timeout(600_000);
    ensureSystemPackages([PROMTOOL]);
    const docs = render(helm, 'ts', 'tenantshift-system', ['metrics.serviceMonitor.enabled=true', 'metrics.prometheusRule.enabled=true']);
    const [service] = kindOf(docs, 'Service');
    const [monitor] = kindOf(docs, 'ServiceMonitor');
    const [rule] = kindOf(docs, 'PrometheusRule');
    assert.ok(service && monitor && rule);
    assert.equal(monitor.apiVersion, MONITORING);
    const sel = (monitor.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels;
    for (const [k, v] of Object.entries(sel)) assert.equal(service.metadata.labels?.[k], v, `ServiceMonitor selects ${k}=${v}`);
    const ports = (service.spec as { ports: Array<{ name: string }> }).ports.map((p) => p.name);
    for (const e of (monitor.spec as { endpoints: Array<{ port: string }> }).endpoints) assert.ok(ports.includes(e.port), e.port);
    const file = join(mkdtempSync(join(tmpdir(), 'tenantshift-rule-')), 'rules.json');
    writeFileSync(file, JSON.stringify(rule.spec));
    const r = runCommand('promtool', ['check', 'rules', file]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });

  it('is accepted whole by the real kube-apiserver (server-side dry run), with every option on', async function () {
    this.timeout(120_000);
    const suffix = randomBytes(3).toString('hex');
    const [release, w1, lz, agent] = await Promise.all(
      ['chart-dry', 'chart-dry-w', 'chart-dry-lz', 'chart-dry-pgb'].map((p) => cluster.newNamespace(p)),
    );
    const docs = render(helm, `dry-${suffix}`, release as string, [
      `operator.watchNamespaces={${w1}}`,
      `rbac.landingZoneNamespaces={${lz}}`,
      `routeAgent.namespace=${agent}`,
      'metrics.serviceMonitor.enabled=true',
      'metrics.prometheusRule.enabled=true',
      'networkPolicy.enabled=true',
    ]);
    assert.equal(kindOf(docs, 'NetworkPolicy').length, 2);
    assert.equal(kindOf(docs, 'ValidatingAdmissionPolicy').length, 1);
    // The Prometheus Operator's kinds are not served here: the previous test checks them.
    const served = docs.filter((d) => d.apiVersion !== MONITORING);
    assert.ok(served.length >= 20, `${served.length} documents`);
    // --force-conflicts: the stack applied the CRDs under its own field manager; validity is the question here.
    const out = ok(
      kubectl(
        ['apply', '--server-side', '--force-conflicts', '--dry-run=server', '--field-manager=tenantshift-chart-test', '-f', '-'],
        toYamlStream(served),
      ),
      'kubectl apply --dry-run=server',
    );
    for (const d of served)
      assert.match(
        out,
        new RegExp(`${d.metadata.name}.*(created|configured|unchanged|serverside-applied)`),
        `${d.kind} ${d.metadata.name}`,
      );
  });

  it('ships a PgBouncer example whose route agent sidecar the API accepts and whose flags the agent knows', async () => {
    const ns = await cluster.newNamespace('chart-pgb-example');
    const example = join(CHART, 'examples', 'pgbouncer-route-agent.yaml');
    ok(kubectl(['apply', '--server-side', '--dry-run=server', '-n', ns, '-f', example]), 'kubectl apply the example');
    const usage = runCommand(process.execPath, [join(packageRoot(), 'dist', 'src', 'cli', 'main.js'), 'route-agent', '--help']).stdout;
    const deployment = parseAllDocuments(readFileSync(example, 'utf8'))
      .map((d) => d.toJS() as Doc)
      .find((d) => d.kind === 'Deployment') as Doc;
    const agent = podSpec(deployment).containers.find((c) => c.name === 'route-agent') as Container;
    assert.equal(agent.args?.[0], 'route-agent');
    for (const flag of (agent.args ?? []).slice(1)) assert.ok(usage.includes(flag.split('=')[0] as string), `route-agent has no ${flag}`);
    for (const e of agent.env ?? [])
      if (e.name.startsWith('TENANTSHIFT_')) assert.ok(usage.includes(e.name), `route-agent does not read ${e.name}`);
    const serviceAccount = podSpec(deployment).serviceAccountName;
    const values = parse(readFileSync(join(CHART, 'values.yaml'), 'utf8')) as {
      routeAgent: { serviceAccount: { name: string }; token: { secretName: string } };
    };
    assert.equal(serviceAccount, values.routeAgent.serviceAccount.name);
    assert.ok(JSON.stringify(agent.env).includes(values.routeAgent.token.secretName));
  });

  it("renders NetworkPolicies that select the operator's and the example's PgBouncer pods; only the operator calls agents", () => {
    assert.equal(kindOf(render(helm, 'ts', 'tenantshift-system'), 'NetworkPolicy').length, 0, 'off by default');
    const docs = render(helm, 'ts', 'tenantshift-system', ['networkPolicy.enabled=true', 'routeAgent.namespace=pgbouncer']);
    type Peer = { namespaceSelector?: { matchLabels: Record<string, string> }; podSelector?: { matchLabels: Record<string, string> } };
    type Rule = { ports: Array<{ port: number; protocol: string }>; from?: Peer[]; to?: Peer[] };
    type Policy = { podSelector: { matchLabels: Record<string, string> }; policyTypes: string[]; ingress: Rule[]; egress?: Rule[] };
    const policies = kindOf(docs, 'NetworkPolicy');
    const operator = policies.find((d) => d.metadata.name === 'ts-tenantshift-operator') as Doc;
    const agent = policies.find((d) => d.metadata.name === 'ts-tenantshift-route-agent') as Doc;
    assert.ok(operator && agent);
    const op = operator.spec as Policy;
    const pod = (kindOf(docs, 'Deployment')[0]?.spec as { template: { metadata: { labels: Record<string, string> } } }).template;
    for (const [k, v] of Object.entries(op.podSelector.matchLabels))
      assert.equal(pod.metadata.labels[k], v, `selects the operator by ${k}`);
    assert.deepEqual(op.policyTypes, ['Ingress', 'Egress']);
    assert.deepEqual(
      op.ingress.flatMap((r) => r.ports.map((p) => p.port)),
      [8081],
    );
    const egressPorts = (op.egress ?? []).flatMap((r) => r.ports.map((p) => `${p.protocol}/${p.port}`));
    for (const p of ['UDP/53', 'TCP/443', 'TCP/6443', 'TCP/5432', 'TCP/8090']) assert.ok(egressPorts.includes(p), `operator egress ${p}`);
    // The example's PgBouncer pods are the ones the agent policy selects, in the agents' namespace.
    assert.equal(agent.metadata.namespace, 'pgbouncer');
    const example = parseAllDocuments(readFileSync(join(CHART, 'examples', 'pgbouncer-route-agent.yaml'), 'utf8'))
      .map((d) => d.toJS() as Doc)
      .find((d) => d.kind === 'Deployment') as Doc;
    const exampleLabels = (example.spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels;
    const ag = agent.spec as Policy;
    for (const [k, v] of Object.entries(ag.podSelector.matchLabels)) assert.equal(exampleLabels[k], v, `selects PgBouncer by ${k}`);
    const agentRule = ag.ingress.find((r) => r.ports.some((p) => p.port === 8090)) as Rule;
    assert.deepEqual(agentRule.from?.[0]?.namespaceSelector?.matchLabels, { 'kubernetes.io/metadata.name': 'tenantshift-system' });
    assert.deepEqual(agentRule.from?.[0]?.podSelector?.matchLabels, op.podSelector.matchLabels, 'only the operator calls agents');
    assert.ok(
      ag.ingress.some((r) => r.ports.some((p) => p.port === 6432)),
      "PgBouncer's clients still reach it",
    );
  });
});
