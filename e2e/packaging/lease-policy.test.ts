// The chart's ValidatingAdmissionPolicy on Leases, enforced by the real kube-apiserver: the route
// agent's ServiceAccount writes only heartbeat Leases (never the operator's leader Lease), and with
// its pod-bound token each agent only the Lease it holds. RBAC alone cannot say this (it cannot limit
// `create` by name), so the proof is a refused request, not an access review.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { CoordinationV1Api, CoreV1Api, V1MicroTime, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import { testCluster, type TestCluster } from '../../test/support/cluster.js';
import { until } from '../../test/support/operator.js';
import { CHART, helmTool, ok, type Tool } from '../../test/support/chart.js';
import { AgentHeartbeat, agentLeaseName } from '../../src/routing/heartbeat.js';
import { AGENT_LABEL, ENDPOINT_ANNOTATION, POOL_LABEL } from '../../src/routing/protocol.js';
import { serviceAccountKubeconfig } from './access.js';

const AGENT_SA = 'tenantshift-route-agent';
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** The refusal's text, or undefined when the write went through. */
async function refusal(work: Promise<unknown>): Promise<string | undefined> {
  try {
    await work;
    return undefined;
  } catch (err) {
    const e = err as { code?: number; body?: unknown; message?: string };
    return `${e.code ?? ''} ${typeof e.body === 'string' ? e.body : JSON.stringify(e.body ?? e.message)}`;
  }
}

function heartbeatLease(namespace: string, pool: string, identity: string): V1Lease {
  return {
    metadata: {
      name: agentLeaseName(pool, identity),
      namespace,
      labels: { [AGENT_LABEL]: 'true', [POOL_LABEL]: pool },
      annotations: { [ENDPOINT_ANNOTATION]: 'http://10.0.0.9:8090' },
    },
    spec: { holderIdentity: identity, leaseDurationSeconds: 15, renewTime: new V1MicroTime() },
  };
}

const leases = (kc: KubeConfig): CoordinationV1Api => kc.makeApiClient(CoordinationV1Api);

