// Maps AWS SDK v3 errors (EC2 and RDS) to the operator's error codes: pure tables keyed by the
// error's `name` (the AWS error code, or the SDK's modelled class name), then its HTTP status.
import { NETWORK_CODES, OperatorError, type ErrorCode } from '../errors.js';

/** Codes AWS uses when a caller is over its request rate; the runtime retries these with backoff. */
export const THROTTLING_NAMES: ReadonlySet<string> = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'RequestLimitExceeded', // EC2
  'TooManyRequestsException',
  'BandwidthLimitExceeded',
  'SlowDown',
  'PriorRequestNotComplete',
  'EC2ThrottledException',
  'TransactionInProgressException',
]);

/** Failures on AWS's side or of the connection: the same request may succeed a moment later. */
export const TRANSIENT_NAMES: ReadonlySet<string> = new Set([
  'InternalError',
  'InternalFailure',
  'InternalServerError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'Unavailable',
  'RequestTimeout',
  'RequestTimeoutException',
  'RequestExpired',
  'TimeoutError',
  'IDPCommunicationError',
  'InsufficientDBInstanceCapacity',
  'InsufficientDBInstanceCapacityFault',
  'KMSKeyNotAccessibleFault',
  // Credentials and permissions are fixed outside the spec (IAM, IRSA): retry, with backoff.
  'AuthFailure',
  'UnauthorizedOperation',
  'AccessDenied',
  'AccessDeniedException',
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'CredentialsProviderError',
]);

/** The thing named does not exist (any more). */
export const NOT_FOUND_NAMES: ReadonlySet<string> = new Set([
  'DBInstanceNotFound',
  'DBInstanceNotFoundFault',
  'DBSubnetGroupNotFound',
  'DBSubnetGroupNotFoundFault',
  'DBParameterGroupNotFound',
  'DBParameterGroupNotFoundFault',
  'DBSnapshotNotFound',
  'DBSnapshotNotFoundFault',
  'ResourceNotFoundFault',
  'CertificateNotFound',
  'CertificateNotFoundFault',
]);

/** The world is not in the state the request needs (exists already, busy, still in use). */
export const CONFLICT_NAMES: ReadonlySet<string> = new Set([
  'DBInstanceAlreadyExists',
  'DBInstanceAlreadyExistsFault',
  'DBSubnetGroupAlreadyExists',
  'DBSubnetGroupAlreadyExistsFault',
  'DBParameterGroupAlreadyExists',
  'DBParameterGroupAlreadyExistsFault',
  'DBSnapshotAlreadyExists',
  'DBSnapshotAlreadyExistsFault',
  'InvalidDBInstanceState',
  'InvalidDBInstanceStateFault',
  'InvalidDBSubnetGroupStateFault',
  'InvalidDBSubnetStateFault',
  'InvalidDBParameterGroupState',
  'InvalidDBParameterGroupStateFault',
  'InvalidDBSnapshotStateFault',
  'InvalidVPCNetworkStateFault',
  'DependencyViolation', // EC2: still used by something being deleted
  'IncorrectState',
  'IncorrectInstanceState',
  'InvalidGroup.InUse',
  'InvalidSubnet.Conflict',
  'InvalidGroup.Duplicate',
  'InvalidPermission.Duplicate',
  'RouteAlreadyExists',
  'Resource.AlreadyAssociated',
  'InvalidTransitGatewayAttachmentID.State',
  'DuplicateTransitGatewayAttachment',
]);

/** Refused requests that retrying cannot fix: invalid values, quotas, unsupported combinations. */
export const TERMINAL_NAMES: ReadonlySet<string> = new Set([
  'InvalidParameterValue',
  'InvalidParameterCombination',
  'InvalidParameter',
  'MissingParameter',
  'ValidationError',
  'InvalidVpcRange',
  'InvalidSubnet.Range',
  'VpcLimitExceeded',
  'SubnetLimitExceeded',
  'SecurityGroupLimitExceeded',
  'RulesPerSecurityGroupLimitExceeded',
  'RouteLimitExceeded',
  'InstanceQuotaExceeded',
  'InstanceQuotaExceededFault',
  'StorageQuotaExceeded',
  'StorageQuotaExceededFault',
  'DBSubnetGroupQuotaExceeded',
  'DBSubnetGroupQuotaExceededFault',
  'DBParameterGroupQuotaExceeded',
  'DBParameterGroupQuotaExceededFault',
  'SnapshotQuotaExceeded',
  'SnapshotQuotaExceededFault',
  'StorageTypeNotSupported',
  'StorageTypeNotSupportedFault',
  'ProvisionedIopsNotAvailableInAZFault',
  'InvalidDBSubnetGroupFault',
  'DBSubnetGroupDoesNotCoverEnoughAZs',
  'UnsupportedDBEngineVersionFault',
  'OptInRequired',
  'InvalidAvailabilityZone',
]);

