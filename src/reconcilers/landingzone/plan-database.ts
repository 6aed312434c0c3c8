// Pure plan of the database side: DB subnet group, master password Secret, the instance (create,
// wait, modify, password), the parameter group and its reboot, and the connection Secret.
import { Reasons } from '../../api/index.js';
import { isOwnedBy, ownerOf } from '../../aws/tags.js';
import { desiredParameters, instanceSettings, parameterChanges } from './desired.js';
import { diffInstance } from './instance-diff.js';
import { act, blocked, correct, DONE, LzReasons, sameSet, subnetIdsInSpecOrder, wait, waitFor, type PlanInput } from './steps.js';
import type { StepOutcome } from './types.js';

/** RDS statuses in which ModifyDBInstance is accepted (storage-optimization: everything but storage). */
const MODIFIABLE = new Set(['available', 'storage-optimization', 'storage-full']);
/** Statuses that need a human (or AWS support): reported, looked at again slowly. */
const UNHEALTHY = new Set([
  'failed',
  'incompatible-parameters',
  'incompatible-network',
  'incompatible-option-group',
  'incompatible-restore',
  'inaccessible-encryption-credentials',
  'restore-error',
  'stopped',
]);

export function databaseSteps(i: PlanInput): StepOutcome[] {
  return [subnetGroupStep(i), masterSecretStep(i), instanceStep(i)];
}

function subnetGroupStep(i: PlanInput): StepOutcome {
  const subnets = subnetIdsInSpecOrder(i);
  const group = i.observed.subnetGroup;
  if (!subnets.complete) return group ? DONE : waitFor(i, 'the subnets');
  if (!group)
    return act(
      { kind: 'createSubnetGroup', subnetIds: subnets.ids, description: `Create DB subnet group ${i.names.subnetGroup}` },
      Reasons.Creating,
    );
  if (!sameSet(group.subnetIds, subnets.ids)) {
    return correct(
      i,
      { kind: 'modifySubnetGroup', subnetIds: subnets.ids, description: `Set the subnets of DB subnet group ${group.name}` },
      `DB subnet group ${group.name} had subnets ${group.subnetIds.join(', ')}`,
    );
  }
  return DONE;
}

function masterSecretStep(i: PlanInput): StepOutcome {
  if (i.n.masterPassword !== 'operator') return DONE;
  const s = i.observed.masterSecret;
  if (s.foreign) {
    return blocked(
      LzReasons.SecretConflict,
      `Secret ${i.names.masterSecret} exists but is not this LandingZone's master password Secret: it is never overwritten`,
    );
  }
  if (!s.exists)
    return act(
      { kind: 'createMasterSecret', description: `Generate the master password into Secret ${i.names.masterSecret}` },
      Reasons.Creating,
    );
  return DONE;
}

type Instance = NonNullable<PlanInput['observed']['instance']>;

function instanceStep(i: PlanInput): StepOutcome {
  const inst = i.observed.instance;
  if (!inst) return createInstanceStep(i);
  return instanceGate(i, inst) ?? convergeInstanceStep(i, inst);
}

function createInstanceStep(i: PlanInput): StepOutcome {
  const { observed: o, n, names } = i;
  const missing = [
    !o.securityGroup && 'the security group',
    !o.subnetGroup && 'the DB subnet group',
    (!o.parameterGroup || parameterChanges(desiredParameters(n), o.parameterGroup.parameters).length > 0) && 'the parameter group',
    n.masterPassword === 'operator' && !o.masterSecret.exists && 'the master password Secret',
  ].filter((x): x is string => typeof x === 'string');
  if (missing.length > 0 || !o.securityGroup) return waitFor(i, missing.join(', '));
  const settings = instanceSettings(n, { securityGroupId: o.securityGroup.id, parameterGroupName: names.parameterGroup });
  return act(
    {
      kind: 'createInstance',
      settings,
      awsManagedPassword: n.masterPassword === 'aws',
      description: `Create DB instance ${n.identifier}`,
    },
    Reasons.Creating,
  );
}

