// The pure LandingZone plan: from (spec, observation) to the one action of this pass and each part's condition.
import assert from 'node:assert/strict';
import { planLandingZone } from '../../../src/reconcilers/landingzone/plan.js';
import type { Observed, StepOutcome } from '../../../src/reconcilers/landingzone/types.js';
import { convergedInstance, convergedObserved, ours, planInput, sampleLandingZone, TGW } from './fixtures.js';

function plan(mutate: (o: Observed) => void, lz = sampleLandingZone(), extra = {}) {
  const o = convergedObserved(lz);
  mutate(o);
  return planLandingZone(planInput(o, lz, extra));
}

function stateOf(s: StepOutcome): string {
  return s.state === 'act' ? `act:${s.action.kind}` : s.state === 'done' ? 'done' : `${s.state}:${s.reason}`;
}

describe('LandingZone plan', () => {
  it('takes no action on a converged landing zone and checks for drift a period later', () => {
    const p = plan(() => undefined);
    assert.equal(p.action, undefined);
    assert.deepEqual(Object.values(p.parts).map(stateOf), ['done', 'done', 'done', 'done', 'done']);
    assert.equal(p.requeueAfterMs, 60_000);
  });

  it('starts an empty account with the VPC', () => {
    const p = planLandingZone(
      planInput({
        duplicateVpcIds: [],
        subnets: [],
        otherRouteTables: [],
        attachments: [],
        masterSecret: { exists: false, foreign: false },
        connectionSecret: 'missing',
      }),
    );
    assert.equal(p.action?.kind, 'createVpc');
    // Parts that need no network move on in later passes; the instance waits for its prerequisites.
    assert.equal(stateOf(p.parts.database), 'act:createMasterSecret');
    assert.equal(stateOf(p.parts.parameters), 'act:createParameterGroup');
    assert.equal(p.requeueAfterMs, 2_000);
  });

  it('revokes an opened security group first, as drift, whatever else is pending', () => {
    const p = plan((o) => {
      o.securityGroup?.ingress.push({ protocol: 'tcp', fromPort: 5432, toPort: 5432, source: { kind: 'cidr', value: '0.0.0.0/0' } });
      o.securityGroup?.ingress.push({ protocol: '-1', source: { kind: 'cidr', value: '192.168.0.0/16' } });
      (o.instance as { status: string }).status = 'modifying';
    });
    assert.equal(p.action?.kind, 'revokeIngress');
    assert.match(p.action?.drift ?? '', /admitted tcp 5432 from 0\.0\.0\.0\/0, all traffic from 192\.168\.0\.0\/16/);
    assert.equal(p.action?.kind === 'revokeIngress' && p.action.rules.length, 2);
  });

  it('authorizes a newly allowed CIDR as a spec change (not drift) before the object converged', () => {
    const lz = sampleLandingZone((s) => s.network.allowedCidrs?.push('10.20.0.0/16'));
    const p = plan(() => undefined, lz, { convergedAtGeneration: false });
    assert.equal(p.action?.kind, 'authorizeIngress');
    assert.equal(p.action?.drift, undefined);
  });

  it('removes routes to an internet gateway: nothing is public', () => {
    const p = plan((o) =>
      o.routeTable?.routes.push({ destination: '0.0.0.0/0', target: { kind: 'internet-gateway', id: 'igw-1' }, state: 'active' }),
    );
    assert.equal(p.action?.kind, 'deleteRoute');
    assert.match(p.action?.drift ?? '', /igw-1/);
  });

  it('stops public IPs on a subnet', () => {
    const p = plan((o) => ((o.subnets[1] as { mapPublicIpOnLaunch: boolean }).mapPublicIpOnLaunch = true));
    assert.deepEqual(p.action && { kind: p.action.kind, id: p.action.kind === 'disablePublicIp' && p.action.subnetId }, {
      kind: 'disablePublicIp',
      id: 'subnet-b',
    });
  });

  it('waits for the Transit Gateway owner to accept the attachment, and routes only through an available one', () => {
    const p = plan((o) => {
      (o.attachments[0] as { state: string }).state = 'pendingAcceptance';
      o.routeTable!.routes = o.routeTable!.routes.filter((r) => r.target.kind === 'local');
    });
    assert.equal(stateOf(p.parts.transitGateway), 'wait:PendingAcceptance');
    assert.equal(p.action, undefined);
  });

  it('creates the missing route through the gateway once attached', () => {
    const p = plan((o) => (o.routeTable!.routes = o.routeTable!.routes.filter((r) => r.target.kind === 'local')));
    assert.equal(p.action?.kind, 'createRoute');
  });

  it('moves routes to a new gateway and retires the old attachment once unused', () => {
    const lz = sampleLandingZone((s) => (s.network.transitGateway = { id: 'tgw-0000000000000000f', routes: ['10.10.0.0/16'] }));
    const first = plan(() => undefined, lz, { convergedAtGeneration: false });
    assert.equal(first.action?.kind, 'createAttachment');
    const second = plan(
      (o) =>
        o.attachments.push({
          id: 'tgw-attach-2',
          transitGatewayId: 'tgw-0000000000000000f',
          vpcId: 'vpc-1',
          state: 'available',
          subnetIds: ['subnet-a', 'subnet-b'],
          tags: ours('transit-gateway-attachment'),
        }),
      lz,
      { convergedAtGeneration: false },
    );
    assert.equal(second.action?.kind, 'replaceRoute');
    const third = plan(
      (o) => {
        o.attachments.push({
          id: 'tgw-attach-2',
          transitGatewayId: 'tgw-0000000000000000f',
          vpcId: 'vpc-1',
          state: 'available',
          subnetIds: ['subnet-a', 'subnet-b'],
          tags: ours('transit-gateway-attachment'),
        });
        o.routeTable!.routes[1] = {
          destination: '10.10.0.0/16',
          target: { kind: 'transit-gateway', id: 'tgw-0000000000000000f' },
          state: 'active',
        };
      },
      lz,
      { convergedAtGeneration: false },
    );
    assert.deepEqual(third.action && third.action.kind === 'deleteAttachment' && third.action.attachmentId, 'tgw-attach-1');
  });

  it('detaches from the gateway when the spec drops it', () => {
    const lz = sampleLandingZone((s) => delete s.network.transitGateway);
    const p = plan(() => undefined, lz, { convergedAtGeneration: false });
    assert.equal(p.action?.kind, 'deleteRoute');
    const p2 = plan((o) => (o.routeTable!.routes = o.routeTable!.routes.slice(0, 1)), lz, { convergedAtGeneration: false });
    assert.equal(p2.action?.kind, 'deleteAttachment');
    const p3 = plan((o) => ((o.routeTable!.routes = o.routeTable!.routes.slice(0, 1)), (o.attachments = [])), lz);
    assert.equal(stateOf(p3.parts.transitGateway), 'done');
  });

  it('creates the instance only once its groups, parameters and password Secret exist', () => {
    const missing = plan((o) => {
      delete o.instance;
      o.masterSecret = { exists: false, foreign: false };
      o.connectionSecret = 'missing';
      o.parameterGroup!.parameters = {};
    });
    assert.equal(missing.action?.kind, 'createMasterSecret');
    assert.equal(stateOf(missing.parts.parameters), 'act:setParameters');
    const noParameters = plan((o) => {
      delete o.instance;
      o.connectionSecret = 'missing';
      o.parameterGroup!.parameters = {};
    });
    assert.equal(noParameters.action?.kind, 'setParameters');
    assert.match(noParameters.parts.database.state === 'wait' ? noParameters.parts.database.message : '', /the parameter group/);
    const ready = plan((o) => {
      delete o.instance;
      o.masterSecret = { exists: true, foreign: false };
      o.connectionSecret = 'missing';
    });
    assert.equal(ready.action?.kind, 'createInstance');
    const settings = ready.action?.kind === 'createInstance' ? ready.action.settings : undefined;
    assert.deepEqual(settings?.storage, { type: 'gp3', allocatedGiB: 500, iops: 12000, throughputMiBps: 500 });
    assert.equal(settings?.multiAZ, true);
    assert.equal(settings?.deletionProtection, true);
  });

  it('waits while RDS creates or modifies the instance', () => {
    for (const [status, reason] of [
      ['creating', 'Creating'],
      ['backing-up', 'Creating'],
      ['modifying', 'Modifying'],
      ['rebooting', 'Modifying'],
    ] as const) {
      const p = plan((o) => ((o.instance as { status: string }).status = status));
      assert.equal(stateOf(p.parts.database), `wait:${reason}`, status);
      assert.equal(p.requeueAfterMs, 30_000);
    }
  });

  it('turns deletion protection back on and reports it as drift', () => {
    const p = plan((o) => ((o.instance as { deletionProtection: boolean }).deletionProtection = false));
    assert.equal(p.action?.kind, 'modifyInstance');
    assert.deepEqual(p.action?.kind === 'modifyInstance' && p.action.changes, { deletionProtection: true });
    assert.match(p.action?.drift ?? '', /deletion protection is off/);
  });

  it('does not ask again for a change RDS has pending', () => {
    const p = plan((o) => {
      const inst = o.instance as { instanceClass: string; pending: { instanceClass?: string; masterPassword: boolean } };
      inst.instanceClass = 'db.r6g.large';
      inst.pending.instanceClass = 'db.r6g.xlarge';
    });
    assert.equal(p.action, undefined);
  });

  it('holds storage changes while RDS locks storage, but still applies the rest', () => {
    const locked = { storageLockedUntil: Date.parse('2030-01-01T05:00:00Z') };
    const p = plan(
      (o) => {
        const inst = o.instance as { storage: { type: string }; deletionProtection: boolean };
        inst.storage = { ...convergedInstance().storage, type: 'io2' };
        inst.deletionProtection = false;
      },
      sampleLandingZone(),
      locked,
    );
    assert.deepEqual(p.action?.kind === 'modifyInstance' && p.action.changes, { deletionProtection: true });
    const q = plan(
      (o) => ((o.instance as { storage: { type: string } }).storage = { ...convergedInstance().storage, type: 'io2' }),
      sampleLandingZone(),
      locked,
    );
    assert.equal(q.action, undefined);
    assert.equal(stateOf(q.parts.database), 'wait:StorageModificationLocked');
    assert.equal(q.requeueAfterMs, 60_000);
  });

  it('refuses to adopt an instance that is not tagged as this LandingZone', () => {
    const p = plan((o) => ((o.instance as { tags: Record<string, string> }).tags = { 'tenantshift.io/landing-zone': 'other/zone' }));
    assert.equal(stateOf(p.parts.database), 'blocked:OwnershipConflict');
    assert.match(
      p.parts.database.state === 'blocked' ? p.parts.database.message : '',
      /spec\.database\.identifier "wallets-eu".*other\/zone/,
    );
    assert.equal(p.action, undefined);
  });

  it('reports static parameters waiting for a reboot, and reboots only when allowed', () => {
    const pending = (o: Observed) => (o.instance!.parameterGroups = [{ name: 'wallets-eu-postgres15', applyStatus: 'pending-reboot' }]);
    const held = plan(pending);
    assert.equal(stateOf(held.parts.parameters), 'blocked:RebootRequired');
    assert.match(held.parts.parameters.state === 'blocked' ? held.parts.parameters.message : '', /spec\.database\.allowReboot/);
    assert.equal(held.action, undefined);
    const allowed = plan(
      pending,
      sampleLandingZone((s) => (s.database.allowReboot = true)),
    );
    assert.equal(allowed.action?.kind, 'rebootInstance');
  });

  it('sets the master password on an adopted instance whose password it does not know', () => {
    const p = plan((o) => (o.masterSecret = { exists: true, foreign: false }));
    assert.equal(p.action?.kind, 'setMasterPassword');
  });

  it('turns on AWS-managed passwords and reports when it cannot read them', () => {
    const lz = sampleLandingZone((s) => (s.database.masterPassword = 'aws'));
    assert.deepEqual(plan(() => undefined, lz).action?.kind === 'modifyInstance' && plan(() => undefined, lz).action, {
      kind: 'modifyInstance',
      changes: { manageMasterUserPassword: true },
      touchesStorage: false,
      description: 'Let RDS manage the master password of wallets-eu',
    });
    const p = plan((o) => {
      o.instance!.managedMasterSecretArn = 'arn:aws:secretsmanager:eu-west-1:1:secret:rds!db';
      o.connectionSecret = 'missing';
      o.connectionSecretBlocker = 'no reader';
    }, lz);
    assert.equal(stateOf(p.parts.connectionSecret), 'blocked:ManagedPasswordUnavailable');
  });

  it('never overwrites a connection Secret it does not own', () => {
    const p = plan((o) => (o.connectionSecret = 'foreign'));
    assert.equal(stateOf(p.parts.connectionSecret), 'blocked:SecretConflict');
    assert.equal(p.action, undefined);
  });

  it('rewrites a connection Secret that drifted', () => {
    const p = plan((o) => (o.connectionSecret = 'stale'));
    assert.equal(p.action?.kind, 'writeConnectionSecret');
    assert.ok(p.action?.drift);
  });

  it('reports duplicate tagged VPCs without touching them', () => {
    const p = plan((o) => (o.duplicateVpcIds = ['vpc-2']));
    assert.equal(p.action, undefined);
    assert.match(p.warnings[0] ?? '', /vpc-2/);
  });

  it('refuses to shrink storage, naming field and value', () => {
    const p = plan(
      () => undefined,
      sampleLandingZone((s) => (s.database.storage.allocatedGiB = 450)),
    );
    assert.equal(stateOf(p.parts.database), 'blocked:InvalidSpec');
    assert.match(p.parts.database.state === 'blocked' ? p.parts.database.message : '', /spec\.database\.storage\.allocatedGiB is 450/);
  });

  it('deletes a subnet dropped from the spec once the DB subnet group and attachment released it', () => {
    const lz = sampleLandingZone((s) => s.network.subnets.push({ availabilityZone: 'eu-west-1c', cidr: '10.40.3.0/24' }));
    const o = convergedObserved(lz);
    const shrunk = sampleLandingZone();
    o.subnets.push({
      id: 'subnet-c',
      vpcId: 'vpc-1',
      cidr: '10.40.3.0/24',
      availabilityZone: 'eu-west-1c',
      mapPublicIpOnLaunch: false,
      tags: ours('subnet'),
    });
    o.subnetGroup!.subnetIds = ['subnet-a', 'subnet-b', 'subnet-c'];
    const first = planLandingZone(planInput(o, shrunk, { convergedAtGeneration: false }));
    assert.equal(first.action?.kind, 'modifySubnetGroup');
    o.subnetGroup!.subnetIds = ['subnet-a', 'subnet-b'];
    o.instance!.subnetGroupSubnetIds = ['subnet-a', 'subnet-b'];
    const second = planLandingZone(planInput(o, shrunk, { convergedAtGeneration: false }));
    assert.equal(second.action?.kind, 'deleteSubnet');
  });

  it('tags an attachment to the spec gateway that lacks our identity (adoption)', () => {
    const p = plan((o) => (o.attachments[0]!.tags = {}));
    assert.deepEqual(p.action?.kind === 'tagResource' && p.action.resourceId, 'tgw-attach-1');
    void TGW;
  });

  it('holds an action AWS refused for good and moves on with the other parts', () => {
    const refused = [
      {
        part: 'transitGateway' as const,
        kind: 'createAttachment' as const,
        generation: 1,
        until: Date.parse('2030-01-01T00:02:00Z'),
        reason: 'ReferenceNotFound',
        message: 'Attach failed: no such gateway',
      },
    ];
    const p = plan(
      (o) => {
        o.attachments = [];
        o.routeTable!.routes = o.routeTable!.routes.slice(0, 1);
        (o.instance as { deletionProtection: boolean }).deletionProtection = false;
      },
      sampleLandingZone(),
      { refused },
    );
    assert.equal(stateOf(p.parts.transitGateway), 'wait:ReferenceNotFound');
    assert.equal(p.action?.kind, 'modifyInstance');
    const later = plan((o) => ((o.attachments = []), (o.routeTable!.routes = o.routeTable!.routes.slice(0, 1))), sampleLandingZone(), {
      refused,
      now: Date.parse('2030-01-01T00:03:00Z'),
    });
    assert.equal(later.action?.kind, 'createAttachment', 'tried again once the hold expires');
  });
});
