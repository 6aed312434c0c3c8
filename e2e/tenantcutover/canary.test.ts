// The redaction canary: every credential of the journey (both connection Secrets' passwords, the
// route agents' token, PgBouncer's admin password, the application's password) is a known value, and
// none of them appears in anything the operator and the agents put out through a whole journey with
// failures: a Secret whose host is a whole DSN, a wrong password that contains the right one, the
// operator killed after the flip, a validation, a switch and a rollback. Looked for in every status,
// every Event, every ConfigMap of the namespaces involved, the operators' and agents' logs, the
// metrics, and PgBouncer's routes files.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api, CustomObjectsApi, EventsV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { bouncerClientConfigs } from '../../src/devstack/pgbouncer.js';
import { urlPassword } from '../../src/redact.js';
import { secretData } from '../../test/support/databases.js';
import { diesAt, metricsText, stopProcess, until, type OperatorProcess } from '../../test/support/operator.js';
import { tenantFixture, type TenantFixture } from '../../test/support/tenant.js';
import { createRefusedReplication, refusalOf } from '../../test/support/refusals.js';

const GROUP = 'tenantshift.io';
const VERSION = 'v1alpha1';

function canaries(t: TenantFixture): string[] {
  const env = t.cluster.env;
  const values = [
    t.db.source.password,
    t.db.target.password,
    t.db.source.privileged?.password,
    t.db.target.privileged?.password,
    env.TENANTSHIFT_ROUTE_AGENT_TOKEN,
    ...(env.PGBOUNCER_ADMIN_URLS ?? '').split(' ').map(urlPassword),
    String(bouncerClientConfigs(env, t.route)[0]?.password ?? ''),
  ];
  return [...new Set(values.filter((v): v is string => typeof v === 'string' && v.length >= 6))];
}

/** Every text the journey left in the API, in the logs, the metrics and the routes files, by where it came from. */
async function everythingPutOut(t: TenantFixture, operators: OperatorProcess[]): Promise<Record<string, string>> {
  const api = t.cluster.kc.makeApiClient(CustomObjectsApi);
  const core = t.cluster.kc.makeApiClient(CoreV1Api);
  const out: Record<string, string> = {};
  for (const plural of ['schemareplications', 'tenantcutovers']) {
    const list = await api.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: t.ns, plural });
    out[plural] = JSON.stringify(list);
  }
  const leaseNs = t.cluster.env.TENANTSHIFT_OPERATOR_NAMESPACE as string;
  for (const ns of [t.ns, leaseNs]) {
    out[`events in ${ns}`] = JSON.stringify(await t.cluster.kc.makeApiClient(EventsV1Api).listNamespacedEvent({ namespace: ns }));
    out[`configmaps in ${ns}`] = JSON.stringify(await core.listNamespacedConfigMap({ namespace: ns }));
  }
  for (const [i, p] of operators.entries()) out[`operator ${i} log`] = p.output();
  const live = operators.find((p) => p.child.exitCode === null && p.child.signalCode === null);
  if (live) out.metrics = await metricsText(live);
  const logs = join(t.cluster.stateDir, 'logs');
  for (const f of readdirSync(logs).filter((f) => f.startsWith('route-agent'))) out[`logs/${f}`] = readFileSync(join(logs, f), 'utf8');
  for (const f of (t.cluster.env.PGBOUNCER_ROUTES_FILES ?? '').split(' ').filter(Boolean)) out[f] = readFileSync(f, 'utf8');
  return out;
}

describe('redaction canary: no credential in anything put out, through a journey with failures', function () {
  this.timeout(600_000);
  let t: TenantFixture;
  const operators: OperatorProcess[] = [];

  after(async () => {
    await t?.dispose();
  });

  it('keeps every known credential out of status, Events, ConfigMaps, logs, metrics and the routes files', async () => {
    t = await tenantFixture('canary', 20);
    const known = canaries(t);
    assert.ok(known.length >= 4, `${known.length} credentials to look for`);
    const core = t.cluster.kc.makeApiClient(CoreV1Api);
    const api = t.cluster.kc.makeApiClient(CustomObjectsApi);
    const target = secretData(t.db.target);
    const b64 = (s: string): string => Buffer.from(s).toString('base64');
    const passwordOf = Buffer.from(target.password as string, 'base64').toString('utf8');
    // A whole DSN where the host belongs, and a wrong password that contains the right one.
    await core.createNamespacedSecret({
      namespace: t.ns,
      body: { metadata: { name: 'dsn-db' }, data: { ...target, host: b64(`postgresql://app:${passwordOf}@db.internal:5432/x`) } },
    });
    await core.createNamespacedSecret({
      namespace: t.ns,
      body: { metadata: { name: 'wrong-db' }, data: { ...target, password: b64(`${passwordOf}-but-wrong`) } },
    });
    operators.push(await t.startOperator('canary-op'));
    await createRefusedReplication(api, t.ns, 'canary-dsn', { source: 'legacy-db', target: 'dsn-db' });
    await createRefusedReplication(api, t.ns, 'canary-wrong', { source: 'legacy-db', target: 'wrong-db' });
    assert.match((await refusalOf(api, t.ns, 'canary-dsn')).message, /host is not a host name/);
    assert.match((await refusalOf(api, t.ns, 'canary-wrong')).message, /password|authentication/i);

    // The journey: replication, a switch whose operator dies after the flip, a validation, a rollback.
    await t.createReplication();
    await t.createCutover({ maxWritePause: '3s', retry: { attempts: 3, backoff: '1s' } });
    await t.waitRouteOwned();
    const traffic = t.walletTraffic(2);
    await until('traffic', () => traffic.count > 50, 60_000);
    await stopProcess(operators[0], 'SIGTERM');
    operators.push(await t.startOperator('canary-op', { TENANTSHIFT_FAILPOINT: 'Revoked' }));
    await t.patchCutover({ approved: true });
    await diesAt(operators[1] as OperatorProcess, 'Revoked');
    operators.push(await t.startOperator('canary-op'));
    await t.waitCutover('the switch', (c) => c.status?.activeSide === 'target' && !c.status?.step);
    await api.patchNamespacedCustomObject(
      {
        group: GROUP,
        version: VERSION,
        namespace: t.ns,
        plural: 'schemareplications',
        name: t.name,
        body: { metadata: { annotations: { 'tenantshift.io/validate': 'canary' } } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await until(
      'the validation',
      async () => {
        const v = (await t.replication()).status?.validation;
        return v?.requestToken === 'canary' && v.state !== 'Running';
      },
      180_000,
    );
    await t.patchCutover({ rollback: true });
    await t.waitCutover('the rollback', (c) => c.status?.activeSide === 'source' && !c.status?.step);
    await traffic.stop();

    const leaks: string[] = [];
    for (const [where, text] of Object.entries(await everythingPutOut(t, operators)))
      for (const [i, secret] of known.entries()) if (text.includes(secret)) leaks.push(`credential #${i} in ${where}`);
    assert.deepEqual(leaks, []);
  });
});
