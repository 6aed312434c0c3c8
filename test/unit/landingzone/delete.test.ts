// Deletion under deletionPolicy Delete: dependency order, deletion protection, and only our resources.
import assert from 'node:assert/strict';
import { planDeletion } from '../../../src/reconcilers/landingzone/delete.js';
import type { Observed } from '../../../src/reconcilers/landingzone/types.js';
import { convergedObserved, planInput, sampleLandingZone } from './fixtures.js';

const lz = sampleLandingZone((s) => (s.deletionPolicy = 'Delete'));

function next(o: Observed): string {
  const n = planDeletion(planInput(o, lz)).next;
  if (!n) return 'nothing';
  return n.state === 'act' ? n.action.kind : `${n.state}:${n.state === 'done' ? '' : n.reason}`;
}

describe('LandingZone deletion plan', () => {
  it('walks the dependency order down to nothing', () => {
    const o = convergedObserved(lz);
    const seen: string[] = [];
    // Simulate each step's effect on the observation.
    for (let k = 0; k < 30; k++) {
      const step = next(o);
      seen.push(step);
      if (step === 'nothing') break;
      switch (step) {
        case 'modifyInstance':
          o.instance!.deletionProtection = false;
          break;
        case 'deleteInstance':
          delete o.instance;
          break;
        case 'deleteRoute':
          o.routeTable!.routes = o.routeTable!.routes.filter((r) => r.target.kind !== 'transit-gateway');
          break;
        case 'deleteAttachment':
          o.attachments = o.attachments.map((a) => ({ ...a, state: 'deleted' }));
          break;
        case 'deleteSubnetGroup':
          delete o.subnetGroup;
          break;
        case 'deleteParameterGroup':
          delete o.parameterGroup;
          break;
        case 'disassociateRouteTable':
          o.routeTable!.associations.shift();
          break;
        case 'deleteRouteTable':
          delete o.routeTable;
          break;
        case 'deleteSecurityGroup':
          delete o.securityGroup;
          break;
        case 'deleteSubnet':
          o.subnets.shift();
          break;
        case 'deleteVpc':
          delete o.vpc;
          break;
        default:
          assert.fail(`unexpected step ${step}`);
      }
    }
    assert.deepEqual(seen, [
      'modifyInstance',
      'deleteInstance',
      'deleteRoute',
      'deleteAttachment',
      'deleteSubnetGroup',
      'deleteParameterGroup',
      'disassociateRouteTable',
      'disassociateRouteTable',
      'deleteRouteTable',
      'deleteSecurityGroup',
      'deleteSubnet',
      'deleteSubnet',
      'deleteVpc',
      'nothing',
    ]);
  });

  it('waits while the instance is deleted, removing the gateway meanwhile', () => {
    const o = convergedObserved(lz);
    o.instance!.status = 'deleting';
    assert.equal(next(o), 'deleteRoute');
    o.routeTable!.routes = o.routeTable!.routes.slice(0, 1);
    o.attachments = [];
    assert.equal(next(o), 'wait:Deleting');
  });

  it('takes a final snapshot with a deterministic name', () => {
    const o = convergedObserved(lz);
    o.instance!.deletionProtection = false;
    const n = planDeletion(planInput(o, lz)).next;
    assert.deepEqual(n?.state === 'act' && n.action, {
      kind: 'deleteInstance',
      finalSnapshotId: 'wallets-eu-final-0f0e0d0c',
      description: 'Delete DB instance wallets-eu with final snapshot wallets-eu-final-0f0e0d0c',
    });
  });

  it('leaves an instance that is not ours alone', () => {
    const o = convergedObserved(lz);
    o.instance!.tags = {};
    assert.equal(next(o), 'deleteRoute');
  });
});
