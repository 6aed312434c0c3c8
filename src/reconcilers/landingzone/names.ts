// Deterministic names of everything a LandingZone owns, derived from its namespace, name, uid and
// spec.database.identifier: a re-run, a restart or a second operator computes the same ones.
import type { LandingZone } from '../../api/index.js';
import { landingZoneIdentity } from '../../aws/tags.js';

export interface LandingZoneNames {
  /** "<namespace>/<name>": the value of the identity tag. */
  identity: string;
  /** The Name tag prefix, readable in the AWS console. */
  display: string;
  securityGroup: string;
  subnetGroup: string;
  parameterGroup: string;
  parameterFamily: string;
  routeTableClientToken: string;
  masterSecret: string;
  finalSnapshot: string;
  dbName: string;
  masterUsername: string;
}

/** The database every connection Secret names; RDS creates it with the instance. */
export const DATABASE_NAME = 'postgres';
/** Not "postgres" or "rdsadmin": RDS reserves those. */
export const MASTER_USERNAME = 'tenantshift_admin';

export function engineMajor(engineVersion: string): string {
  return engineVersion.split('.')[0] ?? engineVersion;
}

/** RDS parameter group family of a PostgreSQL version: "15.4" → "postgres15". */
export function parameterFamily(engineVersion: string): string {
  return `postgres${engineMajor(engineVersion)}`;
}

export function landingZoneNames(lz: LandingZone): LandingZoneNames {
  const namespace = lz.metadata.namespace ?? '';
  const name = lz.metadata.name ?? '';
  const uid = (lz.metadata.uid ?? '').replace(/-/g, '');
  const identifier = lz.spec.database.identifier;
  const family = parameterFamily(lz.spec.database.engineVersion);
  return {
    identity: landingZoneIdentity(namespace, name),
    display: `tenantshift-${namespace}-${name}`.slice(0, 200),
    // The identifier is unique per account and region, so names derived from it are too.
    securityGroup: `${identifier}-postgres`,
    subnetGroup: `${identifier}-subnets`,
    // The family is part of the name: a major upgrade gets a new group rather than an impossible change.
    parameterGroup: `${identifier}-${family}`,
    parameterFamily: family,
    routeTableClientToken: `tenantshift-rtb-${uid || `${namespace}-${name}`}`.slice(0, 64),
    // Keyed by the object's name, not connectionSecretName: renaming that must not lose the password.
    masterSecret: `${name}-master`.slice(0, 253),
    finalSnapshot: `${identifier}-final-${uid.slice(0, 8) || 'snapshot'}`,
    dbName: DATABASE_NAME,
    masterUsername: MASTER_USERNAME,
  };
}