/** Why an existing instance cannot be converged now (ownership, deletion, encryption, health, status), if it cannot. */
function instanceGate(i: PlanInput, inst: Instance): StepOutcome | undefined {
  const { n, names } = i;
  if (!isOwnedBy(inst.tags, names.identity)) {
    const owner = ownerOf(inst.tags);
    return blocked(
      LzReasons.OwnershipConflict,
      `spec.database.identifier "${n.identifier}" names a DB instance that ` +
        `${owner ? `belongs to LandingZone ${owner}` : 'this operator did not create'}: it is never adopted without the tag`,
    );
  }
  if (inst.status === 'deleting') return wait(i, Reasons.Deleting, `DB instance ${n.identifier} is being deleted`);
  if (!inst.storageEncrypted) {
    return blocked(
      Reasons.InvalidSpec,
      `DB instance ${n.identifier} has unencrypted storage, which RDS cannot encrypt in place: restore an encrypted copy of a snapshot`,
    );
  }
  if (UNHEALTHY.has(inst.status)) return blocked(LzReasons.InstanceUnhealthy, `DB instance ${n.identifier} is ${inst.status}`);
  if (!MODIFIABLE.has(inst.status)) {
    return wait(
      i,
      inst.status === 'creating' || inst.status === 'backing-up' ? Reasons.Creating : Reasons.Modifying,
      `DB instance ${n.identifier} is ${inst.status}`,
    );
  }
  return undefined;
}

type Diff = ReturnType<typeof diffInstance>;

/** While storage cannot change: the wait to report, with the storage change taken out of diff. */
function holdStorage(i: PlanInput, inst: Instance, diff: Diff): StepOutcome | undefined {
  if (!diff.touchesStorage || !(inst.status === 'storage-optimization' || (i.storageLockedUntil ?? 0) > i.now)) return undefined;
  // RDS allows one storage change per six hours and none while optimizing: wait, do not loop.
  const why = inst.status === 'storage-optimization' ? 'storage optimization in progress' : 'the last storage change is settling';
  const storageWait = wait(
    i,
    LzReasons.StorageModificationLocked,
    `DB instance ${i.n.identifier} cannot take a storage change yet (${why}): ${diff.differences.join('; ')}`,
    i.timings.storageCooldownMs,
  );
  delete diff.changes.storage;
  diff.touchesStorage = false;
  return storageWait;
}

function convergeInstanceStep(i: PlanInput, inst: Instance): StepOutcome {
  const { observed: o, n, names } = i;
  if (!o.securityGroup) return waitFor(i, 'the security group');
  const diff = diffInstance(instanceSettings(n, { securityGroupId: o.securityGroup.id, parameterGroupName: names.parameterGroup }), inst);
  const storageWait = holdStorage(i, inst, diff);
  if (Object.keys(diff.changes).length > 0) {
    return correct(
      i,
      {
        kind: 'modifyInstance',
        changes: diff.changes,
        touchesStorage: diff.touchesStorage,
        description: `Modify DB instance ${n.identifier}: ${diff.differences.join('; ')}`,
      },
      `DB instance ${n.identifier}: ${diff.differences.join('; ')}`,
    );
  }
  const password = passwordStep(i);
  if (password) return password;
  if (storageWait) return storageWait;
  if (diff.refusals.length > 0) return blocked(Reasons.InvalidSpec, diff.refusals.join('; '));
  if (inst.status !== 'available') return wait(i, Reasons.Modifying, `DB instance ${n.identifier} is ${inst.status}`);
  return DONE;
}

