// AWS error classification: by the error's name (the AWS code or the SDK class), then HTTP status,
// never by message text.
import assert from 'node:assert/strict';
import { DBInstanceNotFoundFault } from '@aws-sdk/client-rds';
import { awsCall, classifyAwsError, codeForAwsHttpStatus, codeForAwsName, isAwsError } from '../../../src/aws/errors.js';
import { OperatorError } from '../../../src/errors.js';

function awsError(name: string, status?: number, extra: Record<string, unknown> = {}): Error {
  const e = new Error(`message of ${name}`);
  e.name = name;
  Object.assign(e, { $metadata: status === undefined ? {} : { httpStatusCode: status }, ...extra });
  return e;
}

describe('AWS error classification', () => {
  const table: Array<[string, number, string]> = [
    ['Throttling', 400, 'throttled'],
    ['RequestLimitExceeded', 503, 'throttled'],
    ['ThrottlingException', 400, 'throttled'],
    ['InternalError', 500, 'transient'],
    ['ServiceUnavailable', 503, 'transient'],
    ['UnauthorizedOperation', 403, 'transient'],
    ['DBInstanceNotFound', 404, 'not-found'],
    ['DBInstanceNotFoundFault', 404, 'not-found'],
    ['DBParameterGroupNotFoundFault', 404, 'not-found'],
    ['InvalidVpcID.NotFound', 400, 'not-found'],
    ['InvalidTransitGatewayAttachmentID.NotFound', 400, 'not-found'],
    ['DBInstanceAlreadyExistsFault', 400, 'conflict'],
    ['InvalidDBInstanceStateFault', 400, 'conflict'],
    ['DependencyViolation', 400, 'conflict'],
    ['InvalidGroup.Duplicate', 400, 'conflict'],
    ['RouteAlreadyExists', 400, 'conflict'],
    ['InvalidParameterCombination', 400, 'terminal'],
    ['InvalidParameterValue', 400, 'terminal'],
    ['StorageQuotaExceeded', 400, 'terminal'],
    ['InvalidGroupId.Malformed', 400, 'terminal'],
  ];
  for (const [name, status, code] of table) {
    it(`classifies ${name} as ${code}`, () => {
      const e = classifyAwsError(awsError(name, status), 'Op');
      assert.equal(e.code, code);
      assert.equal(e.reason, name);
      assert.equal(e.httpStatus, status);
      assert.match(e.message, new RegExp(`^AWS Op failed \\(${name.replace('.', '\\.')}\\)`));
    });
  }

  it('classifies the SDK modelled exception class by its name', () => {
    const e = new DBInstanceNotFoundFault({ message: 'gone', $metadata: { httpStatusCode: 404 } });
    assert.equal(classifyAwsError(e, 'DescribeDBInstances').code, 'not-found');
  });

  it('never reads the message: a throttling word in the text changes nothing', () => {
    const e = awsError('InvalidParameterValue', 400);
    e.message = 'Throttling Rate exceeded';
    assert.equal(classifyAwsError(e, 'Op').code, 'terminal');
  });

  it('falls back to $retryable, network codes, then HTTP status', () => {
    assert.equal(classifyAwsError(awsError('SomethingNew', 400, { $retryable: { throttling: true } }), 'Op').code, 'throttled');
    assert.equal(classifyAwsError(Object.assign(new Error('x'), { code: 'ECONNRESET' }), 'Op').code, 'transient');
    assert.equal(classifyAwsError(awsError('SomethingNew', 429), 'Op').code, 'throttled');
    assert.equal(classifyAwsError(awsError('SomethingNew', 502), 'Op').code, 'transient');
    assert.equal(classifyAwsError(awsError('SomethingNew', 400), 'Op').code, 'terminal');
    assert.equal(classifyAwsError(awsError('SomethingNew'), 'Op').code, 'transient');
    assert.equal(codeForAwsHttpStatus(409), 'conflict');
    assert.equal(codeForAwsName('Unknown'), undefined);
  });

  it('keeps the cause and passes OperatorErrors through', () => {
    const cause = awsError('Throttling', 400);
    const e = classifyAwsError(cause, 'Op');
    assert.equal(e.cause, cause);
    const op = new OperatorError('conflict', 'x');
    assert.equal(classifyAwsError(op, 'Op'), op);
  });

  it('awsCall rethrows classified errors that isAwsError recognises', async () => {
    await assert.rejects(
      awsCall('DescribeVpcs', () => Promise.reject(awsError('InvalidVpcID.NotFound', 400))),
      (e: unknown) =>
        isAwsError(e, 'not-found') && isAwsError(e, 'not-found', 'InvalidVpcID.NotFound') && !isAwsError(e, 'not-found', 'Other'),
    );
    assert.equal(await awsCall('X', () => Promise.resolve(7)), 7);
  });
});
