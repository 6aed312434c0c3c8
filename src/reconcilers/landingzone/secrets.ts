// The two Secrets of a LandingZone: the master credentials the operator generates (kept even under
// Retain: a retained database without its password is lost) and the connection Secret of DESIGN.md.
// Passwords stay inside this module and the Secret store; plans only see whether a Secret is current.
import { randomInt } from 'node:crypto';
import type { DbInstanceInfo } from '../../aws/rds-instance.js';
import type { MasterSecretState, SecretState } from './types.js';
import { registerSecret } from '../../redact.js';

export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const LANDING_ZONE_LABEL = 'tenantshift.io/landing-zone';
export const SECRET_ROLE_LABEL = 'tenantshift.io/secret-role';
/** DbiResourceId of the instance the master password was last set on. */
export const APPLIED_TO_ANNOTATION = 'tenantshift.io/master-password-applied-to';

export interface StoredSecret {
  /** Decoded values. */
  data: Record<string, string>;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface SecretWrite extends StoredSecret {
  name: string;
  /** Makes the Secret go with the LandingZone (connection Secret only). */
  ownedBy?: { apiVersion: string; kind: string; name: string; uid: string };
}

/** Secrets of the LandingZone's namespace; the Kubernetes adapter implements it, tests fake it. */
export interface SecretStore {
  read(name: string): Promise<StoredSecret | undefined>;
  /** Creates the Secret; fails (conflict) when it exists, so a password is never overwritten. */
  create(secret: SecretWrite): Promise<void>;
  /** Creates or replaces the whole Secret. */
  write(secret: SecretWrite): Promise<void>;
  annotate(name: string, annotations: Record<string, string>): Promise<void>;
  /** No error when it is already gone. */
  delete(name: string): Promise<void>;
}

/** The CA bundle that verifies RDS server certificates in a region (sslrootcert), when known. */
export interface TrustStore {
  bundleFor(region: string): Promise<string | undefined>;
}

/** Reads an AWS-managed master password (ManageMasterUserPassword) from Secrets Manager. */
export interface ManagedPasswordReader {
  read(region: string, secretArn: string): Promise<string>;
}

/**
 * Where clients reach the database: RDS's endpoint by default; tests and port-forwarded setups map it
 * (moto's endpoints are host names that resolve nowhere).
 */
export type EndpointMapper = (db: { identifier: string; region: string; address: string; port: number }) => {
  host: string;
  port: number;
  /** Overrides verify-full (e.g. a local stand-in without TLS). */
  sslmode?: string;
};

export const identityEndpoint: EndpointMapper = (db) => ({ host: db.address, port: db.port });

/** Every database reached at one address: a local stand-in for moto's unresolvable endpoints, or a tunnel. */
export function fixedEndpoint(target: { host: string; port: number; sslmode?: string }): EndpointMapper {
  return () => ({ ...target });
}

// RDS refuses / @ " and spaces in passwords; letters and digits are safe in every client and URL.
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export function generatePassword(length = 32): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHABET[randomInt(ALPHABET.length)];
  registerSecret(out);
  return out;
}

export function ownedLabels(lzName: string, role: 'master' | 'connection'): Record<string, string> {
  return { [MANAGED_BY_LABEL]: 'tenantshift', [LANDING_ZONE_LABEL]: lzName, [SECRET_ROLE_LABEL]: role };
}

export function isOwnedSecret(s: StoredSecret, lzName: string): boolean {
  return s.labels[MANAGED_BY_LABEL] === 'tenantshift' && s.labels[LANDING_ZONE_LABEL] === lzName;
}

export function masterSecretState(s: StoredSecret | undefined, lzName: string): MasterSecretState {
  if (!s) return { exists: false, foreign: false };
  const appliedTo = s.annotations[APPLIED_TO_ANNOTATION];
  return { exists: true, foreign: !isOwnedSecret(s, lzName) || !s.data.password, ...(appliedTo ? { appliedTo } : {}) };
}

export interface ConnectionInput {
  instance: DbInstanceInfo;
  region: string;
  password: string;
  endpoints: EndpointMapper;
  caBundle?: string;
}

/** The connection Secret's keys: host, port, dbname, user, password, sslmode and, when known, sslrootcert. */
export function connectionData(c: ConnectionInput): Record<string, string> {
  const ep = c.instance.endpoint ?? { address: '', port: 5432 };
  const mapped = c.endpoints({ identifier: c.instance.identifier, region: c.region, address: ep.address, port: ep.port });
  // verify-full needs the CA; without it the connection is still encrypted but the server unverified.
  const sslmode = mapped.sslmode ?? (c.caBundle ? 'verify-full' : 'require');
  return {
    host: mapped.host,
    port: String(mapped.port),
    dbname: c.instance.dbName || 'postgres',
    user: c.instance.masterUsername,
    password: c.password,
    sslmode,
    ...(c.caBundle && sslmode !== 'disable' ? { sslrootcert: c.caBundle } : {}),
  };
}

export function connectionSecretState(current: StoredSecret | undefined, desired: Record<string, string>, lzName: string): SecretState {
  if (!current) return 'missing';
  if (!isOwnedSecret(current, lzName)) return 'foreign';
  const keys = new Set([...Object.keys(current.data), ...Object.keys(desired)]);
  for (const k of keys) if (current.data[k] !== desired[k]) return 'stale';
  return 'current';
}
