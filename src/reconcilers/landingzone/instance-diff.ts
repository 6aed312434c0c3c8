// Pure comparison of the DB instance RDS reports with the settings the spec asks for: the changes to
// request (pending modifications count as requested), what each one corrects, and what RDS cannot do.
import type { DbInstanceInfo, InstanceChanges, InstanceSettings, StorageSettings } from '../../aws/rds-instance.js';
import { engineMajor } from './names.js';

export interface InstanceDiff {
  changes: InstanceChanges;
  /** One line per difference, e.g. "deletion protection is off (spec.database.deletionProtection: true)". */
  differences: string[];
  touchesStorage: boolean;
  /** Differences RDS cannot converge in place; each names the field and the value. */
  refusals: string[];
}

/** "15" matches every 15.x; "15.4" matches 15.4 and 15.4.x. */
export function engineVersionMatches(spec: string, actual: string): boolean {
  return actual === spec || actual.startsWith(`${spec}.`);
}

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let k = 0; k < Math.max(pa.length, pb.length); k++) {
    const d = (pa[k] ?? 0) - (pb[k] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Storage as it is or will be once pending modifications apply. */
export function effectiveStorage(inst: DbInstanceInfo): StorageSettings {
  const p = inst.pending;
  const iops = p.iops ?? inst.storage.iops;
  const throughput = p.throughputMiBps ?? inst.storage.throughputMiBps;
  return {
    type: p.storageType ?? inst.storage.type,
    allocatedGiB: p.allocatedGiB ?? inst.storage.allocatedGiB,
    ...(iops !== undefined ? { iops } : {}),
    ...(throughput !== undefined ? { throughputMiBps: throughput } : {}),
  };
}

function storageDifferences(want: StorageSettings, have: StorageSettings): { differences: string[]; refusals: string[] } {
  const differences: string[] = [];
  const refusals: string[] = [];
  if (want.type !== have.type) differences.push(`storage type is ${have.type} (spec.database.storage.type: ${want.type})`);
  if (want.allocatedGiB > have.allocatedGiB) {
    differences.push(`allocated storage is ${have.allocatedGiB} GiB (spec.database.storage.allocatedGiB: ${want.allocatedGiB})`);
  } else if (want.allocatedGiB < have.allocatedGiB) {
    refusals.push(
      `spec.database.storage.allocatedGiB is ${want.allocatedGiB} but the instance has ${have.allocatedGiB} GiB: RDS cannot shrink storage`,
    );
  }
  // Unset IOPS or throughput means "AWS's baseline": only declared values are compared.
  if (want.iops !== undefined && want.iops !== have.iops)
    differences.push(`IOPS are ${have.iops ?? 'baseline'} (spec.database.storage.iops: ${want.iops})`);
  if (want.throughputMiBps !== undefined && want.type === 'gp3' && want.throughputMiBps !== have.throughputMiBps) {
    differences.push(
      `throughput is ${have.throughputMiBps ?? 'baseline'} MiB/s (spec.database.storage.throughputMiBps: ${want.throughputMiBps})`,
    );
  }
  return { differences, refusals };
}

interface DiffAccumulator {
  changes: InstanceChanges;
  differences: string[];
  refusals: string[];
}

function diffEngineVersion(want: InstanceSettings, version: string, acc: DiffAccumulator): void {
  if (engineVersionMatches(want.engineVersion, version)) return;
  if (engineMajor(want.engineVersion) !== engineMajor(version)) {
    acc.refusals.push(
      `spec.database.engineVersion is "${want.engineVersion}" but the instance runs ${version}: major version upgrades are not automated`,
    );
  } else if (compareVersions(want.engineVersion, version) < 0) {
    acc.refusals.push(`spec.database.engineVersion is "${want.engineVersion}" but the instance runs ${version}: RDS cannot downgrade`);
  } else {
    acc.changes.engineVersion = want.engineVersion;
    acc.differences.push(`engine version is ${version} (spec.database.engineVersion: ${want.engineVersion})`);
  }
}

/** Public accessibility, security groups and parameter group. */
function diffAccess(want: InstanceSettings, inst: DbInstanceInfo, acc: DiffAccumulator): void {
  const { changes, differences } = acc;
  if (inst.publiclyAccessible) {
    changes.publiclyAccessible = false;
    differences.push('the instance is publicly accessible (a landing zone database never is)');
  }
  const groups = [...inst.securityGroupIds].sort();
  if (groups.join(',') !== [...want.securityGroupIds].sort().join(',')) {
    changes.securityGroupIds = want.securityGroupIds;
    differences.push(`security groups are ${groups.join(', ') || 'none'} (want ${want.securityGroupIds.join(', ')})`);
  }
  if (!inst.parameterGroups.some((g) => g.name === want.parameterGroupName)) {
    changes.parameterGroupName = want.parameterGroupName;
    differences.push(
      `parameter group is ${inst.parameterGroups.map((g) => g.name).join(', ') || 'none'} (want ${want.parameterGroupName})`,
    );
  }
}

export function diffInstance(want: InstanceSettings, inst: DbInstanceInfo): InstanceDiff {
  const changes: InstanceChanges = {};
  const differences: string[] = [];
  const refusals: string[] = [];
  const p = inst.pending;

  const instanceClass = p.instanceClass ?? inst.instanceClass;
  if (instanceClass !== want.instanceClass) {
    changes.instanceClass = want.instanceClass;
    differences.push(`instance class is ${instanceClass} (spec.database.instanceClass: ${want.instanceClass})`);
  }
  diffEngineVersion(want, p.engineVersion ?? inst.engineVersion, { changes, differences, refusals });
  const multiAZ = p.multiAZ ?? inst.multiAZ;
  if (multiAZ !== want.multiAZ) {
    changes.multiAZ = want.multiAZ;
    differences.push(`Multi-AZ is ${multiAZ ? 'on' : 'off'} (spec.database.multiAZ: ${want.multiAZ})`);
  }
  const storage = storageDifferences(want.storage, effectiveStorage(inst));
  refusals.push(...storage.refusals);
  if (storage.differences.length > 0) {
    changes.storage = { ...want.storage, allocatedGiB: Math.max(want.storage.allocatedGiB, effectiveStorage(inst).allocatedGiB) };
    differences.push(...storage.differences);
  }
  if (inst.deletionProtection !== want.deletionProtection) {
    changes.deletionProtection = want.deletionProtection;
    differences.push(
      `deletion protection is ${inst.deletionProtection ? 'on' : 'off'} (spec.database.deletionProtection: ${want.deletionProtection})`,
    );
  }
  diffAccess(want, inst, { changes, differences, refusals });
  return { changes, differences, touchesStorage: changes.storage !== undefined, refusals };
}
