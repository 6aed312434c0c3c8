// The construction of LandingZoneReconciler as src/controllers/index.ts does it: everything builds from a
// KubeConfig and a Registry without contacting a server, and the AWS metrics land in that registry.
import assert from 'node:assert/strict';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { AwsClientFactory, awsClientOptionsFromEnv, createAwsMetrics } from '../../../src/aws/index.js';
import { RdsTrustStore } from '../../../src/aws/truststore.js';
import { LandingZoneReconciler } from '../../../src/controllers/landingzone.js';
import { EventRecorder } from '../../../src/observability/events.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { Finalizers } from '../../../src/runtime/finalizers.js';
import { StatusWriter } from '../../../src/runtime/statusWriter.js';
import { fixedEndpoint, identityEndpoint } from '../../../src/reconcilers/landingzone/secrets.js';

describe('LandingZoneReconciler wiring', () => {
  it('builds from the manager parts and registers its AWS metrics on the given registry', async () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: 'https://127.0.0.1:1' }],
      users: [{ name: 'u', token: 't' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    const registry = new Registry();
    const aws = new AwsClientFactory({
      ...awsClientOptionsFromEnv({ AWS_ENDPOINT_URL: 'http://127.0.0.1:1' }),
      metrics: createAwsMetrics(registry),
    });
    const reconciler = new LandingZoneReconciler({
      core: kc.makeApiClient(CoreV1Api),
      status: new StatusWriter(kc),
      finalizers: new Finalizers(kc),
      events: new EventRecorder({ kc, identity: 'test', log: silentLogger() }),
      aws,
      trustStore: new RdsTrustStore({ fetch: async () => new Response('not a pem', { status: 200 }) }),
    });
    assert.ok(reconciler);
    const text = await registry.metrics();
    assert.match(text, /# HELP tenantshift_aws_requests_total/);
    assert.match(text, /# HELP tenantshift_aws_request_errors_total/);
    aws.destroy();
  });

  it("maps endpoints: RDS's own by default, or one fixed address", () => {
    const db = { identifier: 'x', region: 'eu-west-1', address: 'x.abc.rds.amazonaws.com', port: 5432 };
    assert.deepEqual(identityEndpoint(db), { host: 'x.abc.rds.amazonaws.com', port: 5432 });
    assert.deepEqual(fixedEndpoint({ host: '127.0.0.1', port: 6543, sslmode: 'disable' })(db), {
      host: '127.0.0.1',
      port: 6543,
      sslmode: 'disable',
    });
  });

  it('takes the RDS CA bundle from the trust store only when it is a PEM, and remembers it', async () => {
    let fetches = 0;
    const pem = '-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----\n';
    const store = new RdsTrustStore({ fetch: async () => (fetches++, new Response(pem, { status: 200 })), now: () => 0 });
    assert.equal(await store.bundleFor('eu-west-1'), pem);
    assert.equal(await store.bundleFor('eu-west-1'), pem);
    assert.equal(fetches, 1);
    const failing = new RdsTrustStore({
      fetch: async () => {
        throw new Error('offline');
      },
    });
    assert.equal(await failing.bundleFor('eu-west-1'), undefined);
  });
});
