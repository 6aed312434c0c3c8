// The client factory: endpoint from the environment, one client pair per region, and an observer that
// sees every call (counted per operation, errors by class) — against a tiny local HTTP stand-in.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DescribeVpcsCommand } from '@aws-sdk/client-ec2';
import { Registry } from 'prom-client';
import { AwsClientFactory, awsClientOptionsFromEnv, type AwsCallRecord } from '../../../src/aws/clients.js';
import { createAwsMetrics } from '../../../src/aws/metrics.js';

describe('AWS client factory', () => {
  let server: Server;
  let endpoint: string;
  let throttle = false;

  before(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (throttle) {
          res.writeHead(503, { 'content-type': 'text/xml' });
          res.end(
            '<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit ' +
              'exceeded.</Message></Error></Errors><RequestID>r</RequestID></Response>',
          );
          return;
        }
        res.writeHead(200, { 'content-type': 'text/xml' });
        res.end(
          '<DescribeVpcsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId><vpcSet/></DescribeVpcsResponse>',
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('takes the endpoint from AWS_ENDPOINT_URL and never reads keys', () => {
    assert.deepEqual(awsClientOptionsFromEnv({ AWS_ENDPOINT_URL: 'http://127.0.0.1:5000', AWS_ACCESS_KEY_ID: 'x' }), {
      endpoint: 'http://127.0.0.1:5000',
    });
    assert.deepEqual(awsClientOptionsFromEnv({}), {});
  });

  it('keeps one client pair per region', () => {
    const f = new AwsClientFactory({ endpoint });
    assert.equal(f.forRegion('eu-west-1'), f.forRegion('eu-west-1'));
    assert.notEqual(f.forRegion('eu-west-1'), f.forRegion('eu-central-1'));
    f.destroy();
  });

  it('observes every call with its outcome and counts it in the registry', async () => {
    const registry = new Registry();
    const calls: AwsCallRecord[] = [];
    const f = new AwsClientFactory({
      endpoint,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      maxAttempts: 1,
      metrics: createAwsMetrics(registry),
      onCall: (c) => calls.push(c),
    });
    const { ec2 } = f.forRegion('eu-west-1');
    throttle = false;
    await ec2.send(new DescribeVpcsCommand({}));
    throttle = true;
    await assert.rejects(ec2.send(new DescribeVpcsCommand({})));
    f.destroy();
    assert.deepEqual(calls, [
      { service: 'ec2', operation: 'DescribeVpcs', region: 'eu-west-1', error: '' },
      { service: 'ec2', operation: 'DescribeVpcs', region: 'eu-west-1', error: 'RequestLimitExceeded' },
    ]);
    const text = await registry.metrics();
    assert.match(text, /tenantshift_aws_requests_total\{service="ec2",operation="DescribeVpcs"\} 2/);
    assert.match(text, /tenantshift_aws_request_errors_total\{service="ec2",operation="DescribeVpcs",code="throttled"\} 1/);
  });
});
