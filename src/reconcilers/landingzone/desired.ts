// What a LandingZone spec asks of AWS, as plain values: the spec with its defaults filled in, the
// parameter group's settings (logical replication sized for the spec) and the instance settings.
import type { LandingZoneSpec } from '../../api/index.js';
import type { ApplyMethod, ParameterSetting } from '../../aws/rds-groups.js';
import type { InstanceSettings, StorageSettings } from '../../aws/rds-instance.js';

export interface Normalized {
  region: string;
  vpcCidr: string;
  subnets: { availabilityZone: string; cidr: string }[];
  allowedCidrs: string[];
  transitGateway?: { id: string; routes: string[] };
  identifier: string;
  engineVersion: string;
  instanceClass: string;
  tier: 'production' | 'development';
  multiAZ: boolean;
  storage: StorageSettings;
  storageEncrypted: boolean;
  parameters: Record<string, string>;
  allowReboot: boolean;
  masterPassword: 'operator' | 'aws';
  deletionProtection: boolean;
  connectionSecretName: string;
  deletionPolicy: 'Retain' | 'Delete';
}

/** The spec with the CRD's defaults, so an object stored without them (or by an old CRD) means the same. */
export function normalize(spec: LandingZoneSpec): Normalized {
  const db = spec.database;
  const tgw = spec.network.transitGateway;
  return {
    region: spec.region,
    vpcCidr: spec.network.vpcCidr,
    subnets: spec.network.subnets.map((s) => ({ availabilityZone: s.availabilityZone, cidr: s.cidr })),
    allowedCidrs: [...new Set(spec.network.allowedCidrs ?? [])],
    ...(tgw ? { transitGateway: { id: tgw.id, routes: [...new Set(tgw.routes ?? [])] } } : {}),
    identifier: db.identifier,
    engineVersion: db.engineVersion,
    instanceClass: db.instanceClass,
    tier: db.tier ?? 'production',
    multiAZ: db.multiAZ ?? true,
    storage: {
      type: db.storage.type ?? 'gp3',
      allocatedGiB: db.storage.allocatedGiB,
      ...(db.storage.iops !== undefined ? { iops: db.storage.iops } : {}),
      ...(db.storage.throughputMiBps !== undefined ? { throughputMiBps: db.storage.throughputMiBps } : {}),
    },
    storageEncrypted: db.storageEncrypted ?? true,
    parameters: { ...(db.parameters ?? {}) },
    allowReboot: db.allowReboot ?? false,
    masterPassword: db.masterPassword ?? 'operator',
    deletionProtection: db.deletionProtection ?? true,
    connectionSecretName: spec.connectionSecretName,
    deletionPolicy: spec.deletionPolicy ?? 'Retain',
  };
}

/**
 * PostgreSQL parameters RDS applies only at a reboot (context "postmaster"). Any other parameter is
 * set with ApplyMethod immediate; RDS itself reports pending-reboot for what still waits.
 */
export const STATIC_PARAMETERS: ReadonlySet<string> = new Set([
  'rds.logical_replication',
  'max_replication_slots',
  'max_wal_senders',
  'max_worker_processes',
  'max_logical_replication_workers',
  'max_connections',
  'shared_buffers',
  'shared_preload_libraries',
  'wal_buffers',
  'max_locks_per_transaction',
  'max_pred_locks_per_transaction',
  'max_prepared_transactions',
  'max_files_per_process',
  'track_commit_timestamp',
  'track_activity_query_size',
  'autovacuum_max_workers',
  'huge_pages',
]);

export function applyMethodFor(parameter: string): ApplyMethod {
  return STATIC_PARAMETERS.has(parameter) ? 'pending-reboot' : 'immediate';
}

const DEFAULT_REPLICATION_SLOTS = 20;
/** Extra WAL senders beyond the slots: table-sync copies each hold a sender while they run. */
const SENDER_RESERVE = 10;
/** Table-sync workers beside the apply workers: 2 subscriptions syncing at max_sync_workers_per_subscription=2. */
const SYNC_WORKER_RESERVE = 4;
/** Background workers beyond logical replication (parallel query, extensions). */
const WORKER_RESERVE = 8;

function intOr(value: string | undefined, fallback: number): number {
  const n = value === undefined ? NaN : Number.parseInt(value, 10);
  return Number.isFinite(n) && n > 0 ? n : fallback;
}

/**
 * The parameter group's settings. Logical replication is always on; slots, senders and workers follow
 * the declared slot count (a subscription each way per tenant), and slot retention is capped at a tenth
 * of the storage so a forgotten slot cannot fill the disk. The user's parameters win, except that
 * rds.logical_replication stays 1.
 */
export function desiredParameters(n: Normalized): Record<string, string> {
  const user = n.parameters;
  const slots = intOr(user.max_replication_slots, DEFAULT_REPLICATION_SLOTS);
  const logicalWorkers = intOr(user.max_logical_replication_workers, slots + SYNC_WORKER_RESERVE);
  const sized: Record<string, string> = {
    max_replication_slots: String(slots),
    max_wal_senders: String(slots + SENDER_RESERVE),
    max_logical_replication_workers: String(logicalWorkers),
    max_worker_processes: String(logicalWorkers + WORKER_RESERVE),
    max_slot_wal_keep_size: String(Math.floor((n.storage.allocatedGiB * 1024) / 10)),
  };
  return { ...sized, ...user, 'rds.logical_replication': '1' };
}

/** Settings that differ between the group and the desired parameters, static ones first-class. */
export function parameterChanges(desired: Record<string, string>, actual: Record<string, string>): ParameterSetting[] {
  return Object.keys(desired)
    .sort()
    .filter((name) => actual[name] !== desired[name])
    .map((name) => ({ name, value: desired[name] as string, applyMethod: applyMethodFor(name) }));
}

/**
 * The storage the spec asks for. gp3 below 400 GiB has fixed baseline IOPS and throughput, so none are
 * sent; io1/io2 take IOPS but no throughput.
 */
export function desiredStorage(n: Normalized): StorageSettings {
  const s = n.storage;
  const gp3Tunable = s.type === 'gp3' && s.allocatedGiB >= 400;
  return {
    type: s.type,
    allocatedGiB: s.allocatedGiB,
    ...(s.iops !== undefined && (s.type !== 'gp3' || gp3Tunable) ? { iops: s.iops } : {}),
    ...(s.throughputMiBps !== undefined && gp3Tunable ? { throughputMiBps: s.throughputMiBps } : {}),
  };
}

export function instanceSettings(n: Normalized, ids: { securityGroupId: string; parameterGroupName: string }): InstanceSettings {
  return {
    instanceClass: n.instanceClass,
    engineVersion: n.engineVersion,
    multiAZ: n.multiAZ,
    storage: desiredStorage(n),
    deletionProtection: n.deletionProtection,
    securityGroupIds: [ids.securityGroupId],
    parameterGroupName: ids.parameterGroupName,
  };
}