describe("packaging: the chart's Lease policy", function () {
  let cluster: TestCluster;
  let helm: Tool;
  let rel = '';
  let pgb = '';
  let release = '';
  const agents: Record<string, KubeConfig> = {};
  let unbound: KubeConfig;

  before(async function () {
    this.timeout(30 * 60_000); // the first run builds helm from its Go module
    cluster = await testCluster();
    helm = await helmTool(cluster.env.KUBECONFIG as string);
    [rel, pgb] = (await Promise.all(['lease-rel', 'lease-pgb'].map((p) => cluster.newNamespace(p)))) as [string, string];
    release = `tl-${randomBytes(3).toString('hex')}`;
    const sets = ['crds.install=false', `routeAgent.namespace=${pgb}`, 'operator.replicas=1'];
    ok(helm(['install', release, CHART, '--namespace', rel, ...sets.flatMap((s) => ['--set', s])]), 'helm install');
    // Two PgBouncer pods of the agents' ServiceAccount (never scheduled: there is no kubelet), and
    // tokens bound to each, as the kubelet would mount them.
    const core = cluster.kc.makeApiClient(CoreV1Api);
    for (const name of ['pgbouncer-0', 'pgbouncer-1']) {
      const pod = await core.createNamespacedPod({
        namespace: pgb,
        body: {
          metadata: { name },
          spec: { serviceAccountName: AGENT_SA, containers: [{ name: 'route-agent', image: 'tenantshift:test' }] },
        },
      });
      agents[name] = (await serviceAccountKubeconfig(cluster.kc, pgb, AGENT_SA, { name, uid: pod.metadata?.uid as string })).kc;
    }
    unbound = (await serviceAccountKubeconfig(cluster.kc, pgb, AGENT_SA)).kc;
    // The policy takes effect once the API server has loaded it: probe until a write it forbids is
    // refused (a probe that went through before then is removed), so no check below races the load.
    const probe = heartbeatLease(rel, 'probe', 'outside-a-pod');
    await until(
      'the Lease policy in force',
      async () => {
        const refused = await refusal(leases(unbound).createNamespacedLease({ namespace: rel, body: probe }));
        if (refused === undefined) await leases(cluster.kc).deleteNamespacedLease({ namespace: rel, name: probe.metadata?.name as string });
        return refused?.includes('bound to the pod');
      },
      60_000,
    );
    // The operator's leader Lease, as a running operator keeps it.
    await cluster.kc
      .makeApiClient(CoordinationV1Api)
      .createNamespacedLease({
        namespace: rel,
        body: { metadata: { name: 'tenantshift-operator' }, spec: { holderIdentity: `${release}-0`, leaseDurationSeconds: 15 } },
      })
      .catch(() => undefined);
  });

  after(function () {
    this.timeout(60_000);
    if (release) helm(['uninstall', release, '--namespace', rel]);
  });

  it("lets a route agent's real heartbeat keep its own Lease", async function () {
    this.timeout(60_000);
    const beat = new AgentHeartbeat({
      kc: agents['pgbouncer-0'] as KubeConfig,
      log: quiet,
      namespace: rel,
      pool: 'main',
      identity: 'pgbouncer-0',
      endpoint: 'http://10.0.0.1:8090',
    });
    await beat.start();
    try {
      const lease = await until('the heartbeat Lease', () =>
        leases(cluster.kc)
          .readNamespacedLease({ namespace: rel, name: agentLeaseName('main', 'pgbouncer-0') })
          .catch(() => undefined),
      );
      assert.equal(lease.spec?.holderIdentity, 'pgbouncer-0');
    } finally {
      await beat.stop();
    }
    // stop() deleted it, as the agent does on a clean shutdown: the policy allows deleting one's own.
    const gone = await refusal(leases(cluster.kc).readNamespacedLease({ namespace: rel, name: agentLeaseName('main', 'pgbouncer-0') }));
    assert.match(gone ?? '', /^404/);
  });

  it("refuses the operator's leader Lease and any Lease that is not a heartbeat, naming why", async function () {
    this.timeout(60_000);
    const agent = leases(agents['pgbouncer-0'] as KubeConfig);
    const current = await leases(cluster.kc).readNamespacedLease({ namespace: rel, name: 'tenantshift-operator' });
    current.spec = { ...current.spec, holderIdentity: 'pgbouncer-0' };
    const leader = await refusal(agent.replaceNamespacedLease({ namespace: rel, name: 'tenantshift-operator', body: current }));
    assert.match(leader ?? 'replaced', /^403 .*only its heartbeat Leases/);
    const planted = heartbeatLease(rel, 'main', 'pgbouncer-0');
    planted.metadata = { ...planted.metadata, name: 'tenantshift-operator-standby' };
    assert.match((await refusal(agent.createNamespacedLease({ namespace: rel, body: planted }))) ?? 'created', /^403 .*only its heartbeat/);
    const unlabelled = heartbeatLease(rel, 'main', 'pgbouncer-0');
    unlabelled.metadata = { ...unlabelled.metadata, labels: {} };
    assert.match((await refusal(agent.createNamespacedLease({ namespace: rel, body: unlabelled }))) ?? 'created', /^403/);
    assert.match((await refusal(agent.deleteNamespacedLease({ namespace: rel, name: 'tenantshift-operator' }))) ?? 'deleted', /^403/);
    const kept = await leases(cluster.kc).readNamespacedLease({ namespace: rel, name: 'tenantshift-operator' });
    assert.equal(kept.spec?.holderIdentity, `${release}-0`, "the leader Lease is the operator's still");
  });

  it("refuses one agent another agent's Lease, and a token not bound to a pod", async function () {
    this.timeout(60_000);
    const mine = leases(agents['pgbouncer-0'] as KubeConfig);
    const theirs = leases(agents['pgbouncer-1'] as KubeConfig);
    const name = agentLeaseName('main', 'pgbouncer-0');
    await mine.createNamespacedLease({ namespace: rel, body: heartbeatLease(rel, 'main', 'pgbouncer-0') });
    const current = await mine.readNamespacedLease({ namespace: rel, name });
    // Redirecting the operator to pgbouncer-1's endpoint, or taking the Lease over, is refused.
    const redirected = { ...current, metadata: { ...current.metadata, annotations: { [ENDPOINT_ANNOTATION]: 'http://10.6.6.6:8090' } } };
    assert.match(
      (await refusal(theirs.replaceNamespacedLease({ namespace: rel, name, body: redirected }))) ?? 'replaced',
      /pgbouncer-1 may write only/,
    );
    const taken = { ...current, spec: { ...current.spec, holderIdentity: 'pgbouncer-1' } };
    assert.match((await refusal(theirs.replaceNamespacedLease({ namespace: rel, name, body: taken }))) ?? 'replaced', /^403/);
    assert.match((await refusal(theirs.deleteNamespacedLease({ namespace: rel, name }))) ?? 'deleted', /^403/);
    // Its own heartbeat for pgbouncer-1 under another agent's identity is refused too.
    assert.match(
      (await refusal(theirs.createNamespacedLease({ namespace: rel, body: heartbeatLease(rel, 'eu', 'pgbouncer-0') }))) ?? 'created',
      /pgbouncer-1 may write only/,
    );
    const unboundRefusal = await refusal(
      leases(unbound).createNamespacedLease({ namespace: rel, body: heartbeatLease(rel, 'main', 'outside-a-pod') }),
    );
    assert.match(unboundRefusal ?? 'created', /bound to the pod/);
    const after = await leases(cluster.kc).readNamespacedLease({ namespace: rel, name });
    assert.equal(after.metadata?.annotations?.[ENDPOINT_ANNOTATION], 'http://10.0.0.9:8090');
    assert.equal(after.spec?.holderIdentity, 'pgbouncer-0');
    await mine.deleteNamespacedLease({ namespace: rel, name });
  });
});