function passwordStep(i: PlanInput): StepOutcome | undefined {
  const inst = i.observed.instance;
  if (!inst || inst.pending.masterPassword) return undefined;
  if (i.n.masterPassword === 'aws') {
    if (inst.managedMasterSecretArn) return undefined;
    return act({
      kind: 'modifyInstance',
      changes: { manageMasterUserPassword: true },
      touchesStorage: false,
      description: `Let RDS manage the master password of ${inst.identifier}`,
    });
  }
  if (!i.observed.masterSecret.exists || i.observed.masterSecret.foreign) return undefined;
  if (inst.managedMasterSecretArn || i.observed.masterSecret.appliedTo !== inst.resourceId) {
    return act({
      kind: 'setMasterPassword',
      leaveAwsManagement: inst.managedMasterSecretArn !== undefined,
      description: `Set the master password of ${inst.identifier} from Secret ${i.names.masterSecret}`,
    });
  }
  return undefined;
}

export function parameterSteps(i: PlanInput): StepOutcome[] {
  const { observed: o, names, n } = i;
  const group = o.parameterGroup;
  if (!group)
    return [
      act(
        { kind: 'createParameterGroup', description: `Create parameter group ${names.parameterGroup} (${names.parameterFamily})` },
        Reasons.Creating,
      ),
    ];
  const settings = parameterChanges(desiredParameters(n), group.parameters);
  if (settings.length > 0) {
    const what = settings.map((s) => `${s.name}=${s.value}`).join(', ');
    return [
      correct(
        i,
        { kind: 'setParameters', settings, description: `Set ${what} on ${group.name}` },
        `parameter group ${group.name} differed: want ${what}`,
      ),
    ];
  }
  const inst = o.instance;
  if (!inst || !isOwnedBy(inst.tags, names.identity)) return [waitFor(i, `DB instance ${n.identifier}`)];
  const applied = inst.parameterGroups.find((g) => g.name === group.name);
  if (!applied) return [waitFor(i, `DB instance ${n.identifier} to use parameter group ${group.name}`)];
  if (applied.applyStatus === 'pending-reboot') {
    if (!n.allowReboot) {
      return [
        blocked(
          Reasons.RebootRequired,
          `Static parameters of ${group.name} wait for a reboot of ${n.identifier}: ` +
            'set spec.database.allowReboot to true, or reboot it in a maintenance window',
        ),
      ];
    }
    if (inst.status !== 'available')
      return [wait(i, Reasons.RebootRequired, `Rebooting ${n.identifier} once it is available (now ${inst.status})`)];
    return [
      act(
        { kind: 'rebootInstance', description: `Reboot ${n.identifier} to apply static parameters (spec.database.allowReboot: true)` },
        Reasons.RebootRequired,
      ),
    ];
  }
  if (applied.applyStatus !== 'in-sync')
    return [wait(i, Reasons.Modifying, `Parameters of ${group.name} are ${applied.applyStatus} on ${n.identifier}`)];
  return [DONE];
}

export function connectionSecretSteps(i: PlanInput): StepOutcome[] {
  const o = i.observed;
  const name = i.n.connectionSecretName;
  if (o.connectionSecret === 'foreign') {
    return [
      blocked(
        LzReasons.SecretConflict,
        `Secret ${name} (spec.connectionSecretName) exists and is not managed by this LandingZone: it is never overwritten`,
      ),
    ];
  }
  if (o.connectionSecretBlocker) {
    const permanent = i.n.masterPassword === 'aws' && o.instance?.managedMasterSecretArn !== undefined;
    return [
      permanent
        ? blocked(LzReasons.ManagedPasswordUnavailable, o.connectionSecretBlocker)
        : wait(i, Reasons.Creating, o.connectionSecretBlocker),
    ];
  }
  if (o.connectionSecret === 'missing')
    return [act({ kind: 'writeConnectionSecret', description: `Write connection Secret ${name}` }, Reasons.Creating)];
  if (o.connectionSecret === 'stale') {
    return [
      correct(
        i,
        { kind: 'writeConnectionSecret', description: `Update connection Secret ${name}` },
        `connection Secret ${name} did not match the database`,
      ),
    ];
  }
  return [DONE];
}