/**
 * EC2 names its errors `<Thing>.<Kind>`; the kind after the dot classifies the whole family
 * (InvalidVpcID.NotFound, InvalidRoute.NotFound, InvalidGroupId.Malformed, ...).
 */
export const EC2_SUFFIX_CODES: Readonly<Record<string, ErrorCode>> = {
  NotFound: 'not-found',
  Duplicate: 'conflict',
  InUse: 'conflict',
  Malformed: 'terminal',
  Range: 'terminal',
};

/** By HTTP status when the name is unknown; a 400 from AWS is a refused request. */
export function codeForAwsHttpStatus(status: number): ErrorCode {
  if (status === 429) return 'throttled';
  if (status === 404) return 'not-found';
  if (status === 409) return 'conflict';
  if (status === 401 || status === 403 || status === 408) return 'transient';
  if (status >= 400 && status < 500) return 'terminal';
  return 'transient';
}

/** Anything `send` can throw: a ServiceException, a network error, a credentials error. */
interface AwsErrorShape {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  $fault?: unknown;
  $retryable?: { throttling?: unknown };
  $metadata?: { httpStatusCode?: unknown };
}

/** The error code of an AWS name, or undefined when no table knows it. */
export function codeForAwsName(name: string): ErrorCode | undefined {
  if (THROTTLING_NAMES.has(name)) return 'throttled';
  if (TRANSIENT_NAMES.has(name)) return 'transient';
  if (NOT_FOUND_NAMES.has(name)) return 'not-found';
  if (CONFLICT_NAMES.has(name)) return 'conflict';
  if (TERMINAL_NAMES.has(name)) return 'terminal';
  const dot = name.lastIndexOf('.');
  if (dot > 0) return EC2_SUFFIX_CODES[name.slice(dot + 1)];
  return undefined;
}

function httpStatusOf(shape: AwsErrorShape): number | undefined {
  const status = shape.$metadata?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}

function detailOf(shape: AwsErrorShape): string {
  return typeof shape.message === 'string' && shape.message ? `: ${shape.message.slice(0, 300)}` : '';
}

function isNetworkFailure(shape: AwsErrorShape): boolean {
  return typeof shape.code === 'string' && NETWORK_CODES.has(shape.code);
}

function codeForAwsShape(shape: AwsErrorShape, name: string, status: number | undefined): ErrorCode {
  const code = codeForAwsName(name);
  if (code !== undefined) return code;
  if (shape.$retryable?.throttling === true) return 'throttled';
  if (isNetworkFailure(shape)) return 'transient';
  if (status !== undefined) return codeForAwsHttpStatus(status);
  if (shape.$fault === 'client') return 'terminal';
  // Unknown and without a status: a connection or SDK failure, worth another try.
  return 'transient';
}

/** Classifies one failed AWS call; `operation` (e.g. "CreateVpc") prefixes the message. */
export function classifyAwsError(e: unknown, operation: string): OperatorError {
  if (e instanceof OperatorError) return e;
  const shape = (e ?? {}) as AwsErrorShape;
  const name = typeof shape.name === 'string' ? shape.name : 'Error';
  const status = httpStatusOf(shape);
  const code = codeForAwsShape(shape, name, status);
  return new OperatorError(code, `AWS ${operation} failed (${name})${detailOf(shape)}`, {
    cause: e,
    reason: name,
    ...(status !== undefined ? { httpStatus: status } : {}),
  });
}

/** Runs one SDK call, rethrowing its failure classified. */
export async function awsCall<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    throw classifyAwsError(e, operation);
  }
}

/** True when `e` is an OperatorError of `code` whose AWS name is one of `names` (or any, if none given). */
export function isAwsError(e: unknown, code: ErrorCode, ...names: string[]): boolean {
  if (!(e instanceof OperatorError) || e.code !== code) return false;
  return names.length === 0 || (e.reason !== undefined && names.includes(e.reason));
}
